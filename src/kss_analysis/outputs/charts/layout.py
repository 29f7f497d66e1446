"""Tick labels that never collide, measured rather than judged by eye.

Period labels are written on two lines ('2015–' over '2019'); after the figure is laid out
the rendered extents of the x tick labels are measured and, if two still overlap, the
labels are set a point smaller (down to 7 pt), then long names are wrapped on short lines,
then labels are put on one line and turned (30°, 45°, then 90°), until none do, at every
export resolution. Turned labels are measured by their upright boxes, which is cautious.

The wider check, ``overlapping_items``, measures every visible text of a figure (titles,
tick and axis labels, annotations, footer) and every legend as one box; with
``overlaps_when_saved`` it does so with the renderer that writes the file, at its dpi.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from matplotlib.axis import Axis
from matplotlib.backend_bases import DrawEvent, RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
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


# --- every text and legend, as the figure is saved -------------------------------------------


@dataclass(frozen=True)
class Placed:
    """One measured item: a visible text or a whole legend, with its rendered box (display pixels)."""

    what: str  # the text itself, or 'legend: <title>'
    box: Bbox


def _drawn_tick_labels(axis: Axis) -> list[Text]:
    """The labels of the ticks an axis draws: visible, not empty, inside the view interval."""
    low, high = sorted(axis.get_view_interval())
    slack = 1e-9 * max(abs(high - low), 1.0)
    labels = []
    for ticks, locs in (
        (axis.get_major_ticks(), axis.get_majorticklocs()),
        (axis.get_minor_ticks(), axis.get_minorticklocs()),
    ):
        for tick, loc in zip(ticks, locs, strict=False):
            if low - slack <= loc <= high + slack:
                labels += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    return labels


def _shown(item: Text, renderer: RendererBase) -> bool:
    if not item.get_visible() or not item.get_text().strip():
        return False
    drawn_at = getattr(item, "_check_xy", None) if isinstance(item, Annotation) else None
    if drawn_at is not None and not drawn_at(renderer):  # an annotation whose point is clipped is not drawn
        return False
    return item.axes is None or item.axes.get_visible()


def placed_items(fig: Figure, renderer: RendererBase) -> list[Placed]:
    """Every visible text of the figure (titles, tick and axis labels, annotations, footer) and
    every legend as one box; the texts inside a legend are measured as part of its box."""
    legends = [legend for legend in (*fig.legends, *(ax.get_legend() for ax in fig.axes)) if legend is not None]
    legends = [legend for legend in legends if legend.get_visible()]
    inside = {id(t) for legend in legends for t in legend.findobj(Text)}
    axis_texts: set[int] = set()  # drawn only with their axis: measured below when it is
    texts: list[Text] = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = (*axis.get_major_ticks(), *axis.get_minor_ticks())
            axis_texts |= {id(t) for tick in ticks for t in (tick.label1, tick.label2)}
            axis_texts |= {id(axis.label), id(axis.offsetText)}
            if ax.get_visible() and ax.axison and axis.get_visible():
                texts += [*_drawn_tick_labels(axis), axis.label, axis.offsetText]
    seen = {id(t) for t in texts}
    for item in fig.findobj(Text):
        if id(item) not in inside and id(item) not in axis_texts and id(item) not in seen:
            seen.add(id(item))
            texts.append(item)
    items = [Placed(t.get_text(), t.get_window_extent(renderer)) for t in texts if _shown(t, renderer)]
    for legend in legends:
        title = legend.get_title().get_text()
        items.append(Placed(f"legend: {title or ', '.join(t.get_text() for t in legend.get_texts())}",
                            legend.get_window_extent(renderer)))  # fmt: skip
    return items


def _overlap(a: Bbox, b: Bbox, gap: float) -> bool:
    return a.x0 < b.x1 + gap and b.x0 < a.x1 + gap and a.y0 < b.y1 + gap and b.y0 < a.y1 + gap


def overlapping_items(fig: Figure, renderer: RendererBase | None = None, gap: float = 0.0) -> list[tuple[str, str]]:
    """Pairs of visible texts, or of a text and a legend, whose rendered boxes overlap.

    ``renderer`` is the one that drew the figure (default: an Agg renderer at the figure's dpi,
    after a layout pass); boxes closer than ``gap`` pixels count as overlapping.
    """
    if renderer is None:
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        renderer = canvas.get_renderer()
        fig.draw_without_rendering()
    return _pairs(placed_items(fig, renderer), gap)


def _pairs(items: list[Placed], gap: float = 0.0) -> list[tuple[str, str]]:
    pairs = []
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if _overlap(a.box, b.box, gap):
                pairs.append((a.what, b.what))
    return pairs


@dataclass
class SavedLayout:
    """What the last save of a figure drew: every measured item and the overlapping pairs."""

    items: list[Placed] = field(default_factory=list)
    overlaps: list[tuple[str, str]] = field(default_factory=list)
    saves: int = 0


@contextmanager
def overlaps_when_saved(fig: Figure) -> Iterator[SavedLayout]:
    """Within the block, each save of ``fig`` measures its texts and legends with the renderer
    that writes the file (its format, its dpi); the record holds those of the last drawing (a
    figure with a layout engine is drawn twice per save: a layout pass, then the file)."""
    found = SavedLayout()

    def measure(event: DrawEvent) -> None:
        found.items = placed_items(fig, event.renderer)
        found.overlaps = _pairs(found.items)
        found.saves += 1

    connection = fig.canvas.mpl_connect("draw_event", measure)  # the callbacks live on the figure
    try:
        yield found
    finally:
        fig.canvas.mpl_disconnect(connection)
