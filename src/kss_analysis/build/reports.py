"""Human-readable reports written beside the processed tables by ``kss build``.

- quarantine_report.csv: one row per quarantined raw row: file, row, column (as the
  file's header writes it), value, reason, how to fix, message;
- duplicates_report.csv: one row per programme that repeats another (kept, not counted).

Cells a spreadsheet would run as a formula are escaped (core/csv_safety.py), as in the
table exports: a title such as ``=HYPERLINK(...)`` opens as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kss_analysis.core import io
from kss_analysis.core.csv_safety import csv_bytes
from kss_analysis.core.fix_hints import how_to_fix

QUARANTINE_REPORT = "quarantine_report.csv"
DUPLICATES_REPORT = "duplicates_report.csv"


def quarantine_report(quarantine: pd.DataFrame) -> pd.DataFrame:
    report = pd.DataFrame(
        {
            "file": quarantine["file"],
            "row": quarantine["locator"],
            "column": quarantine["column"] if "column" in quarantine else None,
            "value": quarantine["value"] if "value" in quarantine else None,
            "reason": quarantine["reason_code"],
            "how_to_fix": quarantine["reason_code"].map(how_to_fix),
            "message": quarantine["message"],
        }
    )
    return report.reset_index(drop=True)


def duplicates_report(activities: pd.DataFrame) -> pd.DataFrame:
    dupes = activities[activities["duplicate_of"].notna()]
    originals = activities.set_index("activity_id")[["source_file", "source_locator"]]
    report = pd.DataFrame(
        {
            "file": dupes["source_file"],
            "row": dupes["source_locator"],
            "activity_id": dupes["activity_id"],
            "title": dupes["title"],
            "year": dupes["year"],
            "duplicate_of": dupes["duplicate_of"],
            "original_file": dupes["duplicate_of"].map(originals["source_file"]),
            "original_row": dupes["duplicate_of"].map(originals["source_locator"]),
        }
    )
    return report.reset_index(drop=True)


def write_reports(activities: pd.DataFrame, quarantine: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """Write both reports into ``folder`` (unchanged bytes are not rewritten); name -> path."""
    paths = {}
    for name, frame in (
        (QUARANTINE_REPORT, quarantine_report(quarantine)),
        (DUPLICATES_REPORT, duplicates_report(activities)),
    ):
        path = folder / name
        io.write_bytes_atomic(path, csv_bytes(frame))
        paths[name] = path
    return paths
