"""Constant prices for the newest years: a year whose stated amounts have no deflator yet is drawn
on the chart itself as an empty slot saying so ('no deflator yet' / 'belum ada deflator'), and
its chart CSV row has an empty amount and a ``price_status``; no deflator value is invented.

The expected years are derived without the chart code: the last year of each country's series
in the package's deflator extract (reference/deflators.csv, read with the csv module) and the
amounts the API says the totals count (``kss.programmes(counted_only=False)``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation

import kss_analysis as kss
from kss_analysis.core.config import PACKAGE_DIR
from kss_analysis.outputs.charts import style
from kss_analysis.outputs.charts.export import export_charts, figure_bytes, load_chart_tables
from kss_analysis.outputs.charts.layout import overlaps_when_saved
from kss_analysis.outputs.charts.standard import SPECS, draw

WORDS = {"en": "no deflator yet", "id": "belum ada deflator"}  # what a reader sees at the empty year
STATUS_LABELS = {"en": {"no_deflator_yet": "no deflator yet", "constant_prices": "constant prices"},
                 "id": {"no_deflator_yet": "belum ada deflator", "constant_prices": "harga konstan"}}  # fmt: skip
# chart -> (deflator series it needs, currency of the amounts it adds up: None = every currency)
CHARTS = {"funding_idr_constant_by_year": ("IDN", "IDR"), "funding_usd_constant_by_year": ("USA", None)}


def _last_deflator_year(iso3: str) -> int:
    with open(PACKAGE_DIR / "reference" / "deflators.csv", encoding="utf-8", newline="") as handle:
        return max(
            int(row["Year"]) for row in csv.DictReader(handle) if row["Country Code"] == iso3 and row["Inflation"]
        )


@pytest.fixture(scope="module")
def exported(register_build: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deflator-charts")
    export_charts(register_build / "processed", out, ["en", "id"], [], list(CHARTS), echo=lambda _: None)
    return out


@pytest.fixture(scope="module")
def counted_amounts(register_build: Path) -> pd.DataFrame:
    rows = kss.programmes(processed=register_build / "processed", lang="en", counted_only=False)
    return rows[rows["amount_counted"].notna() & rows["year"].notna()]


def _expected_slots(counted_amounts: pd.DataFrame, chart: str) -> list[int]:
    iso3, currency = CHARTS[chart]
    rows = counted_amounts if currency is None else counted_amounts[counted_amounts["currency"] == currency]
    return sorted({int(y) for y in rows["year"] if int(y) > _last_deflator_year(iso3)})


def test_the_embedded_register_has_rupiah_amounts_past_the_deflator(counted_amounts):
    """The case this file is about exists in the data (else the tests below prove nothing)."""
    assert _expected_slots(counted_amounts, "funding_idr_constant_by_year")


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_a_year_without_deflator_is_a_csv_row_with_an_empty_amount_and_a_status(exported, counted_amounts, chart, lang):
    frame = pd.read_csv(exported / "en" / f"{chart}.csv", keep_default_na=False, na_values=[""])
    value = "amount_idr_constant" if "idr" in chart else "amount_usd_constant"
    waiting = frame[frame["price_status"] == "no_deflator_yet"]
    assert sorted(waiting["year"]) == _expected_slots(counted_amounts, chart)
    assert waiting[[value, "amount_basis", "amounts"]].isna().all().all()  # empty, never zero
    converted = frame[frame["price_status"] == "constant_prices"]
    assert len(converted) + len(waiting) == len(frame)
    assert converted[value].notna().all() and (converted[value] > 0).all()
    assert not set(converted["year"]) & set(waiting["year"])
    assert converted["year"].max() <= _last_deflator_year(CHARTS[chart][0])  # nothing past the series is priced
    written = pd.read_csv(exported / lang / f"{chart}.csv", keep_default_na=False, na_values=[""], dtype=str)
    assert len(written) == len(frame)
    status, label = written.columns[-2], written.columns[-1]  # the status (code) column, then its name
    assert written[status].tolist() == frame["price_status"].tolist()
    assert written[label].tolist() == [STATUS_LABELS[lang][s] for s in frame["price_status"]]


@pytest.fixture(scope="module")
def tables(register_build: Path) -> dict:
    return load_chart_tables(register_build / "processed")[0]


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_the_chart_draws_the_year_as_an_empty_slot_in_its_language(tables, counted_amounts, chart, lang):
    expected = _expected_slots(counted_amounts, chart)
    output = draw(SPECS[chart], tables, lang)
    fig = output.figure
    try:
        ax = fig.axes[0]
        marks = [a for a in ax.texts if isinstance(a, Annotation) and a.get_text() == WORDS[lang]]
        assert sorted(int(a.xy[0]) for a in marks) == expected
        assert not [a for a in ax.texts if a.get_text() == WORDS["en" if lang == "id" else "id"]]
        low, high = ax.get_xlim()
        assert all(low < year < high for year in expected)
        with overlaps_when_saved(fig) as saved:
            figure_bytes(fig, "png")
        assert saved.overlaps == []
        axes_box = ax.get_window_extent()
        for mark in marks:  # the words stay inside the plotting area, above the axis
            box = mark.get_window_extent()
            assert axes_box.y0 <= box.y0 and box.y1 <= axes_box.y1 + 0.5, (chart, lang, box, axes_box)
        for year in expected:  # no filled bar at the year: only the hatched outline
            filled = [
                p for p in ax.patches
                if isinstance(p, Rectangle) and abs(p.get_x() + p.get_width() / 2 - year) < 0.01
                and p.get_facecolor()[3] > 0 and p.get_height() > 0
            ]  # fmt: skip
            assert filled == [], (chart, lang, year)
    finally:
        plt.close(fig)


def test_an_empty_slot_on_a_synthetic_chart_keeps_its_place_and_its_words():
    """Two priced years and one without a deflator (synthetic): the slot is on the axis, with the words."""
    frame = pd.DataFrame({"year": [2021, 2022], "amount_basis": ["stated", "in_kind"], "value": [3.0, 5.0]})
    with plt.style.context(style.STYLE):
        fig = style.plot_stacked_by_period(
            frame, period="year", category="amount_basis", value="value", kind="amount_basis", lang="id",
            titles=style.Titles("t", "s", style.Footer("synthetic", "amounts")), y_label="v", whole_numbers=False,
            empty_slots={2023: "belum ada deflator"},
        )  # fmt: skip
    ax = fig.axes[0]
    assert [(int(a.xy[0]), a.get_text()) for a in ax.texts] == [(2023, "belum ada deflator")]
    assert ax.get_xlim()[1] > 2023
    plt.close(fig)
