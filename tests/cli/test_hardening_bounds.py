"""Issue 30, item 4: bounded by construction. Each case is named by what it attacks: a pattern
that backtracks for hours, a header line of a megabyte, a workbook padded to billions of cells,
a year range of ten billion years. Each limit is read from core/config.LIMITS, can be moved by
its environment variable, and is named in docs/reliability.md. Every file here is SYNTHETIC
test data written by the test."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.core import config
from tests.cli.hostile import one_line_error, run
from tests.paths import ROOT


def register_with_profile(tmp_path: Path, patterns: list[str], rows: list[str]) -> tuple[Path, Path]:
    """A two-column register (judul, tahun) and a profile excluding rows by ``patterns``."""
    register = tmp_path / "mine.csv"
    register.write_text("judul,tahun\n" + "".join(f"{row},2019\n" for row in rows), encoding="utf-8")
    profile = tmp_path / "mine.profile.yml"
    quoted = "".join(f"  - '{p}'\n" for p in patterns)
    profile.write_text(f"exclude_rows_matching:\n{quoted}", encoding="utf-8")
    return register, profile


def ingest(path: Path, reader: str, tmp_path: Path, capsys, *extra: str) -> tuple[int, str, str]:
    return run(["ingest", str(path), "--as", reader, "--out", str(tmp_path / "out"), *extra], capsys)


# Patterns in a profile -------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(a*)*b", r"(a|aa)+$", r"(\w+\s?)*$", r"^(?=(x+)+)y"],
    ids=["nested-plus", "nested-star", "overlapping-choice", "word-groups", "inside-lookahead"],
)
def test_a_backtracking_pattern_in_a_profile_is_refused_before_any_row_is_read(tmp_path, capsys, pattern):
    register, profile = register_with_profile(tmp_path, ["^Fonte:", pattern], ["a" * 40 + "!"])
    code, _, err = ingest(register, "register", tmp_path, capsys, "--profile", str(profile))
    one_line_error(code, err, str(profile), "exclude_rows_matching[1]", "backtrack")
    assert not (tmp_path / "out").exists()


def test_a_backtracking_pattern_stops_a_build_in_one_line(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "raw" / "registers").mkdir(parents=True)
    register_with_profile(data / "raw" / "registers", [r"(a+)+$"], ["Kursus nelayan"])
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    one_line_error(code, err, "mine.profile.yml", "exclude_rows_matching[0]")


def test_a_pattern_longer_than_the_cap_is_refused_and_the_cap_can_be_raised(tmp_path, capsys, monkeypatch):
    long_pattern = "^(Fonte|Source): " + "x" * 200
    register, profile = register_with_profile(tmp_path, [long_pattern], ["Kursus nelayan"])
    code, _, err = ingest(register, "register", tmp_path, capsys, "--profile", str(profile))
    one_line_error(code, err, "exclude_rows_matching[0]", "limit 200", "KSS_MAX_PATTERN_CHARS")
    monkeypatch.setenv("KSS_MAX_PATTERN_CHARS", "1000")
    code, _, err = ingest(register, "register", tmp_path, capsys, "--profile", str(profile))
    assert code == 0, err


def test_a_pattern_of_polynomial_backtracking_stops_at_its_time_budget(tmp_path, capsys, monkeypatch):
    """``.*.*.*x`` passes the static check (no nesting) but costs n^4 steps on a cell without x:
    the profile's time on the file runs out and the read stops in one line."""
    monkeypatch.setenv("KSS_PATTERN_SECONDS", "1")
    register, profile = register_with_profile(tmp_path, [".*.*.*x"], ["a" * 1000] * 3)
    code, _, err = ingest(register, "register", tmp_path, capsys, "--profile", str(profile))
    one_line_error(code, err, str(profile), ".*.*.*x", "KSS_PATTERN_SECONDS")


