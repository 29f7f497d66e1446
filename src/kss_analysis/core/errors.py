"""Errors a user can act on: each names the file, where in it, and what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class KssError(Exception):
    """Base of every error this package raises on purpose (catch this to catch them all)."""


class InputError(KssError):
    """A file that cannot be read at all (exit code 2 at the command line)."""

    def __init__(self, file: str, reason: str, locator: str = ""):
        self.file, self.reason, self.locator = file, reason, locator
        where = f"{file}, {locator}" if locator else file
        super().__init__(f"{where}: {reason}")


class UsageError(KssError):
    """A bad option, argument or query: the command exits 2 with this message."""


class RowProblem(KssError, ValueError):
    """A raw row (or one cell of it) that cannot be placed; ``reason`` is its quarantine reason code
    and ``column`` (canonical name, optional) the cell to fix.

    Never stops a file: the placer quarantines the row with this reason and message.
    """

    def __init__(self, reason: str, message: str, column: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.column = column


class InvariantError(KssError, AssertionError):
    """A build produced tables that break a rule; nothing is written."""


class RecordError(KssError, KeyError):
    """A placer wrote a field the canonical schema does not have (a misspelt column): a bug in the code."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@contextmanager
def reading(file: str) -> Iterator[None]:
    """Any unexpected failure while reading ``file`` becomes an InputError naming it: the one
    user-facing error path (exit 2, one line). Readers raise precise InputErrors where they
    can; this catches what they did not foresee (a parser's own exception, deep recursion,
    a value of an odd type), so a hostile file never ends in a traceback."""
    try:
        yield
    except (InputError, KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:
        raise InputError(file, "ran out of memory reading this file (too large or hostile?)") from None
    except RecursionError:
        raise InputError(file, "structure nested too deeply to read") from None
    except Exception as exc:
        if isinstance(exc, (InvariantError, RecordError)):  # a build check or a code bug, not a reading failure
            raise
        text = str(exc).splitlines()[0][:300] if str(exc) else ""
        raise InputError(file, f"cannot be read ({exc.__class__.__name__}: {text})") from None
