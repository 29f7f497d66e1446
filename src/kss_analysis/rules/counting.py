"""The single counting rule: which rows and which values count in programme totals.

Every total (aggregates, charts, tables, the query API, comparison, notebooks) decides
through these functions:
- a programme counts once: a row that is part of another (``parent_activity_id``) or a
  duplicate of another (``duplicate_of``) is left out of programme counts;
- a plan or allocation is not a programme: a row whose only figure is a planned amount
  (basis ``planned``), with no participants and no date finer than a year (``is_plan``);
- participants add up only counts stated per programme, not cumulative ones;
- amounts leave out planned allocations and cumulative figures (and stay in their own
  currency: see aggregate.CURRENCIES);
- a part's own amount counts when its parent cannot include it: the parent states no
  amount in that currency, or a smaller one (``amount_rows``; e.g. a follow-up grant);
- amounts are shown by basis: stated (and sums of stated parts), approximate or
  unverified, and in kind (``AMOUNT_SEGMENTS``).
"""

from __future__ import annotations

import pandas as pd

from kss_analysis.core.schema import EXCLUDED_AMOUNT_BASES

__all__ = ["EXCLUDED_AMOUNT_BASES", "amount_countable", "counted", "is_counted", "participants_countable"]
EXCLUDED_PARTICIPANT_QUALIFIERS = ("cumulative",)
# amount_basis -> the segment it is drawn and exported in (a missing basis reads as stated)
AMOUNT_SEGMENTS = {
    "stated": "stated",
    "sum_of_stated": "stated",
    "reported": "stated",
    "approximate": "approximate_or_unverified",
    "unverified": "approximate_or_unverified",
    "in_kind": "in_kind",
}
SEGMENT_ORDER = ("stated", "approximate_or_unverified", "in_kind")


def is_plan(activities: pd.DataFrame) -> pd.Series:
    """Rows that are a plan or an allocation, not a programme carried out."""
    planned = activities["amount_basis"].eq("planned").fillna(False).astype(bool)
    no_participants = activities["participants"].isna()
    start = activities["start_date"].astype("string")
    year_only = start.isna() | (start.str.len() <= 4).fillna(True)
    return (planned & no_participants & year_only.astype(bool)).astype(bool)


def is_counted(activities: pd.DataFrame) -> pd.Series:
    """True for the rows counted once in programme totals (the ``counted`` column)."""
    counted = activities["parent_activity_id"].isna()
    if "duplicate_of" in activities.columns:
        counted &= activities["duplicate_of"].isna()
    if {"amount_basis", "participants", "start_date"} <= set(activities.columns):
        counted &= ~is_plan(activities)
    return counted.astype(bool)


def counted(activities: pd.DataFrame) -> pd.DataFrame:
    """The activities counted in programme totals."""
    return activities[is_counted(activities)]


def participants_countable(frame: pd.DataFrame) -> pd.Series:
    """Participant counts stated per programme (cumulative counts left out)."""
    return frame["participants"].notna() & ~frame["participants_qualifier"].isin(EXCLUDED_PARTICIPANT_QUALIFIERS)


def amount_countable(frame: pd.DataFrame, value: str = "amount") -> pd.Series:
    """Amounts (in column ``value``) that add up: stated, not planned and not cumulative."""
    return frame[value].notna() & ~frame["amount_basis"].isin(EXCLUDED_AMOUNT_BASES)


def own_amount_counts(activities: pd.DataFrame) -> pd.Series:
    """Parts (rows with a parent) whose own countable amount their parent cannot include."""
    part = activities["parent_activity_id"].notna()
    if "duplicate_of" in activities.columns:
        part &= activities["duplicate_of"].isna()
    part &= amount_countable(activities)
    parents = activities[amount_countable(activities)].set_index("activity_id")[["amount", "currency"]]
    parent_amount = activities["parent_activity_id"].map(parents["amount"]).astype("float64")
    parent_currency = activities["parent_activity_id"].map(parents["currency"]).astype("object")
    includable = parent_currency.eq(activities["currency"].astype("object")) & (
        parent_amount >= activities["amount"].astype("float64")
    )
    return (part & ~includable.fillna(False).astype(bool)).astype(bool)


def amount_rows(activities: pd.DataFrame, currency: str | None = None, value: str = "amount") -> pd.DataFrame:
    """Rows whose amounts count, with ``amount_segment``: counted programmes' countable amounts
    and the parts' own amounts their parents do not include; ``currency`` keeps one currency,
    ``value`` names the amount column that must be present (e.g. amount_usd)."""
    keep = (is_counted(activities) & amount_countable(activities, value)) | (
        own_amount_counts(activities) & activities[value].notna()
    )
    rows = activities[keep]
    if currency is not None:
        rows = rows[rows["currency"] == currency]
    return rows.assign(amount_segment=rows["amount_basis"].map(AMOUNT_SEGMENTS).fillna("stated"))


# The rules above, in the order a reader needs them; their wording (EN/ID) is
# reference/chart_text.csv under rule_<name>, printed on the Sources sheet of every export.
RULES = ("programme_once", "plans", "participants", "amounts", "parts", "segments", "regions")
