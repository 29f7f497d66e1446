"""Placing register rows: what is kept, fixed or quarantined, and the ledger that counts them."""

from __future__ import annotations

import pandas as pd
import pytest

from kss_analysis.core.validate import check_ledger, check_tables
from kss_analysis.ingest.register.place import place_register
from kss_analysis.ingest.register.read import read_register
from tests.conftest import HEADER_ID, write_csv


def build(tmp_path, rows, name="r.csv"):
    return place_register(read_register(write_csv(tmp_path / name, rows)), source="test")


def assert_balanced(tables):
    assert check_tables(tables) == []
    ledger = tables.ledger.iloc[0]
    assert ledger.rows_read == ledger.rows_kept + ledger.rows_fixed + ledger.rows_quarantined + ledger.rows_excluded


def test_indonesian_register_is_placed_and_fixes_are_counted(tmp_path, indonesian_rows):
    tables = build(tmp_path, indonesian_rows)
    assert_balanced(tables)
    acts = tables.activities.set_index("title")
    fish = acts.loc["Pelatihan budidaya ikan"]
    assert (fish.start_date, fish.participants, fish.sector_theme, fish.modality) == (
        "2017-07-17",
        20,
        "fisheries_marine",
        "training",
    )
    grant = acts.loc["Hibah peralatan pertanian"]
    assert (grant.amount, grant.currency, grant.flow_type) == (2.5e9, "IDR", "reported")
    assert pd.isna(grant.amount_usd)  # IDR never lands in a USD column
    sme = acts.loc["Pelatihan UMKM bersama JICA"]
    assert (sme.cooperation_type, sme.participants, sme.participants_qualifier) == ("triangular", 30, "lower_bound")
    recips = tables.activity_recipients
    assert sorted(recips["recipient_iso3"]) == ["CIV", "EGY", "PNG", "VNM", "ZAF"]
    assert recips.groupby("activity_id")["share"].sum().tolist() == pytest.approx([1.0, 1.0, 1.0])
    # every row needed a normalisation (dates, '20 orang', 'Rp 2,5 miliar', 'lebih dari 30')
    assert tables.ledger.iloc[0].rows_fixed == 3


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"Negara Peserta": "Atlantis"}, "unknown_country"),
        ({"Nilai": "5000000"}, "missing_currency"),
        ({"Nilai": "Rp 5 juta", "Mata Uang": "USD"}, "currency_conflict"),
        ({"Jumlah Peserta": "3,426 patients"}, "bad_participants"),
        ({"Jumlah Peserta": "-4"}, "bad_participants"),
        ({"Tahun": "tahun lalu"}, "bad_year"),
        ({"Tanggal Mulai": "31 Februari 2017"}, "bad_date"),
        ({"Judul": ""}, "missing_title"),
    ],
)
def test_rows_that_cannot_be_placed_go_to_quarantine_with_a_reason(tmp_path, indonesian_rows, cells, reason):
    rows = [list(r) for r in indonesian_rows]
    for column, value in cells.items():
        rows[1][HEADER_ID.index(column)] = value
    tables = build(tmp_path, rows)
    assert_balanced(tables)
    assert tables.quarantine["reason_code"].tolist() == [reason]
    assert tables.quarantine.iloc[0]["locator"] == "row 2"
    assert len(tables.activities) == 2  # the other rows still go through


def test_quarantine_keeps_the_raw_values(tmp_path, indonesian_rows):
    rows = [list(r) for r in indonesian_rows]
    rows[1][HEADER_ID.index("Negara Peserta")] = "Atlantis; Mesir"
    q = build(tmp_path, rows).quarantine.iloc[0]
    assert "Atlantis" in q["message"] and "Atlantis; Mesir" in q["raw"]


def test_duplicate_ids_and_unknown_parents_are_quarantined(tmp_path):
    rows = [
        ["programme_id", "parent_programme_id", "title", "year"],
        ["P1", "", "Package", "2015"],
        ["P2", "P1", "Part of the package", "2015"],
        ["P1", "", "Same id again", "2016"],
        ["P3", "P9", "Parent missing", "2016"],
    ]
    tables = build(tmp_path, rows)
    assert_balanced(tables)
    assert dict(zip(tables.quarantine["locator"], tables.quarantine["reason_code"], strict=True)) == {
        "row 4": "duplicate_id",
        "row 5": "unknown_parent",
    }
    assert tables.activities.set_index("activity_id").loc["P2", "parent_activity_id"] == "P1"


def test_row_with_more_cells_than_the_header_is_quarantined(tmp_path):
    tables = build(tmp_path, [["title", "year"], ["A", "2020", "stray"], ["B", "2021"]])
    assert tables.quarantine["reason_code"].tolist() == ["too_many_cells"]
    assert_balanced(tables)


def test_region_only_programmes_are_allocated_to_the_stated_regions(tmp_path):
    tables = build(tmp_path, [["title", "year", "region"], ["A", "2020", "Afrika; Pasifik"], ["B", "2020", ""]])
    recips = tables.activity_recipients.sort_values(["activity_id", "region"], na_position="last")
    assert recips["allocation"].tolist() == ["stated_region", "stated_region", "unallocated"]
    assert recips["share"].tolist() == [0.5, 0.5, 1.0]


def test_year_is_taken_from_the_start_date_when_missing(tmp_path):
    tables = build(tmp_path, [["title", "start_date"], ["A", "5 Mei 2022"], ["B", ""]])
    years = tables.activities.set_index("title")["year"]
    assert years["A"] == 2022 and pd.isna(years["B"])


def test_check_ledger_reports_an_unbalanced_file():
    ledger = pd.DataFrame(
        [{"file": "x.csv", "rows_read": 10, "rows_kept": 5, "rows_fixed": 2, "rows_quarantined": 1, "rows_excluded": 1}]
    )
    problems = check_ledger(ledger)
    assert problems and "x.csv" in problems[0] and "read 10" in problems[0]


def test_check_tables_reports_orphans_and_bad_shares(tmp_path, indonesian_rows):
    tables = build(tmp_path, indonesian_rows)
    tables.activity_recipients.loc[0, "share"] = 0.9
    tables.activities = tables.activities.iloc[1:]
    problems = " | ".join(check_tables(tables))
    assert "shares do not sum to 1" in problems
    assert "recipient rows without an activity" in problems
    assert "activities but ledger says" in problems
