"""Errors about the user's input (printed by the command lines as one line with exit code 2) and the exit codes."""


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
EXIT_GATE_FAILED = 1  # audit-cli: a gate failed
EXIT_INPUT = 2  # usage or input error
EXIT_SERVER_FAILED = 3  # the server failed past its retry budget
EXIT_IO = 4  # the machine refused: disk full, read-only folder, permissions
EXIT_INTERNAL = 70  # a bug: the message says how to get the traceback (--debug)
DEBUG_ENV = "SALIENCY_AUDIT_DEBUG"
