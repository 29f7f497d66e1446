"""The standard charts: which numbers each one plots and how it is labelled.

Each chart function takes the processed tables and a language and returns a
``ChartOutput``: the Figure, the exact numbers plotted (tidy) and what they came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kss_analysis import charts
from kss_analysis.aggregate import aggregate_by, top_level
from kss_analysis.charts import Footer, text
from kss_analysis.coverage import NO_FIGURES, coverage_table
from kss_analysis.coverage_chart import plot_coverage

PERIOD_YEARS = 5


@dataclass
class ChartOutput:
    figure: Figure
    data: pd.DataFrame  # exactly the plotted numbers
    dataset: str  # processed table the numbers come from
    filters: dict = field(default_factory=dict)


def period_of(year: int) -> str:
    start = year - year % PERIOD_YEARS
    return f"{start}-{start + PERIOD_YEARS - 1}"


def _undated_note(activities: pd.DataFrame, lang: str) -> str:
    n = int(top_level(activities)["year"].isna().sum())
    return text("undated_not_shown", lang, n=n) if n else ""


def _footer(lang: str, measure: str, *basis: str, note: str = "") -> Footer:
    return Footer(text("source_register", lang), text(measure, lang), tuple(text(b, lang) for b in basis), note)


def chart_programmes_by_year(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    table = aggregate_by(t["activities"], "cooperation_type")
    data = table[table["year"].notna()][["year", "cooperation_type", "programmes"]].reset_index(drop=True)
    fig = charts.plot_stacked_by_period(
        data,
        period="year",
        category="cooperation_type",
        value="programmes",
        kind="cooperation_type",
        lang=lang,
        title=text("title_programmes_by_year", lang),
        subtitle=text("subtitle_programmes_by_year", lang),
        footer=_footer(lang, "measure_programmes", "basis_overlap", note=_undated_note(t["activities"], lang)),
        y_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "activities", {"year": "stated", "parent_activity_id": "none"})


def _totals(table: pd.DataFrame, dimension: str) -> pd.DataFrame:
    return (
        table.groupby(dimension, as_index=False)["programmes"]
        .sum()
        .sort_values(["programmes", dimension], ascending=[False, True])
        .reset_index(drop=True)
    )


def chart_programmes_by_region(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    data = _totals(t["programmes_by_region_year"], "region")
    fig = charts.plot_bars(
        data,
        category="region",
        value="programmes",
        kind="region",
        lang=lang,
        title=text("title_programmes_by_region", lang),
        subtitle=text("subtitle_programmes_by_region", lang),
        footer=_footer(lang, "measure_programmes", "basis_overlap", "basis_region"),
        x_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "programmes_by_region_year")


def _by_period(table: pd.DataFrame, dimension: str) -> pd.DataFrame:
    dated = table[table["year"].notna()].copy()
    dated["period"] = dated["year"].astype(int).map(period_of)
    return (
        dated.groupby(["period", dimension], as_index=False)["programmes"]
        .sum()
        .sort_values(["period", dimension])
        .reset_index(drop=True)
    )


def chart_region_by_period(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    data = _by_period(t["programmes_by_region_year"], "region")
    fig = charts.plot_stacked_by_period(
        data,
        period="period",
        category="region",
        value="programmes",
        kind="region",
        lang=lang,
        title=text("title_region_by_period", lang),
        subtitle=text("subtitle_region_by_period", lang),
        footer=_footer(
            lang, "measure_programmes", "basis_overlap", "basis_region", note=_undated_note(t["activities"], lang)
        ),
        y_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "programmes_by_region_year", {"year": "stated"})


def chart_programmes_by_sector(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    data = _totals(t["programmes_by_sector_year"], "sector_theme")
    fig = charts.plot_bars(
        data,
        category="sector_theme",
        value="programmes",
        kind="sector_theme",
        lang=lang,
        title=text("title_programmes_by_sector", lang),
        subtitle=text("subtitle_programmes_by_sector", lang),
        footer=_footer(lang, "measure_programmes", "basis_overlap"),
        x_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "programmes_by_sector_year")


def chart_sector_by_period(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    data = _by_period(t["programmes_by_sector_year"], "sector_theme")
    fig = charts.plot_stacked_by_period(
        data,
        period="period",
        category="sector_theme",
        value="programmes",
        kind="sector_theme",
        lang=lang,
        title=text("title_sector_by_period", lang),
        subtitle=text("subtitle_sector_by_period", lang),
        footer=_footer(lang, "measure_programmes", "basis_overlap", note=_undated_note(t["activities"], lang)),
        y_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "programmes_by_sector_year", {"year": "stated"})


def chart_programmes_by_modality(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    data = _totals(t["programmes_by_modality_year"], "modality")
    fig = charts.plot_bars(
        data,
        category="modality",
        value="programmes",
        kind="modality",
        lang=lang,
        title=text("title_programmes_by_modality", lang),
        subtitle=text("subtitle_programmes_by_modality", lang),
        footer=_footer(lang, "measure_programmes", "basis_overlap"),
        x_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "programmes_by_modality_year")


def _yearly_measure(t: dict[str, pd.DataFrame], value: str, stated: str) -> pd.DataFrame:
    table = t["programmes_by_sector_year"]
    dated = table[table["year"].notna() & table[value].notna()]
    return (
        dated.groupby("year", as_index=False)
        .agg(**{value: (value, "sum"), stated: (stated, "sum")})
        .sort_values("year")
        .reset_index(drop=True)
    )


def chart_participants_by_year(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    data = _yearly_measure(t, "participants", "programmes_with_participants")
    n_total = len(top_level(t["activities"]))
    note = text("programmes_stating", lang, n=int(data["programmes_with_participants"].sum()), total=n_total)
    fig = charts.plot_by_year(
        data,
        value="participants",
        lang=lang,
        title=text("title_participants_by_year", lang),
        subtitle=text("subtitle_participants_by_year", lang),
        footer=Footer(
            text("source_register", lang), text("measure_participants", lang), (text("basis_overlap", lang),), note
        ),
        y_label=text("participants", lang),
        colour="#009E73",
    )
    return ChartOutput(fig, data, "programmes_by_sector_year", {"participants": "stated, not cumulative"})


def _amount_chart(t: dict[str, pd.DataFrame], lang: str, currency: str) -> ChartOutput:
    value = f"amount_{currency}"
    data = _yearly_measure(t, value, f"programmes_with_{value}")
    scale, unit = (1e9, "billion_idr") if currency == "idr" else (1e6, "million_usd")
    note = text(
        "programmes_stating", lang, n=int(data[f"programmes_with_{value}"].sum()), total=len(top_level(t["activities"]))
    )
    fig = charts.plot_by_year(
        data,
        value=value,
        lang=lang,
        scale=scale,
        title=text(f"title_{value}_by_year", lang),
        subtitle=text(f"subtitle_{value}_by_year", lang),
        footer=_footer(lang, f"measure_{currency}", "basis_overlap", "basis_amounts", note=note),
        y_label=text(unit, lang),
        colour="#882255" if currency == "idr" else "#332288",
    )
    return ChartOutput(
        fig,
        data,
        "programmes_by_sector_year",
        {"currency": currency.upper(), "amount_basis": "not planned, not cumulative"},
    )


def chart_amount_idr_by_year(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    return _amount_chart(t, lang, "idr")


def chart_amount_usd_by_year(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    return _amount_chart(t, lang, "usd")


def _not_converted_note(unconverted: pd.DataFrame, lang: str) -> str:
    """'2 amounts from 2025 not converted: no annual rate yet', one sentence per reason."""
    lines = []
    for reason, rows in unconverted.groupby("reason", sort=True):
        n = int(rows["amounts"].sum())
        years = ", ".join(str(int(y)) if pd.notna(y) else text("undated", lang) for y in sorted(rows["year"].dropna()))
        years = years or text("undated", lang)
        key = "not_converted_one" if n == 1 else "not_converted"
        lines.append(text(key, lang, n=n, years=years, reason=text(f"reason_{reason}", lang)) + ".")
    return " ".join(lines)


def _constant_funding_chart(t: dict[str, pd.DataFrame], lang: str, currency: str) -> ChartOutput:
    """Stated register funding by year in constant prices, stacked by amount basis (see money.py)."""
    from kss_analysis.money import funding_by_year

    acts = t["activities"]
    value, base_column = (
        ("amount_usd_constant", "price_base_year")
        if currency == "usd"
        else ("amount_idr_constant", "idr_price_base_year")
    )
    totals, unconverted = funding_by_year(acts, value)
    bases = acts[base_column].dropna().unique()
    base = int(bases[0]) if len(bases) == 1 else None  # one base year per build
    scale, unit = (1e6, "million_usd_constant") if currency == "usd" else (1e9, "billion_idr_constant")
    plotted = f"{value}_{'million' if currency == 'usd' else 'billion'}"
    data = totals.assign(**{plotted: totals[value] / scale})
    fig = charts.plot_stacked_by_period(
        data,
        period="year",
        category="amount_basis",
        value=plotted,
        kind="amount_basis",
        lang=lang,
        title=text(f"title_funding_{currency}_constant_by_year", lang, base=base),
        subtitle=text(f"subtitle_funding_{currency}_constant_by_year", lang, base=base),
        footer=Footer(
            text("source_money", lang),
            text(f"measure_{currency}_constant", lang, base=base),
            (text("basis_overlap", lang), text("basis_amounts", lang)),
            _not_converted_note(unconverted, lang),
        ),
        y_label=text(unit, lang, base=base),
    )
    fig.axes[0].yaxis.set_major_locator(MaxNLocator())  # amounts in millions need not be whole
    sources = {c: sorted(acts[c].dropna().unique()) for c in ("fx_source", "deflator_source")}
    filters = {
        "amount_basis": "not planned, not cumulative",
        "price_base_year": base,
        "not_converted": int(unconverted["amounts"].sum()),
        **sources,
    }
    return ChartOutput(fig, data, "activities", filters)


def chart_funding_usd_constant_by_year(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    return _constant_funding_chart(t, lang, "usd")


def chart_funding_idr_constant_by_year(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    return _constant_funding_chart(t, lang, "idr")


def chart_triangular_partners(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    acts = top_level(t["activities"])
    acts = acts[acts["triangular_partner"].notna()]
    data = (
        acts.groupby("triangular_partner", as_index=False)["activity_id"]
        .nunique()
        .rename(columns={"activity_id": "programmes"})
    )
    data = data.sort_values(["programmes", "triangular_partner"], ascending=[False, True]).reset_index(drop=True)
    fig = charts.plot_bars(
        data,
        category="triangular_partner",
        value="programmes",
        kind="partner",
        lang=lang,
        title=text("title_triangular_partners", lang),
        subtitle=text("subtitle_triangular_partners", lang),
        footer=_footer(lang, "measure_programmes", "basis_overlap"),
        x_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "activities", {"cooperation_type": "triangular"})


TOP_PARTNERS = 15


def chart_top_partner_countries(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    top = top_level(t["activities"])
    recips = t["activity_recipients"]
    named = recips[recips["activity_id"].isin(top["activity_id"]) & recips["recipient_iso3"].notna()]
    counts = (
        named.groupby("recipient_iso3", as_index=False)["activity_id"]
        .nunique()
        .rename(columns={"activity_id": "programmes"})
    )
    data = (
        counts.sort_values(["programmes", "recipient_iso3"], ascending=[False, True])
        .head(TOP_PARTNERS)
        .reset_index(drop=True)
    )
    fig = charts.plot_bars(
        data,
        category="recipient_iso3",
        value="programmes",
        kind="country",
        lang=lang,
        title=text("title_top_partner_countries", lang),
        subtitle=text("subtitle_top_partner_countries", lang, n=TOP_PARTNERS),
        footer=_footer(lang, "measure_programmes", "basis_overlap"),
        x_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "activity_recipients", {"recipient_iso3": "named", "top": TOP_PARTNERS})


def chart_modality_by_period(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    data = _by_period(t["programmes_by_modality_year"], "modality")
    fig = charts.plot_stacked_by_period(
        data,
        period="period",
        category="modality",
        value="programmes",
        kind="modality",
        lang=lang,
        title=text("title_modality_by_period", lang),
        subtitle=text("subtitle_modality_by_period", lang),
        footer=_footer(lang, "measure_programmes", "basis_overlap", note=_undated_note(t["activities"], lang)),
        y_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "programmes_by_modality_year", {"year": "stated"})


def chart_focus_regions_by_year(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    table = t["programmes_by_region_year"]
    data = table[table["region"].isin(["pacific", "africa"]) & table["year"].notna()][
        ["year", "region", "programmes"]
    ].reset_index(drop=True)
    fig = charts.plot_stacked_by_period(
        data,
        period="year",
        category="region",
        value="programmes",
        kind="region",
        lang=lang,
        title=text("title_focus_regions_by_year", lang),
        subtitle=text("subtitle_focus_regions_by_year", lang),
        footer=_footer(
            lang, "measure_programmes", "basis_overlap", "basis_region", note=_undated_note(t["activities"], lang)
        ),
        y_label=text("programmes", lang),
    )
    return ChartOutput(fig, data, "programmes_by_region_year", {"region": ["pacific", "africa"], "year": "stated"})


def chart_register_coverage(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    """Register programmes as a share of each official programme count (needs kss_figures)."""
    # Without the figures register (a user's own registers only) the chart says so: no bars.
    data = coverage_table(t["activities"], t.get("kss_figures", NO_FIGURES))
    ids = ", ".join(data["figure_id"]) or "-"
    fig = plot_coverage(
        data,
        lang=lang,
        title=text("title_register_coverage", lang),
        subtitle=text("subtitle_register_coverage", lang),
        footer=Footer(
            text("source_coverage", lang, ids=ids),
            text("measure_coverage", lang),
            (text("basis_coverage_years", lang), text("basis_coverage_left_out", lang)),
        ),
    )
    return ChartOutput(fig, data, "activities", {"parent_activity_id": "none", "official": "kss_figures"})


STANDARD_CHARTS: dict[str, Callable[[dict[str, pd.DataFrame], str], ChartOutput]] = {
    "programmes_by_year": chart_programmes_by_year,
    "programmes_by_region": chart_programmes_by_region,
    "region_by_period": chart_region_by_period,
    "programmes_by_sector": chart_programmes_by_sector,
    "sector_by_period": chart_sector_by_period,
    "programmes_by_modality": chart_programmes_by_modality,
    "participants_by_year": chart_participants_by_year,
    "amount_idr_by_year": chart_amount_idr_by_year,
    "amount_usd_by_year": chart_amount_usd_by_year,
    "funding_usd_constant_by_year": chart_funding_usd_constant_by_year,
    "funding_idr_constant_by_year": chart_funding_idr_constant_by_year,
    "triangular_partners": chart_triangular_partners,
    "top_partner_countries": chart_top_partner_countries,
    "modality_by_period": chart_modality_by_period,
    "focus_regions_by_year": chart_focus_regions_by_year,
    "register_coverage": chart_register_coverage,
}
CHART_TABLES = (
    "activities",
    "activity_recipients",
    "programmes_by_sector_year",
    "programmes_by_region_year",
    "programmes_by_modality_year",
)


def chart_region_shares_by_source(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    """Needs the fetched sources: region profile of each South-South source, in percent."""
    from kss_analysis.comparison import compare_region_shares

    shares = compare_region_shares(t["activities"], t["activity_recipients"])
    data = shares.assign(source=shares["source_id"].map(lambda source: text(f"source_label_{source}", lang)))
    fig = charts.plot_stacked_by_period(
        data,
        period="source",
        category="region",
        value="share_pct",
        kind="region",
        lang=lang,
        title=text("title_region_shares_by_source", lang),
        subtitle=text("subtitle_region_shares_by_source", lang),
        footer=Footer(text("source_comparison", lang), text("measure_share", lang)),
        y_label=text("share_pct", lang),
    )
    fig.axes[0].tick_params(axis="x", labelrotation=15)
    return ChartOutput(fig, data, "activities", {"source": "five South-South sources"})


def chart_gcof_usd_by_year(t: dict[str, pd.DataFrame], lang: str) -> ChartOutput:
    from kss_analysis.comparison import usd_by_year

    data = usd_by_year(t["activities"], "aiddata-gcof-china-1.0")
    fig = charts.plot_by_year(
        data,
        value="amount_usd",
        lang=lang,
        scale=1e9,
        title=text("title_gcof_usd_by_year", lang),
        subtitle=text("subtitle_gcof_usd_by_year", lang),
        footer=Footer(text("source_gcof", lang), text("measure_usd", lang), (text("basis_gcof", lang),)),
        y_label=text("billion_usd", lang),
        colour="#D55E00",
    )
    return ChartOutput(fig, data, "activities", {"source": "aiddata-gcof-china-1.0"})


COMPARISON_CHARTS = {
    "region_shares_by_source": chart_region_shares_by_source,
    "gcof_usd_by_year": chart_gcof_usd_by_year,
}
