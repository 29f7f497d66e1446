"""A build is one transaction: killed at any point, `processed` is the previous complete build
or the new one, never a mix. Kills are deterministic: a child process runs `kss build` with
one step replaced by SIGKILL to itself (the N-th file write, or before/after each publish step).
Registers here are SYNTHETIC test data."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from kss_analysis import cli
from kss_analysis.build import publish
from kss_analysis.build.consistency import check_published
from kss_analysis.build.pipeline import build_all
from kss_analysis.core import io, locking
from tests.paths import ROOT

KILLER = """
import os, signal, sys
from kss_analysis.core import io
from kss_analysis.build import publish
from kss_analysis import cli
kind, arg, data = sys.argv[1], sys.argv[2], sys.argv[3]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if kind == "write":
    calls = [0]
    original = io.write_bytes_atomic
    def counting(path, payload):
        calls[0] += 1
        if calls[0] == int(arg):
            die()
        return original(path, payload)
    io.write_bytes_atomic = counting
else:
    original = getattr(publish, arg)
    def step(*a, **k):
        if kind == "before":
            die()
        result = original(*a, **k)
        die()
    setattr(publish, arg, step)
sys.exit(cli.main(["build", "--data-dir", data]))
"""

WRITES = (1, 3, 5, 7, 9)
STEPS = ("_promote", "_make_link", "_swap", "_prune")
# Before the pointer moves the old build stays published; from then on the new one is.
POINTS = [("write", str(n), "old") for n in WRITES] + [
    (kind, step, "new" if (step == "_prune" or (step == "_swap" and kind == "after")) else "old")
    for step in STEPS
    for kind in ("before", "after")
]


def synthetic_register(path: Path, rows: int) -> None:
    """SYNTHETIC register: ``rows`` programmes, so two builds differ in every table."""
    lines = ["programme_id,judul,tahun,negara_mitra,sektor,bentuk_kegiatan,jumlah_peserta,nilai,mata_uang"]
    countries = ["Fiji", "Kenya", "Mesir", "Timor Leste"]
    for i in range(rows):
        lines.append(
            f'S-{i},Synthetic {i},{2000 + i % 20},{countries[i % 4]},perikanan,pelatihan,{i % 30},"Rp {i % 7},5 miliar",'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_data(root: Path, rows: int) -> Path:
    shutil.copytree(ROOT / "data" / "raw" / "kss", root / "raw" / "kss")
    (root / "raw" / "registers").mkdir(parents=True)
    synthetic_register(root / "raw" / "registers" / "synthetic.csv", rows)
    return root


def rows_read(data: Path) -> int:
    return int(io.read_table(data / "processed" / "ledger.parquet")["rows_read"].sum())


def test_the_consistency_check_sees_a_mixed_folder(tmp_path):
    old = make_data(tmp_path / "a", 300)
    new = make_data(tmp_path / "b", 400)
    build_all(old)
    build_all(new)
    assert check_published(old / "processed") == []
    mixed = tmp_path / "mixed"
    shutil.copytree(old / "processed", mixed)
    shutil.copy(new / "processed" / "activities.parquet", mixed / "activities.parquet")
    problems = check_published(mixed)
    assert any("another build" in p for p in problems)
    assert any("activities but ledger says" in p for p in problems)


@pytest.mark.slow
def test_a_build_killed_at_13_points_leaves_one_complete_build(tmp_path):
    data = make_data(tmp_path / "data", 300)
    build_all(data)
    old_rows = rows_read(data)
    synthetic_register(data / "raw" / "registers" / "synthetic.csv", 450)
    new_rows = old_rows + 150
    for kind, arg, expected in POINTS:
        process = subprocess.run(
            [sys.executable, "-c", KILLER, kind, arg, str(data)], capture_output=True, text=True, timeout=300
        )
        assert process.returncode == -signal.SIGKILL, (kind, arg, process.stderr)
        assert check_published(data / "processed") == [], (kind, arg)
        assert rows_read(data) == (new_rows if expected == "new" else old_rows), (kind, arg)
        if expected == "new":  # go back to the old build for the next kill point
            synthetic_register(data / "raw" / "registers" / "synthetic.csv", 300)
            build_all(data)
            assert rows_read(data) == old_rows
            synthetic_register(data / "raw" / "registers" / "synthetic.csv", 450)
    build_all(data)  # the next run tidies what the kills left and publishes
    assert rows_read(data) == new_rows and check_published(data / "processed") == []
    assert not list((data / "builds").glob(".staging-*")) and not list(data.glob(".processed.tmp-*"))
    assert len(list((data / "builds").iterdir())) <= publish.KEEP_BUILDS


def test_an_exception_mid_build_removes_the_staging_folder_and_keeps_the_old_set(tmp_path, monkeypatch):
    data = make_data(tmp_path / "data", 100)
    build_all(data)
    before = {p.name: io.sha256_file(p) for p in (data / "processed").glob("*.parquet")}
    synthetic_register(data / "raw" / "registers" / "synthetic.csv", 150)
    calls = []
    original = io.write_bytes_atomic

    def interrupted(path, payload):
        calls.append(path)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return original(path, payload)

    monkeypatch.setattr(io, "write_bytes_atomic", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_all(data)
    assert {p.name: io.sha256_file(p) for p in (data / "processed").glob("*.parquet")} == before
    assert not list((data / "builds").glob(".staging-*"))


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, monkeypatch, capsys):
    data = make_data(tmp_path / "data", 50)

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("kss_analysis.build.pipeline._build_all", interrupted)
    assert cli.main(["build", "--data-dir", str(data)]) == 130
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_real_sigint_or_sigterm_during_a_build(tmp_path, signum):
    data = make_data(tmp_path / "data", 100)
    build_all(data)
    before = {p.name: io.sha256_file(p) for p in (data / "processed").glob("*.parquet")}
    synthetic_register(data / "raw" / "registers" / "synthetic.csv", 30000)
    process = subprocess.Popen(
        [sys.executable, "-m", "kss_analysis", "build", "--data-dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list((data / "builds").glob(".staging-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err
    assert {p.name: io.sha256_file(p) for p in (data / "processed").glob("*.parquet")} == before
    assert not list((data / "builds").glob(".staging-*"))


def test_a_legacy_processed_folder_becomes_the_previous_build(tmp_path):
    data = make_data(tmp_path / "data", 20)
    (data / "processed").mkdir()
    (data / "processed" / "old.txt").write_text("from before", encoding="utf-8")
    build_all(data)
    assert (data / "processed").is_symlink() and (data / "processed" / "activities.parquet").is_file()
    assert (data / "builds" / publish.LEGACY_ID / "old.txt").read_text(encoding="utf-8") == "from before"


def test_a_migration_cut_short_is_completed_on_the_next_start(tmp_path):
    data = tmp_path / "data"
    (data / "builds" / "20260101T000000-1").mkdir(parents=True)
    (data / "builds" / "20260101T000000-1" / "x.parquet").write_bytes(b"x")
    (data / "builds" / ".staging-999").mkdir()
    notes = publish.recover(data)
    assert (data / "processed" / "x.parquet").read_bytes() == b"x"
    assert not (data / "builds" / ".staging-999").exists() and notes


def test_outputs_of_a_removed_source_disappear_with_the_next_build(tmp_path):
    data = make_data(tmp_path / "data", 20)
    build_all(data)
    (data / "processed" / "codelists.parquet").write_bytes(b"stale")  # an output no source makes now
    build_all(data)
    assert not (data / "processed" / "codelists.parquet").exists()


def test_a_second_build_says_who_holds_the_lock(tmp_path, monkeypatch, capsys):
    data = make_data(tmp_path / "data", 20)
    monkeypatch.setenv("KSS_LOCK_WAIT", "0")
    with locking.hold(data / ".build.lock", "kss build"):
        code = cli.main(["build", "--data-dir", str(data)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"pid {os.getpid()}" in err and "kss build" in err
    assert not (data / "processed").exists()


HOLDER = """
import sys
from pathlib import Path
from kss_analysis.core import locking
with locking.hold(Path(sys.argv[1]), "test holder"):
    print("held", flush=True)
    sys.stdin.readline()  # hold the lock until the test says
    print("releasing", flush=True)
"""


def test_a_waiting_build_runs_once_the_lock_is_released(tmp_path, monkeypatch, capsys):
    """Told by the order of events, not by seconds: the second run finds the lock held and
    waits, saying for whom; only then is the holder told to let go; the second run gets the
    lock after the holder said it was releasing it."""
    lock = tmp_path / ".build.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    events: list[str] = []

    def sleep(seconds: float) -> None:  # hold() sleeps only while the lock is busy
        if "waiting" not in events:
            events.append("waiting")
            holder.stdin.write("release\n")
            holder.stdin.flush()
            events.append(holder.stdout.readline().strip())
        time.sleep(seconds)

    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(locking, "time", SimpleNamespace(monotonic=time.monotonic, sleep=sleep))
        with locking.hold(lock, "second", wait=30):
            events.append("acquired")
    finally:
        holder.stdin.close()
        holder.wait()
    assert events == ["waiting", "releasing", "acquired"]
    assert holder.returncode == 0
    assert "waiting for `test holder`" in capsys.readouterr().err
