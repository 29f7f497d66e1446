"""Progress and verbosity: one line per step when not on a terminal, a bar on one, -q for errors
and results only, -v for each step's time, NO_COLOR respected."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kss_analysis import cli
from kss_analysis.core import progress
from kss_analysis.outputs.charts.export import export_charts


def repo_root() -> Path:
    return next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())


ROOT = repo_root()
STEP = re.compile(r"^build (\d+)/(\d+): ")


def data_folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    return data


def kss(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The real command, its output captured (not a terminal)."""
    environ = {k: v for k, v in os.environ.items() if k != "KSS_MIRROR"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "kss_analysis", *args], capture_output=True, text=True, env=environ, timeout=300
    )


def test_build_not_on_a_terminal_says_one_line_per_step(tmp_path, capsys):
    data = data_folder(tmp_path)
    done = kss("build", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    steps = [m for line in done.stdout.splitlines() if (m := STEP.match(line))]
    total = int(steps[0].group(2))
    assert [int(m.group(1)) for m in steps] == list(range(1, total + 1))
    assert "build 1/" in done.stdout and "read kss/kss_programmes.csv" in done.stdout
    assert "files written" in done.stdout  # the report follows the steps
    assert done.stderr == ""  # no bar, no colour codes off a terminal
    assert "\x1b[" not in done.stdout

    assert cli.main(["-q", "build", "--data-dir", str(data)]) == 0
    assert capsys.readouterr() == ("", "")
    assert cli.main(["build", "-q", "--data-dir", str(data)]) == 0  # after the command too
    assert capsys.readouterr() == ("", "")

    assert cli.main(["build", "-v", "--data-dir", str(data)]) == 0
    step_lines = [line for line in capsys.readouterr().out.splitlines() if STEP.match(line)]
    assert len(step_lines) == total and all(re.search(r"\(\d+\.\d s\)$", line) for line in step_lines)


def test_quiet_keeps_results_and_errors(tmp_path, capsys):
    assert cli.main(["-q", "sources"]) == 0
    assert "status" in capsys.readouterr().out  # the sources table is the command's result
    assert cli.main(["-q", "notebooks", "run", "--out", str(tmp_path), "missing.ipynb"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "error" in captured.err


def test_tables_export_says_one_line_per_table(register_build, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KSS_DATA_DIR", str(register_build))
    assert cli.main(["tables", "export", "--format", "csv", "--out", str(tmp_path / "t")]) == 0
    lines = capsys.readouterr().out.splitlines()
    steps = [line for line in lines if line.startswith("tables ")]
    files = list((tmp_path / "t").glob("*.csv"))
    assert len(steps) == len(files) and steps[-1].startswith(f"tables {len(files)}/{len(files)}: ")
    assert lines[-1] == f"{len(files)} tables in {tmp_path / 't'}"
    assert cli.main(["tables", "export", "-q", "--format", "csv", "--out", str(tmp_path / "t")]) == 0
    assert capsys.readouterr().out == ""


def test_chart_export_steps_and_a_bar_on_a_terminal(register_build, tmp_path, capsys, monkeypatch):
    processed = register_build / "processed"
    charts = ["programmes_by_sector"]
    progress.configure(progress.NORMAL, terminal=False)
    try:
        export_charts(processed, tmp_path / "a", ["en", "id"], ["svg"], charts, echo=progress.say)
    finally:
        progress.reset()
    out = capsys.readouterr().out.splitlines()
    assert out == ["charts 1/2: programmes_by_sector (en)", "charts 2/2: programmes_by_sector (id)"]

    monkeypatch.setenv("NO_COLOR", "1")
    progress.configure(progress.NORMAL, terminal=True)
    try:
        export_charts(processed, tmp_path / "b", ["en", "id"], ["svg"], charts, echo=progress.say)
    finally:
        progress.reset()
    captured = capsys.readouterr()
    assert captured.out == ""  # on a terminal the bar replaces the lines
    assert "charts: 100%" in captured.err and "2/2" in captured.err and "programmes_by_sector" in captured.err
    assert "\x1b[3" not in captured.err  # no colour with NO_COLOR


def test_library_calls_stay_silent(register_build, tmp_path, capsys):
    """Without the command line nothing is configured: a notebook or a script sees no steps."""
    export_charts(register_build / "processed", tmp_path, ["en"], ["svg"], ["programmes_by_sector"], echo=print)
    assert capsys.readouterr().out == ""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert progress.colour(Terminal()) and not progress.colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not progress.colour(Terminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not progress.colour(Terminal())


def test_errors_lose_colour_codes_when_colour_is_off(monkeypatch, capsys):
    monkeypatch.setenv("NO_COLOR", "1")
    progress.error("kss: error: \x1b[0;31mValueError\x1b[0m in cell 3")
    assert capsys.readouterr().err == "kss: error: ValueError in cell 3\n"


@pytest.mark.parametrize("option", ["-q", "-v"])
def test_every_command_takes_q_and_v(option):
    parser = cli.make_parser()
    for command in (
        ["build"],
        ["ingest", "x.csv", "--as", "register", "--out", "o"],
        ["fetch", "kss"],
        ["sources"],
        ["charts", "export"],
        ["tables", "export"],
        ["notebooks", "run"],
        ["notebooks", "report"],
    ):
        before, after = parser.parse_args([option, *command]), parser.parse_args([*command, option])
        key = "quiet" if option == "-q" else "verbose"
        assert getattr(before, key) and getattr(after, key), command
