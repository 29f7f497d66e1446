"""Read TOSSD activity files (one Parquet file per year, published at tossd.online).

Published layout (checked against ONE Campaign's tossd-reader column list, see README):
codes are text (``provider`` "738", ``recipientcode`` "275"), amounts are doubles in
thousands of US dollars, ``_defl`` columns in constant 2024 USD, empty strings for
missing text. Vintages differ in column order and in optional columns, so columns are
found by name and any column the placer uses but the file lacks reads as missing.

The read streams: a pyarrow dataset scanner with the provider filter pushed into the scan
yields record batches (at most one row group's worth of rows each) and never holds the
file. Provider 0 rows are the publisher's aggregate summary rows, not activities: they
are never read as rows, only counted (with their amounts) under a named rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from kss_analysis.core.errors import InputError

REQUIRED = ("Year", "provider", "tossdid", "recipientcode")
# Columns the placer uses; a file without an optional one reads it as missing.
USED = (
    "Year",
    "provider",
    "ProviderNameE",
    "agencyname_E",
    "tossdid",
    "ProjectNumber",
    "recipientcode",
    "recipientnamee",
    "otherPartners",
    "FrameworkOfCollaboration",
    "modality",
    "Aid_T_Description_E",
    "ProjectTitle",
    "purposecode",
    "purposename_e",
    "USD_Commitment",
    "USD_Commitment_defl",
    "USD_disbursements",
    "USD_disbursement_defl",
)
# Amount column -> ledger measure; the file's thousands become USD units (x 1000).
MEASURES = {
    "USD_disbursements": "usd_disbursement_current",
    "USD_disbursement_defl": "usd_disbursement_constant_2024",
    "USD_Commitment": "usd_commitment_current",
}
THOUSANDS = 1000.0
AGGREGATE_PROVIDER = "0"
DEFAULT_PROVIDERS = ("738",)  # Indonesia's DAC provider code
RULE_AGGREGATE = "aggregate_row_provider_0"
RULE_NOT_SELECTED = "provider_not_selected"
BATCH_ROWS = 65_536


@dataclass
class OutsideRows:
    """Rows of a file that the filtered read leaves out, per rule, with their amounts in USD;
    and the raw sums of the selected rows, one dict per batch (as a batch-by-batch read sums them)."""

    rows: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, dict[str, float]] = field(default_factory=dict)
    selected: list[dict[str, float]] = field(default_factory=list)


def open_tossd(path: str | Path) -> ds.Dataset:
    """The file as a dataset; InputError when it is not Parquet or lacks the required columns."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "file not found")
    try:
        dataset = ds.dataset(path, format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(str(path), f"not a readable Parquet file ({exc})") from None
    missing = [c for c in REQUIRED if c not in dataset.schema.names]
    if missing:
        raise InputError(str(path), f"not a TOSSD activity file: missing column(s) {', '.join(missing)}")
    return dataset


def _provider_values(dataset: ds.Dataset, codes: tuple[str, ...]) -> pa.Array:
    """Provider codes typed like the file's column (text in published files, integers if a vintage changes)."""
    kind = dataset.schema.field("provider").type
    if pa.types.is_integer(kind):
        return pa.array([int(c) for c in codes], type=kind)
    if pa.types.is_floating(kind):  # 738.0: a vintage that stores codes as doubles
        return pa.array([float(c) for c in codes], type=kind)
    return pa.array(list(codes), type=pa.string())


def provider_filter(dataset: ds.Dataset, providers: tuple[str, ...] | None) -> ds.Expression:
    """Selected providers (None = every provider), never the provider-0 aggregate rows."""
    provider = pc.field("provider")
    aggregate = _provider_values(dataset, (AGGREGATE_PROVIDER,))[0]
    keep = provider.is_null() | (provider != aggregate)  # a row with no provider code is no aggregate
    if providers is not None:
        keep = keep & provider.isin(_provider_values(dataset, tuple(providers)))
    return keep


def _scanner(dataset: ds.Dataset, columns: list[str], expression: ds.Expression | None) -> ds.Scanner:
    # One thread and no read-ahead: memory stays at about one batch (one row group at most).
    return dataset.scanner(
        columns=columns,
        filter=expression,
        batch_size=BATCH_ROWS,
        use_threads=False,
        batch_readahead=0,
        fragment_readahead=0,
    )


def read_tossd_batches(path: str | Path, providers: tuple[str, ...] | None = DEFAULT_PROVIDERS) -> Iterator[pa.Table]:
    """Record batches (as tables) of the selected providers' activity rows, every USED column present."""
    dataset = open_tossd(path)
    present = [c for c in USED if c in dataset.schema.names]
    for batch in _scanner(dataset, present, provider_filter(dataset, providers)).to_batches():
        if batch.num_rows == 0:
            continue
        table = pa.Table.from_batches([batch])
        for column in USED:
            if column not in present:
                kind = pa.float64() if column in MEASURES or column.startswith("USD_") else pa.string()
                table = table.append_column(column, pa.nulls(table.num_rows, type=kind))
        yield table


def batch_amounts(table: pa.Table, mask: pa.Array | None = None) -> dict[str, float]:
    """USD sums (thousands x 1000) per ledger measure of a batch's rows (or the masked ones)."""
    sums = {}
    for column, measure in MEASURES.items():
        if column not in table.column_names:
            continue
        values = table[column] if mask is None else pc.filter(table[column], mask)
        if pa.types.is_floating(values.type):  # an infinite amount is quarantined with its row, not summed
            values = pc.filter(values, pc.is_finite(values))
        total = pc.sum(values).as_py()
        sums[measure] = (total or 0.0) * THOUSANDS
    return sums


def count_outside(path: str | Path, providers: tuple[str, ...] | None = DEFAULT_PROVIDERS) -> OutsideRows:
    """Count the rows (and sum the amounts) the filtered read skips: aggregates and other providers;
    and sum the selected rows' amounts batch by batch (the ledger's raw sums).

    Reads only the provider and amount columns, one batch at a time.
    """
    dataset = open_tossd(path)
    columns = ["provider", *[c for c in MEASURES if c in dataset.schema.names]]
    selected = _provider_values(dataset, tuple(providers)) if providers is not None else None
    aggregate = _provider_values(dataset, (AGGREGATE_PROVIDER,))[0]
    outside = OutsideRows()
    for batch in _scanner(dataset, columns, None).to_batches():
        table = pa.Table.from_batches([batch])
        is_aggregate = pc.fill_null(pc.equal(table["provider"], aggregate), False)
        masks = {RULE_AGGREGATE: is_aggregate}
        chosen = pc.invert(is_aggregate)
        if selected is not None:
            chosen = pc.and_(chosen, pc.fill_null(pc.is_in(table["provider"], value_set=selected), False))
            masks[RULE_NOT_SELECTED] = pc.and_(pc.invert(chosen), pc.invert(is_aggregate))
        if pc.any(chosen).as_py():  # a measure the file lacks sums to 0 in a batch that has rows
            outside.selected.append({**dict.fromkeys(MEASURES.values(), 0.0), **batch_amounts(table, chosen)})
        for rule, mask in masks.items():
            n = pc.sum(pc.cast(mask, pa.int64())).as_py() or 0
            if not n:
                continue
            outside.rows[rule] = outside.rows.get(rule, 0) + n
            sums = outside.amounts.setdefault(rule, {})
            for measure, value in batch_amounts(table, mask).items():
                sums[measure] = sums.get(measure, 0.0) + value
    return outside
