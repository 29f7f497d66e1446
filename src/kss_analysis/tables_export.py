"""Export the standard aggregates as spreadsheets for policy writers.

Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe; numbers are written as numbers.
Codes get a label column in the language asked for.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kss_analysis import io
from kss_analysis.aggregate import STANDARD_AGGREGATES
from kss_analysis.charts import label

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


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
            tmp = path.with_suffix(".xlsx.part")
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                table.to_excel(writer, sheet_name=name[:31], index=False)
            tmp.replace(path)
            paths.append(path)
    return paths
