"""Reliability: crash safety of a build, byte-identical rebuilds, amount invariants and
the versioned expected row counts."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from kss_analysis.build.pipeline import build_all
from kss_analysis.core import io
from kss_analysis.core.validate import check_amounts
from kss_analysis.outputs.charts.export import export_charts
from tests.conftest import mirror_dir
from tests.paths import ROOT

MIRRORED = (
    "aiddata-gcof-china-1.0",
    "aiddata-tuff-qatar-1.0",
    "undp-ssc-projects",
    "iati-ssc-activities",
    "iati-xml-timor-leste",
)


def synthetic_register(path: Path, rows: int, variant: int) -> None:
    """SYNTHETIC test register (not data): many rows so a build takes a few seconds."""
    countries = ["Fiji", "Kenya", "Mesir", "Papua Nugini", "Timor Leste", "Viet Nam"]
    lines = ["programme_id,judul,tahun,negara_mitra,sektor,bentuk_kegiatan,jumlah_peserta,nilai,mata_uang"]
    for i in range(rows):
        lines.append(
            f'S-{i},Synthetic {i} v{variant},{2000 + i % 25},{countries[i % 6]},perikanan,pelatihan,{i % 40},"Rp {i % 9},5 miliar",'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def parquet_hashes(folder: Path) -> dict[str, str]:
    return {p.name: io.sha256_file(p) for p in sorted(folder.glob("*.parquet"))}


def make_data(root: Path, variant: int, rows: int = 20000) -> Path:
    shutil.copytree(ROOT / "data" / "raw" / "kss", root / "raw" / "kss")
    (root / "raw" / "registers").mkdir(parents=True)
    synthetic_register(root / "raw" / "registers" / "synthetic.csv", rows, variant)
    return root


@pytest.mark.slow
def test_a_build_killed_mid_write_leaves_only_complete_files(tmp_path):
    old = make_data(tmp_path / "work", variant=1)
    build_all(old)
    old_hashes = parquet_hashes(old / "processed")
    reference = make_data(tmp_path / "reference", variant=2)
    build_all(reference)
    new_hashes = parquet_hashes(reference / "processed")
    synthetic_register(old / "raw" / "registers" / "synthetic.csv", 20000, variant=2)

    outcomes = set()
    killed_mid_build = 0
    for delay in (0.5, 2.0, 4.0, 6.0):
        process = subprocess.Popen(
            [sys.executable, "-m", "kss_analysis", "build", "--data-dir", str(old)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        killed_mid_build += process.wait() == -signal.SIGKILL  # still running when killed
        for name, sha in parquet_hashes(old / "processed").items():
            pq.read_table(old / "processed" / name)  # every file at a final path reads
            assert sha in (old_hashes[name], new_hashes[name]), f"{name} is neither the old nor the new output"
            outcomes.add("new" if sha == new_hashes[name] else "old")
    build_all(old)  # a full run afterwards completes the change
    assert parquet_hashes(old / "processed") == new_hashes
    # The test means something only if some kill interrupted a running build before it had
    # written everything (a build that had already finished would exit 0 and leave "new").
    assert killed_mid_build >= 1 and "old" in outcomes, (killed_mid_build, outcomes)


@pytest.mark.slow
def test_two_builds_and_chart_exports_are_byte_identical(tmp_path):
    for folder in ("a", "b"):
        data = tmp_path / folder
        shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
        if mirror := mirror_dir():
            for source in MIRRORED:
                shutil.copytree(mirror / source, data / "raw" / source)
        build_all(data)
        export_charts(data / "processed", data / "figures", ["id"], ["svg", "pdf"])
    for kind in ("processed", "figures"):
        first = {
            str(p.relative_to(tmp_path / "a")): io.sha256_file(p)
            for p in sorted((tmp_path / "a" / kind).rglob("*"))
            if p.is_file()
        }
        second = {
            str(p.relative_to(tmp_path / "b")): io.sha256_file(p)
            for p in sorted((tmp_path / "b" / kind).rglob("*"))
            if p.is_file()
        }
        assert first and first == second


def test_amount_check_reports_money_lost_between_raw_and_outputs():
    ledger = pd.DataFrame(
        [{"file": "x.zip", "amounts": '{"usd_current": {"raw": 100.0, "processed": 60.0, "excluded": 30.0}}'}]
    )
    (problem,) = check_amounts(ledger)
    assert "x.zip" in problem and "usd_current" in problem and "100.00" in problem
    ledger.loc[0, "amounts"] = (
        '{"usd_current": {"raw": 100.0, "processed": 60.0, "quarantined": 10.0, "excluded": 30.0}}'
    )
    assert check_amounts(ledger) == []


@pytest.mark.slow
def test_expected_row_counts_per_source_and_year(tmp_path):
    """A change in these counts fails until tests/expected/row_counts.csv is updated, with
    the reason in the commit message."""
    data = tmp_path
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    mirror = mirror_dir()
    present = [s for s in MIRRORED if mirror and (mirror / s).is_dir()]
    for source in present:
        shutil.copytree(mirror / source, data / "raw" / source)
    activities = build_all(data).tables.activities
    actual = activities.groupby(["source", "year"], dropna=False).size().reset_index(name="activities")
    actual["year"] = actual["year"].astype("Int64")
    expected = pd.read_csv(ROOT / "tests" / "expected" / "row_counts.csv", dtype={"year": "Int64"})
    expected = expected[expected["source"].isin(["kss", *present])]
    merged = expected.merge(
        actual, on=["source", "year"], how="outer", suffixes=("_expected", "_actual"), indicator=True
    )
    changed = merged[(merged["_merge"] != "both") | (merged["activities_expected"] != merged["activities_actual"])]
    assert changed.empty, (
        "row counts changed; update tests/expected/row_counts.csv and say why in the commit:\n" + changed.to_string()
    )
