"""Export the standard aggregates, the programme list and the quarantine for policy writers.

With ``lang`` 'id' headers and labels are in Bahasa Indonesia; codes stay in their own
columns beside the names. Headers carry units; XLSX cells carry number formats (thousands
separators, never scientific notation), a frozen header row and widths, and every
workbook has a Sources/Sumber sheet (sources, licence, counting rules, data date).
Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pandas as pd

from kss_analysis import __version__, caveats, io
from kss_analysis.aggregate import STANDARD_AGGREGATES
from kss_analysis.counting import RULES
from kss_analysis.labels import label, text
from kss_analysis.spreadsheet import FIXED_STAMP, localised, stable_zip, workbook_bytes

__all__ = ["FIXED_STAMP", "export_tables", "escape_formula", "stable_zip"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
QUARANTINE_COLUMNS = ["file", "locator", "reason_code", "column", "value", "message", "raw"]
T = TypeVar("T")


def escape_formula(value: T) -> T | str:
    """'=1+1' -> "'=1+1"; numbers and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for position in range(out.shape[1]):  # by position: two headers may read alike in a translation
        values = out.iloc[:, position]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out.isetitem(position, values.map(escape_formula))
    out.columns = [escape_formula(c) for c in out.columns]
    return out


def labelled(table: pd.DataFrame, dimension: str, lang: str) -> pd.DataFrame:
    out = table.copy()
    out.insert(1, f"{dimension}_label", [label(dimension, code, lang) for code in out[dimension]])
    return out


def _tables(processed: Path, lang: str) -> dict[str, pd.DataFrame]:
    """Export name -> table with canonical column names."""
    from kss_analysis.query import programmes

    out = {
        name: labelled(io.read_table(processed / f"{name}.parquet"), dimension, lang)
        for name, (dimension, _) in STANDARD_AGGREGATES.items()
    }
    out["programmes"] = programmes(processed=processed, lang=lang)  # one row per counted programme
    quarantine = io.read_table(processed / "quarantine.parquet")
    out["quarantine"] = quarantine.reindex(columns=QUARANTINE_COLUMNS)
    return out


def about(processed: Path, lang: str, table: str) -> list[tuple[str, str]]:
    """The Sources sheet: what the table is, where it comes from, how it was counted, how new."""
    from kss_analysis.chart_export import is_register

    acts = io.read_table(processed / "activities.parquet")
    acts = acts[is_register(acts["source"])]
    sources = caveats.chart_sources(acts, lang)
    inputs = io.read_metadata(processed / "activities.parquet").get("inputs", {})
    rows = [(text("field_table", lang), table)]
    rows += [(text("field_sources", lang), s["name"]) for s in sources]
    rows += [(text("field_licence", lang), caveats.licence_line(sources))]
    rows += [(text("field_counting", lang), text(f"rule_{rule}", lang)) for rule in RULES]
    rows += [(text("field_data_date", lang), caveats.data_date(acts) or "")]
    rows += [(text("field_version", lang), __version__)]
    rows += [(text("field_inputs", lang), f"{path} {sha}") for path, sha in sorted(inputs.items())]
    return [(escape_formula(k), escape_formula(v)) for k, v in rows]


def export_tables(processed: Path, out: Path, formats: list[str], lang: str = "en") -> list[Path]:
    """One file per table and format (aggregates, programmes, quarantine); returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in _tables(processed, lang).items():
        safe = escape_frame(table)
        if "csv" in formats:
            path = out / f"{name}.csv"
            body = localised(safe, lang).to_csv(index=False, lineterminator="\n")
            io.write_bytes_atomic(path, body.encode("utf-8"))
            paths.append(path)
        if "xlsx" in formats:
            path = out / f"{name}.xlsx"
            io.write_bytes_atomic(path, workbook_bytes([(name, safe)], lang, about(processed, lang, name)))
            paths.append(path)
    return paths
