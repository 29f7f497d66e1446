"""Place a TOSSD year file in the canonical model, whole columns at a time.

The rules live in rows.py; here they run once per distinct value (a year file of 400,000
rows holds a few hundred recipient, purpose and aid-type codes) and the answers are joined
back to the rows with polars, so any provider selection, up to every provider of a year,
places in seconds. A row that these answers cannot place (an empty id, a year that is not
four digits, an unknown recipient code or framework, a non-finite amount, a control
character in a cell it reads) goes through ``rows.place_row`` on its own, so its outcome,
reason and message are the ones the rules give. A ``tossdid`` already placed from an
earlier row is quarantined (``duplicate_id``). The ledger counts every selected row and
sums its amounts in file order, as placing the rows one by one would.

The file is read ``CHUNK_ROWS`` rows at a time, so memory stays at about one chunk's
tables whatever the file's size: ``TossdPlacement.chunks()`` yields each chunk's tables
(``kss ingest`` writes them to year-partitioned datasets as they come), ``place_tossd``
gathers them into the build's SourceTables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from kss_analysis.core import schema
from kss_analysis.core.errors import RowProblem
from kss_analysis.core.model import SourceTables, check_fields, to_frame
from kss_analysis.ingest.clean import clean_text
from kss_analysis.ingest.placing import TableBuilder
from kss_analysis.ingest.tossd.read import (
    AGGREGATE_PROVIDER,
    DEFAULT_PROVIDERS,
    MEASURES,
    THOUSANDS,
    USED,
    count_outside,
    open_tossd,
)
from kss_analysis.ingest.tossd.rows import (
    PRICE_BASE_YEAR,
    SOURCE,
    cooperation_of,
    modality_of,
    place_row,
    placed_amounts,
    provider_iso3,
    recipients_of,
    row_amounts,
    sector_theme,
)
from kss_analysis.ingest.unmapped import Unmapped

CHUNK_ROWS = (
    65_536  # rows read and placed at a time (measured: 0.75 GB peak for all providers of 1M rows; 1.2 GB at 262,144)
)
ROW = "_row"  # a row's position among the selected rows: every output keeps file order
PART = "_part"  # a child row's position within its activity
CODES = ("Year", "provider", "recipientcode", "purposecode")  # read as codes (rows.code_text)
TEXTS = (  # read as text (clean_text: whitespace collapsed, empty -> None)
    "tossdid",
    "ProviderNameE",
    "agencyname_E",
    "otherPartners",
    "FrameworkOfCollaboration",
    "modality",
    "Aid_T_Description_E",
    "ProjectTitle",
    "purposename_e",
)
# C0 and C1 control characters (tab and line breaks too): a cell holding one goes through
# place_row, which scrubs it and notes the fix, as every reader does.
CONTROL = r"[\x00-\x1f\x7f-\x9f]"
# A cell clean_text would change (besides an empty one): a control character, whitespace other
# than a single space between words.
UNTIDY = CONTROL + r"|\s\s|^\s|\s$|[^\S ]"
# ledger measure -> the column holding a placed row's value (USD units of the file's column)
PLACED_MEASURES = {measure: f"usd_{column}" for column, measure in MEASURES.items()}


@dataclass
class TossdFrames:
    """Placed tables as Arrow, in the canonical schemas, rows in file order."""

    activities: pa.Table
    activity_recipients: pa.Table
    activity_transactions: pa.Table
    quarantine: pa.Table
    ledger: pa.Table | None = None  # the file's, once every chunk is placed

    def source_tables(self) -> SourceTables:
        assert self.ledger is not None
        return SourceTables(
            to_frame(self.activities),
            to_frame(self.activity_recipients),
            to_frame(self.quarantine),
            to_frame(self.ledger),
            to_frame(self.activity_transactions),
        )


@dataclass
class OneRow:
    """What placing one row by itself gave: its key for the duplicate check, whether place_row
    accepted it, and what its builder then holds (a placed row, or a quarantine entry)."""

    key: str
    accepted: bool
    builder: TableBuilder


@dataclass
class Totals:
    """Each outcome's amounts summed row after row in file order, carried from chunk to chunk."""

    sums: dict[tuple[str, str], float] = field(default_factory=dict)

    def add(self, outcome: str, measure: str, values: np.ndarray) -> None:
        if not len(values):
            return
        key = (outcome, measure)
        start = [self.sums[key]] if key in self.sums else []
        self.sums[key] = float(np.cumsum(np.concatenate([start, values]))[-1])  # sequential, not pairwise


