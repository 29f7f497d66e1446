"""Tick labels that never collide, measured rather than judged by eye.

Period labels are written on two lines ('2015–' over '2019'); after the figure is laid out
the rendered extents of the x tick labels are measured and, if two still overlap, the
labels are set a point smaller (down to 7 pt), then long names are wrapped on short lines,
then labels are put on one line and turned (30°, 45°, then 90°), until none do, at every
export resolution. Turned labels are measured by their upright boxes, which is cautious.
"""

from __future__ import annotations

import re
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

SMALLER_SIZES = (8, 7)  # points; the style's tick labels are 9 pt
ROTATIONS = (30, 45, 90)
WRAP_CHARS = 16  # a long category name is wrapped to lines of at most this many characters
PERIOD = re.compile(r"(\d{4})-(\d{4})")
GAP_PX = 1.0  # labels closer than this count as touching


def period_label(period: str, partial_to_date: str | None = None) -> str:
    """'2015-2019' -> '2015–\\n2019'; a partial last period -> '2025–\\nto date'."""
    match = PERIOD.fullmatch(str(period))
    if not match:
        return str(period)  # not a span of years (e.g. a source name): left as it is
    return f"{match[1]}–\n{partial_to_date or match[2]}"


def tick_label_boxes(fig: Figure, axis: str = "x") -> list[Bbox]:
    """Rendered extents (display pixels) of every visible, non-empty tick label of every axes."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)  # attaches itself to fig
    renderer = canvas.get_renderer()
    fig.draw_without_rendering()
    boxes = []
    for ax in fig.axes:
        labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
        boxes += [t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()]
    return boxes


def overlapping_labels(fig: Figure, axis: str = "x") -> list[tuple[int, int]]:
    """Index pairs of tick labels whose rendered boxes overlap (or touch within GAP_PX)."""
    boxes = tick_label_boxes(fig, axis)
    pairs = []
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            if a.x0 < b.x1 + GAP_PX and b.x0 < a.x1 + GAP_PX and a.y0 < b.y1 + GAP_PX and b.y0 < a.y1 + GAP_PX:
                pairs.append((i, j))
    return pairs


EXPORT_DPIS = (72, 100, 200)  # SVG/PDF points, screen, PNG (savefig.dpi): text hinting differs between them


def _overlap_at_any_size(fig: Figure) -> bool:
    dpi = fig.get_dpi()
    try:
        for size in EXPORT_DPIS:
            fig.set_dpi(size)
            if overlapping_labels(fig):
                return True
        return False
    finally:
        fig.set_dpi(dpi)


def fit_x_labels(fig: Figure) -> int:
    """Shrink, then turn, the x tick labels only as far as needed for none to overlap;
    returns the angle used."""
    if not _overlap_at_any_size(fig):
        return 0
    for size in SMALLER_SIZES:
        for ax in fig.axes:
            ax.tick_params(axis="x", labelsize=size)
        if not _overlap_at_any_size(fig):
            return 0
    originals = {ax: [t.get_text() for t in ax.get_xticklabels()] for ax in fig.axes}
    for ax, texts in originals.items():  # long names on several short lines: 'China: AidData' over 'GCOF 1.0'
        ax.set_xticks(ax.get_xticks(), [textwrap.fill(t, WRAP_CHARS) if "\n" not in t else t for t in texts])
    if not _overlap_at_any_size(fig):
        return 0
    for ax, texts in originals.items():
        ax.set_xticks(ax.get_xticks(), texts)
    for ax in fig.axes:  # turned labels read better on one line: '2015–2019', '2025– to date'
        one_line = [re.sub(r"–\n(?=\d)", "–", t.get_text()).replace("\n", " ") for t in ax.get_xticklabels()]
        ax.set_xticks(ax.get_xticks(), one_line)
    for angle in ROTATIONS:
        for ax in fig.axes:
            ax.tick_params(axis="x", labelrotation=angle)
            for text in ax.get_xticklabels():
                text.set_horizontalalignment("right" if angle < 90 else "center")
                text.set_rotation_mode("anchor" if angle < 90 else "default")
        if not _overlap_at_any_size(fig):
            return angle
    return ROTATIONS[-1]