def test_a_pattern_searches_the_start_of_a_cell_only(tmp_path, capsys):
    """A footnote marker after the first 1,000 characters of a cell is not searched (the cap
    that keeps a search short), one at the start is."""
    rows = ["Fonte: " + "a" * 2000, "a" * 2000 + " Fonte:", "Kursus nelayan"]
    register, profile = register_with_profile(tmp_path, ["Fonte:"], rows)
    code, _, err = ingest(register, "register", tmp_path, capsys, "--profile", str(profile))
    assert code == 0, err
    ledger = pd.read_parquet(tmp_path / "out" / "ledger.parquet").iloc[0]
    assert ledger["excluded_by_rule"] == "profile_exclude=1"
    titles = pd.read_parquet(tmp_path / "out" / "activities.parquet")["title"].tolist()
    assert sorted(len(t) for t in titles) == [len("Kursus nelayan"), 2007]


def test_a_profile_over_the_size_cap_is_refused_naming_its_variable(tmp_path, capsys, monkeypatch):
    register, profile = register_with_profile(tmp_path, ["^Fonte:"], ["Kursus nelayan"])
    monkeypatch.setenv("KSS_MAX_PROFILE_BYTES", "16")
    code, _, err = ingest(register, "register", tmp_path, capsys, "--profile", str(profile))
    one_line_error(code, err, str(profile), "KSS_MAX_PROFILE_BYTES")


# Header lines and cells ------------------------------------------------------------------

MEGABYTE_HEADER = "judul,tahun," + ",".join(f"c{i}" for i in range(150_000)) + "\n"


@pytest.mark.parametrize(
    ("reader", "rest"),
    [
        ("register", "Kursus nelayan,2019\n" * 2000),
        ("undp", "1,Kursus,FJI,IDN,2019,2021,Governance\n" * 2000),
        ("aiddata", "t,1,Qatar,2012,SOM,700,ODA-like,100,USD,100\n" * 2000),
        ("crs", "2019|1|738|11110|1.5|0.5\n" * 2000),
    ],
)
def test_a_megabyte_header_line_is_refused_in_one_line(tmp_path, capsys, reader, rest):
    path = tmp_path / "wide.csv"
    path.write_text(MEGABYTE_HEADER + rest, encoding="utf-8")
    code, _, err = ingest(path, reader, tmp_path, capsys)
    one_line_error(code, err, str(path), "65,536 characters", "KSS_MAX_HEADER_CHARS")


@pytest.mark.parametrize("reader", ["register", "aiddata"])
def test_a_long_file_with_carriage_returns_alone_is_not_one_long_line(tmp_path, capsys, reader):
    """Old Mac line ends (CR alone; AidData's TUFF file has them): the header is the first line, not the file."""
    header = (
        "judul,tahun" if reader == "register" else "project_id,donor,year,recipient_iso3,crs_sector_code,flow_class"
    )
    row = "Kursus nelayan,2019" if reader == "register" else "1,Qatar,2012,SOM,700,ODA-like"
    path = tmp_path / "cr.csv"
    path.write_bytes((header + "\r" + (row + "\r") * 5000).encode())  # over 65,536 characters in all
    code, _, err = ingest(path, reader, tmp_path, capsys)
    assert code == 0, err
    assert pd.read_parquet(tmp_path / "out" / "ledger.parquet")["rows_read"].sum() == 5000


def test_a_long_title_row_above_the_header_is_never_taken_for_the_header(tmp_path, capsys):
    """Only the first line is refused when long; a long row lower down is a row, not a header."""
    path = tmp_path / "titled.csv"
    long_row = "Judul " + "x" * 70_000 + ",Tahun\n"
    path.write_text("Daftar program\n" + long_row + "judul,tahun\nKursus nelayan,2019\n", encoding="utf-8")
    code, _, err = ingest(path, "register", tmp_path, capsys)
    assert code == 0, err
    assert pd.read_parquet(tmp_path / "out" / "activities.parquet")["title"].tolist() == ["Kursus nelayan"]


def test_a_cell_over_the_cell_cap_is_quarantined_naming_its_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KSS_MAX_CELL_CHARS", "50")
    path = tmp_path / "mine.csv"
    path.write_text("judul,tahun\n" + "K" * 60 + ",2019\nKursus nelayan,2020\n", encoding="utf-8")
    code, _, err = ingest(path, "register", tmp_path, capsys)
    assert code == 0, err
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert quarantine["reason_code"].tolist() == ["field_too_long"]
    assert "KSS_MAX_CELL_CHARS" in quarantine["message"].iloc[0]


# Workbooks -------------------------------------------------------------------------------


