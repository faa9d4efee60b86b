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


def exit_on_input_error(function):
    """Decorate a click command: InputError -> one line on stderr, exit code 2, no traceback."""
    import functools

    import click

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            raise SystemExit(2) from None

    return wrapper
