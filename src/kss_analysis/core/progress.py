"""What a command shows while it works: a progress bar on a terminal, one line per step elsewhere.

The command line sets the level once per command (``configure``, from ``-q``/``-v``); the
stages report their steps through ``steps(...)`` and their messages through ``say``. Nothing
is configured when the package is used from Python (a notebook, a test calling
``build_all``): steps then show nothing and ``say`` prints as ``print`` does.

- quiet (``-q``): nothing but errors. stdout keeps only a command's results (the sources
  table, the citations, the version); no steps, no summaries, no notices.
- normal: when stderr is a terminal, a tqdm bar per long task on stderr (items done of all,
  elapsed time, the item at work); otherwise one line per step on stdout
  (``charts 3/48: programmes_by_year (en)``), so a log shows how far a run got.
- verbose (``-v``): the step lines on a terminal too (above the bar), each with its seconds.

Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org) or
``TERM=dumb``. Errors always go to stderr, one line each.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

QUIET, NORMAL, VERBOSE = 0, 1, 2
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


@dataclass
class Settings:
    level: int
    terminal: bool  # stderr is a terminal: bars instead of step lines


_settings: Settings | None = None
_bar: Any = None  # the tqdm bar on screen, if any: messages are written above it


def configure(level: int = NORMAL, *, terminal: bool | None = None) -> None:
    """Set by the command line before a command runs (``reset`` after it)."""
    global _settings
    _settings = Settings(level, sys.stderr.isatty() if terminal is None else terminal)


def reset() -> None:
    global _settings, _bar
    _settings, _bar = None, None


def level() -> int:
    return NORMAL if _settings is None else _settings.level


def quiet() -> bool:
    return level() == QUIET


def verbose() -> bool:
    return level() >= VERBOSE


def terminal() -> bool:
    """Progress is drawn as bars (stderr is a terminal), not written as lines."""
    return _settings is not None and _settings.terminal and _settings.level > QUIET


def colour(stream: IO[str] | None = None) -> bool:
    """Colour may be used on ``stream`` (default stderr): a terminal, NO_COLOR unset, TERM not dumb."""
    stream = sys.stderr if stream is None else stream
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def plain(text: str) -> str:
    """``text`` without colour codes when colour is off (a traceback coloured by a notebook kernel)."""
    return text if colour() else ANSI.sub("", text)


def say(message: str = "") -> None:
    """A message of the command on stdout, above the bar when one is drawn; nothing when quiet."""
    if quiet():
        return
    if _bar is not None:
        _bar.write(message, file=sys.stdout)
    else:
        print(message, flush=True)


def warn(message: str) -> None:
    """A notice on stderr (a file skipped, a hint); nothing when quiet."""
    if quiet():
        return
    if _bar is not None:
        _bar.write(message, file=sys.stderr)
    else:
        print(message, file=sys.stderr, flush=True)


def error(message: str) -> None:
    """An error on stderr, always, in red on a terminal that takes colour."""
    message = plain(message)
    print(f"\x1b[31m{message}\x1b[0m" if colour() else message, file=sys.stderr, flush=True)


class Steps:
    """The steps of one task: ``advance(label)`` after each one is done.

    ``lines=False`` when the caller already says one line per step (``say``): then nothing
    more is written off a terminal, and on a terminal only the bar moves.
    """

    def __init__(self, task: str, total: int | None, unit: str, lines: bool) -> None:
        self.task, self.total, self.unit, self.lines = task, total, unit, lines
        self.done = 0
        self.started = self.last = time.monotonic()
        self.bar: Any = None

    def __enter__(self) -> Steps:
        global _bar
        if terminal() and _bar is None:  # one bar at a time: a task inside another adds no bar of its own
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total,
                desc=self.task,
                unit=self.unit,
                file=sys.stderr,
                dynamic_ncols=True,
                colour="green" if colour() else None,
            )
            _bar = self.bar
        return self

    def __exit__(self, *exc: object) -> None:
        global _bar
        if self.bar is not None:
            self.bar.close()
            if _bar is self.bar:
                _bar = None

    def at(self, label: str) -> None:
        """What is being worked on now (shown beside the bar on a terminal)."""
        if self.bar is not None:
            self.bar.set_postfix_str(label, refresh=True)

    def advance(self, label: str) -> None:
        self.done += 1
        now = time.monotonic()
        seconds, self.last = now - self.last, now
        if _settings is None or quiet():
            return
        of = f"/{self.total}" if self.total else ""
        line = f"{self.task} {self.done}{of}: {label}" + (f" ({seconds:.1f} s)" if verbose() else "")
        if self.bar is not None:
            self.bar.set_postfix_str(label, refresh=False)
            self.bar.update(1)
            if verbose():
                self.bar.write(line, file=sys.stdout)
        elif self.lines and not terminal():
            print(line, flush=True)


@contextmanager
def steps(task: str, total: int | None = None, unit: str = "step", *, lines: bool = True) -> Iterator[Steps]:
    """Report the steps of ``task`` (``total`` of them when known); see ``Steps``."""
    with Steps(task, total, unit, lines) as reporter:
        yield reporter
