"""Sentences for the notebooks, written from the numbers they describe.

A notebook's reading of a chart is rendered by a code cell from the chart's own data, so
the words change when the data change and nbval checks them with the outputs: no number
in a notebook is typed by hand. Each function takes the tidy frame a chart plots and
returns Markdown (English; chart labels follow the notebook's LANG elsewhere).
"""

from __future__ import annotations

import pandas as pd

from kss_analysis.build.aggregate import top_level
from kss_analysis.core.labels import label

THIN_BEFORE = 2008  # the register's years before this hold one programme or none each


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _ranked(totals: pd.Series, kind: str, n: int) -> str:
    """'Asia (66), Africa (51) and the Pacific (42)': the n largest, ties broken by label."""
    frame = totals.rename("value").reset_index()
    frame.columns = ["code", "value"]
    frame["name"] = [label(kind, code, "en") for code in frame["code"]]
    frame = frame.sort_values(["value", "name"], ascending=[False, True]).head(n)
    return _join([f"{name} ({value:,})" for name, value in zip(frame["name"], frame["value"], strict=True)])


def programmes_by_year(data: pd.DataFrame) -> str:
    """Reading of the programmes-by-year chart (columns year, cooperation_type, programmes)."""
    per_year = data.groupby("year")["programmes"].sum().sort_index()
    if per_year.empty:
        return "No programme in these tables has a year."
    early = per_year[per_year.index < THIN_BEFORE]
    busiest = per_year.sort_values(ascending=False, kind="stable").head(2)
    triangular = int(data.loc[data["cooperation_type"] == "triangular", "programmes"].sum())
    parts = [
        f"The register counts {int(per_year.sum()):,} programmes with a year, from {per_year.index.min()} "
        f"to {per_year.index.max()}, {triangular:,} of them triangular."
    ]
    if len(early):
        parts.append(
            f"It is thin before {THIN_BEFORE}: {int(early.sum())} programmes from {early.index.min()} to "
            f"{early.index.max()}."
        )
    parts.append(
        "The busiest years are "
        + _join([f"{year} ({count})" for year, count in busiest.items()])
        + "; a rise reflects where public pages exist as much as where activity grew."
    )
    return " ".join(parts)


def ranking(data: pd.DataFrame, dimension: str, kind: str, *, n: int = 3, what: str = "programmes") -> str:
    """Reading of a one-dimension bar chart: the leaders and the smallest group."""
    totals = data.groupby(dimension)["programmes"].sum()
    totals = totals[totals.index != "not_stated"]
    if totals.empty:
        return f"No {what} to rank."
    text = f"{_ranked(totals, kind, n)} lead"
    if len(totals) > n:
        low = totals.sort_values(kind="stable").index[0]
        text += f"; {label(kind, low, 'en')} has the fewest ({int(totals[low]):,})"
    return text + f" {what}."


def regions(data: pd.DataFrame) -> str:
    return (
        ranking(data, "region", "region")
        + " A programme with partners in several regions counts once in each, so the bars add up to more than"
        " the number of programmes."
    )


def participants(data: pd.DataFrame, activities: pd.DataFrame) -> str:
    """Reading of the participants chart: how many programmes state a count, and what the sum means."""
    counted_programmes = len(top_level(activities))
    stating = int(data["programmes_with_participants"].sum())
    total = int(data["participants"].sum())
    share = stating / counted_programmes if counted_programmes else 0
    text = (
        f"{stating:,} of {counted_programmes:,} counted programmes ({share:.0%}) state how many people took part; "
        f"together they name {total:,} participants, a floor rather than a total."
    )
    if "series" in data.columns:  # the chart shows intakes open to every country apart
        rows = data[data["series"] == "open_intake"]
        if len(rows):
            open_total = int(rows["participants"].sum())
            text += (
                f" {open_total:,} of them ({open_total / total:.0%}) are in {int(rows['programmes_with_participants'].sum())}"
                " scholarship intakes open to students of every country, shown as their own segment."
            )
    return text


