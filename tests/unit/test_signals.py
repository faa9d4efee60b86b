"""Stop signals: a command takes SIGINT and SIGTERM, except one it was started with ignored."""

import signal

import pytest

from cli_common.signals import STOP_SIGNALS, handle_stop_signals, restore_signals


def _handler(signum, frame):
    pass


@pytest.fixture
def handlers_before():
    """SIGINT's and SIGTERM's handlers before the test, put back after it whatever it set."""
    before = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    yield before
    for signum, handler in before.items():
        signal.signal(signum, handler)


def test_a_signal_ignored_at_start_stays_ignored_and_the_other_is_handled(handlers_before):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job of a shell without job control starts
    previous = handle_stop_signals(_handler)
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is _handler
    assert set(previous) == {signal.SIGTERM}
    restore_signals(previous)
    assert signal.getsignal(signal.SIGTERM) == handlers_before[signal.SIGTERM]


def test_both_signals_are_handled_when_neither_is_ignored(handlers_before):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    previous = handle_stop_signals(_handler)
    assert signal.getsignal(signal.SIGINT) is _handler and signal.getsignal(signal.SIGTERM) is _handler
    restore_signals(previous)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
