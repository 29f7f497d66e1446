"""Chart export: byte-identical, labelled in the language asked for, numbers that add up."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.build.aggregate import top_level
from kss_analysis.core import io
from kss_analysis.outputs.charts.export import export_charts
from kss_analysis.outputs.charts.style import format_amount, format_number
from tests.paths import ROOT


@pytest.fixture(scope="module")
def processed(built_data) -> Path:
    return built_data / "processed"  # charts read the registers' rows only, with or without the mirror


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): io.sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(["programmes_by_sector"], id="one-chart"),
        pytest.param(None, id="every-chart", marks=pytest.mark.slow),  # about 30 s
    ],
)
def test_export_twice_gives_byte_identical_folders(processed, tmp_path, names):
    export_charts(processed, tmp_path / "a", ["id"], ["svg", "pdf", "png"], names)
    export_charts(processed, tmp_path / "b", ["id"], ["svg", "pdf", "png"], names)
    first, second = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert first == second
    svgs = [name for name in first if name.endswith(".svg")]
    assert (len(svgs) >= 8) if names is None else (svgs == ["id/programmes_by_sector.svg"])
    assert all(name[:-4] + ext in first for name in svgs for ext in (".csv", ".pdf", ".png"))


def test_svg_text_is_editable_and_indonesian(processed, tmp_path):
    export_charts(processed, tmp_path, ["id"], ["svg"], names=["programmes_by_region", "region_by_period"])
    svg = (tmp_path / "id" / "region_by_period.svg").read_text()
    assert "<text" in svg  # text kept as text, not paths
    for label in ("Kawasan mitra dari waktu ke waktu", "Afrika", "Pasifik", "Sumber:"):
        assert label in svg
    assert "Africa" not in svg


CHECKED_CSVS = [
    "programmes_by_year",
    "programmes_by_sector",
    "programmes_by_modality",
    "programmes_by_region",
    "participants_by_year",
    "amount_idr_by_year",
    "triangular_partners",
]


def test_each_chart_csv_adds_up_to_the_dataset_it_claims(processed, tmp_path):
    export_charts(processed, tmp_path, ["en"], [], names=CHECKED_CSVS)  # the CSVs checked below, no images
    acts = io.read_table(processed / "activities.parquet")
    top = top_level(acts[acts["source"] == "kss"])  # the standard charts show the registers only
    dated = top[top["year"].notna()]
    folder = tmp_path / "en"
    assert pd.read_csv(folder / "programmes_by_year.csv")["programmes"].sum() == len(dated)
    assert pd.read_csv(folder / "programmes_by_sector.csv")["programmes"].sum() == len(top)
    assert pd.read_csv(folder / "programmes_by_modality.csv")["programmes"].sum() == len(top)
    recips = io.read_table(processed / "activity_recipients.parquet")
    touching = recips[recips["activity_id"].isin(top["activity_id"])].drop_duplicates(["activity_id", "region"])
    assert pd.read_csv(folder / "programmes_by_region.csv")["programmes"].sum() == len(touching)
    stated = dated[dated["participants"].notna() & (dated["participants_qualifier"] != "cumulative")]
    assert pd.read_csv(folder / "participants_by_year.csv")["participants"].sum() == stated["participants"].sum()
    idr = dated[(dated["currency"] == "IDR") & ~dated["amount_basis"].isin(["planned", "cumulative"])]
    # A part's own amount counts when its parent states a smaller one, or none, in that currency
    # (the follow-up grant KSS-0087 in the embedded register).
    parts = acts[acts["parent_activity_id"].notna() & (acts["currency"] == "IDR")]
    parent_idr = acts[acts["currency"] == "IDR"].set_index("activity_id")["amount"]
    own = parts[~(parts["parent_activity_id"].map(parent_idr) >= parts["amount"])]
    assert "KSS-0087" in set(own["activity_id"]) or not (acts["activity_id"] == "KSS-0087").any()
    expected_idr = idr["amount"].sum() + own["amount"].sum()
    assert pd.read_csv(folder / "amount_idr_by_year.csv")["amount_idr"].sum() == pytest.approx(expected_idr)
    partners = pd.read_csv(folder / "triangular_partners.csv")
    # One bar per organisation: a programme naming two organisations counts once under each
    # (tests/test_briefs_partners.py checks the exact pairs), so the bars add up to at least
    # the triangular programmes and at most their named parts.
    triangular = top[top["cooperation_type"] == "triangular"]
    named_parts = triangular["triangular_partner"].str.count(";").add(1).sum()
    assert len(triangular) <= partners["programmes"].sum() <= named_parts


def test_sidecar_names_dataset_and_input_checksums(processed, tmp_path):
    import json

    export_charts(processed, tmp_path, ["en"], ["png"], names=["programmes_by_sector"])
    sidecar = json.loads((tmp_path / "en" / "programmes_by_sector.json").read_text())
    assert sidecar["dataset"] == "programmes_by_sector_year"
    raw = ROOT / "data" / "raw" / "kss"
    assert sidecar["inputs"] == {f"kss/{f}": io.sha256_file(raw / f) for f in ("kss_figures.csv", "kss_programmes.csv")}


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [(1234.5, "id", "1.234,5"), (1234.5, "en", "1,234.5"), (1234567, "id", "1.234.567")],
)
def test_number_formatting(value, lang, expected):
    assert format_number(value, lang, 1 if value % 1 else 0) == expected


def test_amount_formatting_in_both_languages():
    assert format_amount(17.2e9, "IDR", "id") == "Rp 17,2 miliar"
    assert format_amount(17.2e9, "IDR", "en") == "IDR 17.2 billion"
    assert format_amount(1.2e6, "USD", "id") == "USD 1,2 juta"
    assert format_amount(6e6, "USD", "en") == "USD 6 million"


def test_cli_export_refuses_unknown_language(tmp_path, capsys):
    from kss_analysis.cli import main

    assert main(["charts", "export", "--lang", "fr", "--out", str(tmp_path)]) == 2
    assert "--lang fr" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+62 21", "'+62 21"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Afrika", "Afrika"),
        (12.5, 12.5),
        (-3, -3),
    ],
)
def test_formula_injection_is_escaped_and_numbers_untouched(value, expected):
    from kss_analysis.outputs.tables.export import escape_formula

    assert escape_formula(value) == expected


def test_tables_export_writes_labelled_safe_tables(processed, tmp_path):
    from openpyxl import load_workbook

    from kss_analysis.outputs.tables.export import export_tables

    paths = export_tables(processed, tmp_path, ["csv", "xlsx"], lang="id")
    names = [f"programmes_by_{d}_year" for d in ("sector", "region", "modality")]
    names += ["programmes", "organisations", "quarantine"]
    assert sorted(p.name for p in paths) == sorted(f"{n}.{x}" for n in names for x in ("csv", "xlsx"))
    table = pd.read_csv(tmp_path / "programmes_by_region_year.csv")
    assert "Afrika" in set(table["Kawasan"])
    assert (
        table["Program (jumlah)"].sum()
        == io.read_table(processed / "programmes_by_region_year.parquet")["programmes"].sum()
    )
    sheet = load_workbook(tmp_path / "programmes_by_region_year.xlsx").active
    assert isinstance(sheet["D2"].value, int)  # numbers stay numbers


def test_xlsx_export_gives_the_same_bytes_at_another_time(processed, tmp_path, monkeypatch):
    import time

    from kss_analysis.outputs.tables.export import export_tables

    export_tables(processed, tmp_path / "a", ["xlsx"])
    later = time.time() + 3 * 3600  # zip entries and workbook properties would carry this clock
    monkeypatch.setattr(time, "time", lambda: later)
    export_tables(processed, tmp_path / "b", ["xlsx"])
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    # openpyxl stamps the save time with datetime.now(), which the patch above cannot move:
    # check the stamps themselves.
    with zipfile.ZipFile(tmp_path / "b" / "programmes_by_region_year.xlsx") as archive:
        core = archive.read("docProps/core.xml").decode()
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    stamps = re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core)
    assert stamps == ["1980-01-01T00:00:00Z", "1980-01-01T00:00:00Z"]
