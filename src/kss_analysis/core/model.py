"""The four tables every source build produces, kept together."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from kss_analysis.core import schema
from kss_analysis.core.errors import RecordError

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


def check_fields(fields: Iterable[str], arrow_schema: pa.Schema, table: str) -> None:
    """Raise RecordError when ``fields`` holds a name the table's schema does not have.

    ``pa.Table.from_pylist`` drops unknown keys silently, so a placer writing
    ``sector_thme=`` would lose the column; here it fails loudly instead.
    """
    unknown = sorted(set(fields) - set(arrow_schema.names))
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, arrow_schema.names, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise RecordError(f"{table}: no column {', '.join(hints)} in the schema (core/schema.py)")


def frame_from_records(records: list[dict], arrow_schema: pa.Schema, table: str = "table") -> pd.DataFrame:
    """Records -> DataFrame with exactly the schema's columns and types; an unknown field raises RecordError."""
    check_fields({key for record in records for key in record}, arrow_schema, table)
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
