"""Helpers that write small registers in the real formats (CSV, XLSX) for the tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

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
