"""Drawing of the coverage chart: register programmes as a share of official counts."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

from kss_analysis.core.labels import text
from kss_analysis.outputs.charts.style import (
    HEADROOM,
    UNCODED_COLOUR,
    Footer,
    Titles,
    _new_figure,
    _styled,
    format_number,
)


def period_label(start: str, end: str) -> str:
    return start if start == end else f"{start}–{end}"


@_styled
def plot_coverage(data: pd.DataFrame, *, lang: str, title: str, subtitle: str, footer: Footer) -> Figure:
    """One horizontal bar per official count: the register's share of it, in percent (ticks 0-100).

    ``data`` has period_start, period_end, register_programmes, official_programmes and ratio.
    """
    fig, ax = _new_figure(Titles(title, subtitle, footer), lang)
    rows = data.iloc[::-1].reset_index(drop=True)  # first period on top
    percent = rows["ratio"].astype(float) * 100
    positions = list(range(len(rows)))
    ax.barh(positions, percent, color=UNCODED_COLOUR, height=0.6)
    ax.barh(positions, 100 - percent, left=percent, color="#DDDDDD", height=0.6)
    labels = [period_label(s, e) for s, e in zip(rows["period_start"], rows["period_end"], strict=True)]
    ax.set_yticks(positions, labels)
    for y, (share, row) in enumerate(zip(percent, rows.itertuples(), strict=True)):
        note = text(
            "coverage_bar_label",
            lang,
            register=format_number(row.register_programmes, lang),
            official=format_number(row.official_programmes, lang),
            pct=format_number(share, lang, 1),
        )
        ax.annotate(note, (share, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    # The grey bar is the rest of the official count: every bar ends at 100%, a little inside the axis.
    ax.set_xlim(0, 100 * (1 + HEADROOM))
    ax.xaxis.set_major_locator(FixedLocator(range(0, 101, 20)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{format_number(v, lang)}%"))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.set_xlabel(text("coverage_axis", lang))
    return fig
