"""Get raw files from upstream or from an offline mirror, verified by sha256.

HTTP transfers use pooch's downloader (requests, timeouts, tqdm progress bar); pooch's
own cache logic is not used because a file here may also come from a mirror folder, must
keep its previously verified copy when a re-fetch fails, and is recorded in a manifest.
Every file is written to a staging file next to its final path, verified, then renamed
into place: a crash or Ctrl-C never leaves a partial file at a final path.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kss_analysis.acquire.fetch_checks import replacement_problem
from kss_analysis.acquire.registry import Source
from kss_analysis.core.io import current_umask, readable_by_umask, sha256_file, write_bytes_atomic

MANIFEST_NAME = "MANIFEST.json"
FETCH_LOCK = ".fetch.lock"
RETRIES = 3
BACKOFF_SECONDS = 1.0
TIMEOUT_SECONDS = 60


class FetchError(Exception):
    """A file that could not be fetched; the message says what to do."""


class ChecksumError(FetchError):
    def __init__(self, file: str, expected: str, actual: str):
        super().__init__(
            f"{file}: checksum mismatch: expected sha256 {expected}, got {actual}; the earlier copy (if any) is unchanged"
        )
        self.file, self.expected, self.actual = file, expected, actual


class UnreachableError(FetchError):
    """Network failure, 404 or missing mirror file: the source can be skipped."""

    def __init__(self, message: str, *, network_down: bool = False):
        super().__init__(message)
        self.network_down = network_down  # no connection at all, not just one missing file


class DiskFullError(FetchError):
    pass


@dataclass
class FetchReport:
    source: str
    fetched: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already present and verified
    errors: list[FetchError] = field(default_factory=list)

    @property
    def network_down(self) -> bool:
        return any(isinstance(e, UnreachableError) and e.network_down for e in self.errors)

    @property
    def unreachable(self) -> bool:
        return bool(self.errors) and all(isinstance(e, UnreachableError) for e in self.errors)


def mirror_from_env() -> Path | None:
    value = os.environ.get("KSS_MIRROR", "").strip()
    return Path(value) if value else None


def _name_not_resolved(exc: Exception) -> bool:
    from urllib3.exceptions import NameResolutionError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NameResolutionError)


def _http_download(url: str, target: Path, *, progress: bool) -> None:
    """One HTTP GET into ``target`` with pooch's downloader; retried on transient failure."""
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=TIMEOUT_SECONDS)
    for attempt in range(1, RETRIES + 1):
        try:
            downloader(url, str(target), None)
            return
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status is not None and status < 500 or attempt == RETRIES:
                raise UnreachableError(f"HTTP {status} for {url}") from None
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            if _name_not_resolved(exc):  # no DNS answer: offline; waiting to retry would only delay saying so
                raise UnreachableError(
                    f"network unreachable for {url} (host name not resolved)", network_down=True
                ) from None
            if attempt == RETRIES:
                kind = (
                    "timed out" if isinstance(exc, requests.Timeout) else "network unreachable or transfer interrupted"
                )
                down = isinstance(exc, requests.ConnectionError) and not isinstance(
                    exc, requests.exceptions.ChunkedEncodingError
                )
                raise UnreachableError(f"{kind} for {url} ({exc.__class__.__name__})", network_down=down) from None
        time.sleep(BACKOFF_SECONDS * attempt)


