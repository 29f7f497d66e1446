"""Find programmes that repeat another, so they are kept but not counted twice.

Rule (also in docs/data_dictionary.md), among the KSS programme registers (the embedded
register and user registers), in build order (embedded first, then user registers by
file name, rows in file order); the first row of a match is the original:
1. same programme: normalised title, year, partner set and amount (value and currency,
   or both without an amount) all match;
2. a user register repeats an embedded programme: a user row with the same year, partner
   set and stated amount as an embedded programme (titles are often reworded or
   translated), when the partner set is not empty.
A duplicate keeps its row with ``duplicate_of`` = the original's activity_id, and is not
counted (counting.is_counted).
"""

from __future__ import annotations

import pandas as pd

from kss_analysis.core.reference import normalise_name
from kss_analysis.rules import scope

EMBEDDED = scope.EMBEDDED_REGISTER


def _partner_sets(recipients: pd.DataFrame) -> dict[str, str]:
    """activity_id -> sorted partner countries (or stated regions when no country is named)."""
    named = recipients["recipient_iso3"].fillna("region:" + recipients["region"].fillna(""))
    named = named.where(recipients["allocation"] != "unallocated", "")
    return named.groupby(recipients["activity_id"]).agg(lambda s: ";".join(sorted(x for x in set(s) if x))).to_dict()


def find_duplicates(activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.Series:
    """``duplicate_of`` for every activity (None for originals and other sources)."""
    partners = _partner_sets(recipients)
    duplicate_of: dict[int, str] = {}
    by_full_key: dict[tuple, str] = {}
    embedded_by_amount: dict[tuple, str] = {}
    registers = activities[scope.is_register(activities["source"])]
    for index, row in zip(registers.index, registers.itertuples(index=False), strict=True):
        year = None if pd.isna(row.year) else int(row.year)
        amount = None if pd.isna(row.amount) else (round(float(row.amount), 2), row.currency)
        partner_set = partners.get(row.activity_id, "")
        title = row.title if isinstance(row.title, str) else ""  # an empty title is NaN in a str column
        full_key = (normalise_name(title), year, partner_set, amount)
        original = by_full_key.get(full_key)
        amount_key = (year, partner_set, amount)
        if original is None and row.source != EMBEDDED and amount is not None and partner_set:
            original = embedded_by_amount.get(amount_key)
        if original is not None:
            duplicate_of[index] = original
            continue
        by_full_key[full_key] = row.activity_id
        if row.source == EMBEDDED and amount is not None and partner_set:
            embedded_by_amount.setdefault(amount_key, row.activity_id)
    return pd.Series([duplicate_of.get(i) for i in activities.index], index=activities.index, dtype="str")
