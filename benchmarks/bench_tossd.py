"""Benchmark the TOSSD read with the provider filter against reading the whole file.

    python benchmarks/bench_tossd.py [--rows 1000000] [--row-group 100000] [--repeats 2]

Writes a SYNTHETIC file in the published TOSSD layout (53 columns, codes as text, amounts
in thousands of USD; key-value metadata ``synthetic=true``; never real data, never behind
a chart) into a temporary folder, then runs each case in a fresh process:
- place 738:   kss_analysis.ingest.tossd.place.place_tossd, Indonesia only (the default);
- stream all:  kss_analysis.ingest.tossd.read.read_tossd_batches with every provider, batches
               only (no placing): the streaming bound when nothing is filtered out;
- baseline:    pyarrow.parquet.read_table (the whole file in memory), then the filter.
Prints wall time, peak RSS and rows/s (rows in the file over wall time) for each, and the
peak (above the imports every case shares) of the filtered read against the baseline.
"""

from __future__ import annotations

import argparse
import json
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
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
# Every case pays the same imports, so the peak above them compares the reads themselves.
import pyarrow.compute, pyarrow.parquet, kss_analysis.ingest.tossd.place
imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
if kind == "place_738":
    from kss_analysis.ingest.tossd.place import place_tossd
    tables = place_tossd(path, file_label="synthetic")
    rows = len(tables.activities)
elif kind == "stream_all":
    from kss_analysis.ingest.tossd.read import read_tossd_batches
    rows = sum(t.num_rows for t in read_tossd_batches(path, providers=None))
elif kind == "baseline":
    import pyarrow.compute as pc, pyarrow.parquet as pq
    table = pq.read_table(path)
    rows = table.filter(pc.equal(table["provider"], "738")).num_rows
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "peak_rss_mb": peak, "above_imports_mb": peak - imports, "rows_out": rows}))
"""

PROVIDERS = np.array(["738", "0", "701", "4", "302", "764", "434", "913", "976", "12"])
PROVIDER_P = np.array([0.005, 0.01, 0.2, 0.15, 0.2, 0.01, 0.005, 0.1, 0.1, 0.22])
RECIPIENTS = np.array(["765", "275", "550", "998", "298", "854", "832", "248", "269", "1033", "666", "454"])


def synthetic_chunk(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    """n SYNTHETIC rows in the published column order and types."""

    def pick(pool, p=None) -> pa.Array:
        return pc.take(pa.array(pool), pa.array(rng.choice(len(pool), size=n, p=p)))

    ids = pc.binary_join_element_wise("SYN-", pc.cast(pa.array(np.arange(start, start + n)), pa.string()), "")
    columns = {
        "Year": pa.array(["2024"] * n),
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
        "ProjectTitle": pick([f"Synthetic activity title number {i} for benchmarking" for i in range(5000)]),
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


def run(kind: str, path: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--row-group", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kss-bench-tossd-") as tmp:
        path = Path(tmp) / f"tossd_SYNTHETIC_{args.rows}.parquet"
        print(f"writing {args.rows:,} SYNTHETIC rows (row groups of {args.row_group:,}) -> {path}", flush=True)
        generate(path, args.rows, args.row_group)
        print(f"file: {path.stat().st_size / 1e6:.0f} MB, {pq.ParquetFile(path).metadata.num_row_groups} row groups")
        results = {}
        for kind in ("place_738", "stream_all", "baseline"):
            runs = [run(kind, path) for _ in range(args.repeats)]
            wall = statistics.median(r["wall"] for r in runs)
            peak = max(r["peak_rss_mb"] for r in runs)
            above = max(r["above_imports_mb"] for r in runs)
            results[kind] = above
            print(
                f"{kind:10s} wall median {wall:6.2f} s  peak RSS {peak:6.0f} MB ({above:5.0f} MB above imports)  "
                f"{args.rows / wall:12,.0f} rows/s  rows kept {runs[0]['rows_out']:,}"
            )
        print(
            "peak RSS above imports, filtered read / whole-file baseline: "
            f"{results['place_738']:.0f} / {results['baseline']:.0f} MB "
            f"= {results['place_738'] / max(results['baseline'], 1.0):.2f}"
        )


if __name__ == "__main__":
    main()
