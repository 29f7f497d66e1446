"""Choropleth maps of a per-country measure in the Equal Earth projection, in the house style.

Shapes come from the shipped Natural Earth extract (map_shapes). Rules that keep a map honest:
- classes come from the data (quantiles of the non-zero values) and are printed in the legend;
- a country with no value is neutral grey, labelled "none in the register", never the lowest class;
- small states (projected area under SMALL_AREA_KM2, or no shape at all) also get a circle at their centroid,
  area proportional to the value, so Palau or Tuvalu are never lost; a Pacific panel shows them up close;
- Indonesia, the provider, has its own colour.
Each map adds a PathCollection of shapes and a scatter of circles, each with ``.iso3`` naming its items.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from pyproj import Transformer

from kss_analysis.core import reference
from kss_analysis.core.labels import label, text
from kss_analysis.outputs.charts.map_shapes import load_shapes
from kss_analysis.outputs.charts.style import Footer, _styled, format_number

CLASS_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # ColorBrewer YlGnBu, colour-blind safe
NONE_COLOUR = "#d9d9d9"
PROVIDER_COLOUR = "#D55E00"  # Okabe-Ito vermilion: outside the sequential palette
PROVIDER = "IDN"
EDGE_COLOUR = "#ffffff"
SMALL_AREA_KM2 = 12_000  # below this a country is a few pixels on the world map: it gets a circle too
MARKER_MAX_PT2 = 160.0  # circle area (points^2) of the largest value
MARKER_MIN_PT2 = 10.0
WORLD = "+proj=eqearth +lon_0=0 +datum=WGS84 +units=m +no_defs"
PANEL_COARSEN_M = 8_000.0  # small multiples: 8 km, about a tenth of a pixel of a 2.6-inch panel at 200 dpi
PACIFIC = "+proj=eqearth +lon_0=170 +datum=WGS84 +units=m +no_defs"
PACIFIC_WINDOW = (128.0, -26.0, 192.0, 10.0)  # lon west, lat south, lon east (east of 180 counted past 180), lat north


@dataclass(frozen=True)
class Classes:
    """Upper bounds of each class (ascending); a value v > 0 is in the first class whose bound is >= v."""

    bounds: tuple[float, ...]
    minimum: float

    def index(self, value: float) -> int | None:
        if not value or pd.isna(value) or value <= 0:
            return None
        return int(np.searchsorted(self.bounds, value, side="left"))

    def labels(self, lang: str) -> list[str]:
        integers = all(float(b).is_integer() for b in (*self.bounds, self.minimum))
        decimals = 0 if integers else 1
        lows = [self.minimum] + [b + 1 if integers else b for b in self.bounds[:-1]]
        out = []
        for low, high in zip(lows, self.bounds, strict=True):
            lo, hi = format_number(low, lang, decimals), format_number(high, lang, decimals)
            out.append(hi if lo == hi else f"{lo}–{hi}")
        return out

    def colours(self) -> tuple[str, ...]:
        """Spread over the palette so three classes still run from light to dark."""
        picks = np.linspace(0, len(CLASS_COLOURS) - 1, len(self.bounds)).round().astype(int)
        return tuple(CLASS_COLOURS[i] for i in picks)


def classify(values: Iterable[float], k: int = len(CLASS_COLOURS)) -> Classes:
    """Quantile classes of the positive values, each bound an observed value (ties never split a class)."""
    positive = np.sort(np.asarray([v for v in values if pd.notna(v) and v > 0], dtype=float))
    if positive.size == 0:
        return Classes((1.0,), 1.0)
    bounds = np.quantile(positive, np.arange(1, k + 1) / k, method="inverted_cdf")
    return Classes(tuple(float(b) for b in np.unique(bounds)), float(positive[0]))


def _project(geom: shapely.Geometry, proj: str) -> shapely.Geometry:
    transformer = _transformer(proj)
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


@cache
def _transformer(proj: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", proj, always_xy=True)


def _path(geom: shapely.Geometry) -> Path:
    """A compound matplotlib path of every ring; holes wind against their shell, so they stay empty when filled."""
    vertices, codes = [], []
    for polygon in shapely.get_parts(shapely.orient_polygons(geom)):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            vertices.append(xy)
            codes.append([Path.MOVETO] + [Path.LINETO] * (len(xy) - 2) + [Path.CLOSEPOLY])
    return Path(np.concatenate(vertices), np.concatenate(codes))


def _pacific_part(polygon: shapely.Polygon) -> shapely.Polygon:
    """Parts lying wholly west of 0 (Samoa, Tonga, eastern Fiji) move past 180 so the Pacific is contiguous."""
    return shapely.affinity.translate(polygon, 360) if polygon.bounds[2] < 0 else polygon


@cache
def _layer(proj: str, coarsen_m: float = 0.0) -> tuple[dict[str, Path], dict[str, tuple[float, float]], frozenset[str]]:
    """(shape paths, anchor of every country, small-state keys) in one projection; the Pacific one clipped to its window.

    The anchor is where a circle or a name goes: the centre of the largest part, or the point of a country without
    a shape.

    ``coarsen_m`` simplifies further (in projected metres) for small panels, where finer detail is below a pixel.
    """
    window = shapely.box(*PACIFIC_WINDOW)
    paths, points, small = {}, {}, set()
    for key, (kind, geom) in load_shapes().items():
        if proj == PACIFIC:
            parts = shapely.make_valid([_pacific_part(p) for p in shapely.get_parts(geom)])  # Fiji's rings touch
            clipped = shapely.get_parts(shapely.intersection(parts, window))
            clipped = [
                p for p in clipped if not p.is_empty and p.geom_type == ("Polygon" if kind == "shape" else "Point")
            ]
            if not clipped:
                continue
            geom = shapely.MultiPolygon(clipped) if kind == "shape" else clipped[0]
        projected = _project(geom, proj)
        if kind == "shape":
            paths[key] = _path(shapely.simplify(projected, coarsen_m) if coarsen_m else projected)
            whole = _project(load_shapes()[key][1], WORLD)  # size judged on the whole country, not the clipped part
            points[key] = _marker_position(projected)
            if whole.area / 1e6 < SMALL_AREA_KM2:
                small.add(key)
        else:
            small.add(key)
            points[key] = (projected.x, projected.y)
    return paths, points, frozenset(small)


def _marker_position(projected: shapely.Geometry) -> tuple[float, float]:
    """Centre of the largest part (a centroid of scattered islands can fall in the sea between them)."""
    parts = shapely.get_parts(projected)
    largest = parts[int(np.argmax(shapely.area(parts)))]
    point = largest.point_on_surface()
    return point.x, point.y


def _name_items(artist: Artist, keys: list[str]) -> None:
    """``artist.iso3``: which country each of its items is, for tests and readers of the figure."""
    # matplotlib's stubs declare no attribute beyond matplotlib's own; an artist takes one at runtime
    artist.iso3 = tuple(keys)  # type: ignore[attr-defined]


def draw_map(
    ax: Axes,
    values: pd.Series,
    classes: Classes,
    *,
    proj: str = WORLD,
    marker_scale: float = 1.0,
    coarsen_m: float = 0.0,
    vmax: float | None = None,
) -> None:
    """Fill each country by its class of ``values`` (ISO3 -> number) on ``ax``; small states also get circles.

    Adds two artists: a PathCollection ``shapes`` and a scatter ``markers``, each with ``.iso3`` naming its items.
    """
    paths, points, small = _layer(proj, coarsen_m)
    colours = classes.colours()
    vmax = vmax or max(float(values.max()) if len(values) else 0.0, 1.0)  # panels share one circle scale

    def fill(key: str) -> str:
        if key == PROVIDER:
            return PROVIDER_COLOUR
        i = classes.index(values.get(key, 0))
        return NONE_COLOUR if i is None else colours[i]

    keys = sorted(paths)
    shapes = PathCollection([paths[k] for k in keys], facecolors=[fill(k) for k in keys], edgecolors=EDGE_COLOUR,
                            linewidths=0.15, gid="shapes")  # fmt: skip
    _name_items(shapes, keys)
    ax.add_collection(shapes, autolim=False)
    # Circles: the largest drawn first so small ones stay on top and visible
    # (a small state with no value is simply not circled: grey is what it would show)
    keys = [k for k in small & set(points) if float(values.get(k, 0) or 0) > 0]
    keys.sort(key=lambda k: (-float(values[k]), k))
    stated = [float(values[k]) for k in keys]
    sizes = [MARKER_MIN_PT2 + (MARKER_MAX_PT2 - MARKER_MIN_PT2) * v / vmax for v in stated]
    circles = ax.scatter(
        [points[k][0] for k in keys],
        [points[k][1] for k in keys],
        s=[size * marker_scale for size in sizes],
        facecolors=[fill(k) for k in keys],
        edgecolors="#333333",
        linewidths=0.4,
        zorder=3,
        clip_on=False,  # a circle at the map's edge (Tuvalu, Samoa near 180 degrees) stays whole
        gid="markers",
    )
    _name_items(circles, keys)
    _frame(ax, paths)


def _frame(ax, paths: dict[str, Path]) -> None:
    extents = np.array([p.get_extents().extents for p in paths.values()])
    x0, y0 = extents[:, 0].min(), extents[:, 1].min()
    x1, y1 = extents[:, 2].max(), extents[:, 3].max()
    pad = 0.01 * (x1 - x0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_axis_off()


def _legend_handles(classes: Classes, lang: str) -> tuple[list[Artist], list[str]]:
    handles: list[Artist] = [Patch(facecolor=c, edgecolor="#999999", linewidth=0.3) for c in classes.colours()]
    labels = list(classes.labels(lang))
    handles += [
        Patch(facecolor=NONE_COLOUR, edgecolor="#999999", linewidth=0.3),
        Patch(facecolor=PROVIDER_COLOUR, edgecolor="#999999", linewidth=0.3),
        Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor=classes.colours()[-1],
               markeredgecolor="#333333", markeredgewidth=0.4),
    ]  # fmt: skip
    labels += [text("map_none", lang), text("map_provider", lang), textwrap.fill(text("map_small_states", lang), 34)]
    return handles, labels


MAP_WIDTH_IN = 8.0
MARGIN_IN = 0.08  # above the title and below the footer
GAP_IN = 0.12  # between two blocks (titles, maps, legend, footer)
PANEL_TITLE_IN = 0.22  # room above a map for its title
WORLD_IN = 3.38  # height of the world map of the one-map figure
PACIFIC_IN = 1.87  # height of its Pacific panel
CELL_IN = 1.55  # height of one row of small multiples, title included


class _Stack:
    """A figure built from blocks laid top to bottom, each as high as it measures (inches), so
    that titles, maps, legend and footer never run into one another whatever their length.

    Texts are measured with an Agg renderer at the figure's dpi; GAP_IN between blocks leaves
    room for the few tenths of a point that text hinting changes between export resolutions.
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.renderer = FigureCanvasAgg(fig).get_renderer()  # the canvas attaches itself to the figure

    def height_of(self, artist: Artist) -> float:
        return artist.get_window_extent(self.renderer).height / self.fig.dpi

    def width_of(self, artist: Artist) -> float:
        return artist.get_window_extent(self.renderer).width / self.fig.dpi


