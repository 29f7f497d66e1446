"""Put the KSS register beside other South-South sources, comparing like with like.

Each source counts a different unit (a KSS programme, an AidData project, a UNDP
project, an IATI activity), so counts are compared as shares within each source, never
added; money is compared only in the same currency and price basis.
"""

from __future__ import annotations

import pandas as pd

from kss_analysis.core import reference
from kss_analysis.core.labels import text
from kss_analysis.rules import scope
from kss_analysis.rules.counting import amount_rows, counted


def _compared() -> tuple[dict[str, str], ...]:
    return reference.read_reference("compared_sources")


# Source id -> English label, in comparison order (reference/compared_sources.csv; labels in chart_text.csv).
SOURCE_LABELS = {row["source"]: text(f"source_label_{row['source']}", "en") for row in _compared()}
UNITS = {row["source"]: row["unit_counted"] for row in _compared()}
MONEY = {row["source"]: row["money"] for row in _compared()}


def _top_level(activities: pd.DataFrame) -> pd.DataFrame:
    return counted(activities[activities["source"].isin(list(SOURCE_LABELS))])


def compare_sources(activities: pd.DataFrame) -> pd.DataFrame:
    """One row per source: what it counts, how many, which years, what money it gives."""
    rows = []
    for source, frame in _top_level(activities).groupby("source", sort=False):
        years = frame["year"].dropna()
        rows.append(
            {
                "source": SOURCE_LABELS[source],
                "unit counted": UNITS[source],
                "records": len(frame),
                "first year": int(years.min()) if len(years) else None,
                "last year": int(years.max()) if len(years) else None,
                "money": MONEY[source],
            }
        )
    order = list(SOURCE_LABELS.values())
    return pd.DataFrame(rows).sort_values("source", key=lambda s: s.map(order.index)).reset_index(drop=True)


def compare_region_shares(activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """Share of each source's records by partner region, in percent (each record split
    equally between its recipients, so a source's shares add up to 100). ``source_id`` keeps
    the registry id so charts can label sources in their own language."""
    top = _top_level(activities)[["activity_id", "source"]]
    merged = recipients.merge(top, on="activity_id", how="inner")
    merged["region"] = merged["region"].fillna("not_stated")
    weights = merged.groupby(["source", "region"], as_index=False)["share"].sum()
    totals = top.groupby("source").size()
    weights["share_pct"] = (100 * weights["share"] / weights["source"].map(totals)).round(1)
    weights["source_id"] = weights["source"]
    weights["source"] = weights["source"].map(SOURCE_LABELS)
    columns = ["source_id", "source", "region", "share_pct"]
    return weights[columns].sort_values(["source", "region"]).reset_index(drop=True)


def indonesia_elsewhere(activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """Records of the other sources in which Indonesia is provider or recipient."""
    top = _top_level(activities)
    other = top[~scope.is_register(top["source"])]
    as_provider = other["provider_iso3"].fillna("").str.split(";").map(lambda codes: "IDN" in codes)
    recipient_ids = set(recipients.loc[recipients["recipient_iso3"] == "IDN", "activity_id"])
    as_recipient = other["activity_id"].isin(recipient_ids)
    out = (
        pd.DataFrame(
            {
                "source": other["source"].map(SOURCE_LABELS),
                "Indonesia as provider": as_provider.astype(int),
                "Indonesia as recipient": as_recipient.astype(int),
            }
        )
        .groupby("source", as_index=False)
        .sum()
    )
    return out.sort_values("source").reset_index(drop=True)


def usd_by_year(activities: pd.DataFrame, source: str) -> pd.DataFrame:
    """Sum of current-USD amounts by year for one source, with the number of records stating one.

    The amounts are those the counting rule lets add up (counting.amount_rows), as in the charts,
    and only USD the source states: converted amounts (money.py) are not mixed in."""
    frame = amount_rows(activities[activities["source"] == source], value="amount_usd")
    frame = frame[frame["year"].notna()]
    if "fx_source" in frame.columns:
        from kss_analysis.build.money import SOURCE_USD, STATED_USD

        frame = frame[frame["fx_source"].isin([STATED_USD, SOURCE_USD])]
    out = frame.groupby("year", as_index=False).agg(
        amount_usd=("amount_usd", "sum"), records_with_usd=("activity_id", "nunique")
    )
    return out.sort_values("year").reset_index(drop=True)


def ledger_by_source(ledger: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows summed per source folder (an IATI folder has one row per file)."""
    source = ledger["file"].str.split("/").str[0]
    sums = (
        ledger.assign(source=source)
        .groupby("source", as_index=False)[
            ["rows_read", "rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded"]
        ]
        .sum()
    )
    sums["balanced"] = sums["rows_read"] == sums[["rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded"]].sum(
        axis=1
    )
    return sums


def quarantine_by_source(quarantine: pd.DataFrame) -> pd.DataFrame:
    source = quarantine["file"].str.split("/").str[0]
    return (
        quarantine.assign(source=source)
        .groupby(["source", "reason_code"], as_index=False)
        .size()
        .rename(columns={"size": "rows"})
    )


def years_covered(activities: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for source, frame in activities.groupby("source", sort=True):
        years = frame["year"].dropna()
        rows.append(
            {
                "source": source,
                "records": len(frame),
                "first year": int(years.min()) if len(years) else None,
                "last year": int(years.max()) if len(years) else None,
                "without a year": int(frame["year"].isna().sum()),
            }
        )
    return pd.DataFrame(rows)


UNDP_INVENTORY = "undp-ssc-engagements"


def undp_engagements(activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """UNDP's current inventory by host region: engagements (one per row of the inventory,
    split between regions by share) and those that engage Indonesia. The inventory states no
    years, so it enters no yearly series."""
    inventory = activities[activities["source"] == UNDP_INVENTORY]
    columns = ["region", "engagements", "engaging_indonesia"]
    if inventory.empty:
        return pd.DataFrame(columns=columns)
    indonesia = inventory["provider_iso3"].fillna("").str.split(";").map(lambda codes: "IDN" in codes)
    rows = recipients.merge(inventory[["activity_id"]].assign(indonesia=indonesia.to_numpy()), on="activity_id")
    rows["region"] = rows["region"].fillna("not_stated")
    out = rows.groupby("region").agg(
        engagements=("share", "sum"), engaging_indonesia=("share", lambda s: s[rows.loc[s.index, "indonesia"]].sum())
    )
    out = out.round(1).reset_index().sort_values(["engagements", "region"], ascending=[False, True])
    return out[columns].reset_index(drop=True)
