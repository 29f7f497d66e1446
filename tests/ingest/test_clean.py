"""Number, date and list parsing: Indonesian and English spellings, and the failures."""

import pytest

from kss_analysis.core.errors import RowProblem
from kss_analysis.ingest.clean import parse_date, parse_number, parse_year, split_list


@pytest.mark.parametrize(
    ("text", "value", "currency", "qualifier"),
    [
        ("Rp 1.234.567,89", 1234567.89, "IDR", "exact"),  # Indonesian separators
        ("1,234.56", 1234.56, None, "exact"),  # English separators
        ("Rp 2,5 miliar", 2.5e9, "IDR", "exact"),  # decimal comma + scale word
        ("Rp17,2 miliar", 17.2e9, "IDR", "exact"),  # no space after Rp
        ("USD 1.2 million", 1.2e6, "USD", "exact"),
        ("US$ 202,000", 202000.0, "USD", "exact"),
        ("Rp 1.500 juta", 1.5e9, "IDR", "exact"),  # thousands dot before juta
        ("Rp 106,36 miliar", 106.36e9, "IDR", "exact"),
        ("Rp 1 triliun", 1e12, "IDR", "exact"),
        ("20 orang", 20.0, None, "exact"),  # counting word
        ("30 peserta", 30.0, None, "exact"),
        ("lebih dari 120", 120.0, None, "lower_bound"),
        ("more than 40", 40.0, None, "lower_bound"),
        ("sekitar 400", 400.0, None, "approximate"),
        ("1.970", 1970.0, None, "exact"),  # a single dot before three digits groups thousands
        ("6.200", 6200.0, None, "exact"),
        ("(1,234)", -1234.0, None, "exact"),  # accounting negative (repayment)
        ("-5000", -5000.0, None, "exact"),
        ("2500000000", 2.5e9, None, "exact"),
    ],
)
def test_parse_number_reads_indonesian_and_english_formats(text, value, currency, qualifier):
    parsed = parse_number(text)
    assert parsed.value == pytest.approx(value)
    assert parsed.currency == currency
    assert parsed.qualifier == qualifier


@pytest.mark.parametrize("text", ["", "-", "..", "n/a", "N/A", None, float("nan")])
def test_missing_value_sentinels_give_none(text):
    assert parse_number(text).value is None


@pytest.mark.parametrize(
    "text", ["about 400 pupils", "3,426 patients treated", "12 foreign", "1.2.3,4,5", "Rp", "twenty"]
)
def test_unreadable_numbers_raise_with_reason(text):
    with pytest.raises(RowProblem) as info:
        parse_number(text)
    assert info.value.reason == "bad_number"


def test_plain_numbers_are_not_counted_as_fixes_but_reformatted_ones_are():
    assert parse_number("1970").fixed is False
    assert parse_number("1.970").fixed is True
    assert parse_number("Rp 2,5 miliar").fixed is True


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("17 Juli 2017", "2017-07-17"),
        ("17 July 2017", "2017-07-17"),
        ("2017-07-17", "2017-07-17"),
        ("Juli 2017", "2017-07"),
        ("Agustus 2019", "2019-08"),
        ("1 Mei 2020", "2020-05-01"),
        ("Desember 2021", "2021-12"),
        ("17/07/2017", "2017-07-17"),  # day first, as Indonesian documents write it
        ("2017-07", "2017-07"),
        ("2017", "2017"),
        ("5 Okt. 2018", "2018-10-05"),
    ],
)
def test_parse_date_keeps_the_stated_precision(text, iso):
    assert parse_date(text)[0] == iso


@pytest.mark.parametrize("text", ["31 Februari 2017", "2017-13", "Smarch 2017", "07/17/2017", "next year"])
def test_bad_dates_raise(text):
    with pytest.raises(RowProblem) as info:
        parse_date(text)
    assert info.value.reason == "bad_date"


def test_spreadsheet_datetimes_become_iso_dates():
    import datetime as dt

    assert parse_date(dt.datetime(2019, 3, 26)) == ("2019-03-26", True)


def test_parse_year_accepts_spreadsheet_floats_and_rejects_words():
    assert parse_year("2017.0") == (2017, True)
    assert parse_year(" 2017 ") == (2017, False)
    with pytest.raises(RowProblem):
        parse_year("tahun lalu")
    with pytest.raises(RowProblem):
        parse_year("1700")


def test_split_list_on_semicolons_commas_and_new_lines():
    assert split_list("Mesir; Kenya, Fiji\nTonga") == ["Mesir", "Kenya", "Fiji", "Tonga"]
    assert split_list("") == []
