"""Amount abbreviations read by language context, year cells as registers write them,
quarantine messages that name the user's column, and ids that do not depend on row order."""

from __future__ import annotations

import pytest

from kss_analysis.core.errors import RowProblem
from kss_analysis.ingest.clean import parse_number, parse_year_cell
from kss_analysis.ingest.register.place import place_register
from kss_analysis.ingest.register.read import read_register
from tests.conftest import write_csv


def place(tmp_path, rows, name="r.csv", source="register:r", id_prefix="r:"):
    return place_register(read_register(write_csv(tmp_path / name, rows)), source=source, id_prefix=id_prefix)


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("Rp 2,5 M", 2.5e9, "IDR"),  # miliar
        ("Rp 1,5 T", 1.5e12, "IDR"),  # triliun
        ("Rp 30 M", 30e9, "IDR"),  # rupiah context alone decides
        ("IDR 750 Jt", 750e6, "IDR"),  # juta
        ("Rp 2.500 M", 2.5e12, "IDR"),  # '.' groups thousands here: still Indonesian
        ("USD 2.5M", 2.5e6, "USD"),  # million
        ("US$ 3 m", 3e6, "USD"),
        ("$ 1.2 bn", 1.2e9, "USD"),
        ("USD 4B", 4e9, "USD"),
    ],
)
def test_scale_abbreviations_follow_the_language_of_the_amount(text, value, currency):
    parsed = parse_number(text)
    assert (parsed.value, parsed.currency) == (pytest.approx(value), currency)


@pytest.mark.parametrize("text", ["Rp 2.5 M", "USD 2,5 M", "2 M", "2.5M"])
def test_an_m_whose_language_is_unclear_is_not_guessed(text):
    with pytest.raises(RowProblem) as caught:
        parse_number(text)
    assert caught.value.reason == "ambiguous_scale"


def test_a_currency_column_is_context_for_the_abbreviation():
    assert parse_number("2,5 M", currency="IDR").value == 2.5e9
    assert parse_number("3 M", currency="USD").value == 3e6
    with pytest.raises(RowProblem):
        parse_number("2.5 M", currency="IDR")


@pytest.mark.parametrize(
    ("text", "year", "start", "end"),
    [
        ("17 Juli 2017", 2017, "2017-07-17", None),
        ("17 July 2017", 2017, "2017-07-17", None),
        ("Juli 2017", 2017, "2017-07", None),
        ("TA 2019", 2019, None, None),
        ("T.A. 2019", 2019, None, None),
        ("Tahun Anggaran 2019", 2019, None, None),
        ("FY 2019", 2019, None, None),
        ("2017/2018", 2017, None, "2018"),
        ("2017-2018", 2017, None, "2018"),
        ("2017 – 2018", 2017, None, "2018"),
        ("2017/18", 2017, None, "2018"),
        ("2017-07", 2017, "2017-07", None),  # an ISO month, not a range
    ],
)
def test_year_cells_in_the_forms_registers_use(text, year, start, end):
    cell = parse_year_cell(text)
    assert (cell.year, cell.start_date, cell.end_date, cell.fixed) == (year, start, end, True)


@pytest.mark.parametrize("text", ["tahun lalu", "2018/2017", "Juni", "1700"])
def test_unreadable_year_cells_are_errors(text):
    with pytest.raises(RowProblem) as caught:
        parse_year_cell(text)
    assert caught.value.reason == "bad_year"


def test_register_rows_with_tahun_forms_and_abbreviated_amounts(tmp_path):
    rows = [
        ["Judul", "Tahun", "Nilai", "Negara Peserta"],
        ["Pelatihan A", "17 Juli 2017", "Rp 2,5 M", "Kenya"],
        ["Pelatihan B", "TA 2019", "Rp 1,5 T", "Fiji"],
        ["Pelatihan C", "2017/2018", "USD 2.5M", "Mesir"],
        ["Pelatihan D", "2020", "Rp 2.5 M", "Mesir"],
        ["Pelatihan E", "tahun lalu", "", "Mesir"],
    ]
    tables = place(tmp_path, rows)
    acts = tables.activities.set_index("title")
    assert acts.loc["Pelatihan A", ["year", "start_date", "amount", "currency"]].tolist() == [
        2017,
        "2017-07-17",
        2.5e9,
        "IDR",
    ]
    assert acts.loc["Pelatihan B", ["year", "amount"]].tolist() == [2019, 1.5e12]
    assert acts.loc["Pelatihan C", ["year", "end_date", "amount", "currency"]].tolist() == [2017, "2018", 2.5e6, "USD"]
    q = tables.quarantine.set_index("locator")
    assert q.loc["row 5", "reason_code"] == "ambiguous_scale"
    assert q.loc["row 5", "column"] == "Nilai" and q.loc["row 5", "value"] == "Rp 2.5 M"
    assert q.loc["row 6", "reason_code"] == "bad_year"
    message = q.loc["row 6", "message"]
    assert "'Tahun'" in message and "'year'" not in message  # the header as the user wrote it
    assert "to fix:" in message and "TA 2019" in message  # and how to fix the cell


def test_every_register_quarantine_message_names_a_column_and_a_fix(tmp_path):
    rows = [
        ["judul", "tahun", "negara_peserta", "sektor", "anggaran"],
        ["A", "2020", "Atlantis", "", ""],
        ["B", "kemarin", "", "", ""],
        ["C", "2020", "", "", "5000000"],
        ["D", "2020", "", "astrologi", ""],  # an unknown sector keeps the row, flagged (issue 18)
    ]
    tables = place(tmp_path, rows)
    q = tables.quarantine
    assert q["column"].tolist() == ["negara_peserta", "tahun", "anggaran"]
    assert q["message"].str.contains("to fix: ").all()
    assert tables.activities["title"].tolist() == ["D"] and tables.ledger.iloc[0].rows_flagged == 1


ROWS = [
    ["title", "year", "partner_countries"],
    ["Training on rice", "2019", "Kenya"],
    ["Vaccine grant", "2021", "Nigeria"],
    ["Seminar on zakat", "2022", "Malaysia; Brunei"],
]


def test_derived_ids_do_not_move_when_a_row_is_inserted(tmp_path):
    before = place(tmp_path, ROWS, "before.csv").activities.set_index("title")["activity_id"]
    inserted = [*ROWS[:2], ["A new first programme", "2018", "Fiji"], *ROWS[2:]]
    after = place(tmp_path, inserted, "after.csv").activities.set_index("title")["activity_id"]
    assert after.drop("A new first programme").to_dict() == before.to_dict()
    assert len(set(after)) == 4
    assert not after.str.contains(r"[\s'\"]").any()


def test_own_ids_are_kept_and_identical_rows_get_numbered_ids(tmp_path):
    rows = [
        ["programme_id", "title", "year"],
        ["P 01", "Own id", "2019"],
        ["", "Same", "2020"],
        ["", "Same", "2020"],
    ]
    ids = place(tmp_path, rows, id_prefix="my file:").activities["activity_id"].tolist()
    assert ids[0] == "my_file:P_01"
    assert ids[2] == ids[1] + "-2"