def by_period(data: pd.DataFrame, dimension: str, kind: str) -> str:
    """Reading of a stacked by-period chart: the leader in each of the last periods."""
    frame = data[data[dimension] != "not_stated"]
    if frame.empty:
        return "No programme to show by period."
    lines = []
    for period, rows in sorted(frame.groupby("period"), key=lambda item: item[0])[-4:]:
        top = rows.sort_values(["programmes", dimension], ascending=[False, True]).iloc[0]
        lines.append(
            f"{period}: {label(kind, top[dimension], 'en')} ({int(top['programmes'])} of {int(rows['programmes'].sum())})"
        )
    return (
        "Largest group in each of the last four periods: "
        + "; ".join(lines)
        + ". Small counts per period mean a single programme moves a bar: read changes, not levels."
    )


def top_partners(data: pd.DataFrame) -> str:
    """Reading of the main-partner-countries chart (recipient_iso3, programmes)."""
    if data.empty:
        return "No partner country is named."
    ordered = data.assign(name=[label("country", c, "en") for c in data["recipient_iso3"]]).sort_values(
        ["programmes", "name"], ascending=[False, True]
    )
    first = ordered.iloc[0]
    rest = ordered.iloc[1:5]
    return (
        f"{first['name']} is named most often ({int(first['programmes'])} programmes), then "
        + _join([f"{n} ({int(p)})" for n, p in zip(rest["name"], rest["programmes"], strict=True)])
        + "."
    )


def focus_regions(data: pd.DataFrame) -> str:
    """Reading of the Pacific/Africa-by-year chart: each region's first year and its peak."""
    parts = []
    for region, rows in data.groupby("region", sort=True):
        rows = rows.sort_values("year")
        peak = rows.sort_values(["programmes", "year"], ascending=[False, False]).iloc[0]
        parts.append(
            f"{label('region', region, 'en')} appears from {int(rows['year'].min())} and peaks in "
            f"{int(peak['year'])} ({int(peak['programmes'])} programmes)"
        )
    return "; ".join(parts) + "." if parts else "No Pacific or African programme in these tables."


def triangular_partners(data: pd.DataFrame) -> str:
    if data.empty:
        return "No programme names a triangular partner."
    ordered = data.sort_values(["programmes", "triangular_partner"], ascending=[False, True])
    first, rest = ordered.iloc[0], ordered.iloc[1:]
    text = (
        f"{first['triangular_partner']} is the most frequent triangular partner ({int(first['programmes'])} programmes)"
    )
    if len(rest):
        second = rest.iloc[0]
        text += f", then {second['triangular_partner']} ({int(second['programmes'])})"
        others = rest.iloc[1:]
        if len(others):
            text += f"; {len(others)} more partners appear {int(others['programmes'].max())} times or fewer"
    return text + "."


def region_shares(data: pd.DataFrame) -> str:
    """Reading of the region-shares-by-source chart (source, region, share_pct)."""
    parts = []
    for source, rows in data.groupby("source", sort=True):
        top = rows.sort_values(["share_pct", "region"], ascending=[False, True]).iloc[0]
        parts.append(f"{source}: {label('region', top['region'], 'en')} ({top['share_pct']:.0f}%)")
    return "Largest region in each source's records: " + "; ".join(parts) + "."


def ledger(ledger_by_source: pd.DataFrame) -> str:
    unbalanced = ledger_by_source.loc[~ledger_by_source["balanced"], "source"].tolist()
    read = int(ledger_by_source["rows_read"].sum())
    quarantined = int(ledger_by_source["rows_quarantined"].sum())
    excluded = int(ledger_by_source["rows_excluded"].sum())
    head = (
        f"All {len(ledger_by_source)} sources balance"
        if not unbalanced
        else f"{len(unbalanced)} source(s) do not balance: {', '.join(unbalanced)}"
    )
    return (
        f"{head}: {read:,} raw rows read, {quarantined:,} quarantined with a reason, {excluded:,} excluded by a"
        " named rule, the rest kept."
    )