def _header_and_footer(fig: Figure, title: str, subtitle: str, footer: Footer, lang: str) -> tuple[list[Text], Text]:
    """The title and subtitle (placed by ``_place_texts``) and the footer, at the bottom left."""
    heading = [
        fig.text(0.01, 1, title, ha="left", va="top", fontsize=13, fontweight="bold"),
        fig.text(0.01, 1, textwrap.fill(subtitle, 95), ha="left", va="top", fontsize=10, color="#444444"),
    ]
    note = fig.text(0.01, 0, footer.render(lang), ha="left", va="bottom", fontsize=7, color="#555555")
    return heading, note


def _layout(
    fig: Figure, heading: list[Text], note: Text, blocks: list[float]
) -> tuple[list[tuple[float, float]], float]:
    """Sets the figure height for the heading, ``blocks`` (inches, top to bottom) and the footer;
    returns each block's (bottom, height) in figure fractions and the figure height in inches.

    Texts are placed here too: the heading from the top, the footer from the bottom."""
    stack = _Stack(fig)
    heading_in = [stack.height_of(t) for t in heading]
    footer_in = stack.height_of(note)
    total = MARGIN_IN + sum(heading_in) + GAP_IN * len(heading) + sum(blocks) + GAP_IN * len(blocks)
    total += footer_in + MARGIN_IN
    fig.set_size_inches(MAP_WIDTH_IN, total)
    top = MARGIN_IN
    for text_artist, height in zip(heading, heading_in, strict=True):
        text_artist.set_y(1 - top / total)
        top += height + GAP_IN
    places = []
    for height in blocks:
        places.append((1 - (top + height) / total, height / total))
        top += height + GAP_IN
    note.set_y(MARGIN_IN / total)
    return places, total


