"""Export the standard aggregates as spreadsheets for policy writers.

Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe; numbers are written as numbers.
Codes get a label column in the language asked for.
"""

from __future__ import annotations

import io as stdio
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from kss_analysis import io
from kss_analysis.aggregate import STANDARD_AGGREGATES
from kss_analysis.labels import label

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
# openpyxl stamps the save time into docProps/core.xml and every zip entry; a fixed stamp
# makes the same table give the same bytes (1980-01-01 is the earliest a zip entry can hold).
FIXED_STAMP = datetime(1980, 1, 1)
# openpyxl overwrites dcterms:modified with the clock when it saves, so it is rewritten after.
CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def escape_formula(value: object) -> object:
    """'=1+1' -> "'=1+1"; numbers and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(escape_formula)
    out.columns = [escape_formula(c) for c in out.columns]
    return out


def labelled(table: pd.DataFrame, dimension: str, lang: str) -> pd.DataFrame:
    out = table.copy()
    out.insert(1, f"{dimension}_label", [label(dimension, code, lang) for code in out[dimension]])
    return out


def xlsx_bytes(table: pd.DataFrame, sheet_name: str) -> bytes:
    """The table as one-sheet .xlsx bytes, identical for identical tables."""
    buffer = stdio.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=sheet_name, index=False)
        writer.book.properties.created = FIXED_STAMP
    stable = stdio.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(stable, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "docProps/core.xml":
                data = CORE_MODIFIED.sub(
                    rb"\g<1>" + FIXED_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", data
                )
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED_STAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    return stable.getvalue()


def export_tables(processed: Path, out: Path, formats: list[str], lang: str = "en") -> list[Path]:
    """One file per standard aggregate and format; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (dimension, _) in STANDARD_AGGREGATES.items():
        table = escape_frame(labelled(io.read_table(processed / f"{name}.parquet"), dimension, lang))
        if "csv" in formats:
            path = out / f"{name}.csv"
            io.write_bytes_atomic(path, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
            paths.append(path)
        if "xlsx" in formats:
            path = out / f"{name}.xlsx"
            io.write_bytes_atomic(path, xlsx_bytes(table, sheet_name=name[:31]))
            paths.append(path)
    return paths