def place_tossd(path: Path, *, file_label: str, providers: tuple[str, ...] | None = DEFAULT_PROVIDERS) -> SourceTables:
    """One TOSSD year file -> canonical tables for the selected providers (None = all)."""
    placement = TossdPlacement(path, file_label=file_label, providers=providers)
    chunks = list(placement.chunks())

    def gathered(name: str, arrow_schema: pa.Schema) -> pa.Table:
        return pa.concat_tables([getattr(c, name) for c in chunks]) if chunks else arrow_schema.empty_table()

    return TossdFrames(
        gathered("activities", schema.ACTIVITIES),
        gathered("activity_recipients", schema.ACTIVITY_RECIPIENTS),
        gathered("activity_transactions", schema.ACTIVITY_TRANSACTIONS),
        gathered("quarantine", schema.QUARANTINE),
        placement.ledger(),
    ).source_tables()


class TossdPlacement:
    """A TOSSD year file placed chunk by chunk; ``ledger()`` once ``chunks()`` is exhausted."""

    def __init__(self, path: Path, *, file_label: str, providers: tuple[str, ...] | None = DEFAULT_PROVIDERS):
        self.path = Path(path)
        self.name = self.path.name
        self.file_label = file_label
        self.providers = providers
        self.counts = TableBuilder(file_label)  # the ledger: rows per outcome, raw and excluded amounts
        self.totals = Totals()
        self.repeated_ids = pl.Series("id", [], dtype=pl.String)  # ids (loosely read) found more than once
        self.accepted_ids: set[str] = set()  # those of them accepted so far
        self.done = False

    def chunks(self) -> Iterator[TossdFrames]:
        dataset = open_tossd(self.path)  # InputError when it is no TOSSD file
        outside = count_outside(self.path, self.providers)
        for rule in sorted(outside.rows):
            self.counts.exclude_many(rule, outside.rows[rule], outside.amounts[rule])
            self.counts.count_amounts("raw", outside.amounts[rule])
        for sums in outside.selected:
            self.counts.count_amounts("raw", sums)
        present = [c for c in USED if c in dataset.schema.names]
        self.repeated_ids = (
            pl.scan_parquet(self.path)
            .filter(self._selected(dataset))
            .select(_loose_key("tossdid"))
            .filter(pl.col("tossdid").is_duplicated())
            .unique()
            .collect()
            .to_series()
        )
        total = pq.ParquetFile(self.path).metadata.num_rows
        offset = 0
        for start in range(0, total, CHUNK_ROWS):
            rows = self._read(present, start, self._selected(dataset))
            if len(rows):
                yield self._place(rows.with_row_index(ROW, offset=offset))
                offset += len(rows)
        self.done = True

    def ledger(self) -> pa.Table:
        assert self.done, "place every chunk first"
        for (outcome, measure), value in sorted(self.totals.sums.items()):
            self.counts.count_amounts(outcome, {measure: value})
        return pa.Table.from_pylist(self.counts.ledger(), schema=schema.LEDGER)

    def _selected(self, dataset: ds.Dataset) -> pl.Expr:
        """The rows of the selected providers (as read.provider_filter: a row with no provider code
        is no aggregate, and no selected provider)."""
        provider = pl.col("provider")
        empty = pl.from_arrow(dataset.schema.empty_table().select(["provider"]))
        assert isinstance(empty, pl.DataFrame)
        kind = empty.schema["provider"]
        as_kind = (
            (lambda codes: [int(c) for c in codes])
            if kind.is_integer()
            else (lambda codes: [float(c) for c in codes])
            if kind.is_float()
            else list
        )
        keep = ~provider.is_in(as_kind([AGGREGATE_PROVIDER])).fill_null(False)
        if self.providers is not None:
            keep = keep & provider.is_in(as_kind(self.providers)).fill_null(False)
        return keep

    def _read(self, present: list[str], start: int, selected: pl.Expr) -> pl.DataFrame:
        """The selected rows among the file's rows start .. start + CHUNK_ROWS, every USED column."""
        rows = pl.scan_parquet(self.path).select(present).slice(start, CHUNK_ROWS).filter(selected).collect()
        missing = [c for c in USED if c not in present]
        return rows.with_columns(
            [
                pl.lit(None, dtype=pl.Float64 if c in MEASURES or c.startswith("USD_") else pl.String).alias(c)
                for c in missing
            ]
        ).select(USED)

    def _place(self, raw: pl.DataFrame) -> TossdFrames:
        rows = _answered(_normalised(raw))
        one_by_one = {
            int(record.pop(ROW)): _place_alone(record, self.name, self.file_label)
            for record in rows.filter(~pl.col("clean")).select(ROW, *USED).to_dicts()
        }
        rows = self._with_duplicates(rows, one_by_one)
        duplicates = _duplicate_entries(rows, one_by_one, self.name, self.file_label)
        alone = {i: one for i, one in one_by_one.items() if i not in duplicates}
        placed = rows.filter(pl.col("clean") & ~pl.col("duplicate")).with_columns(
            pl.concat_str(
                [pl.lit(f"{SOURCE}:"), pl.col("year").cast(pl.String), pl.lit(":"), pl.col("c_tossdid")]
            ).alias("activity_id")
        )
        activities = [_activities(placed, self.name, self.file_label)]
        recipients, transactions = [_recipients(placed)], [_transactions(placed)]
        for i, one in sorted(alone.items()):
            activities.append(_rows_table(one.builder.activities, schema.ACTIVITIES, "activities", i))
            recipients.append(_rows_table(one.builder.recipients, schema.ACTIVITY_RECIPIENTS, "activity_recipients", i))
            transactions.append(
                _rows_table(one.builder.transactions, schema.ACTIVITY_TRANSACTIONS, "activity_transactions", i)
            )
        entries = sorted(
            ((i, e) for i, one in {**alone, **duplicates}.items() for e in one.builder.quarantined),
            key=lambda item: item[0],
        )
        self._count(placed, {**alone, **duplicates})
        return TossdFrames(
            _ordered(activities),
            _ordered(recipients),
            _ordered(transactions),
            pa.Table.from_pylist([e for _, e in entries], schema=schema.QUARANTINE),
        )

    def _with_duplicates(self, rows: pl.DataFrame, one_by_one: dict[int, OneRow]) -> pl.DataFrame:
        """``duplicate``: an earlier row with the same id was accepted by the rules (in this chunk
        or an earlier one), so this one is quarantined whatever else it holds: the file states
        no rule to add the two."""
        alone = pl.DataFrame(
            {
                ROW: list(one_by_one),
                "key_alone": [one.key for one in one_by_one.values()],
                "accepted_alone": [one.accepted for one in one_by_one.values()],
            },
            schema={ROW: rows.schema[ROW], "key_alone": pl.String, "accepted_alone": pl.Boolean},
        )
        rows = (
            rows.join(alone, on=ROW, how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("clean")).then(pl.col("c_tossdid")).otherwise(pl.col("key_alone")).alias("key"),
                (pl.col("clean") | pl.col("accepted_alone").fill_null(False)).alias("accepted"),
            )
            .drop("key_alone", "accepted_alone")
        )
        # Only ids that occur more than once in the file (found once, before the first chunk) can
        # repeat; their rows are walked in file order against the ids accepted so far.
        duplicate = np.zeros(len(rows), dtype=bool)
        candidates = rows.select(
            pl.int_range(pl.len()).alias("i"),
            "key",
            "accepted",
            _loose_key("tossdid").is_in(self.repeated_ids.implode()),
        ).filter(pl.col("tossdid"))
        for i, key, accepted, _ in candidates.iter_rows():
            if key and key in self.accepted_ids:
                duplicate[i] = True
            elif accepted and key:
                self.accepted_ids.add(key)
        return rows.with_columns(pl.Series("duplicate", duplicate))

    def _count(self, placed: pl.DataFrame, alone: dict[int, OneRow]) -> None:
        """Rows per outcome; each measure summed over its rows in file order (Totals)."""
        fixed = int(placed["fixes"].is_not_null().sum())
        outcomes = {
            "kept": len(placed) - fixed,
            "fixed": fixed,
            "flagged": int(placed["unclassified"].is_not_null().sum()),
        }
        for one in alone.values():
            for outcome, n in (one.builder.counts.get(one.builder.file_label) or {}).items():
                outcomes[outcome] = outcomes.get(outcome, 0) + n
        for outcome, n in outcomes.items():
            if n:
                self.counts.count_rows(outcome, n)
        for outcome in ("processed", "quarantined"):
            for measure in MEASURES.values():
                positions, values = [np.empty(0, np.int64)], [np.empty(0)]
                if outcome == "processed":
                    column = placed.select(ROW, PLACED_MEASURES[measure]).drop_nulls()
                    positions.append(column[ROW].to_numpy().astype(np.int64))
                    values.append(column[PLACED_MEASURES[measure]].to_numpy())
                for i, one in alone.items():
                    sums = one.builder.amounts.get(one.builder.file_label) or {}
                    amount = sums[measure].get(outcome) if measure in sums else None
                    if amount is not None:
                        positions.append(np.array([i], np.int64))
                        values.append(np.array([amount], np.float64))
                position, in_order = np.concatenate(positions), np.concatenate(values)
                self.totals.add(outcome, measure, in_order[np.argsort(position, kind="stable")])


