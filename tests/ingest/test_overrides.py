"""User alias tables under data/raw/reference/ and country names in other languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from kss_analysis.build.pipeline import build_all
from kss_analysis.core import io, reference
from kss_analysis.core.errors import InputError
from kss_analysis.ingest.classify import classify_country
from tests.conftest import write_csv


def _register(data: Path, rows: list[list[str]]) -> None:
    (data / "raw" / "registers").mkdir(parents=True, exist_ok=True)
    write_csv(data / "raw" / "registers" / "mine.csv", rows)


def test_a_portuguese_country_list_resolves_without_package_edits(tmp_path):
    # Synthetic register in Portuguese and French spellings.
    _register(
        tmp_path,
        [
            ["title", "year", "partner_countries"],
            ["Formação A", "2022", "Afeganistão; Moçambique; Guiné-Bissau; São Tomé e Príncipe"],
            ["Formation B", "2023", "Côte d'Ivoire; Sénégal; Tchad"],
            ["Ambiguous", "2023", "Nigeri"],  # Niger or Nigeria, depending on the language
        ],
    )
    result = build_all(tmp_path)
    recips = result.tables.activity_recipients
    acts = result.tables.activities.set_index("title")
    codes = lambda title: sorted(recips.loc[recips["activity_id"] == acts.loc[title, "activity_id"], "recipient_iso3"])  # noqa: E731
    assert codes("Formação A") == ["AFG", "GNB", "MOZ", "STP"]
    assert codes("Formation B") == ["CIV", "SEN", "TCD"]
    quarantined = result.tables.quarantine
    assert quarantined["reason_code"].tolist() == ["ambiguous_country"]  # named as such, with both candidates
    assert quarantined["value"].tolist() == ["Nigeri"]


def test_an_alias_added_under_raw_reference_takes_effect_on_the_next_build(tmp_path):
    _register(
        tmp_path,
        [["judul", "tahun", "negara_peserta", "sektor"], ["Pelatihan tenun", "2024", "Kep. Solomon", "kriya tenun"]],
    )
    first = build_all(tmp_path)
    assert first.tables.quarantine["reason_code"].tolist() == ["unknown_country"]
    assert "data/raw/reference/country_aliases.csv" in first.tables.quarantine["message"].iloc[0]

    folder = tmp_path / "raw" / "reference"
    folder.mkdir()
    write_csv(
        folder / "country_aliases.csv", [["alias", "iso3", "lang", "note"], ["Kep. Solomon", "SLB", "id", "ours"]]
    )
    write_csv(folder / "sector_keywords.csv", [["keyword", "theme", "lang"], ["tenun", "tourism_culture", "id"]])
    second = build_all(tmp_path)
    assert second.tables.quarantine.empty
    act = second.tables.activities.iloc[-1]
    assert act["sector_theme"] == "tourism_culture"
    assert second.tables.activity_recipients.iloc[-1]["recipient_iso3"] == "SLB"
    inputs = io.read_metadata(tmp_path / "processed" / "activities.parquet")["inputs"]
    assert inputs["reference/country_aliases.csv"] == io.sha256_file(folder / "country_aliases.csv")
    assert "reference/sector_keywords.csv" in inputs
    # the build turns the user's tables off again: nothing leaks into later work
    assert classify_country("Kep. Solomon") is None


def test_a_user_alias_wins_over_the_package_alias_of_the_same_name(tmp_path):
    folder = tmp_path / "reference"
    folder.mkdir()
    write_csv(
        folder / "country_aliases.csv", [["alias", "iso3", "lang", "note"], ["Congo", "COD", "en", "we mean DRC"]]
    )
    before = classify_country("Congo")
    try:
        reference.use_overrides(folder)
        assert classify_country("Congo") == "COD" != before
    finally:
        reference.use_overrides(None)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["alias", "iso3"], ["X", "FJI"]], "columns must be alias,iso3,lang,note"),
        ([["alias", "iso3", "lang", "note"], ["X", "XXX", "en", ""]], "row 2: iso3 'XXX'"),
    ],
)
def test_a_bad_override_file_is_named_with_what_to_fix(tmp_path, rows, message):
    folder = tmp_path / "raw" / "reference"
    folder.mkdir(parents=True)
    write_csv(folder / "country_aliases.csv", rows)
    _register(tmp_path, [["title", "year", "partner_countries"], ["A", "2020", "Fiji"]])
    with pytest.raises(InputError, match=message) as caught:
        build_all(tmp_path)
    assert caught.value.file.endswith("country_aliases.csv")
    assert classify_country("Fiji") == "FJI"  # overrides are off again after the failed build


def test_an_alias_table_changed_during_a_build_is_read_as_it_was_checked(tmp_path, monkeypatch):
    """The build reads a private copy of raw/reference/, hashed while copied: a table rewritten
    once the build has started changes nothing, and the sha256 recorded is that of the bytes read."""
    import hashlib

    from kss_analysis.build import pipeline

    _register(tmp_path, [["judul", "tahun", "negara_peserta"], ["Pelatihan tenun", "2024", "Kep. Solomon"]])
    table = tmp_path / "raw" / "reference" / "country_aliases.csv"
    table.parent.mkdir()
    write_csv(table, [["alias", "iso3", "lang", "note"], ["Kep. Solomon", "SLB", "id", "ours"]])
    checked = hashlib.sha256(table.read_bytes()).hexdigest()
    original = pipeline._build_all

    def rewrite_then_build(*args, **kwargs):
        write_csv(table, [["alias", "iso3", "lang", "note"], ["Kep. Solomon", "FJI", "id", "swapped"]])
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_build_all", rewrite_then_build)
    result = build_all(tmp_path)
    assert result.tables.activity_recipients["recipient_iso3"].tolist() == ["SLB"]  # the table as checked
    provenance = io.read_metadata(tmp_path / "processed" / "activities.parquet")
    assert provenance["inputs"]["reference/country_aliases.csv"] == checked
