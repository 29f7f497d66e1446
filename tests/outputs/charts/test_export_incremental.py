"""`kss charts export` skips an export whose inputs did not change, and only then."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kss_analysis.core import io
from kss_analysis.outputs.charts.export import KEY_FILE, export_charts

CHART = "programmes_by_sector"  # any standard chart will do: one that is quick to draw


@pytest.fixture(scope="module")
def built(register_build) -> Path:
    return register_build / "processed"


@pytest.fixture
def processed(built, tmp_path) -> Path:
    copy = tmp_path / "processed"
    shutil.copytree(built, copy)
    return copy


def export(processed: Path, out: Path, langs=("en",), formats=("svg",)) -> tuple[list[Path], list[str]]:
    said: list[str] = []
    paths = export_charts(processed, out, list(langs), list(formats), [CHART], echo=said.append)
    return paths, said


def state(out: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(out)): (io.sha256_file(p), p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != KEY_FILE
    }


def test_second_export_with_nothing_changed_is_skipped_and_says_so(processed, tmp_path):
    out = tmp_path / "figures"
    first, said = export(processed, out)
    assert said == [] and len(first) == 3  # svg, csv, json
    before = state(out)
    second, said = export(processed, out)
    assert len(said) == 1 and said[0].startswith("unchanged 3 chart files")
    assert sorted(second) == sorted(first)
    assert state(out) == before  # not even rewritten


def test_a_missing_or_altered_file_is_redrawn_with_the_same_bytes(processed, tmp_path):
    out = tmp_path / "figures"
    export(processed, out)
    expected = {name: sha for name, (sha, _) in state(out).items()}
    svg = out / "en" / f"{CHART}.svg"
    svg.unlink()
    _, said = export(processed, out)
    assert said == [] and svg.exists()
    svg.write_text("edited by hand")
    _, said = export(processed, out)
    assert said == []
    assert {name: sha for name, (sha, _) in state(out).items()} == expected


def test_other_options_or_changed_data_redraw(processed, tmp_path):
    out = tmp_path / "figures"
    export(processed, out)
    _, said = export(processed, out, langs=("id",))
    assert said == [] and (out / "id" / f"{CHART}.svg").exists()
    _, said = export(processed, out, langs=("id",), formats=("svg", "png"))
    assert said == [] and (out / "id" / f"{CHART}.png").exists()
    table = processed / "activities.parquet"
    frame = io.read_table(table)
    frame.iloc[:-1].to_parquet(table)  # one activity fewer: the key must change
    _, said = export(processed, out, langs=("id",), formats=("svg", "png"))
    assert said == []


def test_changed_package_code_redraws(processed, tmp_path, monkeypatch):
    export(processed, tmp_path)
    monkeypatch.setattr(io, "package_fingerprint", lambda: "other code")  # same version, other code
    paths, said = export(processed, tmp_path)
    assert paths and not any("unchanged" in line for line in said)
