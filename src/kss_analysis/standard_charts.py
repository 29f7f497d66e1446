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

from kss_analysis import caveats, charts
from kss_analysis.aggregate import aggregate_by, top_level
from kss_analysis.charts import Footer
from kss_analysis.counting import SEGMENT_ORDER, amount_rows, counted, participants_countable
from kss_analysis.coverage import NO_FIGURES, coverage_table
from kss_analysis.coverage_chart import plot_coverage
from kss_analysis.labels import text

PERIOD_YEARS = 5
TOP_PARTNERS = 15
MAX_TIE_EXTRA = 5  # a top-N chart shows up to this many extra bars to keep a tie whole
OPEN_INTAKE_COLOUR = "#CC79A7"
SEGMENT_COLOURS = {"approximate_or_unverified": "#88CCEE", "in_kind": "#DDCC77"}  # "stated": the chart's colour
Tables = dict[str, pd.DataFrame]


@dataclass
class ChartOutput:
    figure: Figure
    data: pd.DataFrame  # exactly the plotted numbers
    dataset: str  # processed table the numbers come from
    filters: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # title, subtitle, units, notes, sources, licence, data_date


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
    data = counts.sort_values(["programmes", dim], ascending=[False, True]).reset_index(drop=True)
    return top_with_ties(data, "programmes", spec.filters["top"]) if "top" in spec.filters else data


def top_with_ties(data: pd.DataFrame, value: str, n: int) -> pd.DataFrame:
    """The first ``n`` rows of ``data`` (sorted, largest first) without cutting through a tie.

    Rows tied with the n-th are all kept when that adds at most MAX_TIE_EXTRA rows; otherwise
    the tie is left out whole and a last row (dimension empty, ``also_tied`` = how many) says
    "and K more with V". ``tied_at_cut`` marks the rows tied at the cut.
    """
    if len(data) <= n:
        return data.assign(tied_at_cut=False)
    cut = data[value].iloc[n - 1]
    tied = data[value] == cut
    kept = data[data[value] >= cut]
    if len(kept) <= n + MAX_TIE_EXTRA:
        out = kept.assign(tied_at_cut=tied[kept.index] & (len(kept) > n))
        out.attrs["ties_shown"] = (int(tied.sum()), cut) if len(kept) > n else None
        return out.reset_index(drop=True)
    above = data[data[value] > cut].assign(tied_at_cut=False)
    more = pd.DataFrame([{value: cut, "also_tied": int(tied.sum()), "tied_at_cut": True}])
    out = pd.concat([above, more], ignore_index=True)
    out.attrs["more_tied"] = (int(tied.sum()), cut)
    return out


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


YEARLY_SERIES = {"participants": "series", "amount_idr": "amount_segment", "amount_usd": "amount_segment"}


