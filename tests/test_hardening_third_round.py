"""Issue 30, the third round of hostile inputs: links and lock files that would turn the tool
against its user, one bad row that would stop a build, formula cells in the build's own
reports, `kss ingest --out` over a published build, mirror files that are links, mojibake.
Every file here is SYNTHETIC test data written by the test (or kept in
tests/bad_inputs/third_round/)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kss_analysis import cli
from kss_analysis.acquire import fetch
from kss_analysis.acquire.registry import Source

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "bad_inputs" / "third_round"
SECRET = "private content that must stay as it is\n"


def data_folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    return data


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


def victim(tmp_path: Path) -> Path:
    """A file outside the data folder that a planted link points at."""
    path = tmp_path / "outside" / "victim.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SECRET, encoding="utf-8")
    return path


# 1. Lock files ---------------------------------------------------------------------------


def test_a_build_lock_that_is_a_link_is_refused_and_its_target_kept(tmp_path, capsys):
    data = data_folder(tmp_path)
    target = victim(tmp_path)
    (data / ".build.lock").symlink_to(target)
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    one_line_error(code, err, ".build.lock", "symbolic link")
    assert target.read_text(encoding="utf-8") == SECRET
    assert not (data / "processed").exists()


def test_a_build_lock_that_is_a_hard_link_or_a_fifo_is_refused(tmp_path, capsys):
    data = data_folder(tmp_path)
    target = victim(tmp_path)
    os.link(target, data / ".build.lock")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    one_line_error(code, err, ".build.lock", "hard link")
    assert target.read_text(encoding="utf-8") == SECRET
    (data / ".build.lock").unlink()
    os.mkfifo(data / ".build.lock")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    one_line_error(code, err, ".build.lock", "not a regular file")


def mirrored_pattern_source(source_id: str = "tossd") -> Source:
    return Source(
        id=source_id,
        title="t",
        publisher="t",
        kind="pattern",
        format="csv",
        reader="crs",
        licence="t",
        citation="t",
        url_pattern="https://example.invalid/{year}.csv",
        file_pattern="CRS {year}.csv",
    )


def test_a_fetch_lock_that_is_a_link_is_refused_and_its_target_kept(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    raw, mirror = data / "raw", tmp_path / "mirror"
    raw.mkdir(parents=True)
    (mirror / "tossd").mkdir(parents=True)
    (mirror / "tossd" / "CRS 2019.csv").write_text("year,value\n2019,1\n", encoding="utf-8")
    target = victim(tmp_path)
    (raw / fetch.FETCH_LOCK).symlink_to(target)
    monkeypatch.setenv("KSS_DATA_DIR", str(data))
    monkeypatch.setattr("kss_analysis.acquire.registry.load_sources", lambda: {"tossd": mirrored_pattern_source()})
    code, _, err = run(["fetch", "tossd", "--years", "2019", "--mirror", str(mirror)], capsys)
    one_line_error(code, err, ".fetch.lock", "symbolic link")
    assert target.read_text(encoding="utf-8") == SECRET
    assert not (raw / "tossd").exists()