def _mirror_copy(mirror_file: Path, target: Path, mirror: Path) -> None:
    """Copy a regular file of the mirror into ``target`` without following a link: a link or
    a special file (FIFO, device) in the mirror is refused, never read. The copy's mode is the
    umask's, narrowed to the source's (a private file stays private)."""
    if not (mirror_file.exists() or mirror_file.is_symlink()):
        raise UnreachableError(f"not in the mirror: {mirror_file}")
    try:
        fd = os.open(mirror_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP or mirror_file.is_symlink():
            raise FetchError(f"{mirror_file}: a link in the mirror, not followed (put the file itself there)") from None
        raise FetchError(f"{mirror_file}: cannot be opened in the mirror ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FetchError(f"{mirror_file}: not a regular file in the mirror (a FIFO, device or folder); not read")
        if not mirror_file.resolve().is_relative_to(mirror.resolve()):
            raise FetchError(f"{mirror_file}: lies outside the mirror folder (through a linked folder); not read")
        # Through the open descriptor: the very file checked above is copied, even if a link
        # is swapped in at its path meanwhile (and copyfile keeps its in-kernel fast copy).
        by_descriptor = f"/dev/fd/{source.fileno()}"
        if os.path.exists(by_descriptor):
            shutil.copyfile(by_descriptor, target)
        else:  # a system without /dev/fd
            with open(target, "wb") as copy:
                shutil.copyfileobj(source, copy, 1 << 20)
        os.chmod(target, 0o666 & ~current_umask() & stat.S_IMODE(info.st_mode))


def fetch_file(
    source: Source,
    path: str,
    final: Path,
    *,
    url: str | None,
    expected: str | None,
    mirror: Path | None,
    progress: bool,
) -> str:
    """Stage, verify and move one file into place; returns its sha256."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, staging_name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    readable_by_umask(fd)
    os.close(fd)
    staging = Path(staging_name)
    try:
        if mirror is not None:
            _mirror_copy(mirror / source.id / path, staging, mirror)
        elif url:
            _http_download(url, staging, progress=progress)
        else:
            raise UnreachableError(f"{source.id}/{path}: no URL registered")
        actual = sha256_file(staging)
        if expected and actual != expected:
            raise ChecksumError(f"{source.id}/{path}", expected, actual)
        if not expected and (problem := replacement_problem(staging, final, source.reader)):
            raise FetchError(f"{source.id}/{path}: {problem}; the earlier copy (if any) is unchanged")
        os.replace(staging, final)
        return actual
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"disk full while writing {final}: free some space and fetch again") from None
        raise
    finally:
        staging.unlink(missing_ok=True)


def read_manifest(raw: Path) -> dict[str, dict]:
    """path -> record of every fetched file. A corrupt manifest is rebuilt (with a warning)
    from the files on disk that match a registry pin; unpinned files must be fetched again."""
    path = raw / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        if isinstance(files, dict) and all(isinstance(v, dict) and "sha256" in v for v in files.values()):
            return files
        problem = "entries without a sha256"
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
        problem = exc.__class__.__name__
    rebuilt = rebuild_manifest(raw)
    print(
        f"kss: warning: {path} is corrupt ({problem}); rebuilt from the checksums of {len(rebuilt)} pinned "
        "files on disk (files without a pin need `kss fetch` again)",
        file=sys.stderr,
    )
    return rebuilt


def rebuild_manifest(raw: Path) -> dict[str, dict]:
    """Manifest records for the files on disk whose sha256 matches their registry pin."""
    from kss_analysis.acquire.registry import load_sources

    files = {}
    for source in load_sources().values():
        for relative, pinned in source.files.items():
            file = raw / source.id / relative
            if source.kind == "fetched" and pinned and file.is_file() and sha256_file(file) == pinned:
                files[f"{source.id}/{relative}"] = {
                    "source": source.id,
                    "url": source.url_of(relative),
                    "sha256": pinned,
                    "bytes": file.stat().st_size,
                    "retrieved": None,
                    "licence": source.licence,
                    "via": "rebuilt from checksums",
                }
    return files


def write_manifest(raw: Path, files: dict[str, dict]) -> None:
    body = json.dumps({"files": dict(sorted(files.items()))}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_bytes_atomic(raw / MANIFEST_NAME, body.encode())


FIRST_YEAR = 1960  # the DAC's statistics begin in 1960: no source here has an earlier year


def parse_years(text: str) -> list[int]:
    """``2019-2023`` or ``2019,2021`` -> the years, each between FIRST_YEAR and next year, checked
    before any list is made (``0-9999999999`` would otherwise exhaust memory). Raises ValueError
    with the message to show."""
    usage = f"--years {text}: use 2019-2023 or 2019,2021"
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-", 1))
            bounds = [first, last]
        else:
            bounds = [int(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(usage) from None
    latest = dt.date.today().year + 1
    if outside := [y for y in bounds if not FIRST_YEAR <= y <= latest]:
        raise ValueError(f"--years {text}: {outside[0]} is outside {FIRST_YEAR}-{latest}, the years a source can hold")
    if "-" in text:
        if first > last:
            raise ValueError(f"--years {text}: the first year comes after the last")
        return list(range(first, last + 1))
    return sorted(set(bounds))


def planned_files(source: Source, years: list[int] | None = None) -> dict[str, tuple[str | None, str | None]]:
    """path -> (url, expected sha256) of what a fetch of ``source`` would place."""
    if source.kind == "pattern":
        return {path: (url, None) for path, url in source.pattern_files(years or []).items()}
    return {path: (source.url_of(path), sha) for path, sha in source.files.items()}


def fetch_source(
    source: Source,
    raw: Path,
    *,
    mirror: Path | None = None,
    force: bool = False,
    years: list[int] | None = None,
    progress: bool | None = None,
    on_file: Callable[[str], None] | None = None,
) -> FetchReport:
    """Place every file of ``source`` under raw/<id>/ and record it in the manifest."""
    report = FetchReport(source.id)
    if source.kind == "embedded":  # placed from the package (or the checkout), never downloaded
        from kss_analysis.acquire.embedded import place_register

        report.fetched, report.skipped = place_register(raw)
        return report
    progress = sys.stderr.isatty() if progress is None else progress
    from kss_analysis.core.locking import hold

    # One fetch writes raw/ at a time; the manifest is read and rewritten under the lock.
    with hold(raw / FETCH_LOCK, f"kss fetch {source.id}"):
        return _fetch_locked(source, raw, report, mirror, force, years, progress, on_file)


def _fetch_locked(source, raw, report, mirror, force, years, progress, on_file) -> FetchReport:
    manifest = read_manifest(raw)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    try:
        for path, (url, expected) in planned_files(source, years).items():
            key = f"{source.id}/{path}"
            final = raw / source.id / path
            known = expected or manifest.get(key, {}).get("sha256")
            if not force and final.is_file() and known and sha256_file(final) == known:
                report.skipped.append(path)
                continue
            try:
                sha = fetch_file(source, path, final, url=url, expected=expected, mirror=mirror, progress=progress)
            except UnreachableError as exc:
                report.errors.append(exc)
                if mirror is None:
                    break  # the network is down or the host is gone: do not try every file
                continue
            except FetchError as exc:
                report.errors.append(exc)
                continue
            manifest[key] = {
                "source": source.id,
                "url": url,
                "sha256": sha,
                "bytes": final.stat().st_size,
                "retrieved": today,
                "licence": source.licence,
                "via": f"mirror {mirror}" if mirror else "network",
            }
            report.fetched.append(path)
            if on_file:
                on_file(path)
    finally:
        if report.fetched:
            fetched = {f"{source.id}/{p}" for p in report.fetched}
            write_manifest(raw, {**read_manifest(raw), **{k: v for k, v in manifest.items() if k in fetched}})
    return report


def source_status(source: Source, raw: Path, manifest: dict[str, dict]) -> tuple[str, int, int]:
    """(status, files present, files expected): missing / present / verified / modified."""
    folder = raw / source.id
    if source.kind == "pattern":
        expected = {k.split("/", 1)[1]: v["sha256"] for k, v in manifest.items() if v.get("source") == source.id}
    else:
        expected = dict(source.files)
    present = {p for p in expected if (folder / p).is_file()}
    if not present or len(present) < len(expected):
        return "missing", len(present), len(expected)
    pinned = {p: sha for p, sha in expected.items() if sha}
    if not pinned:
        return "present", len(present), len(expected)
    modified = [p for p, sha in pinned.items() if sha256_file(folder / p) != sha]
    status = "modified" if modified else "verified"
    if source.kind == "fetched" and folder.is_dir():
        # files a build refuses (inputs.admit_source): the folder is not only what was verified
        unlisted = [
            p
            for p in folder.rglob("*")
            if not p.name.startswith(".") and not p.is_dir() and p.relative_to(folder).as_posix() not in expected
        ]
        if unlisted:
            status += f" + {len(unlisted)} unlisted (not built)"
    return status, len(present), len(expected)