def _yearly_rows(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    """The rows a yearly measure adds up (counting.py decides), with the series each goes to."""
    acts = t["activities"]
    if spec.measure == "participants":
        rows = counted(acts)
        rows = rows[participants_countable(rows)]
        series = caveats.is_open_intake(rows).map({True: "open_intake", False: "partner_programmes"})
        return rows.assign(series=series, participants=rows["participants"].astype(float))
    currency = spec.measure.removeprefix("amount_").upper()
    rows = amount_rows(acts, currency)
    return rows.assign(**{spec.measure: rows["amount"]})


def _yearly(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    """One measure per year and series, with how many programmes stated it; years inside the
    range with no stated figure are rows with an empty value and ``no_data`` true (not zero)."""
    value, stated = spec.measure, f"programmes_with_{spec.measure}"
    if spec.dataset != "activities":  # a measure of an aggregate table: one series
        table = _programmes(t, spec)
        rows = table[table["year"].notna() & table[value].notna()]
        data = rows.groupby("year", as_index=False).agg(**{value: (value, "sum"), stated: (stated, "sum")})
    else:
        series = YEARLY_SERIES[value]
        rows = _yearly_rows(t, spec)
        rows = rows[rows["year"].notna()]
        data = rows.groupby(["year", series], as_index=False).agg(
            **{value: (value, "sum"), stated: ("activity_id", "nunique")}
        )
    data["year"] = data["year"].astype(int)
    data["no_data"] = False
    if len(data):
        missing = sorted(set(range(data["year"].min(), data["year"].max() + 1)) - set(data["year"]))
        gaps = pd.DataFrame({"year": missing, value: pd.NA, stated: 0, "no_data": True})
        data = pd.concat([data, gaps], ignore_index=True) if missing else data
    order = ["year", *[c for c in data.columns if c not in ("year", value, stated, "no_data")]]
    data = data[[*order, value, stated, "no_data"]].sort_values(order, na_position="first", kind="stable")
    data[value] = data[value].astype("Float64")
    return data.reset_index(drop=True)


SHAPES = {"totals": _totals, "by_period": _by_period, "by_year": _by_year, "yearly": _yearly}


def _note(t: Tables, spec: ChartSpec, data: pd.DataFrame, lang: str) -> str:
    """How many programmes a chart leaves out (undated ones) or stated its measure."""
    if spec.data is not None:
        return ""
    if spec.shape == "yearly" and spec.measure != "participants":  # participants: caveats.participants_caveat
        stated = int(data[f"programmes_with_{spec.measure}"].sum())
        return text("programmes_stating", lang, n=stated, total=len(top_level(t["activities"])))
    if spec.shape == "totals" and data.attrs.get("ties_shown"):
        k, v = data.attrs["ties_shown"]
        return text("ties_shown", lang, k=k, v=charts.format_number(v, lang))
    if spec.shape == "totals" and data.attrs.get("more_tied"):
        k, v = data.attrs["more_tied"]
        return text("more_tied", lang, k=k, v=charts.format_number(v, lang))
    if spec.filters.get("year") == "stated":
        undated = int(top_level(t["activities"])["year"].isna().sum())
        return text("undated_not_shown", lang, n=undated) if undated else ""
    return ""


def input_meta(acts: pd.DataFrame, lang: str, titles: charts.Titles, units: str) -> dict:
    """The sidecar's citation fields for a chart drawn from ``acts`` (see caveats.py)."""
    sources = caveats.chart_sources(acts, lang)
    return {
        "title": titles.title,
        "subtitle": titles.subtitle,
        "units": units,
        "notes": titles.footer.lines(lang)[1:],
        "sources": sources,
        "licence": caveats.licence_line(sources),
        "data_date": caveats.data_date(acts),
    }


def _drawn_activities(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    """The activities a chart is drawn from (a comparison chart: those of its sources)."""
    acts = t["activities"]
    return acts[acts["source"].isin(spec.needs_sources)] if spec.needs_sources else acts


def _caveats(t: Tables, spec: ChartSpec, lang: str) -> tuple[str, ...]:
    """The coverage caveats that apply to a chart (register charts only; see caveats.py)."""
    if spec.needs_sources:
        return ()
    acts = t["activities"]
    found = [caveats.coverage_caveat(acts, lang)]
    if spec.measure == "programmes":  # official counts are counts of programmes, never of money or people
        found.append(caveats.coverage_ratio_caveat(acts, t.get("kss_figures"), lang))
    if spec.measure == "participants":
        found.append(caveats.participants_caveat(acts, lang))
    if spec.shape != "totals":
        found.append(caveats.partial_caveat(acts, lang))
    return tuple(c for c in found if c)


def _series_style(spec: ChartSpec, lang: str) -> dict:
    """Colours and labels of a yearly chart's stacked series (open intakes, amount bases)."""
    if spec.measure == "participants":
        colours = {"partner_programmes": spec.colour, "open_intake": OPEN_INTAKE_COLOUR}
        labels = {
            "partner_programmes": text("series_partner_programmes", lang),
            "open_intake": text("series_open_intake", lang),
        }
    else:
        colours = {s: SEGMENT_COLOURS.get(s, spec.colour) for s in SEGMENT_ORDER}
        labels = {s: text(f"segment_{s}", lang) for s in SEGMENT_ORDER}
    return {"series": YEARLY_SERIES[spec.measure], "series_colours": colours, "series_labels": labels}


def draw(spec: ChartSpec, t: Tables, lang: str) -> ChartOutput:
    """The chart ``spec`` describes, drawn from the processed tables ``t`` in ``lang``."""
    data = spec.data(t, lang) if spec.data is not None else SHAPES[spec.shape](t, spec)
    drawn = _drawn_activities(t, spec)
    sources = caveats.chart_sources(drawn, lang)
    footer = Footer(
        caveats.source_line(sources) or text(spec.source, lang),
        text(spec.measure_text, lang),
        tuple(text(b, lang) for b in spec.basis),
        _note(t, spec, data, lang),
        _caveats(t, spec, lang),
    )
    common = {
        "lang": lang,
        "titles": charts.Titles(
            text(f"title_{spec.name}", lang), text(f"subtitle_{spec.name}", lang, n=spec.filters.get("top")), footer
        ),
    }
    axis_label = text(spec.unit or spec.measure, lang)
    partial = caveats.partial_year(drawn) if not spec.needs_sources else None
    if spec.shape == "totals":
        bars = data[data[spec.dimension].notna()] if "also_tied" in data.columns else data
        fig = charts.plot_bars(
            bars, category=spec.dimension, value=spec.measure, kind=spec.dimension, x_label=axis_label, **common
        )
    elif spec.shape == "yearly":
        style = _series_style(spec, lang) if spec.data is None and spec.dataset == "activities" else {}
        fig = charts.plot_by_year(
            data,
            value=spec.measure,
            scale=spec.scale,
            colour=spec.colour,
            y_label=axis_label,
            partial_year=partial,
            **style,
            **common,
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
            partial_year=partial,
            **common,
        )
    meta = {
        "title": common["titles"].title,
        "subtitle": common["titles"].subtitle,
        "units": axis_label,
        "notes": footer.lines(lang)[1:],
        "sources": sources,
        "licence": caveats.licence_line(sources),
        "data_date": caveats.data_date(drawn),
    }
    return ChartOutput(fig, data, spec.dataset, spec.sidecar_filters, meta)


AMOUNT_BASIS = {"amount_basis": "not planned, not cumulative"}


def _amount_spec(currency: str, *, unit: str, scale: float, colour: str) -> ChartSpec:
    """Amounts in one currency by year: currencies are never added, so one chart each."""
    code = currency.lower()
    return ChartSpec(
        f"amount_{code}_by_year",
        "activities",
        "yearly",
        measure=f"amount_{code}",
        measure_text=f"measure_{code}",
        basis=("basis_overlap", "basis_amounts"),
        notes={**AMOUNT_BASIS, "currency": currency},
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
        "activities",
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
    registers = caveats.source_line(caveats.chart_sources(acts, lang))
    bases = acts[base_column].dropna().unique()
    base = int(bases[0]) if len(bases) == 1 else None  # one base year per build
    scale, unit = (1e6, "million_usd_constant") if currency == "usd" else (1e9, "billion_idr_constant")
    plotted = f"{value}_{'million' if currency == 'usd' else 'billion'}"
    data = totals.assign(**{plotted: totals[value] / scale})
    titles = charts.Titles(
        text(f"title_funding_{currency}_constant_by_year", lang, base=base),
        text(f"subtitle_funding_{currency}_constant_by_year", lang, base=base),
        Footer(
            f"{registers}; {text('source_money', lang)}",
            text(f"measure_{currency}_constant", lang, base=base),
            (text("basis_overlap", lang), text("basis_amounts", lang)),
            _not_converted_note(unconverted, lang),
        ),
    )
    fig = charts.plot_stacked_by_period(
        data,
        period="year",
        category="amount_basis",
        value=plotted,
        kind="amount_basis",
        lang=lang,
        titles=titles,
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
    return ChartOutput(fig, data, "activities", filters, input_meta(acts, lang, titles, text(unit, lang, base=base)))


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
    registers = caveats.source_line(caveats.chart_sources(t["activities"], lang)) if "source" in t["activities"] else ""
    titles = charts.Titles(
        text("title_register_coverage", lang),
        text("subtitle_register_coverage", lang),
        Footer(
            "; ".join(filter(None, (registers, text("source_coverage", lang, ids=ids)))),
            text("measure_coverage", lang),
            (text("basis_coverage_years", lang), text("basis_coverage_left_out", lang)),
        ),
    )
    fig = plot_coverage(data, lang=lang, title=titles.title, subtitle=titles.subtitle, footer=titles.footer)
    meta = input_meta(t["activities"], lang, titles, text("coverage_axis", lang)) if registers else {}
    return ChartOutput(fig, data, "activities", {"parent_activity_id": "none", "official": "kss_figures"}, meta)


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
