"""A run never leaves last run's HTML in place: ``run_notebooks`` (what ``make run`` calls) renders
again the page of a notebook that ran again, removes the page of a notebook skipped on this data
and the front page made from the earlier data, and leaves other HTML alone; rendering
(``make report``) removes pages of notebooks no longer executed.

Notebooks are executed without a kernel here: ``execute_notebook`` is replaced by a writer of
the copy it would make (the source with the run key in its metadata and a fixed output), so
the test checks which pages are refreshed, not Jupyter.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from kss_analysis.core.io import write_table
from kss_analysis.outputs.notebooks import runner


def _processed(folder: Path, inputs: list[str]) -> Path:
    """A processed folder whose provenance names these raw inputs (the runner reads nothing else)."""
    write_table(
        pd.DataFrame({"activity_id": ["a"]}),
        folder / "activities.parquet",
        provenance={"inputs": {name: "0" * 64 for name in inputs}},
    )
    return folder


def _notebook(folder: Path, name: str, needs: list[str], said: str) -> Path:
    nb = new_notebook(cells=[new_code_cell(f"print({said!r})")])
    nb.metadata["kss"] = {"needs_sources": needs}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def _execute_without_kernel(source: Path, target: Path, *, key: str, timeout: int = 900, parameters=None) -> None:
    nb = nbformat.read(source, as_version=4)
    said = re.fullmatch(r"print\('(.*)'\)", nb.cells[0].source)[1]
    nb.cells[0].outputs = [new_output("stream", name="stdout", text=f"{said}\n")]
    nb.metadata["kss"] = {**nb.metadata.get("kss", {}), "run_key": key}
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


@pytest.fixture
def report(tmp_path, monkeypatch):
    """reports/ after `make report` on data with a GCOF file: two pages, a front page, a note of the user's."""
    monkeypatch.setattr(runner, "execute_notebook", _execute_without_kernel)
    nbs, reports = tmp_path / "notebooks", tmp_path / "reports"
    register = _notebook(nbs, "01-register.ipynb", [], "1,234 programmes")
    china = _notebook(nbs, "06-china.ipynb", ["aiddata-gcof-china-1.0"], "China 5.5 billion")
    with_gcof = _processed(tmp_path / "processed-then", ["kss/kss_programmes.csv", "aiddata-gcof-china-1.0/x.csv"])
    executed = reports / "notebooks"
    runner.run_notebooks([register, china], executed, with_gcof, echo=lambda _: None)
    pages = runner.render_html(sorted(executed.glob("*.ipynb")), reports, with_gcof, echo=lambda _: None)
    assert [p.name for p in pages] == ["01-register.html", "06-china.html"]
    (reports / "index.html").write_text("<html>front page: 1,234 programmes</html>", encoding="utf-8")
    (reports / "notes.html").write_text("<html>my own notes</html>", encoding="utf-8")  # not a rendered page
    return tmp_path, register, china


def test_a_run_on_other_data_renders_again_or_removes_every_page_of_the_last_run(report):
    root, register, china = report
    reports = root / "reports"
    old_register_page = (reports / "01-register.html").read_text(encoding="utf-8")
    assert "1,234 programmes" in old_register_page and "China 5.5 billion" in (reports / "06-china.html").read_text()
    _notebook(root / "notebooks", "01-register.ipynb", [], "1,300 programmes")  # the notebook now says another number
    offline = _processed(root / "processed-now", ["kss/kss_programmes.csv"])  # no GCOF file this time
    lines: list[str] = []

    done = runner.run_notebooks([register, china], reports / "notebooks", offline, echo=lines.append)

    assert [p.name for p in done["executed"]] == ["01-register.ipynb"] and done["skipped"] == [china]
    assert not (reports / "06-china.html").exists()  # its notebook is skipped on this data
    assert not (reports / "index.html").exists()  # the front page counted the earlier data
    page = (reports / "01-register.html").read_text(encoding="utf-8")
    assert "1,300 programmes" in page and "1,234 programmes" not in page
    assert (reports / "notes.html").read_text(encoding="utf-8") == "<html>my own notes</html>"
    assert sorted(p.name for p in reports.glob("*.html")) == ["01-register.html", "notes.html"]
    assert any(line.startswith(f"removed {reports / '06-china.html'}") for line in lines)
    assert any(line.startswith(f"removed {reports / 'index.html'}") for line in lines)
    assert any(line.startswith(f"rendered {reports / '01-register.html'} again") for line in lines)


def test_a_run_that_changes_nothing_leaves_every_page_and_the_front_page(report):
    root, register, china = report
    reports = root / "reports"
    before = {p.name: p.read_bytes() for p in reports.glob("*.html")}
    then = root / "processed-then"
    done = runner.run_notebooks([register, china], reports / "notebooks", then, echo=lambda _: None)
    assert len(done["unchanged"]) == 2
    assert {p.name: p.read_bytes() for p in reports.glob("*.html")} == before


def test_rendering_removes_pages_of_notebooks_no_longer_executed(report):
    root, _, _ = report
    reports = root / "reports"
    (reports / "notebooks" / "06-china.ipynb").unlink()  # as a run on data without the GCOF file leaves it
    lines: list[str] = []
    runner.render_html(sorted((reports / "notebooks").glob("*.ipynb")), reports, root / "processed-then", echo=lines.append)  # fmt: skip
    assert sorted(p.name for p in reports.glob("*.html")) == ["01-register.html", "index.html", "notes.html"]
    assert any(line.startswith(f"removed {reports / '06-china.html'}") for line in lines)


def test_a_page_rendered_before_pages_carried_a_key_is_rendered_again(report):
    root, register, china = report
    reports = root / "reports"
    page = reports / "01-register.html"
    legacy = re.sub(r'<meta name="kss-run-key" content="[^"]*">', "", page.read_text(encoding="utf-8"))
    page.write_text(legacy.replace("1,234 programmes", "903 programmes"), encoding="utf-8")
    runner.run_notebooks([register, china], reports / "notebooks", root / "processed-then", echo=lambda _: None)
    assert "903 programmes" not in page.read_text(encoding="utf-8")
    assert "1,234 programmes" in page.read_text(encoding="utf-8")
