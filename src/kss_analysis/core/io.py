"""The only place that reads and writes processed files.

Writes are atomic (temporary file in the same folder, then rename) so a crash never
leaves a partial file at a final path, and deterministic (no timestamps, fixed row order)
so unchanged inputs give byte-identical files. A file whose bytes would not change is not
rewritten at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kss_analysis.core.errors import InputError
from kss_analysis.core.model import to_frame
from kss_analysis.core.version import package_version

if TYPE_CHECKING:
    import polars as pl  # for hints; write_partitioned imports it when called

METADATA_KEY = b"kss_analysis"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_fingerprint() -> str:
    """sha256 over the package's code and data files (reference tables, styles, sources.yml).

    The version names a commit, not the uncommitted code drawing from it, so a run key that
    only named the version would keep outputs drawn by older code."""
    from kss_analysis.core.config import PACKAGE_DIR

    digest = hashlib.sha256()
    files = (p for p in PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in sorted(files):
        digest.update(f"{path.relative_to(PACKAGE_DIR).as_posix()} {sha256_file(path)}\n".encode())
    return digest.hexdigest()


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def readable_by_umask(fd: int) -> None:
    """Give a temporary file the mode a plain ``open()`` would (mkstemp makes it private, 0600)."""
    os.fchmod(fd, 0o666 & ~current_umask())


def write_bytes_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via temp file + rename; returns False when unchanged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        readable_by_umask(fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, IsADirectoryError):
            raise IsADirectoryError(exc.errno, "a folder is in the way of this file; move it away", str(path)) from None
        if isinstance(exc, OSError):  # name the final file, not the hidden temporary one
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise
    return True


def write_table(
    frame: pd.DataFrame, path: Path, *, arrow_schema: pa.Schema | None = None, provenance: dict | None = None
) -> bool:
    """Write a DataFrame as Parquet with provenance metadata; returns True if bytes changed.

    ``provenance`` (input files and their sha256, dataset description) is stored as JSON
    under the ``kss_analysis`` key of the file's key-value metadata.
    """
    table = pa.Table.from_pandas(frame, schema=arrow_schema, preserve_index=False)
    meta = {"package_version": package_version(), **(provenance or {})}
    # Keep pandas' own metadata so pd.read_parquet gives nullable integers (Int16, Int64),
    # not floats, for integer columns with gaps.
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(meta, sort_keys=True, ensure_ascii=False).encode()}
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=True)
    return write_bytes_atomic(path, sink.getvalue().to_pybytes())


def read_table(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet file as a DataFrame; a missing, truncated or corrupt file raises InputError."""
    from kss_analysis.core.errors import InputError

    try:
        return to_frame(pq.read_table(path, columns=columns))
    except FileNotFoundError:
        raise InputError(str(path), "not found: run `kss build` first") from None
    except (pa.ArrowInvalid, OSError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InputError(str(path), f"not a readable Parquet file (truncated or corrupt?): {text}") from None


def read_metadata(path: str | Path) -> dict:
    """The provenance stored by ``write_table``; a missing, empty or corrupt file raises InputError."""
    try:
        raw = pq.read_schema(path).metadata or {}
        meta = json.loads(raw.get(METADATA_KEY, b"{}"))
    except FileNotFoundError:
        raise InputError(str(path), "not found: run `kss build` first") from None
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InputError(str(path), f"not a readable Parquet file (truncated or corrupt?): {text}") from None
    if not isinstance(meta, dict):
        raise InputError(str(path), "its provenance metadata is not a JSON object (corrupt?)")
    return meta


def read_processed(name: str, processed: Path | None = None) -> pd.DataFrame:
    """A processed table by name, e.g. ``read_processed('activities')``."""
    from kss_analysis.core.config import processed_dir

    return read_table((processed or processed_dir()) / f"{name}.parquet")


def _part_path(key: str, args) -> str:
    """Hive layout: year=YYYY/part-NNNNN.parquet (DuckDB, Spark and pandas read it as is)."""
    return f"{key}={args.partition_keys[key][0]}/part-{args.index_in_partition:05d}.parquet"


def write_partitioned(
    frames: Sequence[tuple[str, pl.LazyFrame]],
    out: Path,
    *,
    key: str,
    row_group_size: int,
) -> None:
    """Stream (file label, polars LazyFrame) inputs into ``out`` partitioned by ``key`` (zstd Parquet).

    Input N's parts are named part-NNNK so inputs never clash. Written into a staging folder
    and swapped in at the end: a crash leaves the previous dataset, never a partial one.
    A frame polars cannot read raises InputError naming its file.
    """
    import polars as pl

    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for index, (file, frame) in enumerate(frames):
            target = staging / f"input-{index:03d}"
            try:
                frame.sink_parquet(
                    pl.PartitionBy(target, key=key, include_key=False, file_path_provider=partial(_part_path, key)),
                    compression="zstd",
                    mkdir=True,
                    engine="streaming",
                    row_group_size=row_group_size,
                )
            except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
                raise InputError(file, f"cannot read: {str(exc).splitlines()[0]}") from None
            for part in sorted(target.rglob("*.parquet")):
                part_dir = staging / part.parent.name
                part_dir.mkdir(exist_ok=True)
                part.rename(part_dir / f"part-{index:03d}{part.stem.removeprefix('part-')}.parquet")
            shutil.rmtree(target, ignore_errors=True)
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


STAGING_PREFIX = ".staging-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, another user's
        return True
    return True


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A hidden staging folder inside ``out`` to write a set of files into; when the block
    succeeds they move into ``out`` (one rename each, after checking none is in the way),
    and when it fails none of them does: ``out`` holds all the new files or none.

    Staging folders left by a killed run (their process gone) are removed first.
    """
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "is a file, not a folder; give a folder for the output")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"{STAGING_PREFIX}*"):
        pid = stale.name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
        if stale.is_dir() and not stale.is_symlink() and not (pid.isdigit() and _pid_alive(int(pid))):
            shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(dir=out, prefix=f"{STAGING_PREFIX}{os.getpid()}-"))
    try:
        yield staging
        entries = sorted(staging.iterdir())
        for entry in entries:
            target = out / entry.name
            if target.is_symlink():
                raise InputError(str(target), "a link is in the way of this file; move it away")
            if target.exists() and target.is_dir() != entry.is_dir():
                kind = "a folder" if target.is_dir() else "a file"
                raise InputError(
                    str(target), f"{kind} is in the way of this {'folder' if entry.is_dir() else 'file'}; move it away"
                )
        for entry in entries:
            target = out / entry.name
            if entry.is_dir() and target.exists():
                old = out / f"{STAGING_PREFIX}{os.getpid()}-old-{entry.name}"
                os.rename(target, old)
                os.rename(entry, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(entry, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
