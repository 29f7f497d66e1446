"""Register coverage of official programme counts (issue 16): recomputed from the CSVs,
rules on a synthetic figures table, and the chart in both languages."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.ingest.headline_figures import read_figures
from kss_analysis.ingest.register.place import place_register
from kss_analysis.ingest.register.read import read_register
from kss_analysis.outputs.charts.export import export_charts
from kss_analysis.outputs.coverage import NO_FIGURES, coverage_table
from tests.paths import ROOT

KSS = ROOT / "data" / "raw" / "kss"


def _register_activities() -> pd.DataFrame:
    return place_register(read_register(KSS / "kss_programmes.csv"), source="kss").activities


def _plain_recount() -> dict[str, tuple[int, int, str, str, str]]:
    """figure_id -> (register programmes, official count, first year, last year, qualifier),
    recounted from the two CSVs with plain pandas."""
    programmes = pd.read_csv(KSS / "kss_programmes.csv", dtype=str, keep_default_na=False)
    figures = pd.read_csv(KSS / "kss_figures.csv", dtype=str, keep_default_na=False)
    counted = programmes[(programmes["parent_programme_id"] == "") & (programmes["year"] != "")]
    years = counted["year"].astype(int)
    official = figures[
        (figures["scope"] == "indonesia")
        & figures["unit"].isin(["programmes", "activities", "trainings"])
        & (figures["breakdown_dimension"] == "total")
        & ~figures["indicator"].str.contains("planned|target")
        & (figures["period_start"] != "")
        & (figures["period_end"] != "")
    ]
    return {
        row.figure_id: (
            int(years.between(int(row.period_start[:4]), int(row.period_end[:4])).sum()),
            int(row.value),
            row.period_start[:4],
            row.period_end[:4],
            row.value_qualifier,
        )
        for row in official.itertuples()
    }


def test_ratios_match_a_plain_pandas_recount_of_the_two_csvs():
    expected = {figure: counts[:2] for figure, counts in _plain_recount().items()}
    table = coverage_table(_register_activities(), read_figures(KSS / "kss_figures.csv"))
    got = {row.figure_id: (row.register_programmes, row.official_programmes) for row in table.itertuples()}
    assert got == expected
    assert {"FIG-0012", "FIG-0014"} <= set(got)  # Kornas 2000-2013 and 2014
    for row in table.itertuples():
        assert row.ratio == pytest.approx(row.register_programmes / row.official_programmes, abs=5e-5)
        assert row.source_url.startswith("http")


def _figure(figure_id, start, end, value, **changes) -> dict:
    row = {
        "figure_id": figure_id,
        "indicator": "programmes_implemented",
        "scope": "indonesia",
        "period_start": start,
        "period_end": end,
        "breakdown_dimension": "total",
        "value": value,
        "value_qualifier": "exact",
        "unit": "programmes",
        "source_url": f"https://example.org/{figure_id}",
    }
    return {**row, **changes}


def test_only_stated_periods_of_whole_programme_counts_are_compared():
    # Synthetic register and figures (test data, not real programmes).
    activities = pd.DataFrame(
        {
            "activity_id": ["A", "B", "B1", "C", "D"],
            "parent_activity_id": [None, None, "B", None, None],
            "year": [2001, 2005, 2005, 2010, None],
        }
    )
    figures = pd.DataFrame(
        [
            _figure("F1", "2000", "2005", 8),
            _figure("F2", "2010-01", "2010-06", 4),
            _figure("F3", "", "2015", 100, indicator="programmes_cumulative"),  # no start: left out
            _figure("F4", "2000", "2005", 9, indicator="programmes_planned"),  # planned: left out
            _figure("F5", "2000", "2005", 5, breakdown_dimension="region"),  # breakdown: left out
            _figure("F6", "2000", "2005", 50, unit="participants"),  # not a programme count
            _figure("F7", "2000", "2005", 3, scope="jica_global"),
        ]
    )
    table = coverage_table(activities, figures)
    assert table["figure_id"].tolist() == ["F1", "F2"]
    assert table["register_programmes"].tolist() == [2, 1]  # B1 is part of B; D is undated
    assert table["ratio"].tolist() == [0.25, 0.25]
    assert coverage_table(activities, NO_FIGURES).empty


@pytest.fixture(scope="module")
def processed(register_build) -> Path:
    return register_build / "processed"


def test_coverage_chart_is_drawn_in_both_languages(processed, tmp_path):
    export_charts(processed, tmp_path, ["en", "id"], ["svg"], names=["register_coverage"])
    english = (tmp_path / "en" / "register_coverage.svg").read_text()
    indonesian = (tmp_path / "id" / "register_coverage.svg").read_text()
    assert "How much of Indonesia" in english and " of 700 (" in english
    assert "tercakup register" in indonesian and " dari 700 (" in indonesian
    plotted = pd.read_csv(tmp_path / "en" / "register_coverage.csv")
    assert (
        plotted["figure_id"].tolist()
        == coverage_table(_register_activities(), read_figures(KSS / "kss_figures.csv"))["figure_id"].tolist()
    )


def test_coverage_chart_without_the_figures_register_has_no_bars():
    # A user's own registers without kss_figures: the chart is still drawn, with no official counts.
    from kss_analysis.outputs.charts.standard import chart_register_coverage

    chart = chart_register_coverage({"activities": _register_activities()}, "id")
    assert chart.data.empty
    assert len(chart.figure.axes[0].patches) == 0


PROGRAMME_CHARTS = ["programmes_by_year", "region_by_period", "top_partner_countries", "partner_map"]


@pytest.mark.slow  # about 3.5 s; the next test checks, fast, that the footer is there with the figures
def test_programme_chart_footers_give_the_coverage_of_every_official_count(processed, tmp_path):
    export_charts(processed, tmp_path, ["en", "id"], ["svg"], names=[*PROGRAMME_CHARTS, "participants_by_year"])
    recount = _plain_recount()
    assert len(recount) >= 3
    english, indonesian = [], []
    for register, official, first, last, qualifier in recount.values():
        period = first if first == last else f"{first}–{last}"
        pct = f"{100 * register / official:.1f}"
        at_most = ("at most ", "paling banyak ") if qualifier == "lower_bound" else ("", "")
        over = ("over ", "lebih dari ") if qualifier == "lower_bound" else ("", "")
        english.append(f"{at_most[0]}{pct}% for {period} ({register} of {over[0]}{official:,})")
        official_id = f"{official:,}".replace(",", ".")  # Indonesian: 1.234,5
        pct_id = pct.replace(".", ",")
        indonesian.append(f"{at_most[1]}{pct_id}% untuk {period} ({register} dari {over[1]}{official_id})")
    for name in PROGRAMME_CHARTS:
        notes_en = " ".join(json.loads((tmp_path / "en" / f"{name}.json").read_text())["notes"])
        notes_id = " ".join(json.loads((tmp_path / "id" / f"{name}.json").read_text())["notes"])
        for phrase in english:
            assert phrase in notes_en, (name, phrase, notes_en)
        for phrase in indonesian:
            assert phrase in notes_id, (name, phrase, notes_id)
    # participants are not programmes: official programme counts say nothing of their coverage
    participants = " ".join(json.loads((tmp_path / "en" / "participants_by_year.json").read_text())["notes"])
    assert "official programme counts" not in participants


def test_programme_chart_footers_without_the_figures_register_say_nothing_of_coverage():
    from kss_analysis.outputs.charts.standard import chart_programmes_by_year

    activities = _register_activities()
    with_figures = chart_programmes_by_year(
        {"activities": activities, "kss_figures": read_figures(KSS / "kss_figures.csv")}, "en"
    )
    without = chart_programmes_by_year({"activities": activities}, "en")
    assert any("official programme counts" in n for n in with_figures.meta["notes"])
    assert not any("official programme counts" in n for n in without.meta["notes"])
