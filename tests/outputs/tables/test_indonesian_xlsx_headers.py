"""Every `kss tables export --lang id` workbook is Indonesian throughout: each sheet's header row
has an Indonesian header for every column (a header pair of reference/export_headers.csv,
never the English one), a column of codes says so ('(kode ...)'), no header appears twice in
a sheet, and the Sources sheet is 'Sumber' with Indonesian field names.

The English export of the same build is the key: its header i and the Indonesian header i
must be one row (en, id) of the header table, read here with the csv module.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kss_analysis.core.config import REFERENCE_DIR
from kss_analysis.outputs.tables.export import export_tables

# Canonical columns that hold codes (not names or numbers), as the processed tables define them.
CODE_COLUMNS = {
    "sector_theme",
    "region",
    "modality",
    "implementer_type",
    "cooperation_type",
    "source",
    "amount_basis",
    "participants_qualifier",
    "reason_code",
    "partner_iso3",
    "regions",
    "currency",
    "role",
    "organisation",
    "organisation_type",
}


def _header_table() -> list[dict[str, str]]:
    with open(REFERENCE_DIR / "export_headers.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def workbooks(register_build: Path, tmp_path_factory) -> dict[str, Path]:
    out = {}
    for lang in ("en", "id"):
        out[lang] = tmp_path_factory.mktemp(f"xlsx-{lang}")
        export_tables(register_build / "processed", out[lang], ["xlsx"], lang)
    return out


def _sheets(path: Path) -> dict[str, list]:
    book = load_workbook(path, read_only=True)
    try:
        return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    finally:
        book.close()


def _files(workbooks) -> list[str]:
    names = sorted(p.name for p in workbooks["id"].glob("*.xlsx"))
    assert names == sorted(p.name for p in workbooks["en"].glob("*.xlsx"))
    return names


def header_problems(en_header: list, id_header: list, pairs: dict[tuple[str, str], str]) -> list[str]:
    """What is wrong with one sheet's Indonesian header row, given the English one."""
    problems = []
    if len(id_header) != len(en_header):
        problems.append(f"{len(id_header)} Indonesian headers for {len(en_header)} columns")
    repeated = sorted({h for h in id_header if id_header.count(h) > 1})
    if repeated:
        problems.append(f"repeated headers {repeated}")
    for en, id_ in zip(en_header, id_header, strict=False):
        column = pairs.get((en, id_))
        if column is None:
            problems.append(f"{en!r} / {id_!r} is no row of export_headers.csv")
        elif id_ in (en, column):
            problems.append(f"{column!r} is headed in English ({id_!r})")
        elif column in CODE_COLUMNS and "(kode" not in id_:
            problems.append(f"the code column {column!r} is headed {id_!r}")
    return problems


def _pairs() -> dict[tuple[str, str], str]:
    return {(row["en"], row["id"]): row["column"] for row in _header_table()}


def test_every_indonesian_workbook_has_indonesian_unique_headers(workbooks):
    pairs = _pairs()
    files = _files(workbooks)
    assert {"programmes.xlsx", "organisations.xlsx", "quarantine.xlsx"} <= set(files) and len(files) >= 6
    checked, problems = 0, []
    for name in files:
        english, indonesian = _sheets(workbooks["en"] / name), _sheets(workbooks["id"] / name)
        data_sheets = [s for s in indonesian if s != "Sumber"]
        assert "Sumber" in indonesian and "Sources" in english, name
        assert data_sheets == [s for s in english if s != "Sources"], name
        for sheet in data_sheets:
            en_header, id_header = list(english[sheet][0]), list(indonesian[sheet][0])
            problems += [f"{name}/{sheet}: {p}" for p in header_problems(en_header, id_header, pairs)]
            checked += len(id_header)
    assert not problems, "\n".join(problems)
    assert checked > 60


def test_the_sources_sheet_names_its_fields_in_indonesian(workbooks):
    for name in _files(workbooks):
        english = [row[0] for row in _sheets(workbooks["en"] / name)["Sources"]]
        indonesian = [row[0] for row in _sheets(workbooks["id"] / name)["Sumber"]]
        assert len(english) == len(indonesian), name
        left_in_english = {field for field in indonesian if field in set(english)}
        assert not left_in_english, f"{name}: Sumber fields in English: {sorted(left_in_english)}"


def test_the_check_sees_an_english_a_repeated_or_an_unmarked_code_header():
    """Test of the test, on synthetic header rows."""
    pairs = _pairs()
    good_en, good_id = ["Region (code)", "Region", "Year"], ["Kawasan (kode)", "Kawasan", "Tahun"]
    assert header_problems(good_en, good_id, pairs) == []
    assert header_problems(good_en, ["Kawasan (kode)", "Kawasan", "Year"], pairs)  # English left
    assert header_problems(good_en, ["Kawasan (kode)", "Kawasan", "Kawasan"], pairs)  # repeated
    assert header_problems(good_en, good_id[:2], pairs)  # a column without header
    unmarked = {**pairs, ("Region (code)", "Kawasan"): "region"}  # a code headed like a name
    assert any("code column" in p for p in header_problems(["Region (code)"], ["Kawasan"], unmarked))
