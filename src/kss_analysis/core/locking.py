"""One writer per folder: a lock file held while a build or a fetch writes.

POSIX ``flock`` on a small file next to the folder it guards. The kernel releases the
lock when the holder exits however it exits (SIGKILL included), so a stale lock file
never blocks anyone; its content (pid, host, command, start time) only serves to tell a
waiting run who holds it. ``filelock`` would give the same ``flock`` but not the holder's
name, which is what a user needs to decide whether to wait.

The lock file is opened without following a symbolic link (``O_NOFOLLOW``) and used only
when it is a regular file with no other name: a link or hard link planted in its place
would otherwise have the lock truncate and overwrite a file elsewhere.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import socket
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kss_analysis.core.errors import InputError

DEFAULT_WAIT_SECONDS = 600.0  # KSS_LOCK_WAIT overrides; 0 means fail at once
POLL_SECONDS = 0.2


class LockBusy(InputError):
    """Another run still holds the lock after the wait (exit 2 at the command line)."""


MAX_HOLDER_BYTES = 4096  # a holder record is about 150 bytes


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, MAX_HOLDER_BYTES, 0).decode("utf-8") or "{}")
        return f"`{info['what']}` (pid {info['pid']} on {info['host']}, since {info['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another run"


def _open_lock(path: Path) -> int:
    """The lock file's descriptor; InputError unless ``path`` is a regular file of its own."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise InputError(str(path), "lock file is a symbolic link, not a regular file; remove the link") from None
        raise InputError(str(path), f"lock file cannot be opened ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = "lock file is not a regular file (a FIFO, device or folder?); remove it"
    elif info.st_nlink > 1:
        problem = f"lock file has {info.st_nlink} names (a hard link to another file?); remove it"
    if problem:
        os.close(fd)
        raise InputError(str(path), problem)
    return fd


def wait_seconds() -> float:
    try:
        return float(os.environ.get("KSS_LOCK_WAIT", DEFAULT_WAIT_SECONDS))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


@contextmanager
def hold(path: Path, what: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the lock at ``path`` for the block; waits up to ``wait`` seconds, saying for whom."""
    wait = wait_seconds() if wait is None else wait
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_lock(path)
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if time.monotonic() >= deadline:
                    raise LockBusy(str(path), f"locked by {holder}; try again when it has finished") from None
                if not told:
                    print(f"kss: waiting for {holder} to finish (lock {path})", file=sys.stderr)
                    told = True
                time.sleep(POLL_SECONDS)
        info = {
            "what": what,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
