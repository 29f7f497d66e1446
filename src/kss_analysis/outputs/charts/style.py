"""House-style charts in English or Bahasa Indonesia.

Every ``plot_*`` takes a tidy frame and returns a Figure with a title, a subtitle and a
footer naming source, measure and counting basis. A sector theme or region keeps its
colour in every chart (colour-blind-safe palettes: Okabe-Ito for regions, Paul Tol's
muted scheme for sector themes).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from kss_analysis.core import reference
from kss_analysis.core.config import PACKAGE_DIR
from kss_analysis.core.labels import CODE_TABLES, label, text
from kss_analysis.outputs.charts.layout import fit_x_labels, period_label

STYLE = PACKAGE_DIR / "styles" / "kss.mplstyle"
NOT_STATED_COLOUR = "#BBBBBB"  # "not stated" is not a code of any table, so it has no row to carry a colour
# Categories that have no code table (named partners, countries) are all drawn in this one colour.
UNCODED_COLOUR = "#0072B2"


def colours(kind: str) -> dict[str, str]:
    """Code -> colour for a coded dimension, in the reference table's order; {} for uncoded ones."""
    table = CODE_TABLES.get(kind)
    if table is None:
        return {}
    return {**reference.colours(table), "not_stated": NOT_STATED_COLOUR}


def colour_of(kind: str, code: str) -> str:
    """A coded dimension's colour; a code missing from its reference table is an error, not a guess."""
    table = colours(kind)
    if not table:
        return UNCODED_COLOUR
    if code not in table:
        raise KeyError(f"reference/{CODE_TABLES[kind]}.csv has no colour for {kind} '{code}'")
    return table[code]


def format_number(value: float, lang: str, decimals: int = 0) -> str:
    """1234.5 -> '1,234.5' (en) or '1.234,5' (id)."""
    formatted = f"{value:,.{decimals}f}"
    if lang == "id":
        formatted = formatted.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return formatted


def format_amount(value: float, currency: str, lang: str) -> str:
    """Readable money: 'Rp 17,2 miliar' / 'IDR 17.2 billion', 'USD 1,2 juta' / 'USD 1.2 million'."""
    scales = [(1e12, "triliun", "trillion"), (1e9, "miliar", "billion"), (1e6, "juta", "million")]
    prefix = "Rp" if (currency == "IDR" and lang == "id") else currency
    for size, word_id, word_en in scales:
        if abs(value) >= size:
            number = format_number(value / size, lang, 1 if value % size else 0)
            return f"{prefix} {number} {word_id if lang == 'id' else word_en}"
    return f"{prefix} {format_number(value, lang)}"


@dataclass(frozen=True)
class Footer:
    """What a chart shows and how it was counted; printed under the chart."""

    source: str
    measure: str
    basis: tuple[str, ...] = ()
    note: str = ""
    caveats: tuple[str, ...] = ()  # coverage caveats that apply to this chart (caveats.py)

    def lines(self, lang: str) -> list[str]:
        """Source, measure, basis, note and caveats, one sentence each, each ending in a full stop."""
        parts = [f"{text('source', lang)}: {_stop(self.source)}", f"{text('measure', lang)}: {_stop(self.measure)}"]
        if self.basis:
            parts.append(f"{text('basis', lang)}: {_stop('; '.join(self.basis))}")
        return parts + [_stop(p) for p in (self.note, *self.caveats) if p]

    def render(self, lang: str) -> str:
        return "\n".join(textwrap.fill(p, 130) for p in self.lines(lang))


def _stop(sentence: str) -> str:
    """Every footer line ends with a full stop, once."""
    return sentence if sentence.endswith((".", "?", "!")) else sentence + "."


def _positions(periods) -> list[float]:
    """Years sit at their own value (gaps stay visible); period labels sit side by side."""
    values = list(periods)
    if all(isinstance(v, (int, float)) or hasattr(v, "__index__") for v in values):
        return [float(v) for v in values]
    return list(range(len(values)))