@_styled
def plot_choropleth(
    values: pd.Series, *, lang: str, title: str, subtitle: str, footer: Footer, legend_title: str
) -> Figure:
    """World map of ``values`` (ISO3 -> number) with a Pacific panel and the legend beside it.

    Positions are computed, not left to a layout engine: each block of the figure is as high as
    it measures, so the same data give the same figure every run, and quickly.
    """
    classes = classify(values)
    fig = Figure(figsize=(MAP_WIDTH_IN, 7.2))
    heading, note = _header_and_footer(fig, title, subtitle, footer, lang)
    handles, labels = _legend_handles(classes, lang)
    legend = fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.55, 1), title=legend_title, fontsize=8,
                        title_fontsize=9, alignment="left")  # fmt: skip
    lower_in = max(PANEL_TITLE_IN + PACIFIC_IN, _Stack(fig).height_of(legend))
    (world_at, lower_at), _ = _layout(fig, heading, note, [WORLD_IN, lower_in])
    world = fig.add_axes((0.01, world_at[0], 0.98, world_at[1]))
    draw_map(world, values, classes)
    panel_height = lower_at[1] * PACIFIC_IN / lower_in
    pacific = fig.add_axes((0.02, lower_at[0] + lower_at[1] - lower_at[1] * PANEL_TITLE_IN / lower_in - panel_height,
                            0.5, panel_height))  # fmt: skip
    draw_map(pacific, values, classes, proj=PACIFIC, marker_scale=1.3)
    pacific.set_axis_on()
    pacific.set_xticks([])
    pacific.set_yticks([])
    for spine in pacific.spines.values():
        spine.set_visible(True)
        spine.set_color("#999999")
        spine.set_linewidth(0.5)
    pacific.grid(False)
    pacific.set_title(text("map_pacific", lang), loc="left", fontsize=9, fontweight="bold", pad=3)
    legend.set_bbox_to_anchor((0.55, lower_at[0] + lower_at[1]))
    _label_pacific(pacific, values, lang)
    return fig


