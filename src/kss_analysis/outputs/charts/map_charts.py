"""The numbers and notes of the two standard maps (their specs are in standard_charts.py).

Counting rule (as the top-partners chart): a top-level programme counts once in each partner
country it names; programmes that name no country are left off the map and counted in the footer.
"""

from __future__ import annotations

import pandas as pd

from kss_analysis.build.aggregate import PERIOD_YEARS, period_of, top_level
from kss_analysis.core.labels import label, text
from kss_analysis.outputs.charts import maps
from kss_analysis.outputs.charts.style import format_number

Tables = dict[str, pd.DataFrame]


def _named(t: Tables) -> tuple[pd.DataFrame, int]:
    """(top-level programme x named partner country, with year), number of programmes naming no country."""
    top = top_level(t["activities"])[["activity_id", "year"]]
    recips = t["activity_recipients"]
    named = recips[recips["recipient_iso3"].notna()][["activity_id", "recipient_iso3"]].drop_duplicates()
    named = named.merge(top, on="activity_id", how="inner")
    return named, int((~top["activity_id"].isin(named["activity_id"])).sum())


def _counts(named: pd.DataFrame) -> pd.Series:
    return named.groupby("recipient_iso3")["activity_id"].nunique().astype("int64")


def _table(values: pd.Series, classes: maps.Classes, lang: str) -> pd.DataFrame:
    """Chart CSV rows: every country with a non-zero value, largest first."""
    labels = classes.labels(lang)
    rows = [
        {"iso3": iso3, "name": label("country", iso3, lang), "value": int(v), "class": labels[i]}
        for iso3, v in values.items()
        if v > 0 and (i := classes.index(v)) is not None  # always, for v > 0
    ]
    frame = pd.DataFrame(rows, columns=["iso3", "name", "value", "class"])
    return frame.sort_values(["value", "iso3"], ascending=[False, True]).reset_index(drop=True)


def partner_map_table(t: Tables, lang: str) -> pd.DataFrame:
    """Programmes per partner country, all years: iso3, name, value, class."""
    values = _counts(_named(t)[0])
    return _table(values, maps.classify(values), lang)


def partner_map_by_period_table(t: Tables, lang: str) -> pd.DataFrame:
    """Programmes per partner country and five-year period (dated programmes only)."""
    named, _ = _named(t)
    dated = named[named["year"].notna()].copy()
    dated["period"] = dated["year"].astype(int).map(period_of)
    counts = {period: _counts(group) for period, group in dated.groupby("period")}
    classes = maps.classify(pd.concat(list(counts.values())) if counts else pd.Series(dtype="int64"))
    columns = ["period", "iso3", "name", "value", "class"]
    tables = [_table(values, classes, lang).assign(period=period)[columns] for period, values in counts.items()]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)


def map_values(data: pd.DataFrame) -> pd.Series:
    """The map's numbers (ISO3 -> programmes) from its chart table."""
    return data.set_index("iso3")["value"].astype("int64").sort_index()


def map_panels(data: pd.DataFrame) -> dict[str, pd.Series]:
    """One map per period, every period from the first to the last: a gap in the register is an empty map."""
    starts = [int(period[:4]) for period in data["period"]]
    every = [period_of(y) for y in range(min(starts), max(starts) + 1, PERIOD_YEARS)] if starts else []
    return {period: map_values(data[data["period"] == period]) for period in every}


def map_note(t: Tables, data: pd.DataFrame, lang: str) -> str:
    """Programmes left off the map, the small-country rule, coverage and the shapes' source."""
    _, unnamed = _named(t)
    undated = int(top_level(t["activities"])["year"].isna().sum()) if "period" in data else 0
    small = text("map_small_rule", lang, km2=format_number(maps.SMALL_AREA_KM2, lang))
    sentences = (
        text("map_unnamed", lang, n=unnamed) if unnamed else "",
        text("undated_not_shown", lang, n=undated) if undated else "",
        small,
        text("map_coverage", lang),
        text("map_shapes_source", lang),
    )
    return " ".join(f"{n}." for n in sentences if n)
