"""The command line as a user meets it: exit codes, one-line errors, outputs."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from tests.conftest import write_csv


def kss(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kss_analysis", *args], capture_output=True, text=True, cwd=cwd)


def test_ingest_writes_the_tables_and_prints_the_ledger(tmp_path, indonesian_rows):
    rows = indonesian_rows + [["Baris rusak", "2020", "", "", "", "Atlantis", "", "", "", "", ""]]
    path = write_csv(tmp_path / "mine.csv", rows)
    result = kss("ingest", str(path), "--as", "register", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "mine.csv" in result.stdout and "unknown_country" in result.stdout
    ledger = pd.read_parquet(tmp_path / "out" / "ledger.parquet")
    assert ledger.iloc[0][["rows_read", "rows_quarantined"]].tolist() == [4, 1]
    assert len(pd.read_parquet(tmp_path / "out" / "activities.parquet")) == 3


def test_unreadable_file_exits_2_with_one_line_and_no_traceback(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    result = kss("ingest", str(path), "--as", "register", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "broken.xlsx" in result.stderr


def test_missing_file_and_unknown_format_exit_2(tmp_path):
    assert kss("ingest", str(tmp_path / "nope.csv"), "--as", "register", "--out", str(tmp_path)).returncode == 2
    result = kss("ingest", str(tmp_path / "nope.csv"), "--as", "astrology", "--out", str(tmp_path))
    assert result.returncode == 2 and "astrology" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = kss("--debug", "ingest", str(tmp_path / "nope.csv"), "--as", "register", "--out", str(tmp_path))
    assert "Traceback" in result.stderr


def test_version():
    assert kss("--version").stdout.startswith("kss-analysis ")
