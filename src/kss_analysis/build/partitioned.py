"""Write placed tables of a large source as datasets partitioned by year (hive layout).

``kss ingest FILE --as tossd`` places every provider of a year file, up to some 400,000
activities: too many to go through the build's pandas steps (duplicates across sources,
money equivalents), and more than a researcher wants in one file. Its tables are written as

    OUT/activities/year=2024/part-0.parquet   (one file per year)
    OUT/activity_recipients/year=2024/part-0.parquet
    OUT/activity_transactions/year=2024/part-0.parquet
    OUT/ledger.parquet, OUT/quarantine.parquet, OUT/unmapped_values.csv

which DuckDB (``read_parquet('OUT/activities/*/*.parquet', hive_partitioning = true)``),
polars (``scan_parquet(..., hive_partitioning=True)``), pyarrow (``dataset(...,
partitioning="hive")``), Spark and Dask read as they are: ``year`` comes back from the
folder names. Same tables, same bytes.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kss_analysis.core import io
from kss_analysis.core.errors import InvariantError
from kss_analysis.core.version import package_version

PARTITIONED = ("activities", "activity_recipients", "activity_transactions")


def recipients_with_year(recipients: pa.Table, activities: pa.Table) -> pa.Table:
    """Recipient rows with their activity's year (the partition key), matched by activity id."""
    position = pc.index_in(recipients["activity_id"], value_set=activities["activity_id"])
    return recipients.append_column("year", pc.take(activities["year"], position))


class PlacedDataset:
    """Placed tables written as they come, chunk by chunk: activities, activity_recipients and
    activity_transactions into one file per year each (``NAME/year=YYYY/part-0.parquet``, a
    row group per chunk, the year in the folder name only); then quarantine and ledger, one
    file each. The three datasets are written side by side, one thread each, while the next
    chunk is placed: the same rows give the same bytes."""

    def __init__(self, out: Path, inputs: dict[str, str]):
        self.out = out
        self.inputs = inputs
        self.writers: dict[tuple[str, int], pq.ParquetWriter] = {}
        self.quarantine: list[pa.Table] = []
        self.flagged: list[pd.DataFrame] = []
        self.pool = ThreadPoolExecutor(max_workers=len(PARTITIONED))
        self.pending: list[Future] = []

    def write(self, activities: pa.Table, recipients: pa.Table, transactions: pa.Table, quarantine: pa.Table) -> None:
        with_year = {
            "activities": activities,
            "activity_recipients": recipients_with_year(recipients, activities),
            "activity_transactions": transactions,
        }
        self._wait()  # the previous chunk's files first: each file's row groups stay in order
        # Written while the caller places the next chunk (the second core).
        self.pending = [self.pool.submit(self._write, name, table) for name, table in with_year.items()]
        self.quarantine.append(quarantine)
        self.flagged.append(flagged_activities(activities))

    def _wait(self) -> None:
        for done in self.pending:
            done.result()  # an error in a thread is raised here
        self.pending = []

    def _write(self, name: str, table: pa.Table) -> None:
        years = table["year"]
        for year in sorted(y for y in pc.unique(years).to_pylist() if y is not None):
            part = table.filter(pc.equal(years, year)).drop_columns(["year"])
            self._writer(name, year, part.schema).write_table(part)
        if table.num_rows and years.null_count:
            raise InvariantError(f"{name}: {years.null_count} placed rows without a year cannot be partitioned")

    def _writer(self, name: str, year: int, schema: pa.Schema) -> pq.ParquetWriter:
        if (name, year) not in self.writers:
            meta = {
                "package_version": package_version(),
                "inputs": self.inputs,
                "dataset": name,
                "partitioned_by": "year",
            }
            folder = self.out / name / f"year={year}"
            folder.mkdir(parents=True, exist_ok=True)
            schema = schema.with_metadata({io.METADATA_KEY: json.dumps(meta, sort_keys=True).encode()})
            self.writers[(name, year)] = pq.ParquetWriter(folder / "part-0.parquet", schema, compression="zstd")
        return self.writers[(name, year)]

    def finish(self, ledger: pa.Table, quarantine_schema: pa.Schema) -> pd.DataFrame:
        """Close the year files, write quarantine and ledger; returns the flagged activities (for
        the unmapped report)."""
        self._wait()
        self.pool.shutdown()
        for writer in self.writers.values():
            writer.close()
        quarantine = pa.concat_tables(self.quarantine) if self.quarantine else quarantine_schema.empty_table()
        for name, table in (("quarantine", quarantine), ("ledger", ledger)):
            provenance = {"inputs": self.inputs, "dataset": name}
            io.write_table(
                table.to_pandas(), self.out / f"{name}.parquet", arrow_schema=table.schema, provenance=provenance
            )
        for name in PARTITIONED:  # an input with no rows still leaves its (empty) datasets
            (self.out / name).mkdir(exist_ok=True)
        return (
            pd.concat(self.flagged, ignore_index=True)
            if self.flagged
            else pd.DataFrame(columns=["source", "unclassified"])
        )


def flagged_activities(activities: pa.Table) -> pd.DataFrame:
    """The activities carrying unclassified values (source and unclassified only), for the unmapped report."""
    flagged = activities.select(["source", "unclassified"]).filter(pc.is_valid(activities["unclassified"]))
    return flagged.to_pandas()
