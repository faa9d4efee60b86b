"""What every command does with the terminal: verbosity flags, and TensorFlow's start-up lines kept off it."""

import contextlib
import os
import re
import sys

from saliency_core.errors import DEBUG_ENV

VERBOSE_ENV = "SALIENCY_AUDIT_VERBOSE"


def set_verbosity(verbose: bool, debug: bool) -> None:
    """The top-level --verbose / --debug flags, for every command of the process (and its workers)."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"
    if debug:
        os.environ[DEBUG_ENV] = "1"


@contextlib.contextmanager
def stderr_to(path: str):
    """File descriptor 2 (this process's, and that of the processes it starts) points at ``path`` meanwhile."""
    sys.stderr.flush()
    # Never through a link: the log goes to a file of ours (O_NOFOLLOW refuses a link planted under its name).
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    saved = os.dup(2)
    try:
        os.dup2(target, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def quiet_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up lines out of the user's terminal (unless --verbose).

    TF_CPP_MIN_LOG_LEVEL does not silence the absl lines printed at import (tensorflow/tensorflow#100442), so
    file descriptor 2 points at /dev/null while TensorFlow imports; a failing import still raises as usual."""
    if os.environ.get(VERBOSE_ENV) or "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with stderr_to(os.devnull):
        import tensorflow  # noqa: F401


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: object) -> str:
    """Text from a corpus, a lexicon or a command line made safe for a terminal: control characters (escape
    sequences could move the cursor, recolour or retitle it) shown as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
