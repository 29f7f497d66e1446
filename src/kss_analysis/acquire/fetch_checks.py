"""Is a freshly fetched file fit to replace the copy on disk? For sources whose files
cannot be pinned by checksum (the OECD revises CRS in place), this is the only guard
against a bad mirror copy or a cut transfer overwriting a good file.

A replacement is refused when it is empty, fails its format's own check (a zip whose
central directory is unreadable, JSON or XML that does not parse, text that does not
decode, a Parquet file without its magic bytes or a readable footer) or is less than half
the size of the copy it would replace.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

SHRINK_LIMIT = 0.5  # a new copy under half the old one's size is taken as truncated


def format_problem(path: Path) -> str | None:
    """Why ``path`` is not a readable file of its kind (None when it is)."""
    size = path.stat().st_size
    if size == 0:
        return "the new copy is empty"
    suffix = path.suffix.casefold()
    try:
        if suffix in (".zip", ".xlsx", ".xlsm"):
            with zipfile.ZipFile(path) as archive:
                if not archive.infolist():
                    return "the new copy is an empty zip archive"
        elif suffix == ".parquet":
            # Parquet starts and ends with the magic PAR1, and its footer must parse.
            with open(path, "rb") as handle:
                start = handle.read(4)
                handle.seek(-4, 2)
                end = handle.read(4)
            if start != b"PAR1" or end != b"PAR1":
                return "the new copy is not a Parquet file (no PAR1 magic at both ends)"
            import pyarrow.parquet as pq

            pq.read_schema(path)
        elif suffix == ".json":
            with open(path, encoding="utf-8-sig") as handle:
                json.load(handle)
        elif suffix == ".xml":
            from defusedxml.ElementTree import iterparse

            for _ in iterparse(str(path), forbid_dtd=False, forbid_entities=True, forbid_external=True):
                pass
        elif suffix in (".csv", ".txt", ".tsv"):
            with open(path, "rb") as handle:
                head = handle.read(1 << 16)
            try:
                head.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                if exc.start < len(head) - 4:  # a cut multi-byte character at the end is fine
                    head.decode("cp1252")
    except (zipfile.BadZipFile, EOFError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        return f"the new copy fails its {suffix or 'format'} check ({exc.__class__.__name__})"
    except Exception as exc:  # XML parse errors and the like
        return f"the new copy fails its {suffix or 'format'} check ({exc.__class__.__name__})"
    return None


def replacement_problem(new: Path, old: Path) -> str | None:
    """Why ``new`` must not replace ``old`` (None when it may)."""
    if problem := format_problem(new):
        return problem
    if old.is_file():
        before, after = old.stat().st_size, new.stat().st_size
        if after < SHRINK_LIMIT * before:
            return f"the new copy ({after:,} bytes) is under half the size of the present one ({before:,} bytes): truncated?"
    return None
