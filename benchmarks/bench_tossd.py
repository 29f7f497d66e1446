"""Benchmark TOSSD placing for every provider against a plain polars pipeline, on one synthetic file.

    python benchmarks/bench_tossd.py [--rows 1000000] [--row-group 100000] [--repeats 2]

Writes a SYNTHETIC file in the published TOSSD layout (53 columns, codes as text, amounts
in thousands of USD; 40 providers, 6 years; key-value metadata ``synthetic=true``; never
real data, never behind a chart) into a temporary folder, then runs each case in a fresh
process (so peak RSS is per run), interleaved so all see the same machine state:
- ingest all:  `kss ingest FILE --as tossd --providers all`: every rule of the placer, the
               quarantine and the ledger, three year-partitioned datasets written;
- plain:       plain polars doing the least of that job: drop the provider-0 rows, map
               recipient codes to ISO3 (a join to the same reference table), scale the
               amounts to USD units, write year partitions (zstd);
- place 738:   the default selection (Indonesia only), placed into the build's tables.
Prints wall time, peak RSS, CPU time over wall and rows/s per case; the last line reads
ratio=<ingest all / plain, median wall> peak_rss_mb=<ingest all peak>.
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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))
from make_tossd_fixtures import AMOUNT, COLUMNS  # noqa: E402  (the published column list)

CHILD = r"""
import contextlib, io, json, os, resource, shutil, sys, time
kind, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(out, ignore_errors=True)
t0 = time.perf_counter(); r0 = resource.getrusage(resource.RUSAGE_SELF)
if kind == "ingest_all":
    from kss_analysis import cli
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["ingest", path, "--as", "tossd", "--out", out, "--providers", "all"]) == 0
    import pyarrow.dataset as ds
    rows = ds.dataset(os.path.join(out, "activities"), partitioning="hive").count_rows()
elif kind == "plain":
    import polars as pl
    from kss_analysis.core.reference import countries
    codes = pl.DataFrame(
        [(row["dac_code"], iso3) for iso3, row in countries().items() if row["dac_code"]],
        schema={"recipientcode": pl.String, "recipient_iso3": pl.String}, orient="row",
    )
    amounts = ["USD_Commitment", "USD_Commitment_defl", "USD_disbursements", "USD_disbursement_defl"]
    frame = (
        pl.scan_parquet(path)
        .filter(pl.col("provider") != "0")
        .join(codes.lazy(), on="recipientcode", how="left")
        .with_columns([pl.col(c) * 1000.0 for c in amounts])
    )
    frame.sink_parquet(pl.PartitionBy(out, key="Year", include_key=False), compression="zstd", mkdir=True)
    rows = pl.scan_parquet(out, hive_partitioning=True).select(pl.len()).collect().item()