def _period_ticks(ax: plt.Axes, periods, lang: str = "en", partial_year: int | None = None) -> None:
    """Year ticks (every year up to 15 years, else every fifth) or two-line period labels;
    a partial last period reads '2025–' over 'to date'."""
    values = list(periods)
    positions = _positions(values)
    if values and positions == [float(v) for v in values if not isinstance(v, str)]:
        first, last = int(min(values)), int(max(values))
        step = 1 if last - first <= 15 else 5
        ticks = [y for y in range(first - first % step, last + 1, step) if y >= first]
        ax.set_xticks(ticks, [str(y) for y in ticks])
        ax.set_xlim(first - 0.8, last + 0.8)
    else:
        to_date = text("to_date", lang)
        labels = [
            period_label(v, to_date if partial_year is not None and str(v).startswith(str(partial_year)) else None)
            for v in values
        ]
        ax.set_xticks(positions, labels)


PARTIAL_PT = 7  # size of the 'to date' mark


def _mark_partial(ax: plt.Axes, year: int | None, top: float, lang: str) -> float:
    """'to date' over the bar of a year whose data are not complete, upright so that it stays
    within the bar's width (level, it ran over the taller bar beside it).

    Returns how high the value axis must reach for the mark to stay inside the axes (an
    estimate from the text's length and the axes' height before layout)."""
    if year is None:
        return 0.0
    return _upright_mark(ax, year, top, text("to_date", lang))


def _upright_mark(ax: plt.Axes, x: float, top: float, words: str) -> float:
    """``words`` upright above the point (x, top); returns how high the value axis must reach."""
    ax.annotate(
        words,
        (x, top),
        xytext=(0, 2),
        textcoords="offset points",
        ha="center",
        va="bottom",
        rotation=90,
        fontsize=PARTIAL_PT,
        color="#555555",
    )
    mark_pt = 4 + 0.65 * PARTIAL_PT * len(words)  # offset, a margin and the upright text (DejaVu Sans ~0.6 em a letter)
    fig = ax.get_figure(root=True)
    axes_pt = ax.get_position().height * (fig.get_figheight() if fig else 4.8) * 72
    return top / (1 - min(mark_pt / max(axes_pt, 1.0), 0.5))


FOOTER_LINE_PT = 7 * 1.35  # footer font size x line spacing


def _footer_height(footer: str, fig: Figure) -> float:
    """Share of the figure height the footer needs (one share per line, plus a margin)."""
    lines = footer.count("\n") + 1
    return min(0.45, (lines * FOOTER_LINE_PT + 10) / (fig.get_figheight() * 72))


HEADROOM = 0.04  # the tallest bar ends at least this share of its height below the end of the value axis


def fit_value_axis(ax: plt.Axes, top: float, axis: str = "y") -> None:
    """The value axis runs from 0 past the tallest bar (stacked total) ``top``: the bar ends
    below the axis end and the last tick drawn is at or above the bar, so no bar looks cut off.

    The axis ends on the first tick above the bar plus HEADROOM, or a little past a tick that
    the bar just reaches. The ticks are then fixed: a layout pass that resizes the axes cannot
    make the locator drop the top one."""
    value_axis = ax.yaxis if axis == "y" else ax.xaxis
    set_limits = ax.set_ylim if axis == "y" else ax.set_xlim
    top = max(float(top), 0.0)
    wanted = top * (1 + HEADROOM) if top > 0 else 1.0
    locator = value_axis.get_major_locator()
    for _ in range(5):  # a new range can make the locator choose another step: check the ticks it draws
        above = [float(t) for t in locator.tick_values(0, wanted) if t >= top]
        upper = max(min(above), wanted) if above else wanted
        set_limits(0, upper)
        drawn = [float(t) for t in locator() if 0 <= t <= upper]
        if drawn and max(drawn) >= top:
            break
        wanted = upper * (1 + HEADROOM)
    value_axis.set_major_locator(FixedLocator(drawn))


@dataclass(frozen=True)
class Titles:
    """The words around a chart: title, subtitle and the footer (source, measure, basis)."""

    title: str
    subtitle: str
    footer: Footer


