"""The README's numbers about the data hold for the build: the register's programmes and years and
the headline figures as the embedded build reads them, and the notebooks the README says an
offline run skips are those the runner skips on that build.

(tests/test_docs.py checks the same numbers against the raw files without building; here they
are checked against what `kss build` makes of them, so a row the build drops would show.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.core import io
from kss_analysis.outputs.notebooks.runner import plan_notebooks
from tests.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _claim(pattern: str) -> tuple[str, ...]:
    found = re.findall(pattern, README)
    assert len(found) == 1, f"the README states /{pattern}/ {len(found)} times"
    return found[0] if isinstance(found[0], tuple) else (found[0],)


@pytest.fixture(scope="module")
def processed(register_build: Path) -> Path:
    return register_build / "processed"


def test_the_registers_programmes_and_years_are_the_builds(processed):
    programmes, first, last = _claim(r"kss_programmes\.csv`: (\d+) programmes, (\d{4})[–-](\d{4})")
    ledger = io.read_table(processed / "ledger.parquet").set_index("file")
    assert int(ledger.loc["kss/kss_programmes.csv", "rows_read"]) == int(programmes)
    activities = io.read_table(processed / "activities.parquet")
    register = activities[activities["source"] == "kss"]
    assert len(register) == int(programmes)  # every row kept: none quarantined or excluded
    years = pd.to_numeric(register["year"]).dropna().astype(int)
    assert (years.min(), years.max()) == (int(first), int(last))


def test_the_headline_figures_are_the_builds(processed):
    (figures,) = _claim(r"`kss_figures\.csv`: (\d+) headline figures")
    assert len(io.read_table(processed / "kss_figures.parquet")) == int(figures)


def _numbers(listed: str) -> set[str]:
    return set(re.findall(r"\d\d", listed))


def test_the_notebooks_an_offline_run_skips_are_those_the_readme_names(processed):
    (first,) = _claim(r"skips the notebooks that need the fetched sources \(([\d, ]+)\)")
    (second,) = _claim(r"\n([\d, ]+(?: and \d\d)?) need the fetched sources")
    plans = plan_notebooks(sorted((ROOT / "notebooks").glob("*.ipynb")), processed)
    skipped = {plan.path.name[:2] for plan in plans if plan.action == "skip"}
    assert skipped  # the embedded build lacks every fetched source
    assert _numbers(first) == skipped
    assert _numbers(second) == skipped
