"""Who ran a programme: the implementer_type vocabulary, its reading, the register rule and the chart.

The vocabulary (reference/implementer_types.csv) codes who ran a programme: a ministry or
national agency, a government training centre (balai), a provincial or local government,
a university, an NGO, a business or an embassy; a register names it in English or
Indonesian, and a value outside the table is kept, flagged and reported, never guessed.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

import kss_analysis as kss
from kss_analysis.build.pipeline import build_all
from kss_analysis.core import reference
from kss_analysis.ingest.readers import place_file
from kss_analysis.outputs.charts import standard
from kss_analysis.outputs.charts.export import load_chart_tables
from tests.paths import ROOT

REGISTER = ROOT / "data" / "raw" / "kss" / "kss_programmes.csv"
# Written out from the issue, not read from the table under test.
EXPECTED_CODES = {
    "ministry_agency",
    "training_centre",
    "local_government",
    "university",
    "ngo",
    "business",
    "embassy",
}


def test_the_vocabulary_has_every_type_with_english_and_indonesian_labels():
    en, id_ = reference.labels("implementer_types", "en"), reference.labels("implementer_types", "id")
    assert EXPECTED_CODES <= set(en) and set(en) == set(id_)
    for code in EXPECTED_CODES:
        assert en[code] and id_[code] and en[code] != id_[code], code


def test_every_implementer_type_in_the_register_is_a_code_and_only_where_an_implementer_is_named():
    with open(REGISTER, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    typed = [r for r in rows if r["implementer_type"]]
    assert {r["implementer_type"] for r in typed} <= EXPECTED_CODES
    assert not [r["programme_id"] for r in typed if not r["implementer"].strip()]


def test_a_register_names_the_type_in_indonesian_and_an_unknown_type_is_kept_and_flagged(tmp_path):
    path = tmp_path / "daerah.csv"
    path.write_text(
        "Judul,Tahun,Negara Peserta,Pelaksana,Jenis Pelaksana,Sumber\n"
        "Pelatihan irigasi,2019,Timor Leste,Universitas Gadjah Mada,universitas,https://example.org/1\n"
        "Pelatihan koperasi,2020,Fiji,Koperasi Tani,koperasi,https://example.org/2\n",
        encoding="utf-8",
    )
    tables = place_file(path, reader="register", source="register:daerah", file_label="daerah.csv")
    acts = tables.activities.set_index("title")
    assert acts.loc["Pelatihan irigasi", "implementer_type"] == "university"
    assert acts.loc["Pelatihan koperasi", "implementer_type"] == "unclassified"
    assert "koperasi" in acts.loc["Pelatihan koperasi", "unclassified"]
    assert int(tables.ledger["rows_kept"].sum()) == 2 and int(tables.ledger["rows_flagged"].sum()) == 1


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("implementers")
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    build_all(data)
    return data / "processed"


def test_the_chart_counts_what_the_api_returns_and_says_how_many_name_one(processed):
    tables, _ = load_chart_tables(processed)
    chart = standard.chart_programmes_by_implementer_type(tables, "en")
    api = kss.programmes(processed=processed, lang="en")
    drawn = dict(zip(chart.data["implementer_type"], chart.data["programmes"], strict=True))
    assert drawn == api["implementer_type"].value_counts().to_dict()
    named = int(api["implementer_type"].notna().sum())
    share = f"{100 * named / len(api):.1f}%"
    notes = chart.figure.texts + [t for ax in chart.figure.axes for t in ax.texts]
    assert any(f"{named} of {len(api)} programmes ({share}) name who ran them" in t.get_text() for t in notes)
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert "Government training centre" in labels
    id_labels = [
        t.get_text()
        for t in standard.chart_programmes_by_implementer_type(tables, "id").figure.axes[0].get_yticklabels()
    ]
    assert "Balai pelatihan pemerintah" in id_labels and "Government training centre" not in id_labels


def test_the_notebook_sentence_is_written_from_the_numbers():
    """Synthetic rows: 3 programmes, 2 naming who ran them (one university), a child row not counted."""
    import pandas as pd

    from kss_analysis.outputs.notebooks import reading

    activities = pd.DataFrame(
        {
            "activity_id": ["a", "b", "c", "d"],
            "implementer_type": ["ministry_agency", "university", None, "university"],
            "parent_activity_id": [None, None, None, "a"],
            "duplicate_of": [None, None, None, None],
            "counted": [True, True, True, False],
        }
    )
    data = pd.DataFrame({"implementer_type": ["ministry_agency", "university"], "programmes": [1, 1]})
    sentence = reading.implementer_types(data, activities)
    assert sentence.startswith("2 of 3 programmes (66.7%) name who ran them.")
    assert "universities, NGOs and businesses ran 1," in sentence
    assert reading.implementer_types(data.iloc[:0], activities.assign(implementer_type=None)).startswith("No programme")
