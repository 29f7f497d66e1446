"""The register reader on real formats: CSV (encodings, delimiters) and XLSX (title rows,
merged cells, blank rows, hidden sheets), English and Indonesian headers."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from kss_analysis.core.errors import InputError
from kss_analysis.ingest.register.read import read_register
from tests.conftest import write_csv


def test_csv_with_indonesian_headers_maps_to_canonical_columns(tmp_path, indonesian_rows):
    rows = read_register(write_csv(tmp_path / "r.csv", indonesian_rows))
    assert rows.header_row == 1
    assert set(rows.columns.values()) >= {
        "title",
        "year",
        "start_date",
        "sector",
        "modality",
        "partner_countries",
        "participants",
        "funding_value",
        "funding_currency",
        "source_url",
    }
    locator, first = rows.rows[0]
    assert locator == "row 2"
    assert first["title"] == "Pelatihan budidaya ikan"
    assert first["partner_countries"] == "Mesir; Afrika Selatan"


def test_headers_match_without_case_or_punctuation(tmp_path):
    path = write_csv(
        tmp_path / "r.csv", [["TITLE", "Year.", "partner-countries", "Source URL"], ["A", "2020", "Fiji", "u"]]
    )
    assert set(read_register(path).columns.values()) == {"title", "year", "partner_countries", "source_url"}


@pytest.mark.parametrize(
    ("delimiter", "encoding"), [(";", "utf-8"), ("\t", "utf-8"), (",", "cp1252"), (",", "utf-8-sig"), (",", "utf-16")]
)
def test_csv_delimiters_and_encodings(tmp_path, delimiter, encoding):
    path = write_csv(
        tmp_path / "r.csv",
        [["title", "year", "host_location"], ["Kursus di Bogor – Côte d'Ivoire", "2018", "Bogor"]],
        delimiter=delimiter,
        encoding=encoding,
    )
    rows = read_register(path)
    assert rows.rows[0][1]["title"] == "Kursus di Bogor – Côte d'Ivoire"


def test_title_rows_blank_rows_and_repeated_headers_are_counted(tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        [
            ["Daftar Program KSS 2020"],
            [""],
            ["judul", "tahun"],
            ["A", "2020"],
            ["", ""],
            ["judul", "tahun"],
            ["B", "2021"],
        ],
    )
    rows = read_register(path)
    assert rows.header_row == 3
    assert [r[1]["title"] for r in rows.rows] == ["A", "B"]
    assert rows.excluded == [("row 5", "blank_row"), ("row 6", "repeated_header")]


def _workbook_with_title_and_merged_cells(path):
    wb = Workbook()
    hidden = wb.active
    hidden.title = "old"
    hidden.sheet_state = "hidden"
    hidden.append(["title", "year"])
    hidden.append(["Hidden programme", 1999])
    ws = wb.create_sheet("Program")
    ws.append(["Kerja Sama Selatan-Selatan"])
    ws.merge_cells("A1:D1")
    ws.append(["Register program 2023"])
    ws.append(["Judul", "Tahun", "Negara Mitra", "Bidang"])
    ws.append(["Pelatihan A", 2023, "Fiji", "perikanan"])
    ws.append(["Pelatihan B", None, "Tonga", None])
    ws.merge_cells("B4:B5")  # one year for two rows
    ws.merge_cells("D4:D5")  # one sector for two rows
    ws.append([None, None, None, None])
    ws.append(["Pelatihan C", 2024, "Samoa", "pertanian"])
    wb.save(path)
    return path


def test_xlsx_with_title_rows_merged_cells_and_hidden_sheet(tmp_path):
    rows = read_register(_workbook_with_title_and_merged_cells(tmp_path / "r.xlsx"))
    assert rows.sheet == "Program"  # the hidden sheet is skipped
    assert rows.header_row == 3
    records = [r for _, r in rows.rows]
    assert [r["title"] for r in records] == ["Pelatihan A", "Pelatihan B", "Pelatihan C"]
    assert records[1]["year"] == 2023  # filled from the merged cell above
    assert records[1]["sector"] == "perikanan"
    # the hidden sheet is not read as data, but its rows are counted (rule hidden_sheet)
    assert rows.excluded == [
        ("sheet 'Program' row 6", "blank_row"),
        ("sheet 'old' row 1", "hidden_sheet"),
        ("sheet 'old' row 2", "hidden_sheet"),
    ]
    assert rows.rows[2][0] == "sheet 'Program' row 7"


def test_file_without_a_header_fails_with_the_file_named(tmp_path):
    path = write_csv(tmp_path / "numbers.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(InputError) as info:
        read_register(path)
    assert "numbers.csv" in str(info.value)
    assert "title" in str(info.value)


def test_truncated_xlsx_fails_cleanly(tmp_path):
    good = _workbook_with_title_and_merged_cells(tmp_path / "good.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[:300])
    with pytest.raises(InputError, match="bad.xlsx"):
        read_register(bad)


def test_unsupported_extension_is_refused(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(InputError, match="unsupported"):
        read_register(path)