LABEL_PT = 6  # names in the Pacific panel
LABEL_CLEAR_PX = 2.0  # a name keeps this far from other names, circles and the panel's edge
OVERLAP_WEIGHT = 10.0  # where no place is free: running into a name or circle weighs more than leaving the frame


def _label_pacific(ax: Axes, values: pd.Series, lang: str) -> None:
    """Name the Pacific partner states in the Pacific panel (they are the reason for the panel).

    Each name goes to the first place beside its country (right, left, above, below) where it
    runs into no name placed before it, no circle, no legend and not past the panel's frame;
    where no place is free, to the one that overlaps least (names and circles weigh most).
    """
    _, points, _ = _layer(PACIFIC)
    countries = reference.countries()
    keys = [k for k in sorted(points)
            if float(values.get(k, 0) or 0) > 0 and countries.get(k, {}).get("kss_region") == "pacific"]  # fmt: skip
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    renderer = (fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)).get_renderer()
    ax.apply_aspect()  # the panel's final box (equal aspect), as it is drawn
    frame = ax.get_window_extent(renderer)
    radius = _circle_radii(ax)
    scale = fig.dpi / 72  # points -> pixels
    obstacles = [_circle_box(ax, points[k], radius[k] * scale) for k in sorted(radius)]
    obstacles += [legend.get_window_extent(renderer) for legend in fig.legends]
    for key in keys:
        r = radius.get(key, 0.0) + 2.0  # points from the country's anchor: past its circle
        best: tuple[float, Text] | None = None
        for dx, dy, ha, va in ((r, 0.6 * r, "left", "bottom"), (r, -0.6 * r, "left", "top"),
                               (-r, 0.6 * r, "right", "bottom"), (-r, -0.6 * r, "right", "top"),
                               (0, r + 1, "center", "bottom"), (0, -r - 1, "center", "top")):  # fmt: skip
            name = ax.annotate(label("country", key, lang), points[key], xytext=(dx, dy), textcoords="offset points",
                               ha=ha, va=va, fontsize=LABEL_PT, color="#333333", annotation_clip=False)  # fmt: skip
            box = name.get_window_extent(renderer).padded(LABEL_CLEAR_PX)
            clash = OVERLAP_WEIGHT * sum(_overlap_area(box, other) for other in obstacles) + _outside_area(box, frame)
            if best is None or clash < best[0]:
                if best is not None:
                    best[1].remove()
                best = (clash, name)
            else:
                name.remove()
            if clash == 0:
                break
        assert best is not None
        obstacles.append(best[1].get_window_extent(renderer).padded(LABEL_CLEAR_PX))


