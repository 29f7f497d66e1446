"""Errors a user can act on: each names the file, where in it, and what is wrong."""

from __future__ import annotations


class InputError(Exception):
    """A file that cannot be read at all (exit code 2 at the command line)."""

    def __init__(self, file: str, reason: str, locator: str = ""):
        self.file, self.reason, self.locator = file, reason, locator
        where = f"{file}, {locator}" if locator else file
        super().__init__(f"{where}: {reason}")


class RowProblem(ValueError):
    """A raw row (or one cell of it) that cannot be placed; ``reason`` is its quarantine reason code
    and ``column`` (canonical name, optional) the cell to fix.

    Never stops a file: the placer quarantines the row with this reason and message.
    """

    def __init__(self, reason: str, message: str, column: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.column = column
