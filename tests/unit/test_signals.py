"""Stop signals: a command takes SIGINT and SIGTERM, except one it was started with ignored."""

import signal

from cli_common.signals import handle_stop_signals, restore_signals


def _handler(signum, frame):
    pass


def test_a_signal_ignored_at_start_stays_ignored_and_the_other_is_handled():
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job of a shell without job control starts
    try:
        previous = handle_stop_signals(_handler)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is _handler
        assert set(previous) == {signal.SIGTERM}
        restore_signals(previous)
        assert signal.getsignal(signal.SIGTERM) == before[signal.SIGTERM]
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def test_both_signals_are_handled_when_neither_is_ignored():
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        previous = handle_stop_signals(_handler)
        assert signal.getsignal(signal.SIGINT) is _handler and signal.getsignal(signal.SIGTERM) is _handler
        restore_signals(previous)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