def quarantine(quarantine_by_source: pd.DataFrame) -> str:
    if quarantine_by_source.empty:
        return "No row was quarantined."
    top = quarantine_by_source.sort_values(["rows", "source"], ascending=[False, True]).head(3)
    return (
        "Most quarantined rows: "
        + "; ".join(f"{row.source} `{row.reason_code}` ({row.rows:,})" for row in top.itertuples())
        + "."
    )


def years_covered(years: pd.DataFrame) -> str:
    dated = years.dropna(subset=["first year"])
    parts = [
        f"{source} {int(first)}-{int(last)}"
        for source, first, last in zip(dated["source"], dated["first year"], dated["last year"], strict=True)
    ]
    return "Years covered: " + "; ".join(parts) + "."


def indonesia_elsewhere(table: pd.DataFrame) -> str:
    """Reading of comparison.indonesia_elsewhere: in which sources Indonesia is provider or recipient."""
    provider = table.loc[table["Indonesia as provider"] > 0, "source"].tolist()
    recipient = table.loc[table["Indonesia as recipient"] > 0, "source"].tolist()
    as_provider = (
        f"Indonesia appears as a provider in {_join(provider)}" if provider else "Indonesia is nowhere a provider"
    )
    as_recipient = f"as a recipient in {_join(recipient)}" if recipient else "nowhere a recipient"
    return f"{as_provider}; {as_recipient}."


def coverage(data: pd.DataFrame) -> str:
    """Reading of the register_coverage chart (one row per official programme count)."""
    if data.empty:
        return "No official programme count with a stated period is in the figures register, so coverage is unknown."
    rows = []
    for row in data.itertuples(index=False):
        first, last = row.period_start[:4], row.period_end[:4]
        period = first if first == last else f"{first}–{last}"
        over = "over " if row.official_qualifier == "lower_bound" else ""
        rows.append(
            f"{row.register_programmes:,} of {over}{row.official_programmes:,} for {period} "
            f"({100 * row.register_programmes / row.official_programmes:.1f}%, {row.figure_id})"
        )
    lowest = data.loc[data["ratio"].idxmin()]
    return (
        f"Against the official programme counts, the register holds {_join(rows)}. "
        f"At its lowest it names {100 * lowest['ratio']:.1f}% of what officials counted: every chart of "
        "programmes shows what public pages cover, not the whole of Indonesia's South-South cooperation."
    )


def implementer_types(data: pd.DataFrame, activities: pd.DataFrame) -> str:
    """Reading of the programmes-by-implementer-type chart: how many name one, and who ran most."""
    programmes = top_level(activities)
    named = int(programmes["implementer_type"].notna().sum()) if len(programmes) else 0
    if not named:
        return "No programme in these tables names who ran it."
    totals = data.set_index("implementer_type")["programmes"]
    non_state = int(totals[totals.index.isin(["university", "ngo", "business"])].sum())
    return (
        f"{named:,} of {len(programmes):,} programmes ({100 * named / len(programmes):.1f}%) name who ran them. "
        f"{_ranked(totals, 'implementer_type', 3)} ran the most; universities, NGOs and businesses ran "
        f"{non_state:,}, so the register shows KSS delivered beyond government training centres only where "
        "public pages say so."
    )


def undp_engagements(table: pd.DataFrame) -> str:
    """Reading of UNDP's inventory by host region (comparison.undp_engagements)."""
    if table.empty:
        return "UNDP's current inventory is not in this build."
    total, indonesia = table["engagements"].sum(), table["engaging_indonesia"].sum()
    top = table.iloc[0]
    return (
        f"UNDP's current inventory lists {total:,.0f} engagements with no years, so they enter no yearly chart; "
        f"{label('region', top['region'], 'en')} hosts the most ({top['engagements']:,.0f}); "
        f"{indonesia:,.0f} engage Indonesia."
    )
