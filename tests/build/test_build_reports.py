"""The quarantine report: one plain CSV row per quarantined row, in the user's own words."""

from __future__ import annotations

import pandas as pd

from kss_analysis.build.pipeline import build_all
from tests.conftest import write_csv


def test_quarantine_report_names_file_row_column_as_written_value_and_fix(tmp_path):
    (tmp_path / "raw" / "registers").mkdir(parents=True)
    write_csv(
        tmp_path / "raw" / "registers" / "daftar.csv",
        [
            ["Judul", "Tahun", "Anggaran", "Negara Mitra"],  # synthetic register
            ["Pelatihan A", "tahun lalu", "", "Kenya"],
            ["Pelatihan B", "2021", "Rp 2.5 M", "Kenya"],
            ["Pelatihan C", "TA 2019", "Rp 2,5 M", "Kenya"],
        ],
    )
    result = build_all(tmp_path)
    report = pd.read_csv(result.reports["quarantine_report.csv"], dtype=str)
    assert list(report.columns) == ["file", "row", "column", "value", "reason", "how_to_fix", "message"]
    assert report[["file", "row", "column", "value", "reason"]].values.tolist() == [
        ["registers/daftar.csv", "row 2", "Tahun", "tahun lalu", "bad_year"],
        ["registers/daftar.csv", "row 3", "Anggaran", "Rp 2.5 M", "ambiguous_scale"],
    ]
    assert report["how_to_fix"].str.len().gt(20).all()
    placed = result.tables.activities.set_index("title").loc["Pelatihan C"]
    assert (placed["year"], placed["amount"]) == (2019, 2.5e9)
