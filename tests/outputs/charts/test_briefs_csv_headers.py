"""Chart CSVs in the reader's language: every header of every exported id/*.csv comes from
reference/export_headers.csv, none is the English column name, none appears twice in a file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from kss_analysis.outputs.charts.export import chart_headers, export_charts
from kss_analysis.outputs.tables.workbook import headers

# Columns whose Indonesian header may read as the canonical English name (codes read alike in
# both languages). None needs it today: codes carry an Indonesian header too ('Negara (kode ISO 3166)').
SAME_IN_BOTH: frozenset[str] = frozenset()
# Columns of the comparison charts, exported only when their sources are built (the mirror).
COMPARISON_COLUMNS = {
    "region_shares_by_source": ["source_id", "source", "region", "region_label", "share_pct"],
    "gcof_usd_by_year": ["year", "amount_usd", "records_with_usd"],
}


@pytest.fixture(scope="module")
def exported(register_build: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("charts")
    export_charts(register_build / "processed", out, ["en", "id"], [])  # CSVs and sidecars, no images
    return out


def _header_row(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def test_every_chart_csv_in_both_languages_has_unique_headers(exported):
    files = sorted(exported.glob("*/*.csv"))
    assert len(files) == 2 * len(list((exported / "en").glob("*.csv"))) >= 2 * 17
    for path in files:
        row = _header_row(path)
        assert len(row) == len(set(row)), f"{path.parent.name}/{path.name}: {row}"
        sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert sidecar["headers"] == row, path.name  # the sidecar names the headers as written


def test_indonesian_headers_come_from_the_header_table_and_are_not_english(exported):
    table = headers()
    for path in sorted((exported / "id").glob("*.csv")):
        columns = _header_row(exported / "en" / path.name)  # English CSVs keep the canonical names
        written = _header_row(path)
        assert len(written) == len(columns)
        for column, header in zip(columns, written, strict=True):
            row = table.get(f"{path.stem}.{column}") or table.get(column)
            assert row is not None, f"{path.name}: no row for {column!r} in reference/export_headers.csv"
            assert header == row["id"], path.name
            if column not in SAME_IN_BOTH:
                assert header != column, f"{path.name}: {column!r} keeps its English name"
                assert header != row["en"], f"{path.name}: {column!r} is headed in English ({header!r})"


def test_comparison_chart_columns_have_unique_indonesian_headers():
    for chart, columns in COMPARISON_COLUMNS.items():
        written = chart_headers(chart, columns, "id")
        assert len(written) == len(set(written)), (chart, written)
        assert not set(written) & set(columns), (chart, written)
        assert chart_headers(chart, columns, "en") == columns