def courses_sheet():
    """A workbook whose sheet 'Data' has a header and 20 course rows (rows 2-21), titles only."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["judul", "tahun"])
    for row in range(2, 22):
        sheet.cell(row=row, column=1, value=f"Kursus {row}")
    return book, sheet


def far_cell_on_every_row(path: Path) -> Path:
    book, sheet = courses_sheet()
    for row in range(2, 22):
        sheet.cell(row=row, column=16384, value="x")  # XFD: pads the row to 16,384 cells
    book.save(path)
    return path


def merged_range_and_a_far_cell(path: Path) -> Path:
    book, sheet = courses_sheet()
    sheet["B2"] = 2019
    sheet.merge_cells("B2:XFD21")  # filled over every stored row up to the used width ...
    sheet["XFD1"] = "x"  # ... which one far cell makes 16,384 columns
    book.save(path)
    return path


@pytest.mark.parametrize("make", [far_cell_on_every_row, merged_range_and_a_far_cell])
def test_a_workbook_padded_past_the_cell_cap_is_refused_before_it_is_filled(tmp_path, capsys, monkeypatch, make):
    monkeypatch.setenv("KSS_MAX_XLSX_CELLS", "100000")  # 20 rows x 16,384 columns is over 300,000
    path = make(tmp_path / "padded.xlsx")
    code, _, err = ingest(path, "register", tmp_path, capsys)
    one_line_error(code, err, str(path), "sheet 'Data'", "100,000 cells", "KSS_MAX_XLSX_CELLS")


def test_a_workbook_under_the_cell_cap_is_read_whole(tmp_path, capsys):
    """330,000 cells are under the default cap: every row is read, each stray far cell quarantines its row."""
    path = far_cell_on_every_row(tmp_path / "padded.xlsx")
    code, _, err = ingest(path, "register", tmp_path, capsys)
    assert code == 0, err
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert quarantine["reason_code"].tolist() == ["too_many_cells"] * 20


# Year ranges -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("years", "reason"),
    [
        ("0-9999999999", "0 is outside 1960-"),
        ("2019-99999999", "99999999 is outside 1960-"),
        ("2019,99999999", "99999999 is outside 1960-"),
        ("1800-2019", "1800 is outside 1960-"),
        ("2024-2019", "the first year comes after the last"),
        ("2019-", "use 2019-2023"),
    ],
    ids=["ten-billion-years", "far-future-end", "far-future-in-a-list", "before-any-source", "reversed", "open-ended"],
)
def test_a_year_range_outside_any_source_is_refused_before_anything_is_allocated(
    tmp_path, capsys, monkeypatch, years, reason
):
    monkeypatch.setenv("KSS_DATA_DIR", str(tmp_path / "data"))
    code, _, err = run(["fetch", "tossd", "--years", years, "--mirror", str(tmp_path)], capsys)
    one_line_error(code, err, f"--years {years}", reason)
    assert not (tmp_path / "data" / "raw" / "tossd").exists()


# The limits themselves -------------------------------------------------------------------


def test_every_limit_is_named_in_the_reliability_notes_with_its_default():
    notes = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    for name, default in config.LIMITS.items():
        line = next((line for line in notes.splitlines() if f"`{name}`" in line), None)
        assert line is not None, f"{name} is not in docs/reliability.md"
        shown = {f"{default:,}", f"{default // 1024:,} KiB", f"{default >> 30} GiB", f"{default} s"}
        assert any(s in line for s in shown), f"{name}: default {default} not on its line: {line}"


@pytest.mark.parametrize("value", ["abc", "0", "-5", ""])
def test_a_limit_set_to_nonsense_keeps_its_default(monkeypatch, value):
    monkeypatch.setenv("KSS_MAX_CELL_CHARS", value)
    assert config.limit("KSS_MAX_CELL_CHARS") == 100_000


def test_limits_are_read_in_one_place():
    """No module outside core/config.py reads a KSS_MAX_ variable itself."""
    package = ROOT / "src" / "kss_analysis"
    readers = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if re.search(r"environ(\.get)?[\[(]\s*[\"']KSS_(MAX|PATTERN)", p.read_text(encoding="utf-8"))
    ]
    assert readers == [], readers
