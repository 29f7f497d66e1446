"""Maps of partner countries: classes, grey only for none, small states as circles, same bytes every run."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib.colors as mcolors
import pandas as pd
import pytest
from matplotlib.figure import Figure

from kss_analysis.core import reference
from kss_analysis.outputs.charts import maps
from kss_analysis.outputs.charts.export import export_charts, load_chart_tables
from kss_analysis.outputs.charts.standard import chart_partner_map, chart_partner_map_by_period
from tests.paths import ROOT

MAPS = ["partner_map", "partner_map_by_period"]
GREY = mcolors.to_rgba(maps.NONE_COLOUR)


@pytest.fixture(scope="module")
def processed(register_build) -> Path:
    return register_build / "processed"


@pytest.fixture(scope="module")
def tables(processed):
    return load_chart_tables(processed)[0]


def _register_partners() -> set[str]:
    """ISO3 of every country named in the raw register's partner column, read here without the pipeline."""
    lookup = reference.country_lookup()
    with open(ROOT / "data" / "raw" / "kss" / "kss_programmes.csv", encoding="utf-8", newline="") as handle:
        names = {n.strip() for row in csv.DictReader(handle) for n in row["partner_countries"].split(";") if n.strip()}
    return {lookup[reference.normalise_name(n)] for n in names}


def _artists(ax) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """(ISO3 -> face colour of its shape, ISO3 -> face colour of its circle) as drawn on ``ax``."""
    shapes = next(c for c in ax.collections if c.get_gid() == "shapes")
    markers = next(c for c in ax.collections if c.get_gid() == "markers")
    fills = [tuple(c) for c in shapes.get_facecolors()]
    dots = [tuple(c) for c in markers.get_facecolors()]
    if len(dots) == 1:
        dots = dots * len(markers.iso3)
    return dict(zip(shapes.iso3, fills, strict=True)), dict(zip(markers.iso3, dots, strict=True))


def test_quantile_classes_use_observed_values_and_never_split_ties():
    # Hand-computed: 10 values, quantiles at 20/40/60/80/100% are the 2nd, 4th, 6th, 8th and 10th values.
    classes = maps.classify([1, 1, 1, 1, 2, 3, 5, 8, 13, 40, 0, float("nan")])
    assert classes.bounds == (1, 3, 8, 40)
    assert classes.labels("en") == ["1", "2–3", "4–8", "9–40"]
    assert [classes.index(v) for v in (0, 1, 2, 3, 4, 40)] == [None, 0, 1, 1, 2, 3]
    assert len(set(classes.colours())) == 4 and maps.NONE_COLOUR not in classes.colours()


def test_classes_of_a_non_integer_measure_keep_a_decimal_in_indonesian():
    classes = maps.classify([0.5, 1.25, 2.5, 10.0])
    assert classes.labels("id")[-1] == "2,5–10,0"


def test_every_partner_country_of_the_register_is_in_the_map_csv(tables):
    chart = chart_partner_map(tables, "en")
    partners = _register_partners()
    assert len(partners) > 80
    assert partners <= set(chart.data["iso3"])
    assert (chart.data["value"] > 0).all()
    assert {"TUV", "PLW", "TON", "WSM", "KIR"} <= set(chart.data["iso3"])


def test_a_country_with_programmes_is_never_grey_and_indonesia_is_the_provider(tables):
    chart = chart_partner_map(tables, "en")
    world, pacific = chart.figure.axes[:2]
    fills, dots = _artists(world)
    valued = set(chart.data["iso3"])
    for iso3 in valued:
        assert iso3 in fills or iso3 in dots, iso3
        if iso3 in fills:
            assert fills[iso3] != GREY, iso3
        if iso3 in dots:
            assert dots[iso3] != GREY, iso3
    assert fills["IDN"] == mcolors.to_rgba(maps.PROVIDER_COLOUR)
    assert all(fills[k] == GREY for k in ("USA", "BRA", "AUS", "CAN")) and not valued & {"USA", "BRA", "AUS", "CAN"}
    classes = maps.classify(chart.data["value"])
    top = chart.data.iloc[0]
    assert fills[top["iso3"]] == mcolors.to_rgba(classes.colours()[-1])


