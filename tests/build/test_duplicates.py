"""Duplicates are found, kept and not counted twice (synthetic registers, labelled as such)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.build.pipeline import build_all
from kss_analysis.cli import main
from kss_analysis.core import io
from kss_analysis.outputs.charts.export import export_charts
from tests.conftest import write_csv
from tests.paths import ROOT

AGGREGATES = ("programmes_by_sector_year", "programmes_by_region_year", "programmes_by_modality_year")

# Synthetic register: own ids, a child row, rows without ids, amounts in both currencies.
SYNTHETIC = [
    ["kode", "induk", "judul", "tahun", "negara_peserta", "sektor", "bentuk_kegiatan", "jumlah_peserta", "anggaran"],
    ["S-1", "", "Pelatihan sintetis A", "2021", "Kenya; Fiji", "pertanian", "pelatihan", "25", "Rp 1,5 miliar"],
    ["S-2", "S-1", "Bagian dari A", "2021", "Kenya", "pertanian", "pelatihan", "10", ""],
    ["", "", "Lokakarya sintetis B", "2022", "Mesir", "kesehatan", "lokakarya", "40", "USD 250,000"],
    ["", "", "Hibah sintetis C", "2024", "Timor Leste", "pendidikan", "hibah", "", "Rp 2 miliar"],
]


def _data(tmp_path: Path, registers: dict[str, list[list[str]]]) -> Path:
    shutil.copytree(ROOT / "data" / "raw" / "kss", tmp_path / "raw" / "kss")
    (tmp_path / "raw" / "registers").mkdir()
    for name, rows in registers.items():
        write_csv(tmp_path / "raw" / "registers" / name, rows)
    return tmp_path


def _chart_csvs(processed: Path, out: Path, names: list[str] | None) -> dict[str, str]:
    export_charts(processed, out, ["en"], [], names)
    return {p.name: p.read_text() for p in sorted((out / "en").glob("*.csv"))}


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(
            ["programmes_by_region", "programmes_by_sector", "top_partner_countries", "amount_idr_by_year"],
            id="counts-partners-and-amounts",
        ),
        pytest.param(None, id="every-chart", marks=pytest.mark.slow),  # about 8 s
    ],
)
def test_the_same_register_added_twice_changes_no_aggregate_or_chart(tmp_path, names):
    once = _data(tmp_path / "once", {"a.csv": SYNTHETIC})
    twice = _data(tmp_path / "twice", {"a.csv": SYNTHETIC, "b.csv": SYNTHETIC})
    build_all(once)
    result = build_all(twice)
    for name in AGGREGATES:
        pd.testing.assert_frame_equal(
            io.read_table(once / "processed" / f"{name}.parquet"),
            io.read_table(twice / "processed" / f"{name}.parquet"),
        )
    charts = _chart_csvs(once / "processed", tmp_path / "c1", names)
    assert (len(charts) > 8) if names is None else (sorted(charts) == sorted(f"{name}.csv" for name in names))
    assert charts == _chart_csvs(twice / "processed", tmp_path / "c2", names)

    acts = result.tables.activities.set_index("activity_id")
    copies = acts[acts["source"] == "register:b"]
    assert len(copies) == 4  # every row kept ...
    assert not copies["counted"].any()  # ... none counted
    assert copies["duplicate_of"].str.startswith("a:").all()
    assert acts.loc["b:S-1", "duplicate_of"] == "a:S-1"
    report = pd.read_csv(result.reports["duplicates_report.csv"])
    assert sorted(report["activity_id"]) == sorted(copies.index)
    assert set(report["original_file"]) == {"registers/a.csv"}


def test_a_user_row_repeating_an_embedded_programme_is_a_duplicate(tmp_path):
    # KSS-0069 in the embedded register: Gambia, 2023, IDR 4,000,000,000 (title reworded here)
    rows = [
        ["judul", "tahun", "negara_peserta", "anggaran"],
        ["Revitalisasi ARFTC di Gambia", "2023", "Gambia", "Rp 4 M"],
        ["Program lain di Gambia", "2023", "Gambia", "Rp 5 M"],  # different amount: not a duplicate
    ]
    result = build_all(_data(tmp_path, {"mine.csv": rows}))
    acts = result.tables.activities
    mine = acts[acts["source"] == "register:mine"].set_index("title")
    assert mine.loc["Revitalisasi ARFTC di Gambia", "duplicate_of"] == "KSS-0069"
    assert pd.isna(mine.loc["Program lain di Gambia", "duplicate_of"])
    assert mine["counted"].tolist() == [False, True]


def test_kss_build_lists_duplicates_and_prints_the_report_paths(tmp_path, capsys):
    data = _data(tmp_path, {"a.csv": SYNTHETIC, "b.csv": SYNTHETIC})
    assert main(["build", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "4 programme(s) repeat another and are not counted" in out
    assert "registers/b.csv row 2: b:S-1 repeats a:S-1" in out
    summary_end = out.index("files written")
    for name in ("quarantine_report.csv", "duplicates_report.csv"):
        line = next(x for x in out.splitlines() if x.endswith(name))
        assert out.index(line) > summary_end and Path(line.split(": ", 1)[1]).is_file()
