"""Every command's last line of defence: an exception becomes one line on stderr and a documented exit code."""

import functools
import os
import sys
from typing import NoReturn

import click

from cli_common.console import printable
from saliency_core.errors import DEBUG_ENV, EXIT_INPUT, EXIT_INTERNAL, EXIT_IO, InputError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the signal
EXIT_SIGINT = 130  # 128 + SIGINT


def stopped_by_ctrl_c() -> NoReturn:
    """Ctrl-C before a command installs its own handler (while TensorFlow imports or the model loads): the
    documented exit code of a SIGINT and one line, not click's "Aborted!" and 1."""
    click.echo("stopped by signal 2 (SIGINT)", err=True)
    raise SystemExit(EXIT_SIGINT) from None


def exit_on_input_error(function):
    """Decorate a click command: every exception becomes one line on stderr and its exit code, no traceback.

    InputError -> 2; OSError (disk full, read-only, permissions) -> 4; Ctrl-C (KeyboardInterrupt) -> 130; anything
    unexpected -> 70 with a hint to rerun with --debug (environment variable SALIENCY_AUDIT_DEBUG=1), which shows
    the traceback instead. click's own usage errors and SystemExit pass through unchanged."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except InputError as error:
            click.echo(f"error: {printable(error)}", err=True)
            raise SystemExit(EXIT_INPUT) from None
        except KeyboardInterrupt:
            stopped_by_ctrl_c()
        except (SystemExit, click.exceptions.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # The reader of stdout went away (`| head`): what remains has nobody to read it, as with any Unix tool.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        except OSError as error:
            if os.environ.get(DEBUG_ENV):
                raise
            where = f"{error.filename}: " if error.filename else ""
            click.echo(
                f"error: {where}{error.strerror or error} (the machine refused an operation; nothing "
                "partial is marked complete)",
                err=True,
            )
            raise SystemExit(EXIT_IO) from None
        except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for users
            if os.environ.get(DEBUG_ENV):
                raise
            message = str(error).splitlines()[0] if str(error) else ""
            click.echo(
                f"error: internal error: {type(error).__name__}: {message} (rerun with --debug for the "
                "traceback, and please report it)",
                err=True,
            )
            raise SystemExit(EXIT_INTERNAL) from None

    return wrapper
