"""Read AidData project-level files: GCOF (XLSX in a zip) and TUFF donor files (CSV in a zip).

The archive may carry macOS ``__MACOSX/._*`` entries and PDFs beside the data file; the
one data file (.xlsx or .csv) is found by name. Returns every row as text, with its row
number, so no value is converted before the placer sees it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from kss_analysis.acquire.safe_archive import check_archive, read_member
from kss_analysis.core.errors import InputError
from kss_analysis.ingest.register.read import decode_text

DATA_SUFFIXES = (".xlsx", ".csv")


def _data_member(archive: zipfile.ZipFile, file: str) -> zipfile.ZipInfo:
    members = [
        m
        for m in archive.infolist()
        if not m.is_dir()
        and not m.filename.startswith("__MACOSX/")
        and not Path(m.filename).name.startswith("._")
        and m.filename.casefold().endswith(DATA_SUFFIXES)
    ]
    if len(members) != 1:
        names = ", ".join(m.filename for m in members) or "none"
        raise InputError(file, f"expected one .xlsx or .csv data file in the archive, found: {names}")
    return members[0]


def _read_text_csv(data: bytes, file: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(decode_text(data, file), newline=""), dtype=str, keep_default_na=False)


def read_aiddata(path: str | Path) -> tuple[str, pd.DataFrame]:
    """(name of the data file, all rows as text) of an AidData zip, xlsx or csv."""
    path = Path(path)
    file = str(path)
    try:
        if path.suffix.casefold() == ".zip":
            with zipfile.ZipFile(path) as archive:
                check_archive(archive, file)  # member count, sizes, ratios, encryption: before any read
                member = _data_member(archive, file)
                data, name = read_member(archive, member, file), member.filename
        else:
            data, name = path.read_bytes(), path.name
    except (zipfile.BadZipFile, EOFError) as exc:
        raise InputError(file, f"not a readable zip archive ({exc})") from None
    except NotImplementedError as exc:
        raise InputError(file, f"zip compression not supported ({exc})") from None
    try:
        if name.casefold().endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(data)) as workbook:  # a workbook is a zip too
                check_archive(workbook, f"{file} ({name})")
            frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            frame = _read_text_csv(data, f"{file} ({name})" if name != path.name else file)
    except (ValueError, KeyError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        raise InputError(file, f"cannot read {name}: {exc}") from None
    return name, frame
