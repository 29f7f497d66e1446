"""The single counting rule: which rows and which values count in programme totals.

Every total (aggregates, charts, the query API) decides through these functions:
- a programme counts once: a row that is part of another (``parent_activity_id``) or a
  duplicate of another (``duplicate_of``) is left out of every total;
- participants add up only counts stated per programme, not cumulative ones;
- amounts leave out planned allocations and cumulative figures (and stay in their own
  currency: see aggregate.CURRENCIES).
"""

from __future__ import annotations

import pandas as pd

from kss_analysis.schema import EXCLUDED_AMOUNT_BASES

__all__ = ["EXCLUDED_AMOUNT_BASES", "amount_countable", "counted", "is_counted", "participants_countable"]
EXCLUDED_PARTICIPANT_QUALIFIERS = ("cumulative",)


def is_counted(activities: pd.DataFrame) -> pd.Series:
    """True for the rows counted once in programme totals (the ``counted`` column)."""
    counted = activities["parent_activity_id"].isna()
    if "duplicate_of" in activities.columns:
        counted &= activities["duplicate_of"].isna()
    return counted.astype(bool)


def counted(activities: pd.DataFrame) -> pd.DataFrame:
    """The activities counted in programme totals."""
    return activities[is_counted(activities)]


def participants_countable(frame: pd.DataFrame) -> pd.Series:
    """Participant counts stated per programme (cumulative counts left out)."""
    return frame["participants"].notna() & ~frame["participants_qualifier"].isin(EXCLUDED_PARTICIPANT_QUALIFIERS)


def amount_countable(frame: pd.DataFrame) -> pd.Series:
    """Amounts that add up: stated, not planned and not cumulative."""
    return frame["amount"].notna() & ~frame["amount_basis"].isin(EXCLUDED_AMOUNT_BASES)
