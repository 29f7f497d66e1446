"""Values a source wrote that our reference tables do not know: kept, flagged and reported.

A row whose keys can be placed (a year, a country or region, a title or id) is never lost
because a descriptive attribute (sector or theme, flow class, modality, provider) is outside
our tables. The placer sets that attribute to ``unclassified`` (or leaves it empty when it
is a code such as provider_iso3), keeps the raw text in the activity's ``unclassified``
column, and the ledger counts the row in ``rows_flagged`` (a subset of rows_kept +
rows_fixed, so rows_read = kept + fixed + quarantined + excluded still holds).

``kss build`` writes processed/unmapped_values.csv: one row per source x column x raw value,
with the number of rows and the reference file to extend so the value is classified next time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from kss_analysis.core import io
from kss_analysis.core.csv_safety import csv_bytes

UNCLASSIFIED = "unclassified"
REPORT_NAME = "unmapped_values.csv"
REPORT_COLUMNS = ["source", "column", "raw_value", "rows", "attribute", "extend"]


class Unmapped:
    """The unmapped values of one row; ``to_json`` fills the activity's ``unclassified`` column."""

    def __init__(self) -> None:
        self.entries: list[dict[str, str]] = []

    def add(self, attribute: str, column: str, raw: object, extend: str) -> None:
        """``attribute``: canonical column affected; ``column``: the source's column as written;
        ``extend``: the reference file that would classify this value."""
        entry = {"attribute": attribute, "column": column, "value": str(raw).strip(), "extend": extend}
        if entry not in self.entries:
            self.entries.append(entry)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def to_json(self) -> str | None:
        return json.dumps(self.entries, ensure_ascii=False, sort_keys=True) if self.entries else None


def unmapped_report(activities: pd.DataFrame) -> pd.DataFrame:
    """source, column, raw_value, rows, attribute, extend; most rows first, then by name."""
    records = []
    flagged = activities[activities["unclassified"].notna()] if "unclassified" in activities else activities.iloc[:0]
    for source, text in zip(flagged["source"], flagged["unclassified"], strict=True):
        for entry in json.loads(text):
            records.append(
                {
                    "source": source,
                    "column": entry["column"],
                    "raw_value": entry["value"],
                    "attribute": entry["attribute"],
                    "extend": entry["extend"],
                }
            )
    if not records:
        return pd.DataFrame(columns=REPORT_COLUMNS).astype({"rows": "int64"})
    frame = pd.DataFrame(records)
    keys = ["source", "column", "raw_value", "attribute", "extend"]
    out = frame.groupby(keys, as_index=False).size().rename(columns={"size": "rows"})
    out = out.sort_values(["rows", "source", "column", "raw_value"], ascending=[False, True, True, True])
    return out[REPORT_COLUMNS].reset_index(drop=True)


def write_report(activities: pd.DataFrame, processed: Path) -> tuple[Path, pd.DataFrame, bool]:
    """Write the report as CSV (same bytes for the same data); returns (path, report, changed)."""
    report = unmapped_report(activities)
    path = processed / REPORT_NAME
    changed = io.write_bytes_atomic(path, csv_bytes(report))  # formula cells escaped
    return path, report, changed


def summary(report: pd.DataFrame, path: Path, top: int = 5) -> str:
    """What `kss build` prints: where the report is and its largest entries."""
    if report.empty:
        return f"unmapped values: none (report {path})"
    lines = [
        f"unmapped values: {len(report)} distinct, on {int(report['rows'].sum()):,} rows (kept, flagged); report {path}"
    ]
    for row in report.head(top).itertuples():
        lines.append(f"  {row.source} {row.column} '{row.raw_value}': {row.rows} rows -> extend {row.extend}")
    if len(report) > top:
        lines.append(f"  ... {len(report) - top} more in the report")
    return "\n".join(lines)
