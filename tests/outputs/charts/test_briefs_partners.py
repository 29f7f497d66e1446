"""One organisation, one bar: triangular partners resolved through reference/organisations.csv
and its alias table, cells naming several organisations split at ';', unknown names as written."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from kss_analysis.core import organisations, reference
from kss_analysis.core.config import REFERENCE_DIR
from kss_analysis.outputs.charts.export import load_chart_tables
from kss_analysis.outputs.charts.standard import SPECS, draw
from kss_analysis.outputs.charts.style import BAR_LABEL_CHARS
from tests.paths import ROOT

TYPES = {
    "government",
    "government_agency",
    "un_system",
    "multilateral_bank",
    "intergovernmental",
    "foundation",
    "ngo",
    "research",
    "red_cross_red_crescent",
}


@pytest.fixture(scope="module")
def tables(register_build: Path) -> dict:
    return load_chart_tables(register_build / "processed")[0]  # the embedded register alone


@pytest.fixture(scope="module")
def partners(tables):
    charts = {lang: draw(SPECS["triangular_partners"], tables, lang) for lang in ("en", "id")}
    yield charts
    for chart in charts.values():
        plt.close(chart.figure)


def _register_cells() -> list[str]:
    """The embedded register's triangular_partner cells of top-level programmes, read without the pipeline."""
    with open(ROOT / "data" / "raw" / "kss" / "kss_programmes.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["triangular_partner"] for r in rows if r["triangular_partner"].strip() and not r["parent_programme_id"]]


def test_every_partner_named_in_the_embedded_register_is_a_known_organisation():
    names = {name for cell in _register_cells() for name in organisations.split_names(cell)}
    assert len(names) > 20
    assert {n for n in names if organisations.resolve(n) is None} == set()


def test_no_two_bars_are_the_same_organisation_and_isdb_counts_five(partners):
    data = partners["en"].data
    assert data["triangular_partner"].is_unique
    assert set(data["triangular_partner"]) <= set(organisations.organisations())  # every bar a known organisation
    resolved = {name: organisations.resolve(name) for names in data["names_as_written"] for name in names.split("; ")}
    for key, names in zip(data["triangular_partner"], data["names_as_written"], strict=True):
        assert {resolved[n] for n in names.split("; ")} == {key}
    counts = data.set_index("triangular_partner")["programmes"]
    assert counts["isdb"] == 5  # 'Islamic Development Bank (IsDB)' 3 + 'IsDB' 2
    assert counts["ndi"] == 5  # 2 alone + 3 in 'Centre for Democratic Institutions (ANU); National ...'
    assert counts["cdi_anu"] == 3
    assert counts["norway"] == 4 and counts["usaid"] == 2 and counts["colombo_plan"] == 9
    labels = [t.get_text() for t in partners["en"].figure.axes[0].get_yticklabels()]
    assert labels.count("Islamic Development Bank (IsDB)") == 1 and "IsDB" not in labels
    assert not any(";" in label for label in labels)


def test_bars_add_up_to_programme_organisation_pairs(tables, partners):
    acts = tables["activities"]
    top = acts[acts["parent_activity_id"].isna() & (acts["cooperation_type"] == "triangular")]
    pairs = {
        (activity, organisations.resolve(name) or name)
        for activity, cell in zip(top["activity_id"], top["triangular_partner"], strict=True)
        for name in organisations.split_names(cell)
    }
    assert partners["en"].data["programmes"].sum() == len(pairs)
    assert len(pairs) > len(top)  # some programmes name two organisations


def test_indonesian_bars_use_the_indonesian_names(partners):
    labels = [t.get_text() for t in partners["id"].figure.axes[0].get_yticklabels()]
    assert "Bank Pembangunan Islam (IsDB)" in labels and "Norwegia" in labels and "Amerika Serikat" in labels
    assert "Norway" not in labels
    assert list(partners["id"].data["programmes"]) == sorted(partners["id"].data["programmes"], reverse=True)


def test_unknown_names_are_shown_as_written_and_cells_split_at_semicolons():
    rows = pd.DataFrame(  # synthetic
        {
            "activity_id": ["a", "b", "c", "d", "e"],
            "triangular_partner": [
                "IsDB; Islamic Development Bank (IsDB)",  # one organisation twice: counted once
                "Japan; UN ESCAP",
                "Yayasan Contoh Nusantara",
                "+SUM(1;1)",  # a ';' inside brackets belongs to the name
                "Development Bank",  # a part of a name is not guessed
            ],
        }
    )
    data = organisations.partner_counts(rows, "triangular_partner", "en").set_index("triangular_partner")
    assert data.loc["isdb", "programmes"] == 1
    assert data.loc["japan", "programmes"] == 1 and data.loc["escap", "programmes"] == 1
    for unknown in ("Yayasan Contoh Nusantara", "+SUM(1;1)", "Development Bank"):
        assert data.loc[unknown, "triangular_partner_label"] == unknown
        assert data.loc[unknown, "names_as_written"] == unknown
    # the full name without its acronym is the same organisation
    assert organisations.resolve("Islamic Development Bank") == "isdb"
    assert organisations.split_names("Norway (embassy; Jakarta);; WHO ") == ["Norway (embassy; Jakarta)", "WHO"]
    assert organisations.split_names(None) == [] and organisations.split_names(float("nan")) == []


def test_the_organisation_table_and_its_aliases_agree():
    table = reference.read_reference("organisations")
    ids = [row["id"] for row in table]
    assert len(ids) == len(set(ids))
    for row in table:
        assert row["type"] in TYPES, row["id"]
        assert not row["country_iso3"] or row["country_iso3"] in reference.countries(), row["id"]
        assert all(row[c].strip() for c in organisations.NAME_COLUMNS), row["id"]
        assert max(len(row["short_en"]), len(row["short_id"])) <= BAR_LABEL_CHARS, row["id"]  # one line on a bar
    aliases = reference.read_reference("organisation_aliases")
    assert {row["organisation"] for row in aliases} <= set(ids)
    lookup = organisations.lookup()  # raises when one name points to two organisations
    assert all(lookup[reference.normalise_name(row["alias"])] == row["organisation"] for row in aliases)
    header = (REFERENCE_DIR / "organisations.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("id,name_en,name_id")
