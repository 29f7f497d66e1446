"""Charts as data: every spec draws, colours come from the code tables, comparison charts export."""

from __future__ import annotations

from pathlib import Path

import matplotlib.colors
import pandas as pd
import pytest

from kss_analysis.core import reference
from kss_analysis.outputs.charts import standard as standard_charts
from kss_analysis.outputs.charts import style as charts
from kss_analysis.outputs.charts.export import export_charts, load_chart_tables
from kss_analysis.outputs.charts.standard import COMPARISON_SPECS, REGISTER_SPECS, ChartSpec, draw


@pytest.fixture(scope="module")
def processed(built_data) -> Path:
    return built_data / "processed"


@pytest.mark.parametrize("table", ["regions", "sector_themes", "modalities", "cooperation_types"])
def test_every_code_has_its_own_valid_colour(table):
    rows = reference.read_reference(table)
    colours = [row["colour"] for row in rows]
    assert all(matplotlib.colors.is_color_like(c) for c in colours)
    assert len(set(colours)) == len(colours), f"{table}: two codes share a colour"


def test_a_code_without_a_colour_is_an_error_not_a_borrowed_colour():
    with pytest.raises(KeyError, match=r"sector_themes\.csv has no colour for sector_theme 'space_programme'"):
        charts.colour_of("sector_theme", "space_programme")
    assert charts.colour_of("sector_theme", "not_stated") == "#BBBBBB"
    assert charts.colour_of("recipient_iso3", "FJI") == charts.UNCODED_COLOUR  # no code table: one documented colour


def test_every_spec_has_its_text_in_both_languages():
    keys = {row["key"] for row in reference.read_reference("chart_text")}
    for spec in (*REGISTER_SPECS, *COMPARISON_SPECS):
        wanted = {f"title_{spec.name}", f"subtitle_{spec.name}", spec.source, spec.measure_text, *spec.basis}
        assert wanted | ({spec.extra_source} if spec.extra_source else set()) <= keys
    assert len({s.name for s in (*REGISTER_SPECS, *COMPARISON_SPECS)}) == len(REGISTER_SPECS) + len(COMPARISON_SPECS)


def test_every_exported_register_chart_is_a_spec_drawn_by_draw():
    # money, coverage and maps included: no chart is drawn by a function of its own

    assert {"funding_usd_constant_by_year", "register_coverage", "partner_map", "partner_map_by_period"} <= {
        spec.name for spec in REGISTER_SPECS
    }
    assert set(standard_charts.STANDARD_CHARTS) == {spec.name for spec in REGISTER_SPECS}
    for drawer in standard_charts.STANDARD_CHARTS.values():
        assert drawer.func is draw


def test_notebook_names_still_draw(processed):
    tables, _ = load_chart_tables(processed)
    chart = standard_charts.chart_programmes_by_sector(tables, "en")
    assert chart.dataset == "programmes_by_sector_year"
    assert chart.data["programmes"].is_monotonic_decreasing
    with pytest.raises(AttributeError):
        standard_charts.chart_no_such_chart  # noqa: B018


def test_a_new_chart_is_one_spec(processed):
    tables, _ = load_chart_tables(processed)
    spec = ChartSpec("programmes_by_modality", "activities", "totals", "modality", filters={"modality": ["training"]})
    chart = draw(spec, tables, "id")
    top = tables["activities"][tables["activities"]["parent_activity_id"].isna()]
    assert chart.data.to_dict("records") == [
        {"modality": "training", "programmes": int((top["modality"] == "training").sum())}
    ]
    assert chart.filters == {"modality": ["training"]}


def test_comparison_charts_are_exported_exactly_when_their_sources_are_built(processed, tmp_path):
    export_charts(processed, tmp_path, ["en"], ["svg"], names=[spec.name for spec in COMPARISON_SPECS])
    built = set(pd.read_parquet(processed / "activities.parquet", columns=["source"])["source"])
    for spec in COMPARISON_SPECS:
        assert (tmp_path / "en" / f"{spec.name}.csv").exists() == (set(spec.needs_sources) <= built), spec.name