def test_tuvalu_and_palau_are_circles_on_the_world_map_and_in_the_pacific_panel(tables):
    chart = chart_partner_map(tables, "en")
    world, pacific = chart.figure.axes[:2]
    for ax in (world, pacific):
        _, dots = _artists(ax)
        assert {"TUV", "PLW"} <= set(dots)
    assert "TUV" not in _artists(world)[0]  # Tuvalu has no shape in Natural Earth 1:50m


def test_every_country_in_our_table_is_drawn_as_a_shape_or_a_circle():
    values = pd.Series(1, index=sorted(reference.countries()))
    fig = Figure()
    ax = fig.add_subplot()
    maps.draw_map(ax, values, maps.classify(values))
    fills, dots = _artists(ax)
    missing = set(values.index) - set(fills) - set(dots)
    assert not missing


def test_small_multiples_show_every_period_with_the_same_classes(tables):
    chart = chart_partner_map_by_period(tables, "id")
    panels = [ax.get_title(loc="left") for ax in chart.figure.axes]
    assert panels[0] == "1985-1989" and panels[-1] == "2025-2029" and "1990-1994" in panels  # 1990s gap shown
    assert len(panels) == len(set(panels)) == 9
    assert list(chart.data.columns) == ["period", "iso3", "name", "value", "class"]
    assert set(chart.data["period"]) <= set(panels)
    assert chart.data.groupby("period")["iso3"].apply(lambda s: s.is_unique).all()


def test_indonesian_map_names_countries_and_legend_in_indonesian(tables):
    chart = chart_partner_map(tables, "id")
    names = dict(zip(chart.data["iso3"], chart.data["name"], strict=True))
    assert names["PNG"] == "Papua Nugini"
    legend = [t.get_text() for t in chart.figure.legends[0].get_texts()]
    assert "Tidak ada dalam register" in legend and "Indonesia (penyedia)" in legend


@pytest.mark.slow  # about 5 s; the fast suite exports a chart twice in every format (test_chart_export)
def test_two_map_exports_are_byte_identical_with_csv_and_sidecar(processed, tmp_path):
    first = export_charts(processed, tmp_path / "a", ["id"], ["png", "svg", "pdf"], MAPS)
    second = export_charts(processed, tmp_path / "b", ["id"], ["png", "svg", "pdf"], MAPS)
    assert len(first) == len(second) == 10
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    svg = (tmp_path / "a" / "id" / "partner_map.svg").read_text()
    assert "Negara mitra, semua tahun" in svg and "Natural Earth" in svg
    assert (tmp_path / "a" / "id" / "partner_map_by_period.json").is_file()


def test_map_counts_agree_with_the_top_partners_chart_and_periods_add_up(tables):
    from kss_analysis.outputs.charts.standard import chart_top_partner_countries

    whole = chart_partner_map(tables, "en").data.set_index("iso3")["value"]
    top = chart_top_partner_countries(tables, "en").data.set_index("recipient_iso3")["programmes"]
    assert (whole[top.index] == top).all()  # same counting rule, same numbers
    by_period = chart_partner_map_by_period(tables, "en").data.groupby("iso3")["value"].sum()
    assert (by_period <= whole[by_period.index]).all()  # undated programmes are only in the all-years map
    acts = tables["activities"]
    undated = acts[acts["parent_activity_id"].isna() & acts["year"].isna()]["activity_id"]
    recips = tables["activity_recipients"]
    undated_pairs = recips[recips["activity_id"].isin(undated) & recips["recipient_iso3"].notna()]
    assert whole.sum() - by_period.sum() == len(undated_pairs[["activity_id", "recipient_iso3"]].drop_duplicates())
