"""Errors about the user's input, printed by the CLIs as one line with exit code 2."""


class InputError(Exception):
    """Bad input: a file, row (1-based line in the file) and column, when known, and what is wrong."""

    def __init__(self, message, path=None, line=None, column=None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self):
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        if self.column is not None:
            where += f"column {self.column!r}: "
        return where + self.message


# Exit codes of the command-line tools, in one place. 1 is reserved for "a gate failed" (audit-cli) and
# "training diverged" (audit-train): a CI job must be able to tell a failing model from a bad file.
EXIT_INPUT = 2  # usage or input error
EXIT_IO = 4  # the machine refused: disk full, read-only folder, permissions
EXIT_INTERNAL = 70  # a bug: the message says how to get the traceback (--debug)
DEBUG_ENV = "SALIENCY_AUDIT_DEBUG"


def exit_on_input_error(function):
    """Decorate a click command: every exception becomes one line on stderr and its exit code, no traceback.

    InputError -> 2; OSError (disk full, read-only, permissions) -> 4; anything unexpected -> 70 with a hint to
    rerun with --debug (environment variable SALIENCY_AUDIT_DEBUG=1), which shows the traceback instead.
    click's own usage errors and SystemExit pass through unchanged."""
    import functools
    import os

    import click

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            raise SystemExit(EXIT_INPUT) from None
        except (SystemExit, KeyboardInterrupt, click.exceptions.ClickException, click.exceptions.Abort):
            raise
        except OSError as error:
            if os.environ.get(DEBUG_ENV):
                raise
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"error: {where}{error.strerror or error} (the machine refused an operation; nothing "
                       "partial is marked complete)", err=True)
            raise SystemExit(EXIT_IO) from None
        except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for users
            if os.environ.get(DEBUG_ENV):
                raise
            message = str(error).splitlines()[0] if str(error) else ""
            click.echo(f"error: internal error: {type(error).__name__}: {message} (rerun with --debug for the "
                       "traceback, and please report it)", err=True)
            raise SystemExit(EXIT_INTERNAL) from None

    return wrapper
