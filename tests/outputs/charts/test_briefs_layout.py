"""Charts for policy briefs: no text runs into another text or a legend in any saved file, and no
bar ends at the top of its axis.

The overlap check measures, with the renderer that writes each file (PNG at 200 dpi, SVG at
72), every visible text of the figure (titles, tick and axis labels, annotations, map names,
footer) and every legend as one box. It builds on the tick-label measure of
test_publishable_charts, which looks at the x tick labels alone.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from kss_analysis.outputs.charts import style
from kss_analysis.outputs.charts.export import figure_bytes, load_chart_tables
from kss_analysis.outputs.charts.layout import overlapping_items, overlaps_when_saved
from kss_analysis.outputs.charts.standard import REGISTER_SPECS, draw

SAVED_AS = ("png", "svg")  # raster at savefig.dpi (200) and vector in points (72): text hinting differs
BAR_SHAPES = ("totals", "yearly", "by_year", "by_period", "coverage")
HORIZONTAL = ("totals", "coverage")  # their value axis is x
BAR_SPECS = [s for s in REGISTER_SPECS if s.shape in BAR_SHAPES]


@pytest.fixture(scope="module")
def tables(register_build: Path) -> dict:
    return load_chart_tables(register_build / "processed")[0]  # the embedded register alone


@pytest.fixture(scope="module")
def drawn(tables):
    """Each chart drawn once per language for this module; saving it changes no datum or label."""
    cache = {}

    def chart(name: str, lang: str):
        if (name, lang) not in cache:
            cache[name, lang] = draw(next(s for s in REGISTER_SPECS if s.name == name), tables, lang)
        return cache[name, lang]

    yield chart
    for output in cache.values():
        plt.close(output.figure)


# --- 1. texts and legends never overlap --------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("spec", REGISTER_SPECS, ids=lambda s: s.name)
def test_no_text_runs_into_another_text_or_a_legend_in_any_saved_file(drawn, spec, lang):
    figure = drawn(spec.name, lang).figure
    for fmt in SAVED_AS:
        with overlaps_when_saved(figure) as saved:
            figure_bytes(figure, fmt)
        assert saved.saves >= 1, f"{spec.name} {lang} {fmt}: the save was not measured"  # a layout pass may draw first
        assert len(saved.items) >= 5, "title, subtitle and footer at least"
        assert saved.overlaps == [], f"{spec.name} {lang} {fmt}: {saved.overlaps}"


def _footer_and_legend(legend_y: float) -> Figure:
    fig = Figure(figsize=(6, 4))
    ax = fig.add_axes((0.1, 0.5, 0.8, 0.4))
    ax.bar([1, 2], [3, 4], label="bars")
    fig.text(0.01, 0.01, "Source: synthetic.\nMeasure: counts.", va="bottom", fontsize=7)
    fig.legend(loc="upper left", bbox_to_anchor=(0.01, legend_y), title="Programmes")
    ax.set_axis_off()
    return fig


def test_the_check_sees_a_legend_over_the_footer_and_texts_on_each_other():
    with plt.style.context(style.STYLE):
        assert overlapping_items(_footer_and_legend(0.3)) == []  # legend well above the footer (synthetic)
        crowded = _footer_and_legend(0.08)
        assert overlapping_items(crowded) == [("Source: synthetic.\nMeasure: counts.", "legend: Programmes")]
        ax = crowded.axes[0]
        ax.annotate("Kepulauan Solomon", (0.5, 0.5), xycoords="axes fraction")
        ax.annotate("Tuvalu", (0.6, 0.5), xycoords="axes fraction")
        ax.annotate("hidden", (0.6, 0.5), xycoords="axes fraction").set_visible(False)
        ax.annotate("  ", (0.6, 0.5), xycoords="axes fraction")  # nothing to read, nothing to overlap
        assert ("Kepulauan Solomon", "Tuvalu") in overlapping_items(crowded)
        assert not any("hidden" in pair or "  " in pair for pair in overlapping_items(crowded))


def test_the_check_measures_with_the_renderer_that_saves():
    with plt.style.context(style.STYLE):
        fig = _footer_and_legend(0.08)
        sizes = {}
        for fmt in SAVED_AS:
            with overlaps_when_saved(fig) as saved:
                figure_bytes(fig, fmt)
            sizes[fmt] = max(item.box.height for item in saved.items)
            assert saved.overlaps, fmt
        assert sizes["png"] > 2 * sizes["svg"]  # 200 dpi against 72: the boxes of each file's own pixels
        plt.close(fig)


# --- 2. headroom above the tallest bar ----------------------------------------------------------------


def _bar_tops(spec, figure: Figure) -> tuple[float, float, list[float]]:
    """(end of the longest bar or stacked total, end of the value axis, ticks drawn on it)."""
    figure.draw_without_rendering()  # the ticks and limits as laid out
    ax = figure.axes[0]
    horizontal = spec.shape in HORIZONTAL
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    ends = [p.get_x() + p.get_width() if horizontal else p.get_y() + p.get_height() for p in bars]
    axis = ax.xaxis if horizontal else ax.yaxis
    low, high = ax.get_xlim() if horizontal else ax.get_ylim()
    ticks = [float(t) for t in axis.get_majorticklocs() if low <= t <= high]
    return max(ends), high, ticks


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("spec", BAR_SPECS, ids=lambda s: s.name)
def test_the_tallest_bar_ends_below_the_axis_end_and_a_tick_is_above_it(drawn, spec, lang):
    top, axis_end, ticks = _bar_tops(spec, drawn(spec.name, lang).figure)
    assert top > 0
    assert top < axis_end, f"{spec.name} {lang}: the tallest bar ends at the end of its axis ({top})"
    assert max(ticks) >= top, f"{spec.name} {lang}: the top tick {max(ticks)} is below the tallest bar {top}"


@pytest.mark.parametrize(("top", "whole"), [(18.0, True), (129.04, False), (11.315, False), (0.4, False), (36, True)])
def test_headroom_of_synthetic_bars(top, whole):
    with plt.style.context(style.STYLE):
        frame = pd.DataFrame({"year": [2020, 2021], "amount_basis": "stated", "value": [top / 2, top]})
        footer = style.Footer("synthetic", "amounts")
        fig = style.plot_stacked_by_period(
            frame, period="year", category="amount_basis", value="value", kind="amount_basis", lang="en",
            titles=style.Titles("t", "s", footer), y_label="v", whole_numbers=whole,
        )  # fmt: skip
        fig.draw_without_rendering()
        low, high = fig.axes[0].get_ylim()
        ticks = [t for t in fig.axes[0].get_yticks() if low <= t <= high]
        assert top < high and max(ticks) >= top
        plt.close(fig)
