"""Helpers that write small registers in the real formats (CSV, XLSX) for the tests."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HEADER_ID = [
    "Judul",
    "Tahun",
    "Tanggal Mulai",
    "Sektor",
    "Bentuk Kegiatan",
    "Negara Peserta",
    "Jumlah Peserta",
    "Mitra Triangular",
    "Nilai",
    "Mata Uang",
    "Sumber",
]


def write_csv(path: Path, rows: list[list[object]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


@pytest.fixture
def indonesian_rows() -> list[list[object]]:
    """Three programmes with Indonesian headers and Indonesian-formatted values."""
    return [
        HEADER_ID,
        [
            "Pelatihan budidaya ikan",
            "2017",
            "17 Juli 2017",
            "perikanan",
            "pelatihan",
            "Mesir; Afrika Selatan",
            "20 orang",
            "",
            "",
            "",
            "https://example.org/a",
        ],
        [
            "Hibah peralatan pertanian",
            "2019",
            "Juli 2019",
            "pertanian",
            "hibah",
            "Papua Nugini",
            "",
            "",
            "Rp 2,5 miliar",
            "",
            "https://example.org/b",
        ],
        [
            "Pelatihan UMKM bersama JICA",
            "2021",
            "2021-03-01",
            "UMKM",
            "pelatihan",
            "Pantai Gading, Viet Nam",
            "lebih dari 30",
            "JICA",
            "",
            "",
            "https://example.org/c",
        ],
    ]


def mirror_dir() -> Path | None:
    """The offline mirror of the fetched sources (KSS_MIRROR), or None when it is not there."""
    mirror = os.environ.get("KSS_MIRROR", "").strip()
    return Path(mirror) if mirror and Path(mirror).is_dir() else None


needs_mirror = pytest.mark.skipif(
    mirror_dir() is None, reason="needs the offline mirror: set KSS_MIRROR=../shared/mirror (CI does)"
)


@pytest.fixture(scope="session")
def session_data(built_data) -> Path:
    """The same as ``built_data`` (root conftest.py), by its earlier name: the data folder built on
    first demand, once per process: the embedded registers, plus every mirrored source when
    KSS_MIRROR is set. Read it, never write it."""
    return built_data


@pytest.fixture(scope="session")
def register_build(tmp_path_factory) -> Path:
    """A data folder with the embedded register alone (a copy of data/raw/kss) built once per test
    session, with or without KSS_MIRROR (unlike ``built_data``). Read it, never write it: a test
    that changes the inputs or needs a build of its own builds in its own tmp_path."""
    from kss_analysis.build.pipeline import build_all

    data = tmp_path_factory.mktemp("register-build")
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    build_all(data)
    return data
