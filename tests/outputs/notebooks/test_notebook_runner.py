"""The notebook runner: which notebooks run on which data, and what is left in the output folder."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from kss_analysis.core.io import write_table
from kss_analysis.outputs.notebooks.runner import plan_notebooks, run_notebooks


def _processed(folder: Path, inputs: list[str]) -> Path:
    """A processed folder whose provenance names these raw inputs (the runner reads nothing else)."""
    frame = pd.DataFrame({"activity_id": ["a"]})
    write_table(frame, folder / "activities.parquet", provenance={"inputs": {name: "0" * 64 for name in inputs}})
    return folder


def _notebook(folder: Path, name: str, needs: list[str], code: str = "print(6 * 7)") -> Path:
    nb = new_notebook(cells=[new_code_cell(code)])
    nb.metadata["kss"] = {"needs_sources": needs}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_plan_runs_skips_or_marks_partial_by_the_sources_present(tmp_path):
    processed = _processed(tmp_path / "processed", ["kss/kss_programmes.csv", "undp-ssc-projects/data.csv"])
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    register_only = _notebook(nbs, "01-a.ipynb", [])
    partial = _notebook(nbs, "05-b.ipynb", ["undp-ssc-projects", "aiddata-gcof-china-1.0"])
    absent = _notebook(nbs, "06-c.ipynb", ["aiddata-gcof-china-1.0"])
    actions = {p.path.name: (p.action, p.missing) for p in plan_notebooks([absent, partial, register_only], processed)}
    assert actions == {
        "01-a.ipynb": ("run", ()),
        "05-b.ipynb": ("partial", ("aiddata-gcof-china-1.0",)),
        "06-c.ipynb": ("skip", ("aiddata-gcof-china-1.0",)),
    }


@pytest.mark.slow
def test_run_executes_skips_with_reason_removes_stale_copies_and_reruns_only_on_change(tmp_path):
    processed = _processed(tmp_path / "processed", ["kss/kss_programmes.csv"])
    nbs, out = tmp_path / "notebooks", tmp_path / "out"
    nbs.mkdir()
    out.mkdir()
    runs = _notebook(nbs, "01-a.ipynb", [])
    needs = _notebook(nbs, "05-b.ipynb", ["aiddata-gcof-china-1.0"])
    (out / "05-b.ipynb").write_text("{}")  # left by an earlier run on data that had the source
    lines: list[str] = []
    old_umask = os.umask(0o022)
    try:
        done = run_notebooks([runs, needs], out, processed, echo=lines.append)
    finally:
        os.umask(old_umask)
    assert [p.name for p in done["executed"]] == ["01-a.ipynb"]
    assert not (out / "05-b.ipynb").exists()
    assert any(line.startswith("skipped 05-b.ipynb: needs aiddata-gcof-china-1.0") for line in lines)
    assert "executing 01-a.ipynb ..." in lines
    executed = json.loads((out / "01-a.ipynb").read_text())
    assert "".join(executed["cells"][0]["outputs"][0]["text"]) == "42\n"
    assert stat.S_IMODE((out / "01-a.ipynb").stat().st_mode) == 0o644
    first = (out / "01-a.ipynb").read_bytes()

    again = run_notebooks([runs, needs], out, processed, echo=lines.append)
    assert [p.name for p in again["unchanged"]] == ["01-a.ipynb"] and not again["executed"]

    _notebook(nbs, "01-a.ipynb", [], code="print(6 * 8)")  # the notebook changed: it runs again
    changed = run_notebooks([runs, needs], out, processed, echo=lines.append)
    assert [p.name for p in changed["executed"]] == ["01-a.ipynb"]
    assert (out / "01-a.ipynb").read_bytes() != first


def test_the_run_key_changes_with_the_package_code_not_only_its_version(tmp_path, monkeypatch):
    # The version stays the same in development: a notebook drawn by older code must run again.
    from kss_analysis.outputs.notebooks import runner as notebook_runner

    processed = _processed(tmp_path / "processed", ["kss/kss_programmes.csv"])
    notebook = _notebook(tmp_path, "01-a.ipynb", [])
    before = notebook_runner.run_key(notebook, processed)
    assert notebook_runner.run_key(notebook, processed) == before  # same inputs, same key
    monkeypatch.setattr(notebook_runner, "package_fingerprint", lambda: "other code")
    assert notebook_runner.run_key(notebook, processed) != before


def test_a_skipped_notebook_run_into_its_own_folder_is_never_deleted(tmp_path):
    """`make notebooks` executes notebooks into notebooks/: skipping one must not remove its source."""
    import nbformat

    from kss_analysis.outputs.notebooks.runner import run_notebooks

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kss"] = {"needs_sources": ["tossd"]}
    path = tmp_path / "08-needs-tossd.ipynb"
    nbformat.write(notebook, path)
    processed = tmp_path / "processed"
    processed.mkdir()
    done = run_notebooks([path], tmp_path, processed, echo=lambda _: None)
    assert done["skipped"] == [path] and path.exists()
