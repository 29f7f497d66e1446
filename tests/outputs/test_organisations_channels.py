"""Channels (the organisation that delivers the aid: WFP, UNRWA, a Red Crescent society) go through
the organisation table like triangular partners: every channel name in the embedded register
resolves to one organisation or is listed as unresolved in the organisations table export;
a cell naming two organisations counts for each; names are shown as the table names them.

The register is read here with the csv module, and what each channel name is was looked up by
hand from the organisations' own public names (CHANNELS below), not taken from the code.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import kss_analysis as kss
from kss_analysis.core import organisations
from kss_analysis.outputs.tables.export import export_tables, organisations_table
from tests.paths import ROOT

# Channel name as the embedded register writes it -> organisation id (None: names no one organisation).
CHANNELS = {
    "ASEAN AHA Centre": "aha_centre",
    "ASEAN Secretariat": "asean_secretariat",
    "Egyptian Red Crescent": "egyptian_red_crescent",
    "Egyptian Red Crescent (North Sinai)": "egyptian_red_crescent",  # its branch in North Sinai
    "FAO": "fao",
    "International Committee of the Red Cross (ICRC)": "icrc",
    "Jordan Hashemite Charity Organization (JHCO)": "jhco",
    "Myanmar Red Cross Society": "myanmar_red_cross",
    "Palestine Red Crescent (Gaza)": "palestine_red_crescent",  # its branch in Gaza
    "Palestine Red Crescent Society": "palestine_red_crescent",
    "Red Crescent Society of Iran": "iranian_red_crescent",
    "Royal Jordanian Air Force": "royal_jordanian_air_force",
    "UN agency (not named)": None,  # a UN agency the source does not name: no organisation to count
    "UNDP Indonesia": "undp",  # UNDP's country office
    "UNICEF": "unicef",
    "UNRWA": "unrwa",
    "WFP": "wfp",
}


def _register() -> list[dict[str, str]]:
    with open(ROOT / "data" / "raw" / "kss" / "kss_programmes.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _channel_names(cell: str) -> list[str]:
    """Names of a channel cell: no channel cell has a ';' inside brackets, so a plain split does."""
    assert "(" not in cell or all(";" not in part.split(")")[0] for part in cell.split("(")[1:]), cell
    return [name.strip() for name in cell.split(";") if name.strip()]


def _channel_cells() -> dict[str, str]:
    return {row["programme_id"]: row["channel"] for row in _register() if row["channel"].strip()}


def test_every_channel_name_of_the_register_is_known_here():
    """A new channel name in the register fails here until it is resolved (or said to name no one)."""
    names = {name for cell in _channel_cells().values() for name in _channel_names(cell)}
    assert names == set(CHANNELS)
    assert any(len(_channel_names(cell)) > 1 for cell in _channel_cells().values())  # the case of two exists


@pytest.mark.parametrize("name", sorted(CHANNELS))
def test_each_channel_name_resolves_to_its_organisation(name):
    assert organisations.resolve(name) == CHANNELS[name]
    if CHANNELS[name]:
        row = organisations.organisations()[CHANNELS[name]]
        assert all(row[c].strip() for c in organisations.NAME_COLUMNS)


@pytest.fixture(scope="module")
def report(register_build: Path) -> dict[str, pd.DataFrame]:
    processed = register_build / "processed"
    return {lang: organisations_table(processed, lang) for lang in ("en", "id")}


def test_every_channel_value_resolves_or_is_listed_as_unresolved(report):
    channels = report["en"][report["en"]["role"] == "channel"]
    listed = channels[~channels["resolved"]]
    unresolved_written = {name for names in listed["names_as_written"] for name in names.split("; ")}
    for cell in _channel_cells().values():
        for name in _channel_names(cell):
            assert organisations.resolve(name) is not None or name in unresolved_written, name
    assert unresolved_written == {n for n, key in CHANNELS.items() if key is None}
    assert listed["organisation"].isna().all()
    assert channels.index[~channels["resolved"]].max() < channels.index[channels["resolved"]].min()  # listed first
    resolved = channels[channels["resolved"]]
    assert resolved["organisation"].is_unique  # one row per organisation, whatever the spelling
    assert set(resolved["organisation"]) == {key for key in CHANNELS.values() if key}


def test_a_cell_naming_two_organisations_counts_for_each(register_build, report):
    counted = set(kss.programmes(processed=register_build / "processed", lang="en")["activity_id"])
    expected: dict[str, set[str]] = {}
    for programme, cell in _channel_cells().items():
        if programme in counted:
            for name in _channel_names(cell):
                expected.setdefault(CHANNELS[name] or name, set()).add(programme)
    channels = report["en"][report["en"]["role"] == "channel"]
    got = dict(zip(channels["organisation"].fillna(channels["names_as_written"]), channels["programmes"], strict=True))
    assert got == {key: len(ids) for key, ids in expected.items()}
    assert got["egyptian_red_crescent"] == 2 and got["palestine_red_crescent"] == 2  # each from a two-name cell


def test_channel_names_are_the_organisations_names_in_the_readers_language(register_build):
    processed = register_build / "processed"
    cells = _channel_cells()
    two = next(p for p, cell in cells.items() if _channel_names(cell) == ["Egyptian Red Crescent", "Palestine Red Crescent Society"])  # fmt: skip
    for lang, names in (
        ("en", "Egyptian Red Crescent; Palestine Red Crescent"),
        ("id", "Bulan Sabit Merah Mesir; Bulan Sabit Merah Palestina"),
    ):
        rows = kss.programmes(processed=processed, lang=lang).set_index("activity_id")
        assert rows.loc[two, "channel"] == cells[two]  # as written, beside the names
        assert rows.loc[two, "channel_names"] == names
        named = kss.organisations(processed=processed, lang=lang)
        mine = named[(named["activity_id"] == two) & (named["role"] == "channel")]
        assert sorted(mine["organisation"]) == ["egyptian_red_crescent", "palestine_red_crescent"]
        assert "; ".join(mine["organisation_name"]) == names


def test_the_organisations_table_is_exported_with_its_unresolved_rows(register_build, tmp_path):
    export_tables(register_build / "processed", tmp_path, ["csv"], "id")
    written = pd.read_csv(tmp_path / "organisations.csv", dtype=str, keep_default_na=False)
    assert "Organisasi (kode)" in written.columns and "Peran" in written.columns
    channel_rows = written[written["Peran (kode)"] == "channel"]
    assert set(channel_rows["Peran"]) == {"Saluran (penyalur bantuan)"}
    unknown = channel_rows[channel_rows["Organisasi (kode)"] == ""]
    assert list(unknown["Nama sebagaimana ditulis dalam register"]) == ["UN agency (not named)"]
