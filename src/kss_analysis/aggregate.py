"""Standard aggregates of the activities table.

Counting rules (printed in chart footers and stored in each table's metadata; the rule
itself lives in counting.py, shared with the query API):
- overlapping activities counted once: rows with a parent_activity_id are part of
  another row, and duplicates (duplicate_of) repeat another row; both are left out of
  programme counts, and so are plans and allocations (counting.is_plan);
- a programme touching several regions counts once in each region (region rows do not
  add up to the all-region total); amounts are split between regions by share;
- participants add up only counts stated per programme, not cumulative ones;
- amounts stay in their own currency (amount_idr, amount_usd) and leave out planned
  allocations and cumulative figures; a part's own amount its parent cannot include counts.
"""

from __future__ import annotations

import pandas as pd

from kss_analysis.counting import (
    EXCLUDED_AMOUNT_BASES,
    amount_countable,
    counted,
    is_counted,
    own_amount_counts,
    participants_countable,
)

__all__ = ["EXCLUDED_AMOUNT_BASES", "aggregate_by", "aggregate_by_region", "aggregate_standard", "top_level"]

NOT_STATED = "not_stated"
CURRENCIES = ("IDR", "USD")
BASIS = {
    "counting": "overlapping activities counted once; plans and allocations are not programmes",
    "participants": "participants as stated per programme; cumulative counts left out",
    "amounts": (
        "amounts per currency, never converted; planned allocations and cumulative figures left out; "
        "a part's own amount counts when its parent cannot include it"
    ),
}
REGION_BASIS = {
    **BASIS,
    "regions": "multi-country programmes counted once per region; amounts split equally between recipients",
}


def top_level(activities: pd.DataFrame) -> pd.DataFrame:
    """Activities counted in programme totals (not part of, nor a duplicate of, another)."""
    return counted(activities)


def _totals_rows(activities: pd.DataFrame) -> pd.DataFrame:
    """Counted programmes plus the parts whose own amount counts (``_programme`` tells them apart)."""
    programme = is_counted(activities)
    rows = activities[programme | own_amount_counts(activities)].copy()
    rows["_programme"] = programme[rows.index]
    return rows


def _measures(frame: pd.DataFrame, keys: list[str], weight: pd.Series | None = None) -> pd.DataFrame:
    weight = pd.Series(1.0, index=frame.index) if weight is None else weight
    programme = frame["_programme"].astype(bool)
    stated = participants_countable(frame) & programme
    countable = amount_countable(frame)
    work = frame[keys].copy()
    work["activity_id"] = frame["activity_id"].where(programme)
    work["participants"] = frame["participants"].where(stated).astype("Float64")
    work["participants_stated"] = stated.astype("int64")
    for currency in CURRENCIES:
        mask = countable & (frame["currency"] == currency)
        work[f"amount_{currency.lower()}"] = (frame["amount"] * weight).where(mask)
        work[f"amount_{currency.lower()}_stated"] = mask.astype("int64")
    grouped = work.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        programmes=("activity_id", "nunique"),
        participants=("participants", lambda s: s.sum(min_count=1)),
        programmes_with_participants=("participants_stated", "sum"),
        amount_idr=("amount_idr", lambda s: s.sum(min_count=1)),
        programmes_with_amount_idr=("amount_idr_stated", "sum"),
        amount_usd=("amount_usd", lambda s: s.sum(min_count=1)),
        programmes_with_amount_usd=("amount_usd_stated", "sum"),
    ).reset_index()
    out["participants"] = out["participants"].round().astype("Int64")
    return out.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


def aggregate_by(activities: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Programmes, participants and amounts by ``dimension`` x year.

    One row per dimension value x year (year may be missing for undated programmes).
    """
    frame = _totals_rows(activities)
    frame[dimension] = frame[dimension].fillna(NOT_STATED)
    return _measures(frame, [dimension, "year"])


def aggregate_by_region(activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """Programmes, participants and amounts by region x year, through the recipients bridge.

    One row per region x year. Counts are distinct programmes touching the region.
    """
    frame = _totals_rows(activities)
    shares = (
        recipients.assign(region=recipients["region"].fillna(NOT_STATED))
        .groupby(["activity_id", "region"], as_index=False)["share"]
        .sum()
    )
    merged = frame.merge(shares, on="activity_id", how="inner", validate="one_to_many")
    return _measures(merged, ["region", "year"], weight=merged["share"])


STANDARD_AGGREGATES = {
    "programmes_by_sector_year": ("sector_theme", BASIS),
    "programmes_by_region_year": ("region", REGION_BASIS),
    "programmes_by_modality_year": ("modality", BASIS),
}


def aggregate_standard(activities: pd.DataFrame, recipients: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every standard aggregate: name -> (table, basis notes)."""
    out = {}
    for name, (dimension, basis) in STANDARD_AGGREGATES.items():
        table = (
            aggregate_by_region(activities, recipients)
            if dimension == "region"
            else aggregate_by(activities, dimension)
        )
        out[name] = (table, basis)
    return out