def _circle_radii(ax: Axes) -> dict[str, float]:
    """ISO3 -> radius (points) of its circle on ``ax``."""
    circles = next(c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() == "markers")
    sizes = list(circles.get_sizes())
    keys = getattr(circles, "iso3", ())
    sizes = sizes * len(keys) if len(sizes) == 1 else sizes
    return {k: float(np.sqrt(size)) / 2 for k, size in zip(keys, sizes, strict=True)}


def _circle_box(ax: Axes, point: tuple[float, float], radius_px: float) -> Bbox:
    x, y = ax.transData.transform(point)
    return Bbox.from_extents(x - radius_px, y - radius_px, x + radius_px, y + radius_px)


def _overlap_area(a: Bbox, b: Bbox) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)


def _outside_area(box: Bbox, frame: Bbox) -> float:
    return box.width * box.height - _overlap_area(box, frame)


@_styled
def plot_choropleth_panels(
    panels: dict[str, pd.Series], *, lang: str, title: str, subtitle: str, footer: Footer, legend_title: str
) -> Figure:
    """Small multiples: one world map per panel (e.g. five-year period), the same classes in all of them."""
    pooled = pd.concat(list(panels.values())) if panels else pd.Series(dtype=float)
    classes = classify(pooled)
    vmax = max(float(pooled.max()) if len(pooled) else 0.0, 1.0)
    n = max(len(panels), 1)
    cols = 3 if n > 4 else 2
    rows = -(-n // cols)
    fig = Figure(figsize=(MAP_WIDTH_IN, 2.0 + CELL_IN * rows))
    heading, note = _header_and_footer(fig, title, subtitle, footer, lang)
    handles, labels = _legend_handles(classes, lang)
    legend = fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.01, 1), ncols=4, title=legend_title,
                        fontsize=7, title_fontsize=8, alignment="left")  # fmt: skip
    (maps_at, legend_at), total = _layout(fig, heading, note, [CELL_IN * rows, _Stack(fig).height_of(legend)])
    cell = maps_at[1] / rows
    title_room = PANEL_TITLE_IN / total
    for i, (name, values) in enumerate(panels.items()):
        r, c = divmod(i, cols)
        bottom = maps_at[0] + maps_at[1] - (r + 1) * cell
        ax = fig.add_axes((0.01 + c * 0.98 / cols, bottom, 0.98 / cols - 0.01, cell - title_room))
        draw_map(ax, values, classes, marker_scale=0.35, coarsen_m=PANEL_COARSEN_M, vmax=vmax)
        ax.set_title(name, fontsize=9, loc="left", pad=2, fontweight="bold")
    legend.set_bbox_to_anchor((0.01, legend_at[0] + legend_at[1]))
    return fig
