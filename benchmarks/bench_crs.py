"""Benchmark the CRS build against a plain polars baseline on the same synthetic file.

    python benchmarks/bench_crs.py --rows 1000000 [--repeats 3]

Generates N rows with ../shared/tools/gen_crs.py (SYNTHETIC data, cached in
benchmarks/.cache/), then runs, each in a fresh process and several times:
- project:  kss_analysis.pipeline.build_crs (typed, mapped, year-partitioned zstd Parquet);
- baseline: polars.scan_csv(path, separator="|").sink_parquet(...).
Prints wall time, peak RSS, CPU use (user+sys over wall: 2.0 = both cores busy) and rows/s
for both, then the aggregation time (year x sector theme x region over the project's
Parquet). The last line reads: ratio=<project/baseline median wall> peak_rss_mb=<project peak>.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATOR = HERE.parent.parent / "shared" / "tools" / "gen_crs.py"

CHILD = r"""
import json, resource, sys, time, shutil
from pathlib import Path
kind, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
shutil.rmtree(out, ignore_errors=True)
t0 = time.perf_counter(); r0 = resource.getrusage(resource.RUSAGE_SELF)
if kind == "project":
    from kss_analysis.pipeline import build_crs
    build_crs([src], out)
elif kind == "baseline":
    import polars as pl
    out.mkdir(parents=True)
    pl.scan_csv(src, separator="|").sink_parquet(out / "baseline.parquet")
elif kind == "aggregate":
    from kss_analysis.aggregate import aggregate_crs
    table = aggregate_crs(src, ("year", "sector_theme", "region"))
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(json.dumps({"wall": wall, "cpu": cpu, "peak_rss_mb": r1.ru_maxrss / 1024}))
"""


def generate(rows: int) -> Path:
    cache = HERE / ".cache"
    cache.mkdir(exist_ok=True)
    path = cache / f"crs_synthetic_{rows}.txt"
    if not path.exists():
        if not GENERATOR.exists():
            sys.exit(f"generator not found: {GENERATOR} (needs ../shared/tools/gen_crs.py)")
        print(f"generating {rows:,} synthetic rows -> {path} ...", flush=True)
        tmp = path.with_suffix(".part")
        subprocess.run([sys.executable, str(GENERATOR), str(rows), str(tmp)], check=True, stderr=subprocess.DEVNULL)
        tmp.rename(path)
    return path


def run(kind: str, src: Path, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(src), str(out)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def summary(name: str, runs: list[dict], rows: int) -> dict:
    wall = statistics.median(r["wall"] for r in runs)
    cpu = statistics.median(r["cpu"] / r["wall"] for r in runs)
    peak = max(r["peak_rss_mb"] for r in runs)
    walls = ", ".join(f"{r['wall']:.2f}" for r in runs)
    print(
        f"{name:9s} wall median {wall:7.2f} s  (runs: {walls})  "
        f"peak RSS {peak:7.0f} MB  CPU {cpu:4.2f} cores  {rows / wall:12,.0f} rows/s"
    )
    return {"wall": wall, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    src = generate(args.rows)
    print(f"input: {src.name}, {src.stat().st_size / 1e6:,.0f} MB, {args.rows:,} rows; machine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-crs-") as tmp:
        tmp = Path(tmp)
        project, baseline = [], []
        for _ in range(args.repeats):  # interleaved so both see the same machine state
            baseline.append(run("baseline", src, tmp / "baseline"))
            project.append(run("project", src, tmp / "crs"))
        b = summary("baseline", baseline, args.rows)
        p = summary("project", project, args.rows)
        aggregations = [run("aggregate", tmp / "crs", tmp / "unused") for _ in range(args.repeats)]
        agg = statistics.median(r["wall"] for r in aggregations)
        print(f"aggregate year x sector theme x region over the project's Parquet: median {agg:.3f} s")
    print(f"ratio={p['wall'] / b['wall']:.2f} peak_rss_mb={p['peak']:.0f}")


if __name__ == "__main__":
    main()
