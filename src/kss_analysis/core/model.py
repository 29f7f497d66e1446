"""The four tables every source build produces, kept together."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from kss_analysis.core import schema

# Integers stay integers when a column has gaps (pandas' nullable types).
_NULLABLE_INTS = {
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
}


def to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_NULLABLE_INTS.get)


def empty_frame(arrow_schema: pa.Schema) -> pd.DataFrame:
    return to_frame(arrow_schema.empty_table())


def frame_from_records(records: list[dict], arrow_schema: pa.Schema) -> pd.DataFrame:
    """Records -> DataFrame with exactly the schema's columns and types."""
    return to_frame(pa.Table.from_pylist(records, schema=arrow_schema))


@dataclass
class SourceTables:
    """activities, activity_recipients, quarantine, ledger and activity_transactions of one or more files."""

    activities: pd.DataFrame
    activity_recipients: pd.DataFrame
    quarantine: pd.DataFrame
    ledger: pd.DataFrame
    activity_transactions: pd.DataFrame = field(default_factory=lambda: empty_frame(schema.ACTIVITY_TRANSACTIONS))

    @classmethod
    def empty(cls) -> SourceTables:
        return cls(
            empty_frame(schema.ACTIVITIES),
            empty_frame(schema.ACTIVITY_RECIPIENTS),
            empty_frame(schema.QUARANTINE),
            empty_frame(schema.LEDGER),
            empty_frame(schema.ACTIVITY_TRANSACTIONS),
        )

    @classmethod
    def concat(cls, parts: list[SourceTables]) -> SourceTables:
        if not parts:
            return cls.empty()

        def cat(name: str) -> pd.DataFrame:
            frames = [getattr(p, name) for p in parts]
            return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

        return cls(
            cat("activities"),
            cat("activity_recipients"),
            cat("quarantine"),
            cat("ledger"),
            cat("activity_transactions"),
        )
