"""Write placed tables of a large source as datasets partitioned by year (hive layout).

``kss ingest FILE --as tossd`` places every provider of a year file, up to some 400,000
activities: too many to go through the build's pandas steps (duplicates across sources,
money equivalents), and more than a researcher wants in one file. Its tables are written as

    OUT/activities/year=2024/part-0.parquet
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
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from kss_analysis.core import io
from kss_analysis.core.version import package_version

YEAR = pa.schema([("year", pa.int16())])
PARTITIONED = ("activities", "activity_recipients", "activity_transactions")


def write_year_partitioned(table: pa.Table, folder: Path, provenance: dict, part: int = 0) -> None:
    """``table`` (with a ``year`` column) into ``folder``/year=YYYY/part-NNNN-0.parquet (``part``
    numbers the chunks of one input), zstd, with the provenance in each file's metadata."""
    meta = {"package_version": package_version(), **provenance}
    table = table.replace_schema_metadata({io.METADATA_KEY: json.dumps(meta, sort_keys=True).encode()})
    ds.write_dataset(
        table,
        folder,
        format="parquet",
        partitioning=ds.partitioning(YEAR, flavor="hive"),
        basename_template=f"part-{part:04d}-{{i}}.parquet",
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        existing_data_behavior="overwrite_or_ignore",
        preserve_order=True,  # threads compress, rows keep their order: same table, same bytes
    )


def recipients_with_year(recipients: pa.Table, activities: pa.Table) -> pa.Table:
    """Recipient rows with their activity's year (the partition key), matched by activity id."""
    position = pc.index_in(recipients["activity_id"], value_set=activities["activity_id"])
    return recipients.append_column("year", pc.take(activities["year"], position))


class PlacedDataset:
    """Placed tables written as they come, chunk by chunk: activities, activity_recipients and
    activity_transactions year-partitioned; then quarantine and ledger, one file each."""

    def __init__(self, out: Path, inputs: dict[str, str]):
        self.out = out
        self.inputs = inputs
        self.chunks = 0
        self.quarantine: list[pa.Table] = []
        self.flagged: list[pd.DataFrame] = []

    def write(self, activities: pa.Table, recipients: pa.Table, transactions: pa.Table, quarantine: pa.Table) -> None:
        with_year = {
            "activities": activities,
            "activity_recipients": recipients_with_year(recipients, activities),
            "activity_transactions": transactions,
        }
        for name, table in with_year.items():
            provenance = {"inputs": self.inputs, "dataset": name, "partitioned_by": "year"}
            write_year_partitioned(table, self.out / name, provenance, part=self.chunks)
        self.chunks += 1
        self.quarantine.append(quarantine)
        self.flagged.append(flagged_activities(activities))

    def finish(self, ledger: pa.Table, quarantine_schema: pa.Schema) -> pd.DataFrame:
        """Write quarantine and ledger; returns the flagged activities (for the unmapped report)."""
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
