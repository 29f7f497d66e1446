"""One palette (issue item): every category of a coded dimension (amount basis, cooperation
type, region, sector theme, modality, implementer type) has one colour in every chart and both
languages, the colour of its row in the reference table; no two categories of a dimension share
a colour; the colours come from colour-blind-safe palettes (Okabe-Ito, Paul Tol)."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from pathlib import Path

import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure

from kss_analysis.core import reference
from kss_analysis.core.labels import CODE_TABLES, LANGS, label, text
from kss_analysis.outputs.charts import style
from kss_analysis.outputs.charts.export import load_chart_tables
from kss_analysis.outputs.charts.standard import REGISTER_SPECS, ChartSpec, draw
from kss_analysis.rules.counting import SEGMENT_ORDER

# Okabe & Ito (2008), "Color Universal Design", with the grey of R's palette.colors("Okabe-Ito").
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"}
# Paul Tol's qualitative schemes (personal.sron.nl/~pault): bright, high-contrast, vibrant, muted,
# medium-contrast and light, each with its grey for bad or missing data.
PAUL_TOL = {
    *("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB"),  # bright
    *("#004488", "#DDAA33", "#BB5566", "#FFFFFF"),  # high-contrast
    *("#EE7733", "#0077BB", "#33BBEE", "#EE3377", "#CC3311", "#009988"),  # vibrant
    *("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499", "#DDDDDD"),
    *("#6699CC", "#EECC66", "#994455", "#997700", "#EE99AA"),  # medium-contrast
    *("#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00"),  # light
}
# Reference colours in neither list: plain greys (no hue, so no colour vision deficiency confuses
# them), kept for categories that should recede. Listed here so that a new one is seen.
NEUTRAL_GREYS = {
    "#888888": "unclassified (sector themes, modalities, implementer types)",
    "#666666": "cumulative amount basis",
}


def _reference_colours() -> dict[str, dict[str, str]]:
    """Dimension -> code -> colour, from the reference tables ('not stated' has no row: style's grey)."""
    return {
        dim: {**{c: v.upper() for c, v in reference.colours(table).items()}, "not_stated": style.NOT_STATED_COLOUR}
        for dim, table in CODE_TABLES.items()
    }


def _labels_to_codes(dim: str, lang: str) -> dict[str, str]:
    """Every name a chart gives a code of ``dim``: its label, wrapped as a bar label, and the
    amount segments that are one amount basis ('stated', 'in_kind')."""
    codes = list(reference.colours(CODE_TABLES[dim])) + ["not_stated"]
    names = {label(dim, c, lang): c for c in codes}
    names.update({textwrap.fill(name, style.BAR_LABEL_CHARS): c for name, c in list(names.items())})
    if dim == "amount_basis":
        names.update({text(f"segment_{s}", lang): s for s in SEGMENT_ORDER if s in codes})
    return names


def _hex(colour) -> str | None:
    """The colour as #RRGGBB; None for a see-through fill (the hatched 'no data' marker)."""
    return None if to_rgba(colour)[3] == 0 else to_hex(colour, keep_alpha=False).upper()


def _named_colours(ax: Axes) -> list[tuple[str, str]]:
    """(name shown, colour) of every artist that stands for a category: legend handles,
    stacked bars (their label) and horizontal bars (the tick label at their position)."""
    found = []
    legend = ax.get_legend()
    if legend is not None:
        for handle, shown in zip(legend.legend_handles, legend.get_texts(), strict=True):
            found.append((shown.get_text(), handle.get_facecolor()))
    ticks = {round(float(t), 3): lbl.get_text() for t, lbl in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
    for container in ax.containers:
        name = container.get_label()
        for patch in getattr(container, "patches", []):
            if name and not name.startswith("_"):  # stacked bars carry their category's label
                found.append((name, patch.get_facecolor()))
            elif getattr(container, "orientation", None) == "horizontal":  # a bar per category, named by its tick
                found.append((ticks.get(round(patch.get_y() + patch.get_height() / 2, 3), ""), patch.get_facecolor()))
    return [(name, colour) for name, colour in ((n, _hex(c)) for n, c in found) if colour is not None]


def _category_colours(spec: ChartSpec, fig: Figure, lang: str) -> list[tuple[str, str, str]]:
    """(dimension, code, colour) of the categories a figure shows.

    A chart of a coded dimension must name only codes of it (or 'not stated'); a chart without
    one (participants, amounts by year) is searched for names of any dimension that are not
    ambiguous (its amount segments are amount bases)."""
    coded = spec.dimension in CODE_TABLES
    dims = [spec.dimension] if coded else list(CODE_TABLES)
    names = {dim: _labels_to_codes(dim, lang) for dim in dims}
    found = []
    for ax in fig.axes:
        for shown, colour in _named_colours(ax):
            matches = [(dim, names[dim][shown]) for dim in dims if shown in names[dim]]
            if coded:
                assert matches or shown == text("no_data", lang), f"{spec.name} ({lang}): '{shown}' is no {dims[0]}"
            if len(matches) == 1:
                found.append((*matches[0], colour))
    return found


@pytest.fixture(scope="module")
def seen(register_build: Path) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(dimension, code) -> colour -> the charts (name/lang) that draw the category in it."""
    tables, _ = load_chart_tables(register_build / "processed")
    colours: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for spec in REGISTER_SPECS:
        for lang in LANGS:
            for dim, code, colour in _category_colours(spec, draw(spec, tables, lang).figure, lang):
                colours[dim, code][colour].add(f"{spec.name}/{lang}")
    return colours


def test_every_dimension_is_seen_in_the_register_charts(seen):
    assert {dim for dim, _ in seen} == set(CODE_TABLES)


def test_a_category_has_one_colour_in_every_chart_and_language(seen):
    several = {key: {c: sorted(charts) for c, charts in by.items()} for key, by in seen.items() if len(by) > 1}
    assert not several, f"categories drawn in more than one colour: {several}"


def test_a_category_is_drawn_in_its_reference_colour(seen):
    expected = _reference_colours()
    wrong = {
        key: (expected[key[0]].get(key[1]), {c: sorted(charts) for c, charts in by.items()})
        for key, by in seen.items()
        if set(by) != {expected[key[0]].get(key[1])}
    }
    assert not wrong, f"(dimension, code): (reference colour, colours drawn): {wrong}"


@pytest.mark.parametrize("dim", sorted(CODE_TABLES))
def test_no_two_categories_of_a_dimension_share_a_colour(dim):
    colours = _reference_colours()[dim]
    shared = {c: sorted(k for k, v in colours.items() if v == c) for c in set(colours.values())}
    assert {c: codes for c, codes in shared.items() if len(codes) > 1} == {}


@pytest.mark.parametrize("dim", sorted(CODE_TABLES))
def test_reference_colours_are_colour_blind_safe(dim):
    unsafe = {
        code: c for code, c in _reference_colours()[dim].items() if c not in OKABE_ITO | PAUL_TOL | set(NEUTRAL_GREYS)
    }
    assert unsafe == {}, f"{CODE_TABLES[dim]}.csv: colours from neither Okabe-Ito nor Paul Tol"


def test_the_greys_outside_the_palettes_are_greys():
    for colour in NEUTRAL_GREYS:
        assert colour[1:3] == colour[3:5] == colour[5:7]


def test_the_other_chart_colours_are_colour_blind_safe():
    from kss_analysis.outputs.charts import standard

    used = {
        style.NOT_STATED_COLOUR,
        style.UNCODED_COLOUR,
        standard.OPEN_INTAKE_COLOUR,
        *standard.SEGMENT_COLOURS.values(),
    }
    used |= {spec.colour for spec in (*REGISTER_SPECS, *standard.COMPARISON_SPECS) if spec.colour}
    assert used <= OKABE_ITO | PAUL_TOL
