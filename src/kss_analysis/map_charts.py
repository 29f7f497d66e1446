"""The two standard maps: partner countries over all years, and by five-year period.

Counting rule (as the top-partners chart): a top-level programme counts once in each partner
country it names; programmes that name no country are left off the map and counted in the footer.
"""

from __future__ import annotations

import pandas as pd

from kss_analysis import caveats, maps
from kss_analysis.aggregate import top_level
from kss_analysis.charts import Footer, Titles, format_number
from kss_analysis.labels import label, text
from kss_analysis.standard_charts import PERIOD_YEARS, ChartOutput, input_meta, period_of


def _named(t: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, int]:
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
        {"iso3": iso3, "name": label("country", iso3, lang), "value": int(v), "class": labels[classes.index(v)]}
        for iso3, v in values.items()
        if v > 0
    ]
    frame = pd.DataFrame(rows, columns=["iso3", "name", "value", "class"])
    return frame.sort_values(["value", "iso3"], ascending=[False, True]).reset_index(drop=True)


def _footer(t: dict[str, pd.DataFrame], lang: str, *notes: str) -> Footer:
    small = text("map_small_rule", lang, km2=format_number(maps.SMALL_AREA_KM2, lang))
    sentences = (*notes, small, text("map_coverage", lang), text("map_shapes_source", lang))
    note = " ".join(f"{n}." for n in sentences if n)
    acts = t["activities"]
    return Footer(
        caveats.source_line(caveats.chart_sources(acts, lang)),
        text("measure_programmes", lang),
        (text("basis_country_count", lang), text("basis_overlap", lang), text("map_classes", lang)),
        note,
        tuple(filter(None, [caveats.coverage_ratio_caveat(acts, t.get("kss_figures"), lang)])),
    )


def chart_partner_map(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    named, unnamed = _named(t)
    values = _counts(named)
    classes = maps.classify(values)
    footer = _footer(t, lang, text("map_unnamed", lang, n=unnamed) if unnamed else "")
    fig = maps.plot_choropleth(
        values,
        lang=lang,
        title=text("title_partner_map", lang),
        subtitle=text("subtitle_partner_map", lang),
        footer=footer,
        legend_title=text("programmes", lang),
    )
    titles = Titles(text("title_partner_map", lang), text("subtitle_partner_map", lang), footer)
    meta = input_meta(t["activities"], lang, titles, text("programmes", lang))
    return ChartOutput(fig, _table(values, classes, lang), "activity_recipients", {"recipient_iso3": "named"}, meta)


def chart_partner_map_by_period(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    named, unnamed = _named(t)
    dated = named[named["year"].notna()].copy()
    dated["period"] = dated["year"].astype(int).map(period_of)
    undated = int(top_level(t["activities"])["year"].isna().sum())
    counts = {period: _counts(group) for period, group in dated.groupby("period")}
    years = range(int(dated["year"].min()), int(dated["year"].max()) + 1, PERIOD_YEARS) if len(dated) else []
    # every period from the first to the last, an empty one included: a gap in the register is shown as a gap
    panels = {p: counts.get(p, pd.Series(dtype="int64")) for p in sorted({period_of(y) for y in years} | set(counts))}
    classes = maps.classify(pd.concat(list(panels.values())))
    footer = _footer(
        t,
        lang,
        text("map_unnamed", lang, n=unnamed) if unnamed else "",
        text("undated_not_shown", lang, n=undated) if undated else "",
    )
    fig = maps.plot_choropleth_panels(
        panels,
        lang=lang,
        title=text("title_partner_map_by_period", lang),
        subtitle=text("subtitle_partner_map_by_period", lang),
        footer=footer,
        legend_title=text("programmes", lang),
    )
    data = pd.concat(
        [_table(values, classes, lang).assign(period=period) for period, values in panels.items()], ignore_index=True
    )
    data = data[["period", "iso3", "name", "value", "class"]]
    titles = Titles(text("title_partner_map_by_period", lang), text("subtitle_partner_map_by_period", lang), footer)
    meta = input_meta(t["activities"], lang, titles, text("programmes", lang))
    return ChartOutput(fig, data, "activity_recipients", {"recipient_iso3": "named", "year": "stated"}, meta)


MAP_CHARTS = {
    "partner_map": chart_partner_map,
    "partner_map_by_period": chart_partner_map_by_period,
}
