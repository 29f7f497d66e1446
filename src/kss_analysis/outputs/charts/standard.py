"""The standard charts as data: one ``ChartSpec`` per chart and one function that draws any spec.

A spec names the processed table the numbers come from, the dimension (colour and label
codes), the shape (how the numbers are made and drawn: totals, five-year periods, years, a
coverage bar, a map), the measure, the counting basis printed in the footer and the row
filters. Titles and subtitles come from reference/chart_text.csv under ``title_<name>`` and
``subtitle_<name>``, colours from the code tables. Charts no counting shape describes (money
in constant prices, coverage of official counts, maps) give their numbers, footer note and
text values as functions in their spec. Adding a chart = one entry in STANDARD_SPECS (or
COMPARISON_SPECS) plus its EN/ID text. ``chart_<name>(tables, lang)`` draws any chart by name
(the notebooks call them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pandas as pd
from matplotlib.figure import Figure

from kss_analysis.build.aggregate import PERIOD_YEARS, aggregate_by, period_of, top_level
from kss_analysis.core.labels import text
from kss_analysis.outputs.charts import caveats, maps
from kss_analysis.outputs.charts import style as charts
from kss_analysis.outputs.charts.coverage import plot_coverage
from kss_analysis.outputs.charts.map_charts import (
    map_note,
    map_panels,
    map_values,
    partner_map_by_period_table,
    partner_map_table,
)
from kss_analysis.outputs.charts.style import Footer
from kss_analysis.outputs.coverage import NO_FIGURES, coverage_table
from kss_analysis.rules.counting import SEGMENT_ORDER, amount_rows, counted, participants_countable

__all__ = ["PERIOD_YEARS", "ChartOutput", "ChartSpec", "draw", "period_of", "top_with_ties"]
TOP_PARTNERS = 15
MAX_TIE_EXTRA = 5  # a top-N chart shows up to this many extra bars to keep a tie whole
OPEN_INTAKE_COLOUR = "#CC79A7"
# Two amount bases in one segment: a colour of its own. "stated" and "in_kind" are amount bases and
# take their colour from reference/amount_bases.csv, as in every other chart.
SEGMENT_COLOURS = {"approximate_or_unverified": "#88CCEE"}
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
    data: Callable[[Tables, str], pd.DataFrame] | None = None  # for charts no shape describes
    period: str = "period"  # column on the x axis of a stacked chart made by ``data``
    # Charts whose text depends on the data (the price base year, the official counts used):
    text_values: Callable[[Tables, pd.DataFrame], dict] | None = None  # values for titles, measure, unit
    extra_source: str | None = None  # chart_text key added to the footer's source line
    note: Callable[[Tables, pd.DataFrame, str], str] | None = None  # the footer note of a ``data`` chart
    extra_filters: Callable[[Tables], dict] | None = None  # sidecar filters known only from the data
    register_caveats: bool = True  # thin years, participants and partial-year caveats (caveats.py)
    whole_numbers: bool = True  # value axis ticks on whole numbers (counts) on a stacked chart

    @property
    def sidecar_filters(self) -> dict:
        return {**self.filters, **self.notes}


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


def _measure_of(rows: pd.DataFrame, spec: ChartSpec) -> str:
    """The column holding the spec's measure; a measure the rows do not hold is refused, never
    replaced by another (a participants chart never silently draws programme counts)."""
    if spec.measure not in rows.columns:
        held = ", ".join(c for c in rows.columns if c in MEASURE_COLUMNS) or "none"
        raise ValueError(
            f"chart {spec.name}: cannot draw measure {spec.measure!r} as a {spec.shape} chart of {spec.dataset} "
            f"(measures there: {held})"
        )
    return spec.measure


# Measures an aggregate table or a counted frame can hold; activity rows are counted as programmes.
MEASURE_COLUMNS = ("programmes", "participants", "amount_idr", "amount_usd", "amount_usd_constant")


def _totals(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    rows, dim = _programmes(t, spec), spec.dimension
    if spec.dataset in ("activities", "activity_recipients"):
        counts = (
            rows.groupby(dim, as_index=False)["activity_id"].nunique().rename(columns={"activity_id": "programmes"})
        )
        value = _measure_of(counts, spec)
    else:
        value = _measure_of(rows, spec)
        counts = rows.groupby(dim, as_index=False)[value].sum()
    data = counts.sort_values([value, dim], ascending=[False, True]).reset_index(drop=True)
    return top_with_ties(data, value, spec.filters["top"]) if "top" in spec.filters else data


def _organisations(t: Tables, lang: str, *, dimension: str, filters: dict) -> pd.DataFrame:
    """Programmes per organisation named in ``dimension`` of the filtered top-level programmes
    (names resolved and split as outputs/organisations.py says)."""
    from kss_analysis.core.organisations import partner_counts

    return partner_counts(_select(top_level(t["activities"]), filters), dimension, lang)


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
    value = _measure_of(dated, spec)
    dated["period"] = dated["year"].astype(int).map(period_of)
    return (
        dated.groupby(["period", spec.dimension], as_index=False)[value]
        .sum()
        .sort_values(["period", spec.dimension])
        .reset_index(drop=True)
    )


def _by_year(t: Tables, spec: ChartSpec) -> pd.DataFrame:
    if spec.dimension is None:
        raise ValueError(f"chart {spec.name}: a by_year chart needs a dimension")
    rows = _programmes(t, spec)
    table = aggregate_by(rows, spec.dimension) if spec.dataset == "activities" else rows
    return table[["year", spec.dimension, _measure_of(table, spec)]].reset_index(drop=True)


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


def implementer_types_named(t: Tables, lang: str) -> str:
    """How many counted programmes name who ran them (the implementer chart shows only those)."""
    programmes = top_level(t["activities"])
    named = int(programmes["implementer_type"].notna().sum())
    share = charts.format_number(100 * named / len(programmes), lang, decimals=1) + "%" if len(programmes) else "-"
    return text("implementer_types_named", lang, n=named, total=len(programmes), share=share)


def _note(t: Tables, spec: ChartSpec, data: pd.DataFrame, lang: str) -> str:
    """How many programmes a chart leaves out (undated ones) or stated its measure."""
    if spec.note is not None:
        return spec.note(t, data, lang)
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
    acts, found = t["activities"], []
    if spec.register_caveats:
        found.append(caveats.coverage_caveat(acts, lang))
    if spec.measure == "programmes":  # official counts are counts of programmes, never of money or people
        found.append(caveats.coverage_ratio_caveat(acts, t.get("kss_figures"), lang))
    if spec.register_caveats and spec.measure == "participants":
        found.append(caveats.participants_caveat(acts, lang))
    if spec.register_caveats and spec.shape != "totals":
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
        colours = {s: SEGMENT_COLOURS.get(s) or charts.colour_of("amount_basis", s) for s in SEGMENT_ORDER}
        labels = {s: text(f"segment_{s}", lang) for s in SEGMENT_ORDER}
    return {"series": YEARLY_SERIES[spec.measure], "series_colours": colours, "series_labels": labels}


def _plot_bars(spec: ChartSpec, data: pd.DataFrame, common: dict, axis_label: str, partial: int | None) -> Figure:
    bars = data[data[spec.dimension].notna()] if "also_tied" in data.columns else data
    names = f"{spec.dimension}_label"  # names made with the data (organisations), else labels of codes
    return charts.plot_bars(
        bars,
        category=spec.dimension,
        value=spec.measure,
        kind=spec.dimension,
        x_label=axis_label,
        label_column=names if names in bars.columns else None,
        **common,
    )


def _plot_yearly(spec: ChartSpec, data: pd.DataFrame, common: dict, axis_label: str, partial: int | None) -> Figure:
    style = _series_style(spec, common["lang"]) if spec.data is None and spec.dataset == "activities" else {}
    return charts.plot_by_year(
        data,
        value=spec.measure,
        scale=spec.scale,
        colour=spec.colour,
        y_label=axis_label,
        partial_year=partial,
        **style,
        **common,
    )


def _empty_slots(data: pd.DataFrame, lang: str) -> dict:
    """Years a constant-price chart cannot fill (no deflator yet) -> their label in ``lang``."""
    if "price_status" not in data.columns:
        return {}
    waiting = data[data["price_status"] != CONSTANT_PRICES]
    return {
        int(y): text(f"price_status_{s}", lang) for y, s in zip(waiting["year"], waiting["price_status"], strict=True)
    }


def _plot_stacked(spec: ChartSpec, data: pd.DataFrame, common: dict, axis_label: str, partial: int | None) -> Figure:
    return charts.plot_stacked_by_period(
        data,
        period="year" if spec.shape == "by_year" else spec.period,
        category=spec.dimension,
        value=spec.measure,
        kind=spec.dimension,
        y_label=axis_label,
        partial_year=partial,
        whole_numbers=spec.whole_numbers,
        empty_slots=_empty_slots(data, common["lang"]),
        **common,
    )


def _figure_text(common: dict) -> dict:
    titles = common["titles"]
    return {"lang": common["lang"], "title": titles.title, "subtitle": titles.subtitle, "footer": titles.footer}


def _plot_coverage(spec: ChartSpec, data: pd.DataFrame, common: dict, axis_label: str, partial: int | None) -> Figure:
    return plot_coverage(data, **_figure_text(common))


def _plot_map(spec: ChartSpec, data: pd.DataFrame, common: dict, axis_label: str, partial: int | None) -> Figure:
    return maps.plot_choropleth(map_values(data), legend_title=axis_label, **_figure_text(common))


def _plot_map_panels(spec: ChartSpec, data: pd.DataFrame, common: dict, axis_label: str, partial: int | None) -> Figure:
    return maps.plot_choropleth_panels(map_panels(data), legend_title=axis_label, **_figure_text(common))


# How each shape is drawn (its numbers come from SHAPES, or from the spec's ``data``).
PLOTS = {
    "totals": _plot_bars,
    "yearly": _plot_yearly,
    "by_year": _plot_stacked,
    "by_period": _plot_stacked,
    "by_source": _plot_stacked,
    "coverage": _plot_coverage,
    "map": _plot_map,
    "map_by_period": _plot_map_panels,
}


def draw(spec: ChartSpec, t: Tables, lang: str) -> ChartOutput:
    """The chart ``spec`` describes, drawn from the processed tables ``t`` in ``lang``."""
    data = spec.data(t, lang) if spec.data is not None else SHAPES[spec.shape](t, spec)
    drawn = _drawn_activities(t, spec)
    values = {"n": spec.filters.get("top"), **(spec.text_values(t, data) if spec.text_values else {})}
    source = caveats.source_line(caveats.chart_sources(drawn, lang)) or text(spec.source, lang)
    if spec.extra_source:
        source = f"{source}; {text(spec.extra_source, lang, **values)}"
    footer = Footer(
        source,
        text(spec.measure_text, lang, **values),
        tuple(text(b, lang) for b in spec.basis),
        _note(t, spec, data, lang),
        _caveats(t, spec, lang),
    )
    titles = charts.Titles(
        text(f"title_{spec.name}", lang, **values), text(f"subtitle_{spec.name}", lang, **values), footer
    )
    axis_label = text(spec.unit or spec.measure, lang, **values)
    partial = caveats.partial_year(drawn) if spec.register_caveats and not spec.needs_sources else None
    fig = PLOTS[spec.shape](spec, data, {"lang": lang, "titles": titles}, axis_label, partial)
    filters = {**spec.sidecar_filters, **(spec.extra_filters(t) if spec.extra_filters else {})}
    return ChartOutput(fig, data, spec.dataset, filters, input_meta(drawn, lang, titles, axis_label))


AMOUNT_BASIS = {"amount_basis": "not planned, not cumulative"}
TRIANGULAR = {"cooperation_type": "triangular"}


def _amount_spec(currency: str, *, unit: str, scale: float) -> ChartSpec:
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
        "programmes_by_implementer_type",
        "activities",
        "totals",
        "implementer_type",
        filters={"implementer_type": "named"},
        note=lambda t, data, lang: implementer_types_named(t, lang),
    ),
    ChartSpec(
        "participants_by_year",
        "activities",
        "yearly",
        measure="participants",
        measure_text="measure_participants",
        notes={"participants": "stated, not cumulative"},
        colour="#009E73",
    ),
    _amount_spec("IDR", unit="billion_idr", scale=1e9),
    _amount_spec("USD", unit="million_usd", scale=1e6),
    ChartSpec(
        "triangular_partners",
        "activities",
        "totals",
        "triangular_partner",
        basis=("basis_overlap", "basis_partners"),
        filters=TRIANGULAR,
        notes={"triangular_partner": "split at ';', resolved through reference/organisations.csv"},
        data=partial(_organisations, dimension="triangular_partner", filters=TRIANGULAR),
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
    from kss_analysis.outputs.comparison import compare_region_shares

    shares = compare_region_shares(t["activities"], t["activity_recipients"])
    return shares.assign(source=shares["source_id"].map(lambda source: text(f"source_label_{source}", lang)))


def _gcof_usd(t: Tables, lang: str) -> pd.DataFrame:
    from kss_analysis.outputs.comparison import usd_by_year

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


def _price_base(acts: pd.DataFrame, currency: str) -> int | None:
    bases = acts["price_base_year" if currency == "USD" else "idr_price_base_year"].dropna().unique()
    return int(bases[0]) if len(bases) == 1 else None  # one base year per build


CONSTANT_PRICES, NO_DEFLATOR_YET = "constant_prices", "no_deflator_yet"  # price_status of a constant-price row


def _constant_funding(t: Tables, lang: str, currency: str) -> pd.DataFrame:
    """Stated register funding by year in constant prices, stacked by amount basis (see money.py).

    A year whose stated amounts cannot be put in constant prices because the deflator does not
    reach it yet (the newest years) is one row with an empty amount basis and amount and
    ``price_status`` 'no_deflator_yet': the chart draws it as an empty slot, never as zero and
    never with an invented deflator. Every other row has ``price_status`` 'constant_prices'.
    """
    from kss_analysis.build.money import NO_DEFLATOR_FOR_YEAR, NO_IDR_DEFLATOR_FOR_YEAR, funding_by_year

    value = f"amount_{currency.lower()}_constant"
    totals, unconverted = funding_by_year(t["activities"], value)
    waiting = unconverted[
        unconverted["reason"].isin([NO_DEFLATOR_FOR_YEAR, NO_IDR_DEFLATOR_FOR_YEAR]) & unconverted["year"].notna()
    ]
    years = sorted({int(y) for y in waiting["year"]} - {int(y) for y in totals["year"]})
    slots = pd.DataFrame({"year": years, "amount_basis": None, value: float("nan"), "amounts": pd.NA})
    data = pd.concat(
        [totals.assign(price_status=CONSTANT_PRICES), slots.assign(price_status=NO_DEFLATOR_YET)], ignore_index=True
    ).astype({"year": totals["year"].dtype, "amounts": "Int64", value: "float64"})
    data = data.sort_values(["year", "amount_basis"], na_position="last", kind="stable").reset_index(drop=True)
    scale, word = (1e6, "million") if currency == "USD" else (1e9, "billion")
    return data.assign(**{f"{value}_{word}": data[value] / scale})[
        ["year", "amount_basis", value, "amounts", f"{value}_{word}", "price_status"]
    ]


def _unconverted(t: Tables, currency: str) -> pd.DataFrame:
    from kss_analysis.build.money import funding_by_year

    return funding_by_year(t["activities"], f"amount_{currency.lower()}_constant")[1]


def _constant_funding_filters(t: Tables, currency: str) -> dict:
    acts = t["activities"]
    return {
        "price_base_year": _price_base(acts, currency),
        "not_converted": int(_unconverted(t, currency)["amounts"].sum()),
        **{c: sorted(acts[c].dropna().unique()) for c in ("fx_source", "deflator_source")},
    }


def _constant_funding_spec(currency: str, unit: str) -> ChartSpec:
    """Register funding by year in constant prices of one currency (never added to another)."""
    code = currency.lower()
    return ChartSpec(
        f"funding_{code}_constant_by_year",
        "activities",
        "by_year",
        "amount_basis",
        measure=f"amount_{code}_constant_{unit.split('_')[0]}",
        measure_text=f"measure_{code}_constant",
        basis=("basis_overlap", "basis_amounts"),
        notes=AMOUNT_BASIS,
        unit=unit,
        data=partial(_constant_funding, currency=currency),
        text_values=lambda t, data: {"base": _price_base(t["activities"], currency)},
        extra_source="source_money",
        note=lambda t, data, lang: _not_converted_note(_unconverted(t, currency), lang),
        extra_filters=partial(_constant_funding_filters, currency=currency),
        register_caveats=False,  # its note says which amounts are left out
        whole_numbers=False,
    )


def _coverage(t: Tables, lang: str) -> pd.DataFrame:
    # Without the figures register (a user's own registers only) there are no official counts: no bars.
    return coverage_table(t["activities"], t.get("kss_figures", NO_FIGURES))


# Register charts no counting shape describes: money in constant prices, coverage of official counts, maps.
DERIVED_SPECS = (
    _constant_funding_spec("USD", "million_usd_constant"),
    _constant_funding_spec("IDR", "billion_idr_constant"),
    ChartSpec(
        "register_coverage",
        "activities",
        "coverage",
        measure="ratio",
        measure_text="measure_coverage",
        basis=("basis_coverage_years", "basis_coverage_left_out"),
        notes={"parent_activity_id": "none", "official": "kss_figures"},
        unit="coverage_axis",
        data=_coverage,
        text_values=lambda t, data: {"ids": ", ".join(data["figure_id"]) or "-"},
        extra_source="source_coverage",
        register_caveats=False,
    ),
    ChartSpec(
        "partner_map",
        "activity_recipients",
        "map",
        basis=("basis_country_count", "basis_overlap", "map_classes"),
        filters={"recipient_iso3": "named"},
        data=partner_map_table,
        note=map_note,
        register_caveats=False,  # the map's own note says what the register covers
    ),
    ChartSpec(
        "partner_map_by_period",
        "activity_recipients",
        "map_by_period",
        basis=("basis_country_count", "basis_overlap", "map_classes"),
        filters={"recipient_iso3": "named", "year": "stated"},
        data=partner_map_by_period_table,
        note=map_note,
        register_caveats=False,
    ),
)


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


def _drawers(specs: tuple[ChartSpec, ...]) -> dict[str, Callable[[Tables, str], ChartOutput]]:
    return {spec.name: partial(draw, spec) for spec in specs}


REGISTER_SPECS = (*STANDARD_SPECS, *DERIVED_SPECS)  # every chart of the KSS registers
SPECS = {spec.name: spec for spec in (*REGISTER_SPECS, *COMPARISON_SPECS)}
STANDARD_CHARTS = _drawers(REGISTER_SPECS)
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
