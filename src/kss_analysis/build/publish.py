"""Publish a build as one atomic step: readers see the previous complete set or the new one.

Layout under the data folder::

    processed -> builds/<id>        a relative symlink: the published build
    builds/<id>/                    complete builds (the published one and the one before)
    builds/.staging-<pid>/          a build being written (never read)

A build writes every file into a staging folder. Publishing then (1) renames the staging
folder to ``builds/<id>`` and (2) points ``processed`` at it by creating a new symlink and
``os.replace``-ing it over the old one. Both are single atomic renames on POSIX, so a kill
at any moment leaves ``processed`` pointing at one complete build: the old one until (2),
the new one after. Paths such as ``data/processed/activities.parquet`` keep working for
every reader. Leftovers of a killed build (a staging folder, a stray symlink) are removed
by ``recover`` at the start of the next build, which runs under the build lock. A legacy
``processed/`` real folder is moved into ``builds/`` on first use, also recoverably.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kss_analysis.build.result import BuildResult

PROCESSED = "processed"
BUILDS = "builds"
STAGING_PREFIX = ".staging-"
LINK_TMP_PREFIX = ".processed.tmp-"
LEGACY_ID = "00000000T000000-legacy"
KEEP_BUILDS = 2  # the published build and the one before (a reader may still be reading it)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _complete_builds(data: Path) -> list[Path]:
    folder = data / BUILDS
    if not folder.is_dir():
        return []
    # A link is never a build: one planted here could lead `processed` out of the data folder.
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def _new_id(data: Path) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    taken = {p.name for p in _complete_builds(data)}
    n = 1
    while f"{stamp}-{n}" in taken:
        n += 1
    return f"{stamp}-{n}"


# Each step is one function so the crash test can stop the process before or after it.
def _promote(staging: Path, final: Path) -> None:
    """Step 1: the staging folder becomes a complete build."""
    os.rename(staging, final)
    _fsync_dir(final.parent)


def _make_link(link: Path, target: str) -> None:
    link.unlink(missing_ok=True)
    os.symlink(target, link)


def _swap(link: Path, processed: Path) -> None:
    """Step 2: the published pointer moves to the new build in one rename."""
    os.replace(link, processed)
    _fsync_dir(processed.parent)


def _prune(data: Path) -> None:
    current = published(data)
    builds = _complete_builds(data)
    keep = set(builds[-KEEP_BUILDS:]) | ({current} if current else set())
    for old in builds:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)


def published(data: Path) -> Path | None:
    """The build folder ``processed`` points at (None before the first transactional build)."""
    processed = data / PROCESSED
    if processed.is_symlink():
        return _build_of_link(data)
    return None


def _build_of_link(data: Path) -> Path | None:
    """The complete build of ``data`` the ``processed`` link points at; None when it points
    anywhere else (out of the data folder, at a link, nowhere, in a loop)."""
    processed = data / PROCESSED
    try:
        target = (processed.parent / os.readlink(processed)).resolve(strict=True)
        builds = [p.resolve() for p in _complete_builds(data)]
    except (OSError, RuntimeError):
        return None
    return target if target in builds else None


BUILD_ONLY_FILES = ("quarantine_report.csv", "duplicates_report.csv")  # written by `kss build`, never by ingest


def published_build_reason(folder: Path, data: Path | None = None) -> str | None:
    """Why ``folder`` (or a folder above it) holds a published build, so that other output must
    not be written into it; None when it does not. ``data``: the data folder in use."""
    if folder.is_symlink() and folder.name == PROCESSED:
        return "is the published build of a data folder (a `processed` link)"
    try:
        resolved = folder.resolve()
    except (OSError, RuntimeError) as exc:
        return f"cannot be resolved ({exc.__class__.__name__})"
    if data is not None:
        data = data.resolve()
        if resolved == (data / PROCESSED).resolve() or resolved.is_relative_to(data / BUILDS):
            return f"is in the data folder's builds ({data / PROCESSED})"
    for path in (resolved, *resolved.parents):
        if path.parent.name == BUILDS and (path.parent.parent / PROCESSED).is_symlink():
            return f"is inside a build of the data folder {path.parent.parent}"
        if path.name == PROCESSED and (path.parent / "raw").is_dir():
            return f"is the processed folder of the data folder {path.parent}"
    if any((resolved / name).exists() for name in BUILD_ONLY_FILES):
        return "holds the outputs of `kss build`"
    return None


def recover(data: Path) -> list[str]:
    """Tidy what a killed build left; returns one note per action. Call under the build lock."""
    notes = []
    builds = data / BUILDS
    processed = data / PROCESSED
    for link in data.glob(f"{LINK_TMP_PREFIX}*"):
        link.unlink(missing_ok=True)
    if processed.is_symlink() and _build_of_link(data) is None:
        # Planted, looping or left dangling: never kept, whatever it points at (which is not touched).
        processed.unlink()
        notes.append(f"removed {processed}: a link to no complete build of this data folder")
    if builds.is_dir():
        for staging in builds.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(staging, ignore_errors=True)
            notes.append(f"removed the unfinished build {staging.name} left by an interrupted run")
    if processed.is_dir() and not processed.is_symlink():
        # A folder from before transactional builds: keep it as the oldest complete build.
        builds.mkdir(parents=True, exist_ok=True)
        os.rename(processed, builds / LEGACY_ID)
    if not processed.exists():
        complete = _complete_builds(data)
        if complete:  # a migration was cut short or the target is gone: point at the newest build
            link = data / f"{LINK_TMP_PREFIX}{os.getpid()}"
            _make_link(link, f"{BUILDS}/{complete[-1].name}")
            _swap(link, processed)
    elif processed.exists() and not processed.is_dir():
        raise NotADirectoryError(0, "is not a folder or a link to a build; move it away", str(processed))
    return notes


@contextmanager
def transaction(data: Path) -> Iterator[Path]:
    """A staging folder to write a whole build into; published atomically if the block succeeds.

    On any exception (Ctrl-C included) the staging folder is removed and ``processed``
    still points at the previous build.
    """
    data.mkdir(parents=True, exist_ok=True)
    recover(data)
    staging = data / BUILDS / f"{STAGING_PREFIX}{os.getpid()}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        yield staging
        _fsync_dir(staging)
        build_id = _new_id(data)
        _promote(staging, data / BUILDS / build_id)
        link = data / f"{LINK_TMP_PREFIX}{os.getpid()}"
        _make_link(link, f"{BUILDS}/{build_id}")
        _swap(link, data / PROCESSED)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(data)


def relocate(result: BuildResult, staging: Path, processed: Path, previous: Path | None) -> BuildResult:
    """A BuildResult's paths moved from the (now published) staging folder to ``processed``;
    a file whose bytes equal the previous build's counts as unchanged."""
    from kss_analysis.core.io import sha256_file

    written: list[Path] = []
    unchanged: list[Path] = []
    for path in [*result.written, *result.unchanged]:
        new = processed / path.relative_to(staging)
        old = previous / path.relative_to(staging) if previous else None
        same = old is not None and old.is_file() and new.is_file() and sha256_file(old) == sha256_file(new)
        (unchanged if same else written).append(new)
    result.written, result.unchanged = written, unchanged
    result.reports = {name: processed / path.relative_to(staging) for name, path in result.reports.items()}
    if result.unmapped_path is not None:
        result.unmapped_path = processed / result.unmapped_path.relative_to(staging)
    return result
