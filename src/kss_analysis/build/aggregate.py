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
  allocations and cumulative figures; a part's own amount its parent cannot include counts;
- amount_usd_constant is the one converted measure: every countable amount (IDR or USD)
  in constant USD of price_base_year (money.py); amounts without a rate or deflator are
  left out of it and programmes_with_amount_usd_constant says how many were summed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import polars.selectors as cs

from kss_analysis.rules.counting import (
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
    "amount_usd_constant": "IDR and USD amounts converted at the IMF annual average rate of their year and deflated "
    "to price_base_year with the US GDP deflator (World Bank); amounts without a rate or deflator left out",
}
REGION_BASIS = {
    **BASIS,
    "regions": "multi-country programmes counted once per region; amounts split equally between recipients",
}


PERIOD_YEARS = 5  # charts by period group years in fives: 2000-2004, 2005-2009, ...


def period_of(year: int) -> str:
    start = year - year % PERIOD_YEARS
    return f"{start}-{start + PERIOD_YEARS - 1}"


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
    has_constant = "amount_usd_constant" in frame.columns  # added by the money step
    if has_constant:
        converted = countable & frame["amount_usd_constant"].notna()
        work["amount_usd_constant"] = (frame["amount_usd_constant"] * weight).where(converted)
        work["amount_usd_constant_stated"] = converted.astype("int64")
        work["price_base_year"] = frame["price_base_year"].where(converted)
    grouped = work.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        programmes=("activity_id", "nunique"),
        participants=("participants", lambda s: s.sum(min_count=1)),
        programmes_with_participants=("participants_stated", "sum"),
        amount_idr=("amount_idr", lambda s: s.sum(min_count=1)),
        programmes_with_amount_idr=("amount_idr_stated", "sum"),
        amount_usd=("amount_usd", lambda s: s.sum(min_count=1)),
        programmes_with_amount_usd=("amount_usd_stated", "sum"),
        **(
            {
                "amount_usd_constant": ("amount_usd_constant", lambda s: s.sum(min_count=1)),
                "programmes_with_amount_usd_constant": ("amount_usd_constant_stated", "sum"),
                "price_base_year": ("price_base_year", "max"),
            }
            if has_constant
            else {}
        ),
    ).reset_index()
    out["participants"] = out["participants"].round().astype("Int64")
    if has_constant:
        out["price_base_year"] = out["price_base_year"].astype("Int16")
    return out.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


def aggregate_by(activities: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Programmes, participants and amounts by ``dimension`` x year.

    One row per dimension value x year (year may be missing for undated programmes).
    """
    return _by(_totals_rows(activities), dimension)


def _by(rows: pd.DataFrame, dimension: str) -> pd.DataFrame:
    frame = rows.assign(**{dimension: rows[dimension].fillna(NOT_STATED)})  # ``rows`` is left as it was
    return _measures(frame, [dimension, "year"])


def aggregate_by_region(activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """Programmes, participants and amounts by region x year, through the recipients bridge.

    One row per region x year. Counts are distinct programmes touching the region.
    """
    return _by_region(_totals_rows(activities), recipients)


def _by_region(frame: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
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
    rows = _totals_rows(activities)  # the same rows for every table: found once
    for name, (dimension, basis) in STANDARD_AGGREGATES.items():
        table = _by_region(rows, recipients) if dimension == "region" else _by(rows, dimension)
        out[name] = (table, basis)
    return out


def aggregate_crs(
    crs_dir: Path, dims: tuple[str, ...] = ("year", "sector_theme", "region", "donor_name")
) -> pl.DataFrame:
    """CRS commitments and disbursements (USD millions, current prices) by ``dims``; reads only the columns it needs.

    One row per combination of ``dims``; rows quarantined in place left out. Dimensions stored
    as categoricals come back as text, sorted as text.
    """
    frame = scan_crs_output(crs_dir).filter(pl.col("quarantine_reason").is_null())
    return (
        frame.group_by(list(dims))
        .agg(
            pl.col("commitment_usd_mn").sum().alias("commitment_usd_mn"),
            pl.col("disbursement_usd_mn").sum().alias("disbursement_usd_mn"),
            pl.len().alias("records"),
        )
        .with_columns(cs.categorical().cast(pl.String))
        .sort(list(dims), nulls_last=True)
        .collect(engine="streaming")
    )


def crs_rows_by_file(crs_dir: Path) -> pl.DataFrame:
    """Input records behind the written CRS rows, per input file and quarantine reason (null = clean)."""
    return (
        scan_crs_output(crs_dir)
        .group_by("source_file", "quarantine_reason")
        .agg(pl.col("source_rows").sum().alias("rows"))
        .with_columns(cs.categorical().cast(pl.String))
        .sort("source_file", "quarantine_reason", nulls_last=True)
        .collect()
    )


def scan_crs_output(crs_dir: Path) -> pl.LazyFrame:
    return pl.scan_parquet(crs_dir / "**" / "*.parquet", hive_partitioning=True)
