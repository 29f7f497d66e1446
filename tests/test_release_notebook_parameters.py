"""`kss notebooks run -p NAME=VALUE` injects a papermill-style `injected-parameters` cell after the
`parameters` cell; the run key includes the parameters; the same run gives the same bytes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from kss_analysis import cli
from kss_analysis.core.io import write_table
from kss_analysis.outputs.notebooks.runner import (
    INJECTED_TAG,
    parameter_names,
    parameter_problems,
    parameters_for,
    parse_parameters,
    run_key,
)


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    """A data folder whose processed build the runner accepts (it reads nothing else here)."""
    folder = tmp_path / "data"
    frame = pd.DataFrame({"activity_id": ["a"]})
    write_table(frame, folder / "processed" / "activities.parquet", provenance={"inputs": {}})
    monkeypatch.setenv("KSS_DATA_DIR", str(folder))
    return folder


def tiny_notebook(folder: Path) -> Path:
    parameters = new_code_cell('# parameters\nLANG = "en"  # "en" or "id"\nTOP = 5', metadata={"tags": ["parameters"]})
    parameters.id = "params"
    used = new_code_cell('print(f"lang={LANG} top={TOP}")')
    used.id = "used"
    nb = new_notebook(cells=[parameters, used])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "01-tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_values_are_read_as_papermill_reads_them():
    assert parse_parameters(["LANG=id", "TOP=10", "SHARE=0.5", "FLAG=True", "NONE=None", "TEXT=a=b"]) == {
        "LANG": "id",
        "TOP": 10,
        "SHARE": 0.5,
        "FLAG": True,
        "NONE": None,
        "TEXT": "a=b",
    }
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_parameters(["LANG"])


def test_the_project_notebooks_take_lang_where_they_have_languages():
    root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    with_lang = [path.name for path in notebooks if "LANG" in (parameter_names(path) or set())]
    assert len(with_lang) >= len(notebooks) - 1 and parameter_problems(notebooks, {"LANG": "id"}) == []
    for path in notebooks:
        assert parameters_for(path, {"LANG": "id"}) == ({"LANG": "id"} if path.name in with_lang else {})


def run_with_parameters(notebook: Path, out: Path, capsys):
    assert cli.main(["notebooks", "run", "-p", "LANG=id", "-p", "TOP=3", "--out", str(out), str(notebook)]) == 0
    said = capsys.readouterr().out
    assert "executing 01-tiny.ipynb with LANG=id, TOP=3 ..." in said and "1 executed" in said
    return nbformat.read(out / notebook.name, as_version=4)


def test_the_injected_value_is_used(data, tmp_path, capsys):
    notebook = tiny_notebook(tmp_path / "notebooks")
    executed = run_with_parameters(notebook, tmp_path / "out", capsys)
    ids = [cell.id for cell in executed.cells]
    assert ids == ["params", INJECTED_TAG, "used"]  # right after the parameters cell
    injected = executed.cells[1]
    assert injected.metadata["tags"] == [INJECTED_TAG]
    assert injected.source == '# Parameters\nLANG = "id"\nTOP = 3\n'
    assert executed.cells[2].outputs[0]["text"] == "lang=id top=3\n"
    assert executed.metadata["kss"]["parameters"] == {"LANG": "id", "TOP": 3}
    assert executed.cells[0].source.startswith('# parameters\nLANG = "en"')  # the defaults stay visible


@pytest.mark.slow
def test_runs_repeat_byte_for_byte_and_rerun_only_when_parameters_change(data, tmp_path, capsys):
    notebook = tiny_notebook(tmp_path / "notebooks")
    out = tmp_path / "out"
    executed = run_with_parameters(notebook, out, capsys)

    # the same parameters: unchanged; other parameters or none: another run key
    processed = data / "processed"
    assert cli.main(["notebooks", "run", "-p", "LANG=id", "-p", "TOP=3", "--out", str(out), str(notebook)]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    keys = {run_key(notebook, processed, p) for p in ({"LANG": "id", "TOP": 3}, {"LANG": "en"}, None)}
    assert len(keys) == 3 and executed.metadata["kss"]["run_key"] == run_key(
        notebook, processed, {"LANG": "id", "TOP": 3}
    )

    # a second folder, the same run: the same bytes (fixed cell id, no timestamps)
    again = tmp_path / "again"
    assert cli.main(["-q", "notebooks", "run", "-p", "LANG=id", "-p", "TOP=3", "--out", str(again), str(notebook)]) == 0
    assert capsys.readouterr().out == ""
    assert (again / notebook.name).read_bytes() == (out / notebook.name).read_bytes()

    # a notebook without the parameter runs as it is, and says so
    bare = new_notebook(cells=[new_code_cell("print(1)")])
    bare.metadata["kernelspec"] = executed.metadata["kernelspec"]
    nbformat.write(bare, tmp_path / "notebooks" / "02-bare.ipynb")
    both = [str(notebook), str(tmp_path / "notebooks" / "02-bare.ipynb")]
    assert cli.main(["notebooks", "run", "-p", "LANG=id", "--out", str(tmp_path / "both"), *both]) == 0
    assert "executing 02-bare.ipynb (not a parameter here: LANG) ..." in capsys.readouterr().out
    assert INJECTED_TAG not in [c.id for c in nbformat.read(tmp_path / "both" / "02-bare.ipynb", as_version=4).cells]

    # running an executed copy again replaces its injected cell instead of adding a second
    assert (
        cli.main(["notebooks", "run", "-p", "LANG=en", "--out", str(tmp_path / "third"), str(out / notebook.name)]) == 0
    )
    third = nbformat.read(tmp_path / "third" / notebook.name, as_version=4)
    assert [c.id for c in third.cells].count(INJECTED_TAG) == 1
    assert third.cells[2].outputs[0]["text"] == "lang=en top=5\n"


def test_unknown_or_malformed_parameters_exit_2_naming_the_known_ones(data, tmp_path, capsys):
    notebook = tiny_notebook(tmp_path / "notebooks")
    assert cli.main(["notebooks", "run", "-p", "COLOUR=red", "--out", str(tmp_path / "o"), str(notebook)]) == 2
    err = capsys.readouterr().err
    assert "no notebook has a parameter COLOUR (their parameters: LANG, TOP)" in err
    assert cli.main(["notebooks", "run", "-p", "LANG", "--out", str(tmp_path / "o"), str(notebook)]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    bare = new_notebook(cells=[new_code_cell("x = 1")])
    nbformat.write(bare, tmp_path / "bare.ipynb")
    assert (
        cli.main(["notebooks", "run", "-p", "LANG=id", "--out", str(tmp_path / "o"), str(tmp_path / "bare.ipynb")]) == 2
    )
    assert "no notebook has a parameter LANG (their parameters: none)" in capsys.readouterr().err
