"""`kss tables export`: spreadsheets a policy writer can open as they are (issue 12, item 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kss_analysis.build.pipeline import build_all
from kss_analysis.core import io
from kss_analysis.outputs.tables.export import export_tables
from tests.paths import ROOT


@pytest.fixture(scope="module")
def processed(built_data) -> Path:
    return built_data / "processed"  # the session build (root conftest.py)


@pytest.fixture(scope="module")
def exported_id(processed, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tables_id")
    export_tables(processed, out, ["csv", "xlsx"], lang="id")
    return out


def _header(sheet) -> list[str]:
    return [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1))]


def test_indonesian_xlsx_has_indonesian_headers_with_units_and_codes_beside_names(exported_id):
    sheet = load_workbook(exported_id / "programmes_by_sector_year.xlsx")["programmes_by_sector_year"]
    header = _header(sheet)
    assert header[:3] == ["Tema sektor (kode)", "Tema sektor", "Tahun"]
    assert "Nilai (Rp, sebagaimana disebutkan, tanpa konversi)" in header
    assert "Nilai (USD, harga berlaku, sebagaimana disebutkan)" in header
    codes = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "agriculture_food" in codes and "Pertanian & pangan" in names


def test_xlsx_numbers_are_numbers_with_thousands_separators_never_scientific(exported_id, processed):
    sheet = load_workbook(exported_id / "programmes_by_sector_year.xlsx")["programmes_by_sector_year"]
    header = _header(sheet)
    idr = header.index("Nilai (Rp, sebagaimana disebutkan, tanpa konversi)") + 1
    cells = [row[0] for row in sheet.iter_rows(min_row=2, min_col=idr, max_col=idr) if row[0].value is not None]
    assert cells and all(isinstance(c.value, (int, float)) for c in cells)
    assert {c.number_format for c in cells} == {"#,##0"}
    assert max(c.value for c in cells) > 1e10  # the amounts that showed as 1.178E+11
    year = header.index("Tahun") + 1
    assert {row[0].number_format for row in sheet.iter_rows(min_row=2, min_col=year, max_col=year)} == {"0"}
    source = io.read_table(processed / "programmes_by_sector_year.parquet")
    assert sum(c.value for c in cells) == pytest.approx(source["amount_idr"].sum())


def test_xlsx_freezes_the_header_sets_widths_and_has_a_sources_sheet(exported_id):
    book = load_workbook(exported_id / "programmes.xlsx")
    sheet = book["programmes"]
    assert sheet.freeze_panes == "A2"
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["C"] > widths["A"] > 0  # titles are wider than ids
    assert max(widths.values()) <= 60
    sources = {row[0]: row[1] for row in book["Sumber"].iter_rows(values_only=True)}
    assert sources["Sumber"].startswith("Register program KSS")
    # the newest event date the register states, read from the raw file
    raw = pd.read_csv(ROOT / "data" / "raw" / "kss" / "kss_programmes.csv", dtype=str)
    assert sources["Tanggal data (data terbaru)"] == raw["start_date"].dropna().max()
    rules = [row[1] for row in book["Sumber"].iter_rows(values_only=True) if row[0] == "Aturan penghitungan"]
    assert len(rules) >= 6 and any("rencana alokasi" in r for r in rules)
    assert "Lisensi" in sources and "Versi kss-analysis" in sources


def test_programme_list_has_one_row_per_counted_programme_with_partner_names(exported_id, processed):
    programmes = pd.read_csv(exported_id / "programmes.csv")
    acts = io.read_table(processed / "activities.parquet")
    acts = acts[acts["source"].str.match(r"^(kss$|register:)")]  # the KSS registers, as the charts
    assert len(programmes) == int(acts["counted"].sum())
    fiji = programmes[programmes["Negara mitra (kode ISO 3166)"].fillna("").str.contains("FJI")]
    assert fiji["Negara mitra"].str.contains("Fiji").all()


def test_quarantine_export_says_what_was_left_out_and_escapes_formulas(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    (data / "raw" / "registers").mkdir()
    (data / "raw" / "registers" / "daftar.csv").write_text(  # synthetic register with two bad rows
        'judul,tahun,negara_mitra\nPelatihan,2021,Fiji\n=HYPERLINK("x"),tahun lalu,Kenya\n,2022,Fiji\n',
        encoding="utf-8",
    )
    build_all(data)
    out = tmp_path / "out"
    export_tables(data / "processed", out, ["csv", "xlsx"], lang="en")
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert len(quarantine) == 2
    assert set(quarantine["Reason (code)"]) == {"bad_year", "missing_title"}
    assert set(quarantine["Column as written"]) == {"tahun", "judul"}
    sheet = load_workbook(out / "quarantine.xlsx")["quarantine"]
    raw_cells = [str(c) for row in sheet.iter_rows(min_row=2, values_only=True) for c in row if c]
    assert not any(c.startswith("=") for c in raw_cells)
    assert "Sources" in load_workbook(out / "quarantine.xlsx").sheetnames


def test_english_export_keeps_english_headers(processed, tmp_path):
    export_tables(processed, tmp_path, ["csv"], lang="en")
    table = pd.read_csv(tmp_path / "programmes_by_region_year.csv")
    assert list(table.columns[:4]) == ["Region (code)", "Region", "Year", "Programmes (count)"]
