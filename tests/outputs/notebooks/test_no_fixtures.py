"""No invented numbers where a reader looks: the package never reads the test fixtures, and a
notebook whose source is absent is skipped, not run on stand-ins.

Fixtures (tests/fixtures) hold INVENTED rows in real layouts, for tests only. A module that
found them could put their numbers into a report; notebook 08 once did ("TOSSD adds 6
activities ..." on made-up rows) when no TOSSD file was built.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.outputs.notebooks import loaders
from kss_analysis.outputs.notebooks.runner import notebook_needs, plan_notebooks
from tests.paths import ROOT

PACKAGE = ROOT / "src" / "kss_analysis"
# "tests/fixtures", "tests\\fixtures", "tests" / "fixtures", 'tests', 'fixtures' and the like
FIXTURE_PATH = re.compile(r"""tests\W{0,6}fixtures""", re.IGNORECASE)
TEXT_SUFFIXES = {".py", ".csv", ".json", ".yml", ".yaml", ".toml", ".txt", ".md", ".mplstyle"}


def test_no_module_or_reference_file_of_the_package_refers_to_the_test_fixtures():
    files = [p for p in sorted(PACKAGE.rglob("*")) if p.is_file() and p.suffix in TEXT_SUFFIXES]
    assert any(p.suffix == ".py" for p in files)
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if FIXTURE_PATH.search(line) or "fixture" in line.lower()
    ]
    assert found == []


def test_the_check_finds_a_fixture_path_written_either_way():
    for line in ('ROOT / "tests" / "fixtures"', "tests/fixtures/x.parquet", "project_root() / 'tests' / 'fixtures'"):
        assert FIXTURE_PATH.search(line), line


def test_the_tossd_notebook_needs_the_tossd_source_and_is_skipped_without_it(tmp_path):
    notebook = ROOT / "notebooks" / "08-indonesia-in-tossd.ipynb"
    assert notebook_needs(notebook) == ("tossd",)
    (plan,) = plan_notebooks([notebook], tmp_path)  # an empty build: no source present
    assert plan.action == "skip"


def test_the_tossd_loader_refuses_a_build_without_tossd(monkeypatch, tmp_path):
    register = pd.DataFrame(
        {"activity_id": ["kss-1"], "source": ["kss"], "provider_iso3": ["IDN"], "source_file": ["kss/a.csv"]}
    )
    tables = {"activities": register, "activity_recipients": pd.DataFrame({"activity_id": ["kss-1"]})}
    monkeypatch.setattr(loaders, "load_chart_tables", lambda processed, registers_only: (tables, {}))
    with pytest.raises(FileNotFoundError, match="kss fetch tossd"):
        loaders.load_tossd_beside_register(Path(tmp_path))
