"""Time the two hostile inputs whose cost tests/cli/test_hardening.py checks without a clock.

    python benchmarks/bench_hardening.py [--repeats 3]

- stray cell: read_register on a two-row workbook with one stray cell at XFD1048576 (the
  test checks its rows and its memory peak; here, how long it takes);
- special files: `kss build` of the embedded register plus a registers/ folder holding a
  FIFO, a link to /dev/zero and a link out of the data folder (the test checks that the
  FIFO was never opened; here, how long the build takes with them).
All inputs are SYNTHETIC, written into a temporary folder. Prints the median and the
slowest wall time of each case, and CPU time (less noisy when other jobs share the cores).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]


def stray_cell(tmp: Path) -> Callable[[], None]:
    from kss_analysis.ingest.register.read import read_register

    wb = Workbook()
    wb.active.append(["Judul", "Tahun"])
    wb.active.append(["A", 2019])
    wb.active["XFD1048576"] = "stray"
    wb.save(tmp / "stray.xlsx")
    return lambda: read_register(tmp / "stray.xlsx")


def special_files(tmp: Path) -> Callable[[], None]:
    from kss_analysis import cli

    data = tmp / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    registers = data / "raw" / "registers"
    registers.mkdir()
    os.mkfifo(registers / "pipe.csv")
    (registers / "zero.csv").symlink_to("/dev/zero")
    outside = tmp / "outside.csv"
    outside.write_text("judul,tahun\nLuar,2019\n", encoding="utf-8")
    (registers / "outside.csv").symlink_to(outside)

    def run() -> None:
        for made in ("processed", "builds"):  # a whole build each time, not an incremental one
            path = data / made
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
        with open(os.devnull, "w") as quiet, redirect_stdout(quiet), redirect_stderr(quiet):
            code = cli.main(["build", "--data-dir", str(data)])
        if code != 0:
            raise SystemExit("the build failed")

    return run


CASES = {"stray cell": stray_cell, "special files": special_files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    for name, setup in CASES.items():
        with tempfile.TemporaryDirectory(prefix="bench-hardening-") as tmp:
            case = setup(Path(tmp))
            walls, cpus = [], []
            for _ in range(args.repeats):
                wall, cpu = time.perf_counter(), time.process_time()
                case()
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
        print(
            f"{name}: wall median {statistics.median(walls):.2f} s, slowest {max(walls):.2f} s; "
            f"CPU median {statistics.median(cpus):.2f} s ({args.repeats} runs)"
        )


if __name__ == "__main__":
    main()
