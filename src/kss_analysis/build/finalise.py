"""Columns computed over the whole build, after every file is placed.

- activities.duplicate_of: the programme this row repeats (dedupe.py);
- activities.counted: the row counts once in programme totals (counting.py);
- activity_recipients names beside codes: recipient_name_en/_id, region_name_en/_id.
"""

from __future__ import annotations

import pandas as pd

from kss_analysis.build.dedupe import find_duplicates
from kss_analysis.core import reference
from kss_analysis.core.model import SourceTables
from kss_analysis.rules.counting import is_counted


def name_recipients(recipients: pd.DataFrame) -> pd.DataFrame:
    """Recipients with English and Indonesian country and region names beside the codes."""
    countries = reference.countries()
    out = recipients.copy()
    for lang in ("en", "id"):
        names = {iso3: row[f"name_{lang}"] for iso3, row in countries.items()}
        out[f"recipient_name_{lang}"] = out["recipient_iso3"].map(names).astype("str")
        out[f"region_name_{lang}"] = out["region"].map(reference.labels("regions", lang)).astype("str")
    return out


def finalise(tables: SourceTables) -> SourceTables:
    """The build's tables with duplicate_of, counted and recipient names filled in."""
    activities = tables.activities.copy()
    activities["duplicate_of"] = find_duplicates(activities, tables.activity_recipients)
    activities["counted"] = is_counted(activities)
    return SourceTables(
        activities,
        name_recipients(tables.activity_recipients),
        tables.quarantine,
        tables.ledger,
        tables.activity_transactions,
    )