def _new_figure(titles: Titles, lang: str, height: float | None = None) -> tuple[Figure, plt.Axes]:
    """A figure with title, subtitle and footer; the axes fill the space between.

    ``height`` (inches) replaces the style's height, e.g. for a chart with many bars."""
    title, subtitle, footer = titles.title, titles.subtitle, titles.footer.render(lang)
    engine = ConstrainedLayoutEngine()  # what layout="constrained" makes, kept to set its rect
    fig = Figure(layout=engine)
    if height is not None:
        fig.set_figheight(height)
    height = _footer_height(footer, fig)
    engine.set(rect=(0, height, 1, 1 - height))
    ax = fig.add_subplot()
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    ax.set_title(subtitle, fontsize=10, fontweight="normal", color="#444444")
    fig.text(0.01, 0.01, footer, ha="left", va="bottom", fontsize=7, color="#555555")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, lang, 0 if float(v).is_integer() else 1)))
    return fig, ax


def _styled(func):
    """Draw inside the house style (rcParams are read when artists are made)."""

    def wrapper(*args, **kwargs):
        with plt.style.context(STYLE):
            return func(*args, **kwargs)

    wrapper.__doc__, wrapper.__name__ = func.__doc__, func.__name__
    return wrapper


@_styled
def plot_stacked_by_period(
    frame: pd.DataFrame,
    *,
    period: str,
    category: str,
    value: str,
    kind: str,
    lang: str,
    titles: Titles,
    y_label: str,
    partial_year: int | None = None,
    whole_numbers: bool = True,
    empty_slots: dict | None = None,
) -> Figure:
    """Stacked bars: one bar per period (year or five-year span), one colour per category.

    ``frame`` is tidy: one row per period x category with the plotted ``value``. Only periods
    in ``frame`` are drawn; ``partial_year`` marks a last year (or period) with data to date.
    ``whole_numbers`` puts the value ticks on whole numbers (counts). ``empty_slots`` (period
    -> words) are periods with no bar that say why on the chart (e.g. 'no deflator yet'): a
    hatched outline at the axis and the words upright above it.
    """
    fig, ax = _new_figure(titles, lang)
    table = frame.pivot_table(index=period, columns=category, values=value, aggfunc="sum", fill_value=0, observed=True)
    slots = empty_slots or {}
    table = table.reindex(sorted({*table.index, *slots}), fill_value=0)  # an empty slot keeps its place on the axis
    known = colours(kind)
    order = [c for c in known if c in table.columns] + sorted(c for c in table.columns if c not in known)
    bottom = pd.Series(0.0, index=table.index)
    positions = _positions(table.index)
    for code in order:
        heights = table[code].astype(float)
        ax.bar(
            positions,
            heights,
            bottom=bottom,
            color=colour_of(kind, code),
            label=label(kind, code, lang),
            width=0.8,
            edgecolor="white",
            linewidth=0.3,
        )
        bottom += heights
    _period_ticks(ax, table.index, lang, partial_year)
    reach = (
        _mark_partial(ax, partial_year, float(bottom[partial_year]), lang)
        if period == "year" and partial_year in table.index
        else 0.0
    )
    reach = max(reach, _draw_empty_slots(ax, slots, float(bottom.max()) if len(bottom) else 0.0))
    ax.yaxis.set_major_locator(MaxNLocator(integer=whole_numbers))
    fit_value_axis(ax, max(float(bottom.max()) if len(bottom) else 0.0, reach))
    ax.set_ylabel(y_label)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fit_x_labels(fig)
    return fig


EMPTY_SLOT_SHARE = 0.04  # height of an empty slot's outline, as a share of the tallest bar


def _draw_empty_slots(ax: plt.Axes, slots: dict, tallest: float) -> float:
    """A hatched outline at each empty slot and its words upright above it (the reason no bar
    is drawn, in the chart's language); returns how high the value axis must reach."""
    if not slots:
        return 0.0
    base = max(tallest, 1.0) * EMPTY_SLOT_SHARE
    positions = list(slots)
    ax.bar(positions, [base] * len(positions), width=0.7, color="none", edgecolor=NOT_STATED_COLOUR, hatch="////",
           linewidth=0.8)  # fmt: skip
    return max(_upright_mark(ax, x, base, words) for x, words in slots.items())


BAR_LABEL_CHARS = 40  # a longer category name is wrapped onto lines of at most this many characters
BAR_LINE_IN = 0.17  # inches of axes per line of a category label (9 pt text and its spacing)
BAR_GAP_IN = 0.07  # inches between the labels of two bars
BAR_FIGURE_IN = 2.2  # inches of title, subtitle, value axis and margins around the bars


