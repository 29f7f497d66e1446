"""Invariants every build enforces; each failure says what to fix.

All checks run and their failures are reported together.
"""

from __future__ import annotations

import json

import pandas as pd

from kss_analysis.core import reference, schema
from kss_analysis.core.errors import InvariantError
from kss_analysis.core.model import SourceTables


def check_ledger(ledger: pd.DataFrame) -> list[str]:
    """rows_read = rows_kept + rows_fixed + rows_quarantined + rows_excluded, per file."""
    parts = ledger[["rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded"]].sum(axis=1)
    bad = ledger[parts != ledger["rows_read"]]
    return [
        f"ledger of {r.file}: read {r.rows_read} != kept {r.rows_kept} + fixed {r.rows_fixed} "
        f"+ quarantined {r.rows_quarantined} + excluded {r.rows_excluded}"
        for r in bad.itertuples()
    ]


def check_amounts(ledger: pd.DataFrame) -> list[str]:
    """Per file and measure (currency and basis): raw sum = processed + quarantined + excluded."""
    problems = []
    for row in ledger.itertuples():
        if not isinstance(row.amounts, str):
            continue
        for measure, sums in json.loads(row.amounts).items():
            raw = sums.get("raw", 0.0)
            placed = sums.get("processed", 0.0) + sums.get("quarantined", 0.0) + sums.get("excluded", 0.0)
            if abs(raw - placed) > 1e-6 * max(1.0, abs(raw)):
                problems.append(
                    f"amounts of {row.file}, {measure}: raw {raw:,.2f} != processed + quarantined + excluded {placed:,.2f}"
                )
    return problems


def check_tables(tables: SourceTables) -> list[str]:
    """Cross-table rules: counts match the ledger, recipients belong to activities,
    shares sum to 1, ids are unique, and nothing unplaced is left outside quarantine."""
    problems = check_ledger(tables.ledger) + check_amounts(tables.ledger)
    acts, recips, quarantine, ledger = tables.activities, tables.activity_recipients, tables.quarantine, tables.ledger
    acts_per_file = acts["source_file"].value_counts()
    quar_per_file = quarantine["file"].value_counts()
    for file, row in ledger.set_index("file").iterrows():
        n_acts = int(acts_per_file.get(file, 0))
        n_quar = int(quar_per_file.get(file, 0))
        if n_acts != row["rows_kept"] + row["rows_fixed"]:
            problems.append(
                f"{file}: {n_acts} activities but ledger says {row['rows_kept'] + row['rows_fixed']} kept or fixed"
            )
        if n_quar != row["rows_quarantined"]:
            problems.append(f"{file}: {n_quar} quarantine rows but ledger says {row['rows_quarantined']}")
        flagged = row.get("rows_flagged")
        if flagged is not None and not pd.isna(flagged) and "unclassified" in acts:
            n_flagged = int(acts.loc[acts["source_file"] == file, "unclassified"].notna().sum())
            if n_flagged != flagged:
                problems.append(f"{file}: {n_flagged} activities with unclassified values but ledger says {flagged}")
    duplicated = acts["activity_id"][acts["activity_id"].duplicated()]
    if len(duplicated):
        problems.append(f"activity_id not unique: {', '.join(sorted(set(duplicated)))}")
    orphans = set(recips["activity_id"]) - set(acts["activity_id"])
    if orphans:
        problems.append(f"recipient rows without an activity: {', '.join(sorted(orphans))}")
    missing = set(acts["activity_id"]) - set(recips["activity_id"])
    if missing:
        problems.append(f"activities without a recipient row: {', '.join(sorted(missing))}")
    shares = recips.groupby("activity_id")["share"].sum()
    off = shares[(shares - 1.0).abs() > 1e-9]
    if len(off):
        problems.append(f"recipient shares do not sum to 1 for: {', '.join(off.index[:10])}")
    tx_orphans = set(tables.activity_transactions["activity_id"]) - set(acts["activity_id"])
    if tx_orphans:
        problems.append(f"transactions without an activity: {', '.join(sorted(tx_orphans)[:10])}")
    unplaced = recips[recips["recipient_iso3"].notna() & recips["region"].isna()]
    if len(unplaced):
        problems.append(f"countries without a region: {', '.join(sorted(set(unplaced['recipient_iso3'])))}")
    return problems


def check_vocabularies(tables: SourceTables) -> list[str]:
    """Closed columns hold only their vocabulary (schema.VOCABULARIES) or reference codes (schema.CODED_COLUMNS)."""
    allowed = {key: set(values) for key, values in schema.VOCABULARIES.items()}
    allowed.update({key: set(reference.codes(table)) for key, table in schema.CODED_COLUMNS.items()})
    problems = []
    for (table, column), values in allowed.items():
        found = set(getattr(tables, table)[column].dropna())
        if unknown := sorted(found - values):
            problems.append(f"{table}.{column}: values outside the vocabulary: {', '.join(unknown)}")
    return problems


def enforce(tables: SourceTables) -> None:
    problems = check_tables(tables) + check_vocabularies(tables)
    if problems:
        raise InvariantError("build broke its invariants:\n  - " + "\n  - ".join(problems))
