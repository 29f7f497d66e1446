"""A fetched Parquet file (TOSSD) must be Parquet before it is recorded or replaces a copy."""

from __future__ import annotations

import shutil

from kss_analysis.acquire.fetch_checks import format_problem
from tests.paths import FIXTURES


def test_a_real_parquet_file_passes(tmp_path):
    path = tmp_path / "tossddata_2024.parquet"
    shutil.copy(FIXTURES / "tossd_2024_fixture.parquet", path)
    assert format_problem(path) is None


def test_any_non_empty_file_named_parquet_no_longer_passes(tmp_path):
    path = tmp_path / "tossddata_2024.parquet"
    path.write_text("<html>Service unavailable</html>", encoding="utf-8")
    assert "not a Parquet file" in format_problem(path)


def test_a_cut_parquet_file_is_refused(tmp_path):
    whole = (FIXTURES / "tossd_2024_fixture.parquet").read_bytes()
    path = tmp_path / "tossddata_2024.parquet"
    path.write_bytes(whole[: len(whole) // 2])
    assert format_problem(path) is not None
    path.write_bytes(whole[:4] + b"x" * 100 + whole[-4:])  # the magic at both ends, no footer
    assert "check" in format_problem(path)