# --- columns -----------------------------------------------------------------------------


def _loose_key(column: str) -> pl.Expr:
    """An id with every space and control character removed: ids that clean_text reads alike
    read alike here too (and perhaps a few more, which the exact check then tells apart)."""
    return pl.col(column).cast(pl.String).str.replace_all(r"[\s\x00-\x1f\x7f-\x9f]", "")


def _tidy(series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(clean_text of each cell, whether the cell holds a control character). A column of few
    distinct values is worked on its distinct values; only untidy cells are rewritten."""
    series = series.cast(pl.String)
    distinct = series.unique()
    if len(distinct) * 8 <= len(series):
        cleaned, control = _tidy(distinct)
        return (
            series.replace_strict(distinct, cleaned, default=None, return_dtype=pl.String),
            series.replace_strict(distinct, control, default=False, return_dtype=pl.Boolean).fill_null(False),
        )
    untidy = np.flatnonzero(series.str.contains(UNTIDY).fill_null(False).to_numpy())
    has_control = np.zeros(len(series), dtype=bool)
    if len(untidy):
        part = series.gather(untidy)
        has_control[untidy] = part.str.contains(CONTROL).to_numpy()
        series = series.scatter(untidy, part.str.replace_all(r"\s+", " ").str.strip_chars())
    cleaned = pl.select(pl.when(series == "").then(None).otherwise(series)).to_series()
    return cleaned, pl.Series(has_control)


def _code(series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(rows.code_text of each cell, whether this reading matches code_text: a control character,
    or a float code that is not a whole number, is left to code_text itself)."""
    dtype = series.dtype
    if dtype == pl.String:
        control = series.str.contains(CONTROL).fill_null(False)
        return series.str.strip_chars().fill_null(""), ~control
    if dtype.is_integer():
        return series.cast(pl.String).fill_null(""), pl.Series([True] * len(series))
    if dtype.is_float():  # 275.0 -> '275'
        whole = series.is_null() | (series.is_finite() & (series == series.round(0)) & (series.abs() < 1e15))
        return series.cast(pl.Int64, strict=False).cast(pl.String).fill_null(""), whole.fill_null(False)
    return pl.Series([""] * len(series)), series.is_null()


def _normalised(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows with ``c_<column>`` (codes and texts as rows.py reads them), ``usd_<column>``
    (amounts in USD units, NaN read as empty) and ``plain``: no cell that this reading could
    read otherwise than place_row."""
    columns, plain = [], []
    for column in CODES:
        value, same = _code(rows[column])
        columns.append(value.alias(f"c_{column}"))
        plain.append(same)
    for column in TEXTS:
        value, control = _tidy(rows[column])
        columns.append(value.alias(f"c_{column}"))
        plain.append(~control)
    for column in MEASURES:
        amount = rows[column].cast(pl.Float64)
        columns.append(
            pl.select(pl.when(amount.is_nan()).then(None).otherwise(amount) * THOUSANDS)
            .to_series()
            .alias(f"usd_{column}")
        )
        plain.append(~amount.is_infinite().fill_null(False))
    everything = plain[0]
    for flags in plain[1:]:
        everything = everything & flags
    return rows.with_columns(*columns, everything.alias("plain"))


def _distinct(rows: pl.DataFrame, columns: list[str]) -> list[dict]:
    return rows.select(columns).unique(maintain_order=True).to_dicts()


def _answered(rows: pl.DataFrame) -> pl.DataFrame:
    """Each rule of rows.py asked once per distinct value, the answers joined to the rows;
    ``clean``: the row places from these answers alone."""
    recipients = [
        {**value, "recipient_ok": _known_recipient(value["c_recipientcode"])}
        for value in _distinct(rows, ["c_recipientcode"])
    ]
    frameworks = []
    for value in _distinct(rows, ["c_FrameworkOfCollaboration"]):
        try:
            kind, ok = cooperation_of(value["c_FrameworkOfCollaboration"] or ""), True
        except RowProblem:
            kind, ok = None, False
        frameworks.append({**value, "cooperation_type": kind, "framework_ok": ok})
    keys = ["c_purposecode", "c_purposename_e", "c_Aid_T_Description_E", "c_modality"]
    classified = []
    for value in _distinct(rows, keys):
        unmapped, fixes = Unmapped(), list[str]()
        theme = sector_theme(value["c_purposecode"], value["c_purposename_e"], unmapped)
        modality = modality_of(value["c_Aid_T_Description_E"] or "", value["c_modality"] or "", fixes, unmapped)
        classified.append(
            {
                **value,
                "sector_theme": theme,
                "modality_": modality,
                "fixes": ";".join(fixes) or None,
                "unclassified": unmapped.to_json(),
            }
        )
    providers = [
        {**value, "provider_iso3": provider_iso3(value["c_provider"], value["c_ProviderNameE"])}
        for value in _distinct(rows, ["c_provider", "c_ProviderNameE"])
    ]
    text = pl.String
    answers: list[tuple[list[dict], dict[str, Any]]] = [
        (recipients, {"c_recipientcode": text, "recipient_ok": pl.Boolean}),
        (frameworks, {"c_FrameworkOfCollaboration": text, "cooperation_type": text, "framework_ok": pl.Boolean}),
        (
            classified,
            {**dict.fromkeys(keys, text), "sector_theme": text, "modality_": text, "fixes": text, "unclassified": text},
        ),
        (providers, {"c_provider": text, "c_ProviderNameE": text, "provider_iso3": text}),
    ]
    for records, dtypes in answers:
        on = [c for c in dtypes if c.startswith("c_")]
        rows = rows.join(_frame(records, dtypes), on=on, how="left", maintain_order="left", nulls_equal=True)
    year_ok = pl.col("c_Year").str.contains(r"^[0-9]{4}$")
    return rows.with_columns(
        pl.when(year_ok).then(pl.col("c_Year").cast(pl.Int16, strict=False)).alias("year"),
        (
            pl.col("plain")
            & pl.col("c_tossdid").is_not_null()
            & year_ok
            & pl.col("recipient_ok")
            & pl.col("framework_ok")
        ).alias("clean"),
    )


def _known_recipient(code: str) -> bool:
    try:
        recipients_of("", code)
    except RowProblem:
        return False
    return True


# --- rows placed one by one, and duplicates ------------------------------------------------


def _place_alone(record: dict, name: str, file_label: str) -> OneRow:
    """place_row on one row, into a builder of its own (which scrubs control characters)."""
    key = clean_text(record.get("tossdid")) or ""
    locator = f"{name} tossdid {key or '(empty)'}"
    builder = TableBuilder(file_label)
    try:
        activity, recipients, transactions = place_row(record, file_label=file_label, locator=locator)
    except RowProblem as problem:
        builder.quarantine(locator, problem.reason, str(problem), record, row_amounts(record))
        return OneRow(key, False, builder)
    builder.add(activity, recipients, transactions, amounts=placed_amounts(activity, transactions))
    return OneRow(key, True, builder)


def _duplicate_entries(
    rows: pl.DataFrame, one_by_one: dict[int, OneRow], name: str, file_label: str
) -> dict[int, OneRow]:
    """The quarantine entry of each duplicate row, with its raw record and amounts."""
    out = {}
    duplicates = rows.filter(pl.col("duplicate"))
    for record in duplicates.select(ROW, *USED).to_dicts():
        i = int(record.pop(ROW))
        key = one_by_one[i].key if i in one_by_one else clean_text(record.get("tossdid")) or ""
        builder = TableBuilder(file_label)
        builder.quarantine(
            f"{name} tossdid {key}",
            "duplicate_id",
            f"tossdid {key} already placed from an earlier row",
            record,
            row_amounts(record),
        )
        out[i] = OneRow(key, False, builder)
    return out


# --- the canonical tables ----------------------------------------------------------------


def _activities(placed: pl.DataFrame, name: str, file_label: str) -> pa.Table:
    disbursement = pl.col("usd_USD_disbursements")
    frame = placed.select(
        pl.lit(SOURCE).alias("source"),
        pl.lit(file_label).alias("source_file"),
        pl.concat_str([pl.lit(f"{name} tossdid "), pl.col("c_tossdid")]).alias("source_locator"),
        pl.col("activity_id"),
        pl.col("c_ProjectTitle").alias("title"),
        pl.col("year"),
        pl.col("provider_iso3"),
        pl.col("c_ProviderNameE").alias("provider_name"),
        pl.col("c_agencyname_E").alias("implementer"),
        pl.col("c_purposename_e").alias("sector_text"),
        pl.when(pl.col("c_purposecode") != "").then(pl.col("c_purposecode")).alias("sector_code"),
        pl.col("sector_theme"),
        pl.col("sector_theme").alias("sector_themes"),
        pl.col("modality_").alias("modality"),
        pl.col("cooperation_type"),
        pl.when(pl.col("cooperation_type") == "triangular").then(pl.col("c_otherPartners")).alias("triangular_partner"),
        disbursement.alias("amount"),
        pl.when(disbursement.is_not_null()).then(pl.lit("USD")).alias("currency"),
        disbursement.alias("amount_usd"),
        pl.lit("reported").alias("amount_basis"),
        # the publisher's constant-price figure, kept as stated; the money step adds ours beside it
        pl.col("usd_USD_disbursement_defl").alias("amount_usd_constant_stated"),
        pl.lit(PRICE_BASE_YEAR).alias("price_base_year_stated"),
        pl.lit("disbursement").alias("flow_type"),
        pl.col("c_ProviderNameE").alias("reporting_org"),
        pl.col("fixes"),
        pl.col("unclassified"),
    )
    return _conform(
        frame.with_columns(placed[ROW], pl.lit(0, dtype=pl.Int64).alias(PART)), schema.ACTIVITIES, keep=(ROW, PART)
    )


def _recipients(placed: pl.DataFrame) -> pa.Table:
    """Each distinct recipient code's rows (rows.recipients_of), joined to the activities."""
    parts = []
    for code in placed["c_recipientcode"].unique(maintain_order=True).to_list():
        for part, row in enumerate(recipients_of("", code)):
            parts.append({"c_recipientcode": code, PART: part, **{k: v for k, v in row.items() if k != "activity_id"}})
    columns = {
        "c_recipientcode": pl.String,
        PART: pl.Int64,
        "recipient_iso3": pl.String,
        "region": pl.String,
        "share": pl.Float64,
        "allocation": pl.String,
    }
    frame = (
        placed.select(ROW, "activity_id", "c_recipientcode")
        .join(_frame(parts, columns), on="c_recipientcode", how="inner")
        .sort(ROW, PART)
        .drop("c_recipientcode")
    )
    return _conform(frame, schema.ACTIVITY_RECIPIENTS, keep=(ROW, PART))


def _transactions(placed: pl.DataFrame) -> pa.Table:
    """A commitment and a disbursement (current USD) per activity, in that order, where the file
    states them."""
    frame = (
        placed.select(
            ROW,
            "activity_id",
            "year",
            pl.concat_list([pl.lit(0, dtype=pl.Int64), pl.lit(1, dtype=pl.Int64)]).alias(PART),
            pl.concat_list([pl.lit("commitment"), pl.lit("disbursement")]).alias("transaction_type"),
            pl.concat_list(["usd_USD_Commitment", "usd_USD_disbursements"]).alias("value"),
        )
        .explode(PART, "transaction_type", "value")
        .filter(pl.col("value").is_not_null())
        .with_columns(pl.lit("USD").alias("currency"))
    )
    return _conform(frame, schema.ACTIVITY_TRANSACTIONS, keep=(ROW, PART))


def _frame(records: list[dict], dtypes: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(records, schema=dtypes, orient="row") if records else pl.DataFrame(schema=dtypes)


def _conform(frame: pl.DataFrame, arrow_schema: pa.Schema, keep: tuple[str, ...] = ()) -> pa.Table:
    """The frame as Arrow with exactly the schema's columns and types (absent ones empty),
    plus the ordering columns ``keep``."""
    table = frame.to_arrow()
    columns, fields = [], []
    for f in arrow_schema:
        columns.append(table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type))
        fields.append(f)
    for name in keep:
        columns.append(table[name].cast(pa.int64()))
        fields.append(pa.field(name, pa.int64()))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _rows_table(records: list[dict], arrow_schema: pa.Schema, table: str, row: int) -> pa.Table:
    """Records placed one by one as Arrow, with their file position and order."""
    check_fields({k for r in records for k in r}, arrow_schema, table)
    out = pa.Table.from_pylist(records, schema=arrow_schema)
    return out.append_column(ROW, pa.array([row] * len(records), pa.int64())).append_column(
        PART, pa.array(range(len(records)), pa.int64())
    )


def _ordered(parts: list[pa.Table]) -> pa.Table:
    """Parts placed here and rows placed one by one, in file order, without the ordering columns."""
    table = pa.concat_tables(parts)
    if len(parts) > 1:  # the columns' own part is in order already
        table = table.sort_by([(ROW, "ascending"), (PART, "ascending")])
    return table.drop_columns([ROW, PART])
