"""The standard charts as data: one ``ChartSpec`` per chart and one function that draws any spec.

A spec names the processed table the numbers come from, the dimension (colour and label
codes), how the numbers are shaped (totals, five-year periods, years), the measure, the
counting basis printed in the footer and the row filters. Titles and subtitles come from
reference/chart_text.csv under ``title_<name>`` and ``subtitle_<name>``, colours from the
code tables. Adding a chart = one entry in STANDARD_CHARTS (or COMPARISON_CHARTS) plus its
EN/ID text. ``chart_<name>(tables, lang)`` is kept for every chart (the notebooks call them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kss_analysis import charts
from kss_analysis.aggregate import aggregate_by, top_level
from kss_analysis.charts import Footer
from kss_analysis.coverage import NO_FIGURES, coverage_table
from kss_analysis.coverage_chart import plot_coverage
from kss_analysis.labels import text

PERIOD_YEARS = 5
TOP_PARTNERS = 15
Tables = dict[str, pd.DataFrame]


@dataclass
class ChartOutput:
    figure: Figure
    data: pd.DataFrame  # exactly the plotted numbers
    dataset: str  # processed table the numbers come from
    filters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChartSpec:
    """What one chart plots; see the module docstring.

    shape: "totals" (one bar per dimension value, largest first), "by_period" (stacked,
    five-year periods), "by_year" (stacked, years) or "yearly" (one measure per year).
    filters select rows of ``dataset`` before counting: "stated"/"named" keeps values that
    are present, "none" keeps missing ones, a list keeps those values, another value keeps
    rows equal to it; "top" keeps the first n rows of the result. ``notes`` describe rules
    applied by the dataset itself; filters and notes together go into the JSON sidecar.
    """

    name: str
    dataset: str
    shape: str
    dimension: str | None = None
    measure: str = "programmes"
    basis: tuple[str, ...] = ("basis_overlap",)
    filters: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    needs_sources: tuple[str, ...] = ()
    source: str = "source_register"  # chart_text key of the footer's source
    measure_text: str = "measure_programmes"  # chart_text key of the footer's measure
    unit: str | None = None  # chart_text key of the value axis (default: the measure)
    scale: float = 1.0  # values are divided by this for display
    colour: str | None = None  # single-measure charts only; coded dimensions take theirs from reference/
    data: Callable[[Tables], pd.DataFrame] | None = None  # for charts no shape describes
    period: str = "period"  # column on the x axis of a stacked chart made by ``data``

    @property
    def sidecar_filters(self) -> dict:
        return {**self.filters, **self.notes}


def period_of(year: int) -> str:
    start = year - year % PERIOD_YEARS
    return f"{start}-{start + PERIOD_YEARS - 1}"


def _select(frame: pd.DataFrame, filters: dict) -> pd.DataFrame:
    for column, wanted in filters.items():
        if column == "top":
            continue
        if wanted in ("stated", "named"):
            frame = frame[frame[column].notna()]
        elif wanted == "none":
            frame = frame[frame[column].isna()]
        elif isinstance(wanted, list):
            frame = frame[frame[column].isin(wanted)]
        else:
            frame = frame[frame[column] == wanted]
    return frame


def _programmes(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    """Rows of the spec's dataset, filtered; activity tables are cut to top-level programmes."""
    if spec.dataset == "activities":
        return _select(top_level(t["activities"]), spec.filters)
    if spec.dataset == "activity_recipients":
        recips = t["activity_recipients"]
        return _select(recips[recips["activity_id"].isin(top_level(t["activities"])["activity_id"])], spec.filters)
    return _select(t[spec.dataset], spec.filters)


