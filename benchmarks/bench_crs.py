"""Benchmark the CRS build against baselines that do the same job, on one synthetic file.

    python benchmarks/bench_crs.py --rows 1000000 [--repeats 3] [--cache DIR]

Generates N rows with ../shared/tools/gen_crs.py (SYNTHETIC data, cached in
benchmarks/.cache/ or --cache), then runs, each in a fresh process (so peak RSS is per run)
and interleaved so all see the same machine state:
- project:    kss_analysis.build.pipeline.build_crs (typed, mapped to ISO3/region/theme, quarantine
              reasons, year-partitioned zstd Parquet);
- polars-eq:  plain polars doing the same reading and writing work without our mapping,
              quarantine or ledger: the same 25 columns read as text and renamed, the same
              strip + casts (year Int16, four amounts Float64), hive-partitioned by year, zstd;
- duckdb-eq:  DuckDB doing the same: read_csv(all_varchar) + the same casts, then
              COPY ... (FORMAT parquet, PARTITION_BY (year), COMPRESSION zstd);
- polars-all: the old baseline, every column into one Parquet file (heavier; for reference).
Prints wall time, peak RSS, CPU time (user+sys; over wall: 2.0 = two cores busy) and rows/s,
then the aggregation time (year x sector theme x region over the project's Parquet). The
last line reads: ratio=<project / fastest equivalent baseline, median wall> peak_rss_mb=<project peak>.
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
    from kss_analysis.build.pipeline import build_crs
    build_crs([src], out)
elif kind == "polars-eq":
    import polars as pl
    from kss_analysis.ingest.crs.read import AMOUNTS, COLUMNS
    frame = pl.scan_csv(src, separator="|", infer_schema=False, quote_char='"').select(
        [pl.col(raw).alias(name) for raw, name in COLUMNS.items()]
    )
    frame = frame.with_columns(
        pl.col("year").str.strip_chars().cast(pl.Int16, strict=False),
        *[pl.col(c).str.strip_chars().cast(pl.Float64, strict=False) for c in AMOUNTS],
    )
    frame.sink_parquet(pl.PartitionBy(out, key="year", include_key=False), compression="zstd", mkdir=True)
elif kind == "duckdb-eq":
    import duckdb
    from kss_analysis.ingest.crs.read import AMOUNTS, COLUMNS
    def cast(raw, name):
        if name == "year":
            return f'TRY_CAST(trim("{raw}") AS SMALLINT) AS year'
        if name in AMOUNTS:
            return f'TRY_CAST(trim("{raw}") AS DOUBLE) AS {name}'
        return f'"{raw}" AS {name}'
    select = ", ".join(cast(raw, name) for raw, name in COLUMNS.items())
    duckdb.sql(
        f"COPY (SELECT {select} FROM read_csv('{src}', delim='|', quote='\"', header=true, all_varchar=true)) "
        f"TO '{out}' (FORMAT parquet, PARTITION_BY (year), COMPRESSION zstd)"
    )
elif kind == "polars-all":
    import polars as pl
    out.mkdir(parents=True)
    pl.scan_csv(src, separator="|").sink_parquet(out / "baseline.parquet")
elif kind == "aggregate":
    from kss_analysis.build.aggregate import aggregate_crs
    table = aggregate_crs(src, ("year", "sector_theme", "region"))
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(json.dumps({"wall": wall, "cpu": cpu, "peak_rss_mb": r1.ru_maxrss / 1024}))
"""
EQUIVALENT = ("polars-eq", "duckdb-eq")


def generate(rows: int, cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
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
    result = subprocess.run([sys.executable, "-c", CHILD, kind, str(src), str(out)], capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{kind} failed:\n{result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def summary(name: str, runs: list[dict], rows: int) -> dict:
    wall = statistics.median(r["wall"] for r in runs)
    cpu_seconds = statistics.median(r["cpu"] for r in runs)
    cores = statistics.median(r["cpu"] / r["wall"] for r in runs)
    peak = max(r["peak_rss_mb"] for r in runs)
    walls = ", ".join(f"{r['wall']:.2f}" for r in runs)
    print(
        f"{name:10s} wall median {wall:7.2f} s  (runs: {walls})  peak RSS {peak:6.0f} MB  "
        f"CPU {cpu_seconds:6.2f} s = {cores:4.2f} cores  {rows / wall:10,.0f} rows/s"
    )
    return {"wall": wall, "cpu": cpu_seconds, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="folder for the synthetic input")
    parser.add_argument("--skip-all-columns", action="store_true", help="leave out the old all-columns baseline")
    args = parser.parse_args()
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("duckdb is not installed: pip install -r requirements.lock (it is a dev dependency)")
    src = generate(args.rows, args.cache)
    print(
        f"input: {src.name} (SYNTHETIC), {src.stat().st_size / 1e6:,.0f} MB, {args.rows:,} rows; "
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
    )
    kinds = ["project", *EQUIVALENT] + ([] if args.skip_all_columns else ["polars-all"])
    with tempfile.TemporaryDirectory(prefix="bench-crs-") as tmp:
        tmp = Path(tmp)
        runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
        for _ in range(args.repeats):
            for kind in kinds:
                runs[kind].append(run(kind, src, tmp / kind))
        results = {kind: summary(kind, runs[kind], args.rows) for kind in kinds}
        aggregations = [run("aggregate", tmp / "project", tmp / "unused") for _ in range(args.repeats)]
        agg = statistics.median(r["wall"] for r in aggregations)
        print(f"aggregate year x sector theme x region over the project's Parquet: median {agg:.3f} s")
    fastest = min(EQUIVALENT, key=lambda kind: results[kind]["wall"])
    project = results["project"]
    # CPU seconds say the same with less noise when other jobs share the cores (wall then grows for all).
    cpu_ratio = project["cpu"] / min(results[kind]["cpu"] for kind in EQUIVALENT)
    print(f"fastest equivalent baseline: {fastest}; CPU-time ratio to the leanest equivalent: {cpu_ratio:.2f}")
    print(f"ratio={project['wall'] / results[fastest]['wall']:.2f} peak_rss_mb={project['peak']:.0f}")


if __name__ == "__main__":
    main()