def bars_height(labels: list[str], footer: Footer, lang: str) -> float:
    """Figure height (inches) that gives every bar's label its own room, at least the style's:
    bars are evenly spaced, so each gets the room of the longest label."""
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    footer_in = (footer.render(lang).count("\n") + 1) * FOOTER_LINE_PT / 72
    bars_in = len(labels) * (lines * BAR_LINE_IN + BAR_GAP_IN)
    return max(plt.rcParams["figure.figsize"][1], BAR_FIGURE_IN + footer_in + bars_in)


@_styled
def plot_bars(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    kind: str,
    lang: str,
    titles: Titles,
    x_label: str,
    label_column: str | None = None,
) -> Figure:
    """Horizontal bars, largest first: one row of ``frame`` per bar.

    Bars are named by ``label_column`` when given (names made with the data), else by the
    label of their code; long names are wrapped, and the figure grows with the number of bars.
    """
    data = frame.sort_values([value, category], ascending=[True, False])
    names = data[label_column] if label_column else [label(kind, c, lang) for c in data[category]]
    names = [textwrap.fill(str(n), BAR_LABEL_CHARS) for n in names]
    fig, ax = _new_figure(titles, lang, bars_height(names, titles.footer, lang))
    positions = range(len(data))
    values = data[value].astype(float)
    ax.barh(positions, values, color=[colour_of(kind, c) for c in data[category]])
    ax.set_yticks(list(positions), names)
    ax.set_ylim(-0.6, len(data) - 0.4)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, lang)))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for y, v in enumerate(values):
        ax.annotate(format_number(v, lang), (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    fit_value_axis(ax, float(values.max()) if len(values) else 0.0, axis="x")
    ax.set_xlabel(x_label)
    return fig


@_styled
def plot_by_year(
    frame: pd.DataFrame,
    *,
    value: str,
    lang: str,
    titles: Titles,
    y_label: str,
    colour: str,
    scale: float = 1.0,
    series: str | None = None,
    series_colours: dict[str, str] | None = None,
    series_labels: dict[str, str] | None = None,
    partial_year: int | None = None,
) -> Figure:
    """Bars of one measure by year; ``scale`` divides values for display (e.g. 1e9 for billions).

    With ``series`` the bars are stacked by that column (colours and labels given). Years
    whose ``no_data`` column is true are drawn as a hatched 'no data' marker, not as zero.
    """
    fig, ax = _new_figure(titles, lang)
    data = frame.sort_values("year")
    gaps = data[data["no_data"].astype(bool)] if "no_data" in data.columns else data.iloc[0:0]
    stated = data.drop(gaps.index)
    if series is None:
        ax.bar(_positions(stated["year"]), stated[value].astype(float) / scale, color=colour, width=0.7)
        tops = stated.groupby("year")[value].sum() / scale
    else:
        table = stated.pivot_table(index="year", columns=series, values=value, aggfunc="sum", fill_value=0)
        bottom = pd.Series(0.0, index=table.index)
        colours = series_colours or {}
        for code in [c for c in colours if c in table.columns]:
            heights = table[code].astype(float) / scale
            ax.bar(
                _positions(table.index),
                heights,
                bottom=bottom,
                color=colours[code],
                label=(series_labels or {}).get(code, code),
                width=0.7,
                edgecolor="white",
                linewidth=0.3,
            )
            bottom += heights
        tops = bottom
    if len(gaps):
        top = max(float(tops.max()) if len(tops) else 1.0, 1.0)
        ax.bar(
            _positions(gaps["year"]),
            [top * 0.04] * len(gaps),
            width=0.7,
            color="none",
            edgecolor=NOT_STATED_COLOUR,
            hatch="////",
            linewidth=0.8,
            label=text("no_data", lang),
        )
    _period_ticks(ax, data["year"])
    reach = _mark_partial(ax, partial_year, float(tops[partial_year]), lang) if partial_year in tops.index else 0.0
    fit_value_axis(ax, max(float(tops.max()) if len(tops) else 0.0, reach))
    ax.set_ylabel(y_label)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fit_x_labels(fig)
    return fig