def _totals(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    rows, dim = _programmes(t, spec), spec.dimension
    if spec.dataset in ("activities", "activity_recipients"):
        counts = (
            rows.groupby(dim, as_index=False)["activity_id"].nunique().rename(columns={"activity_id": "programmes"})
        )
    else:
        counts = rows.groupby(dim, as_index=False)["programmes"].sum()
    data = counts.sort_values(["programmes", dim], ascending=[False, True])
    return (
        data.head(spec.filters["top"]).reset_index(drop=True) if "top" in spec.filters else data.reset_index(drop=True)
    )


def _by_period(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    dated = _programmes(t, spec).copy()
    dated["period"] = dated["year"].astype(int).map(period_of)
    return (
        dated.groupby(["period", spec.dimension], as_index=False)["programmes"]
        .sum()
        .sort_values(["period", spec.dimension])
        .reset_index(drop=True)
    )


def _by_year(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    rows = _programmes(t, spec)
    table = aggregate_by(rows, spec.dimension) if spec.dataset == "activities" else rows
    return table[["year", spec.dimension, "programmes"]].reset_index(drop=True)


def _yearly(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    """One measure per year, with how many programmes stated it (dated rows only)."""
    table, value = _programmes(t, spec), spec.measure
    stated = f"programmes_with_{value}"
    dated = table[table["year"].notna() & table[value].notna()]
    return (
        dated.groupby("year", as_index=False)
        .agg(**{value: (value, "sum"), stated: (stated, "sum")})
        .sort_values("year")
        .reset_index(drop=True)
    )


SHAPES = {"totals": _totals, "by_period": _by_period, "by_year": _by_year, "yearly": _yearly}


def _note(t: Tables, spec: ChartSpec, data: pd.DataFrame, lang: str) -> str:
    """How many programmes a chart leaves out (undated ones) or stated its measure."""
    if spec.data is not None:
        return ""
    if spec.shape == "yearly":
        stated = int(data[f"programmes_with_{spec.measure}"].sum())
        return text("programmes_stating", lang, n=stated, total=len(top_level(t["activities"])))
    if spec.filters.get("year") == "stated":
        undated = int(top_level(t["activities"])["year"].isna().sum())
        return text("undated_not_shown", lang, n=undated) if undated else ""
    return ""


def draw(spec: ChartSpec, t: Tables, lang: str) -> ChartOutput:
    """The chart ``spec`` describes, drawn from the processed tables ``t`` in ``lang``."""
    data = spec.data(t, lang) if spec.data is not None else SHAPES[spec.shape](t, spec)
    footer = Footer(
        text(spec.source, lang),
        text(spec.measure_text, lang),
        tuple(text(b, lang) for b in spec.basis),
        _note(t, spec, data, lang),
    )
    common = {
        "lang": lang,
        "titles": charts.Titles(
            text(f"title_{spec.name}", lang), text(f"subtitle_{spec.name}", lang, n=spec.filters.get("top")), footer
        ),
    }
    axis_label = text(spec.unit or spec.measure, lang)
    if spec.shape == "totals":
        fig = charts.plot_bars(
            data, category=spec.dimension, value=spec.measure, kind=spec.dimension, x_label=axis_label, **common
        )
    elif spec.shape == "yearly":
        fig = charts.plot_by_year(
            data, value=spec.measure, scale=spec.scale, colour=spec.colour, y_label=axis_label, **common
        )
    else:
        period = "year" if spec.shape == "by_year" else spec.period
        fig = charts.plot_stacked_by_period(
            data,
            period=period,
            category=spec.dimension,
            value=spec.measure,
            kind=spec.dimension,
            y_label=axis_label,
            **common,
        )
        if spec.data is not None:
            fig.axes[0].tick_params(axis="x", labelrotation=15)  # source names are long
    return ChartOutput(fig, data, spec.dataset, spec.sidecar_filters)


def _amount_spec(currency: str, *, unit: str, scale: float, colour: str) -> ChartSpec:
    """Amounts in one currency by year: currencies are never added, so one chart each."""
    code = currency.lower()
    return ChartSpec(
        f"amount_{code}_by_year",
        "programmes_by_sector_year",
        "yearly",
        measure=f"amount_{code}",
        measure_text=f"measure_{code}",
        basis=("basis_overlap", "basis_amounts"),
        notes={"amount_basis": "not planned, not cumulative", "currency": currency},
        unit=unit,
        scale=scale,
        colour=colour,
    )


STANDARD_SPECS = (
    ChartSpec(
        "programmes_by_year",
        "activities",
        "by_year",
        "cooperation_type",
        filters={"year": "stated", "parent_activity_id": "none"},
    ),
    ChartSpec(
        "programmes_by_region", "programmes_by_region_year", "totals", "region", basis=("basis_overlap", "basis_region")
    ),
    ChartSpec(
        "region_by_period",
        "programmes_by_region_year",
        "by_period",
        "region",
        basis=("basis_overlap", "basis_region"),
        filters={"year": "stated"},
    ),
    ChartSpec("programmes_by_sector", "programmes_by_sector_year", "totals", "sector_theme"),
    ChartSpec("sector_by_period", "programmes_by_sector_year", "by_period", "sector_theme", filters={"year": "stated"}),
    ChartSpec("programmes_by_modality", "programmes_by_modality_year", "totals", "modality"),
    ChartSpec(
        "participants_by_year",
        "programmes_by_sector_year",
        "yearly",
        measure="participants",
        measure_text="measure_participants",
        notes={"participants": "stated, not cumulative"},
        colour="#009E73",
    ),
    _amount_spec("IDR", unit="billion_idr", scale=1e9, colour="#882255"),
    _amount_spec("USD", unit="million_usd", scale=1e6, colour="#332288"),
    ChartSpec(
        "triangular_partners", "activities", "totals", "triangular_partner", filters={"cooperation_type": "triangular"}
    ),
    ChartSpec(
        "top_partner_countries",
        "activity_recipients",
        "totals",
        "recipient_iso3",
        filters={"recipient_iso3": "named", "top": TOP_PARTNERS},
    ),
    ChartSpec("modality_by_period", "programmes_by_modality_year", "by_period", "modality", filters={"year": "stated"}),
    ChartSpec(
        "focus_regions_by_year",
        "programmes_by_region_year",
        "by_year",
        "region",
        basis=("basis_overlap", "basis_region"),
        filters={"region": ["pacific", "africa"], "year": "stated"},
    ),
)


def _region_shares(t: Tables, lang: str) -> pd.DataFrame:
    from kss_analysis.comparison import compare_region_shares

    shares = compare_region_shares(t["activities"], t["activity_recipients"])
    return shares.assign(source=shares["source_id"].map(lambda source: text(f"source_label_{source}", lang)))


def _gcof_usd(t: Tables, lang: str) -> pd.DataFrame:
    from kss_analysis.comparison import usd_by_year

    return usd_by_year(t["activities"], "aiddata-gcof-china-1.0")


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
        titles=charts.Titles(
            text(f"title_funding_{currency}_constant_by_year", lang, base=base),
            text(f"subtitle_funding_{currency}_constant_by_year", lang, base=base),
            Footer(
                text("source_money", lang),
                text(f"measure_{currency}_constant", lang, base=base),
                (text("basis_overlap", lang), text("basis_amounts", lang)),
                _not_converted_note(unconverted, lang),
            ),
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


# Charts across sources: drawn from every source's activities (load_chart_tables(registers_only=False)).
COMPARISON_SPECS = (
    ChartSpec(
        "region_shares_by_source",
        "activities",
        "by_source",
        "region",
        measure="share_pct",
        basis=(),
        notes={"source": "five South-South sources"},
        needs_sources=(
            "kss",
            "aiddata-gcof-china-1.0",
            "aiddata-tuff-qatar-1.0",
            "undp-ssc-projects",
            "iati-ssc-activities",
        ),
        source="source_comparison",
        measure_text="measure_share",
        data=_region_shares,
        period="source",
    ),
    ChartSpec(
        "gcof_usd_by_year",
        "activities",
        "yearly",
        measure="amount_usd",
        basis=("basis_gcof",),
        notes={"source": "aiddata-gcof-china-1.0"},
        needs_sources=("aiddata-gcof-china-1.0",),
        source="source_gcof",
        measure_text="measure_usd",
        unit="billion_usd",
        scale=1e9,
        colour="#D55E00",
        data=_gcof_usd,
    ),
)


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


def _drawers(specs: tuple[ChartSpec, ...]) -> dict[str, Callable[[Tables, str], ChartOutput]]:
    return {spec.name: partial(draw, spec) for spec in specs}


SPECS = {spec.name: spec for spec in (*STANDARD_SPECS, *COMPARISON_SPECS)}
# Charts no spec shape describes (their own footers: unconverted amounts, official counts).
CUSTOM_CHARTS: dict[str, Callable[[Tables, str], ChartOutput]] = {
    "funding_usd_constant_by_year": chart_funding_usd_constant_by_year,
    "funding_idr_constant_by_year": chart_funding_idr_constant_by_year,
    "register_coverage": chart_register_coverage,
}
STANDARD_CHARTS = {**_drawers(STANDARD_SPECS), **CUSTOM_CHARTS}
COMPARISON_CHARTS = _drawers(COMPARISON_SPECS)
CHART_TABLES = (
    "activities",
    "activity_recipients",
    "programmes_by_sector_year",
    "programmes_by_region_year",
    "programmes_by_modality_year",
)


def __getattr__(name: str) -> Callable[[Tables, str], ChartOutput]:
    """``chart_<name>(tables, lang)`` for every chart, as the notebooks call them."""
    chart = name.removeprefix("chart_")
    if name.startswith("chart_") and chart in SPECS:
        return partial(draw, SPECS[chart])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