elif kind == "place_738":
    from kss_analysis.ingest.tossd.place import place_tossd
    rows = len(place_tossd(path, file_label="synthetic").activities)
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
peak = r1.ru_maxrss / 1024
print(json.dumps({"wall": wall, "cpu": cpu, "peak_rss_mb": peak, "rows_out": rows}))
"""

# 40 providers: Indonesia, the aggregate rows (0) and 38 other DAC provider codes, unevenly weighted.
PROVIDERS = np.array(
    [
        "738",
        "0",
        "701",
        "4",
        "302",
        "764",
        "434",
        "913",
        "976",
        "12",
        "1",
        "2",
        "3",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "11",
        "18",
        "20",
        "21",
        "22",
        "40",
        "50",
        "61",
        "68",
        "69",
        "75",
        "76",
        "84",
        "301",
        "576",
        "611",
        "613",
        "732",
        "742",
        "765",
        "1313",
    ]
)
PROVIDER_P = np.linspace(2.0, 0.5, len(PROVIDERS))
PROVIDER_P[0], PROVIDER_P[1] = 0.1, 0.4
PROVIDER_P = PROVIDER_P / PROVIDER_P.sum()
YEARS = ["2019", "2020", "2021", "2022", "2023", "2024"]
RECIPIENTS = np.array(
    [
        "765",
        "275",
        "550",
        "998",
        "298",
        "854",
        "832",
        "248",
        "269",
        "1033",
        "666",
        "454",
        "645",
        "738",
        "730",
        "625",
        "89",
        "289",
        "489",
        "798",
    ]
)


def synthetic_chunk(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    """n SYNTHETIC rows in the published column order and types."""

    def pick(pool, p=None) -> pa.Array:
        return pc.take(pa.array(pool), pa.array(rng.choice(len(pool), size=n, p=p)))

    ids = pc.binary_join_element_wise("SYN-", pc.cast(pa.array(np.arange(start, start + n)), pa.string()), "")
    columns = {
        "Year": pick(YEARS),
        "provider": pick(PROVIDERS, PROVIDER_P),
        "tossdid": ids,
        "ProjectNumber": ids,
        "recipientcode": pick(RECIPIENTS),
        "FrameworkOfCollaboration": pick(["", "", "", "FC01", "FC02"]),
        "modality": pick(["C01", "D021", "E01", "J01"]),
        "Aid_T_Description_E": pick(
            ["Projects", "(for SSC providers only) Training", "Scholarships/training in provider country"]
        ),
        "purposecode": pick(["12181", "31120", "11420", "72010", "15110"]),
        # Titles unique, as in published files; one in 20 with stray spaces to tidy.
        "ProjectTitle": pc.if_else(
            pa.array(rng.random(n) < 0.05),
            pc.binary_join_element_wise(" Synthetic activity  ", ids, " for benchmarking ", ""),
            pc.binary_join_element_wise("Synthetic activity ", ids, " for benchmarking", ""),
        ),
        "ProjectDescription": pick([f"Synthetic description {i}. " * 12 for i in range(2000)]),
    }
    arrays = []
    for name, _ in COLUMNS:
        if name in columns:
            arrays.append(columns[name])
        elif name in AMOUNT:
            values = rng.lognormal(4.0, 1.5, size=n)
            arrays.append(pa.array(np.where(rng.random(n) < 0.2, np.nan, values), from_pandas=True))
        else:
            arrays.append(pick([f"{name} value {i}" for i in range(20)] + [""]))
    return pa.table(arrays, names=[n for n, _ in COLUMNS])


def generate(path: Path, rows: int, row_group: int) -> None:
    rng = np.random.default_rng(20241128)
    schema = synthetic_chunk(rng, 0, 1).schema.with_metadata({"synthetic": "true", "note": "not TOSSD data"})
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        for start in range(0, rows, row_group):
            writer.write_table(
                synthetic_chunk(rng, start, min(row_group, rows - start)).replace_schema_metadata(schema.metadata)
            )


def run(kind: str, path: Path, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path), str(out)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


CASES = ("ingest_all", "plain", "place_738")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--row-group", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="kss-bench-tossd-") as tmp:
        path = Path(tmp) / f"tossd_SYNTHETIC_{args.rows}.parquet"
        print(f"writing {args.rows:,} SYNTHETIC rows (row groups of {args.row_group:,}) -> {path}", flush=True)
        generate(path, args.rows, args.row_group)
        print(f"file: {path.stat().st_size / 1e6:.0f} MB, {pq.ParquetFile(path).metadata.num_row_groups} row groups")
        runs: dict[str, list[dict]] = {kind: [] for kind in CASES}
        for _ in range(args.repeats):
            for kind in CASES:
                runs[kind].append(run(kind, path, Path(tmp) / f"out-{kind}"))
        wall = {kind: statistics.median(r["wall"] for r in rs) for kind, rs in runs.items()}
        for kind, rs in runs.items():
            peak = max(r["peak_rss_mb"] for r in rs)
            cpu = statistics.median(r["cpu"] / r["wall"] for r in rs)
            print(
                f"{kind:10s} wall median {wall[kind]:6.2f} s  peak RSS {peak:6.0f} MB  cpu/wall {cpu:4.2f}  "
                f"{args.rows / wall[kind]:12,.0f} rows/s  rows out {rs[0]['rows_out']:,}"
            )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        peak = max(r["peak_rss_mb"] for r in runs["ingest_all"])
        print(f"ratio={wall['ingest_all'] / wall['plain']:.2f} peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()
