"""Is a freshly fetched file fit to replace the copy on disk? For sources whose files
cannot be pinned by checksum (the OECD revises CRS in place), this is the only guard
against a bad mirror copy or a cut transfer overwriting a good file.

A replacement is refused when it is empty, fails its format's own check (a zip whose
central directory is unreadable, JSON or XML that does not parse, text that does not
decode, a Parquet file without its magic bytes or a readable footer, a CRS file whose first
line is not a CRS header) or is less than half the size of the copy it would replace.
"""

from __future__ import annotations

import codecs
import json
import re
import zipfile
from pathlib import Path

from kss_analysis.core import config

SHRINK_LIMIT = 0.5  # a new copy under half the old one's size is taken as truncated

# The columns the CRS reader (ingest/crs/read.py) needs: a bulk file's, or a Data Explorer export's.
CRS_BULK_REQUIRED = ("Year", "DonorCode", "RecipientCode", "PurposeCode", "USD_Commitment", "USD_Disbursement")
CRS_EXPLORER_REQUIRED = ("DONOR", "RECIPIENT", "SECTOR", "FLOW_TYPE", "PRICE_BASE", "TIME_PERIOD", "OBS_VALUE")


def split_header(line: str) -> tuple[str, list[str]]:
    """(separator, column names) of a CRS header line: pipes in a bulk file, commas in an export."""
    separator = "|" if line.count("|") >= line.count(",") else ","
    return separator, [h.strip().strip('"') for h in line.lstrip("\ufeff").rstrip("\r\n").split(separator)]


def crs_header_problem(path: Path, suffix: str | None = None) -> str | None:
    """Why the first line of ``path`` (a CRS .txt/.csv, or the one text file of a .zip) is not a
    CRS header (None when it is). Reads at most the header cap (KSS_MAX_HEADER_CHARS) characters."""
    limit = config.limit("KSS_MAX_HEADER_CHARS")
    if (suffix or path.suffix).casefold() == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if m.filename.casefold().endswith((".txt", ".csv")) and not m.filename.startswith("__MACOSX/")
            ]
            if len(members) != 1:
                return f"the new copy holds {len(members)} .txt/.csv files, not one CRS file"
            with archive.open(members[0]) as handle:
                head = handle.read(4 * limit + 4)
    else:
        with open(path, "rb") as handle:
            head = handle.read(4 * limit + 4)  # a character is at most 4 bytes of UTF-8
    encoding = "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)
    line = re.split("[\r\n]", text, maxsplit=1)[0]
    if len(line) > limit:
        return f"the first line is over {limit:,} characters (KSS_MAX_HEADER_CHARS): not a CRS header"
    _, names = split_header(line)
    if set(CRS_EXPLORER_REQUIRED) <= set(names):
        return None
    if missing := [c for c in CRS_BULK_REQUIRED if c not in names]:
        return f"the first line is not a CRS header (no {', '.join(missing)} column)"
    return None


def format_problem(path: Path, reader: str | None = None, suffix: str | None = None) -> str | None:
    """Why ``path`` is not a readable file of its kind (None when it is); ``reader``, the
    source's reader, adds that reader's own check (a CRS header). ``suffix``: the kind, when
    ``path`` is a staging file named otherwise (default: its own suffix)."""
    size = path.stat().st_size
    if size == 0:
        return "the new copy is empty"
    suffix = (suffix or path.suffix).casefold()
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
        if reader == "crs" and suffix in (".txt", ".csv", ".zip"):  # a CRS Parquet file: its magic above
            return crs_header_problem(path, suffix)
    except (zipfile.BadZipFile, EOFError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        return f"the new copy fails its {suffix or 'format'} check ({exc.__class__.__name__})"
    except Exception as exc:  # XML parse errors and the like
        return f"the new copy fails its {suffix or 'format'} check ({exc.__class__.__name__})"
    return None


def replacement_problem(new: Path, old: Path, reader: str | None = None) -> str | None:
    """Why ``new`` must not replace ``old`` (None when it may); ``reader`` as for ``format_problem``."""
    if problem := format_problem(new, reader, old.suffix):  # ``new`` is a staging file (.part)
        return problem
    if old.is_file():
        before, after = old.stat().st_size, new.stat().st_size
        if after < SHRINK_LIMIT * before:
            return f"the new copy ({after:,} bytes) is under half the size of the present one ({before:,} bytes): truncated?"
    return None
