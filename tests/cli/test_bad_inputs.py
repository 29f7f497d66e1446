"""Every file of the bad-input corpus (tests/bad_inputs, listed with its expected outcome in
cases.csv) through `kss ingest`: a typed error naming the file, or the exact quarantine
reason codes, and never a traceback."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from kss_analysis import cli
from tests.paths import TESTS

CORPUS = TESTS / "bad_inputs"
CASES = list(csv.DictReader(open(CORPUS / "cases.csv", encoding="utf-8")))


def _params(cases: list[dict]) -> list:
    """Every case; those ingested in full (about 0.15 s each) in the full suite, except the first of
    each reader and outcome. Cases refused with an error take milliseconds and all stay fast."""
    seen: set[tuple[str, str]] = set()
    params = []
    for case in cases:
        kind = (case["as"], case["outcome"])
        slow = case["outcome"] != "error" and kind in seen
        seen.add(kind)
        params.append(pytest.param(case, id=case["file"], marks=[pytest.mark.slow] if slow else []))
    return params


def test_corpus_has_at_least_70_cases_and_every_file_exists():
    assert len(CASES) >= 70
    assert all((CORPUS / c["file"]).is_file() for c in CASES)


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_input(case, tmp_path, capsys):
    path = CORPUS / case["file"]
    code = cli.main(["ingest", str(path), "--as", case["as"], "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if case["outcome"] == "error":
        assert code == 2
        assert len(err.strip().splitlines()) == 1, err
        assert case["file"] in err and case["expected"] in err, err
        return
    assert code == 0, err
    quarantine = pd.read_parquet(tmp_path / "quarantine.parquet")
    ledger = pd.read_parquet(tmp_path / "ledger.parquet")
    activities = pd.read_parquet(tmp_path / "activities.parquet")
    assert (
        ledger["rows_read"] == ledger[["rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded"]].sum(axis=1)
    ).all()
    expected = sorted(case["expected"].split(";")) if case["expected"] else []
    assert sorted(set(quarantine["reason_code"])) == expected
    assert len(activities) == int(case["placed"])
    assert quarantine["message"].str.len().gt(0).all() and quarantine["locator"].str.len().gt(0).all()


@pytest.mark.parametrize(
    "chars",
    [
        pytest.param(200_000, id="200-kB"),  # over the 100,000-character limit and csv's default field limit
        pytest.param(10_000_000, id="10-MB", marks=pytest.mark.slow),  # about 2 s
    ],
)
def test_a_huge_single_field_is_quarantined_not_fatal(tmp_path, capsys, chars):
    path = tmp_path / "huge_field.csv"
    path.write_text("judul,tahun\n" + "A" * chars + ",2019\nKursus biasa,2020\n", encoding="utf-8")
    assert cli.main(["ingest", str(path), "--as", "register", "--out", str(tmp_path / "out")]) == 0
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert quarantine["reason_code"].tolist() == ["field_too_long"]
    assert len(quarantine.iloc[0]["raw"]) < 2000  # the raw copy is shortened, not 10 MB
    assert len(pd.read_parquet(tmp_path / "out" / "activities.parquet")) == 1


def test_truncated_parquet_gives_a_clear_error(tmp_path, capsys):
    from tests.conftest import write_csv

    write_csv(tmp_path / "r.csv", [["judul", "tahun"], ["A", "2019"]])
    assert cli.main(["ingest", str(tmp_path / "r.csv"), "--as", "register", "--out", str(tmp_path / "p")]) == 0
    activities = tmp_path / "p" / "activities.parquet"
    activities.write_bytes(activities.read_bytes()[:100])
    capsys.readouterr()
    code = cli.main(["charts", "export", "--processed", str(tmp_path / "p"), "--out", str(tmp_path / "f")])
    err = capsys.readouterr().err
    assert code == 2 and "activities.parquet" in err and "truncated or corrupt" in err and "Traceback" not in err
