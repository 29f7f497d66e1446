"""Export the standard aggregates, the programme list, the organisations named and the quarantine.

With ``lang`` 'id' headers and labels are in Bahasa Indonesia; codes stay in their own
columns beside the names. Headers carry units; XLSX cells carry number formats (thousands
separators, never scientific notation), a frozen header row and widths, and every
workbook has a Sources/Sumber sheet (sources, licence, counting rules, data date).
Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kss_analysis.build.aggregate import STANDARD_AGGREGATES
from kss_analysis.core import io, progress
from kss_analysis.core.csv_safety import escape_formula, escape_frame
from kss_analysis.core.labels import label, text
from kss_analysis.core.version import package_version
from kss_analysis.outputs.charts import caveats
from kss_analysis.outputs.tables.workbook import FIXED_STAMP, localised, stable_zip, workbook_bytes
from kss_analysis.rules import scope
from kss_analysis.rules.counting import RULES

__all__ = ["FIXED_STAMP", "export_tables", "escape_formula", "stable_zip"]

FORMATS = ("csv", "xlsx")
QUARANTINE_COLUMNS = ["file", "locator", "reason_code", "column", "value", "message", "raw"]


def labelled(table: pd.DataFrame, dimension: str, lang: str) -> pd.DataFrame:
    out = table.copy()
    out.insert(1, f"{dimension}_label", [label(dimension, code, lang) for code in out[dimension]])
    return out


def _tables(processed: Path, lang: str) -> dict[str, pd.DataFrame]:
    """Export name -> table with canonical column names."""
    from kss_analysis.outputs.query import programmes

    out = {
        name: labelled(io.read_table(processed / f"{name}.parquet"), dimension, lang)
        for name, (dimension, _) in STANDARD_AGGREGATES.items()
    }
    out["programmes"] = programmes(processed=processed, lang=lang)  # one row per counted programme
    out["organisations"] = organisations_table(processed, lang)
    quarantine = io.read_table(processed / "quarantine.parquet")
    out["quarantine"] = quarantine.reindex(columns=QUARANTINE_COLUMNS)
    return out


ORGANISATION_TABLE_COLUMNS = [
    "role",
    "role_label",
    "organisation",
    "organisation_name",
    "organisation_type",
    "programmes",
    "names_as_written",
    "resolved",
]


def organisations_table(processed: Path, lang: str) -> pd.DataFrame:
    """One row per role (triangular partner, channel) x organisation named in the register (parts
    and duplicates included), with how many programmes (counted rows) name it and the names as
    written; a name the organisation table
    does not know is a row of its own with an empty code and ``resolved`` false, listed first
    in its role so that it is seen (reference/organisation_aliases.csv is where to add it)."""
    from kss_analysis.outputs.query import organisations_named

    named = organisations_named(processed=processed, lang=lang, counted_only=False)  # every name is listed
    named = named.assign(
        key=named["organisation"].fillna(named["name_as_written"]),
        programme=named["activity_id"].where(named["counted"].astype(bool)),  # counts: programmes only
    )
    table = (
        named.groupby(["role", "key"], sort=True)
        .agg(
            organisation=("organisation", "first"),
            organisation_name=("organisation_name", "first"),
            organisation_type=("organisation_type", "first"),
            programmes=("programme", "nunique"),
            names_as_written=("name_as_written", lambda s: "; ".join(sorted(set(s)))),
        )
        .reset_index()
    )
    table["resolved"] = table["organisation"].notna()
    table["role_label"] = [text(f"role_{role}", lang) for role in table["role"]]
    table = table.assign(_name=table["organisation_name"].str.casefold())
    table = table.sort_values(
        ["role", "resolved", "programmes", "_name", "key"], ascending=[True, True, False, True, True], kind="stable"
    )
    return table[ORGANISATION_TABLE_COLUMNS].reset_index(drop=True)


def about(processed: Path, lang: str, table: str) -> list[tuple[str, str]]:
    """The Sources sheet: what the table is, where it comes from, how it was counted, how new."""
    acts = io.read_table(processed / "activities.parquet")
    acts = acts[scope.in_scope(acts)]
    sources = caveats.chart_sources(acts, lang)
    inputs = io.read_metadata(processed / "activities.parquet").get("inputs", {})
    rows = [(text("field_table", lang), table)]
    rows += [(text("field_sources", lang), s["name"]) for s in sources]
    rows += [(text("field_licence", lang), caveats.licence_line(sources))]
    rows += [(text("field_counting", lang), text(f"rule_{rule}", lang)) for rule in RULES]
    rows += [(text("field_data_date", lang), caveats.data_date(acts) or "")]
    rows += [(text("field_version", lang), package_version())]
    rows += [(text("field_inputs", lang), f"{path} {sha}") for path, sha in sorted(inputs.items())]
    return [(escape_formula(k), escape_formula(v)) for k, v in rows]


def export_tables(processed: Path, out: Path, formats: list[str], lang: str = "en") -> list[Path]:
    """One file per table and format (aggregates, programmes, quarantine); returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    tables = _tables(processed, lang)
    with progress.steps("tables", total=len(tables), unit="table") as step:
        for name, table in tables.items():
            step.at(name)
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
            step.advance(name)
    return paths
