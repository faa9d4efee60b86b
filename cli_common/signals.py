"""SIGINT and SIGTERM as a long-running command handles them."""

import signal
from collections.abc import Callable
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def handle_stop_signals(handler: Callable[[int, Any], None]) -> dict[int, Any]:
    """Install ``handler`` for SIGINT and SIGTERM, except for a signal this process was started with ignored: POSIX
    shells start a background job with SIGINT ignored when job control is off (scripts, ``sh -c '... &'``) because
    the terminal's Ctrl-C is not meant for it, and Python itself then leaves KeyboardInterrupt off.
    Returns the handlers replaced, for ``restore_signals``."""
    return {
        signum: signal.signal(signum, handler)
        for signum in STOP_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN
    }


def restore_signals(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
