"""OECD Creditor Reporting System files: bulk text files and Data Explorer exports, read lazily.

Reads ``CRS <year> data.txt`` bulk files (pipe-delimited, UTF-8 or UTF-16 with a byte-order
mark, quoted fields may hold line breaks), plain or inside zip archives (Deflate64 too,
through zipfile-deflate64), and OECD Data Explorer CSV exports of the CRS (SDMX-CSV, one
observation per row, pivoted here to one row per key), and the OECD's bulk CRS as Parquet
(the bulk file's columns, named as in the text files or in snake case: ``DonorCode`` or
``donor_code``; codes stored as numbers are read back as text). Polars streams the file: it is
never held in memory whole. Every column is read as text first, so codes keep leading
zeros and the value 'NA' (Namibia) stays data; amounts are then cast to numbers, in USD
millions as the bulk files state them (hence ``_usd_mn`` in their names).
``source_rows`` counts the input records behind each row (1, or the observations pivoted
into it), so the ledger can compare rows read with rows written.
"""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from kss_analysis.acquire.fetch_checks import CRS_BULK_REQUIRED, CRS_EXPLORER_REQUIRED, split_header
from kss_analysis.core import reference
from kss_analysis.core.config import limit
from kss_analysis.core.errors import InputError

# Bulk-file column -> canonical name; everything read as text, typed below.
COLUMNS = {
    "Year": "year",
    "DonorCode": "donor_code",
    "DonorName": "donor_name",
    "AgencyName": "agency_name",
    "CrsID": "crs_id",
    "ProjectNumber": "project_number",
    "RecipientCode": "recipient_code",
    "RecipientName": "recipient_name",
    "DERecipientcode": "recipient_de_code",
    "RegionCode": "dac_region_code",
    "IncomegroupName": "income_group",
    "FlowCode": "flow_code",
    "FlowName": "flow_name",
    "Bi_Multi": "collaboration_type",
    "Finance_t": "finance_type",
    "Aid_t": "aid_type",
    "PurposeCode": "purpose_code",
    "PurposeName": "purpose_name",
    "ChannelCode": "channel_code",
    "ChannelName": "channel_name",
    "ProjectTitle": "title",
    "USD_Commitment": "commitment_usd_mn",
    "USD_Disbursement": "disbursement_usd_mn",
    "USD_Commitment_Defl": "commitment_constant_usd_mn",
    "USD_Disbursement_Defl": "disbursement_constant_usd_mn",
}

# Amounts in USD millions (current, then constant prices), each in its own column.
AMOUNTS = ("commitment_usd_mn", "disbursement_usd_mn", "commitment_constant_usd_mn", "disbursement_constant_usd_mn")
REQUIRED = CRS_BULK_REQUIRED  # also checked before a fetched copy is recorded (acquire/fetch_checks.py)

# OECD Data Explorer (SDMX-CSV) exports of DSD_CRS@DF_CRS: codes in upper case, labels in
# the column named like the dimension ("DONOR" code, "Donor" label).
EXPLORER_REQUIRED = CRS_EXPLORER_REQUIRED
EXPLORER_KEYS = {
    "TIME_PERIOD": "year",
    "DONOR": "donor_code",
    "Donor": "donor_name",
    "Donor agency": "agency_name",
    "OECD_ID": "crs_id",
    "DONOR_PROJECT_ID": "project_number",
    "RECIPIENT": "recipient_de_code",
    "Recipient": "recipient_name",
    "REGION": "dac_region_code",
    "Income group": "income_group",
    "MODALITY": "flow_code",
    "Modality": "flow_name",
    "BIMULTI_CODE": "collaboration_type",
    "FINANCETYPE_CODE": "finance_type",
    "SECTOR": "purpose_code",
    "Sector": "purpose_name",
    "CHANNEL": "channel_code",
    "Channel": "channel_name",
    "PROJECT_TITLE": "title",
}
# FLOW_TYPE + PRICE_BASE -> amount column (C commitments, D disbursements; V current, Q constant).
EXPLORER_MEASURES = {
    "CV": "commitment_usd_mn",
    "DV": "disbursement_usd_mn",
    "CQ": "commitment_constant_usd_mn",
    "DQ": "disbursement_constant_usd_mn",
}


def _enable_deflate64() -> bool:
    try:
        import zipfile_deflate64  # noqa: F401  (registers Deflate64 with zipfile)
    except ImportError:
        return False
    return True


def _copy_as_utf8(source, target, first: bytes) -> None:
    """Stream bytes to ``target`` as UTF-8; UTF-16 (detected by its BOM) is transcoded."""
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")()
        target.write(decoder.decode(first).encode("utf-8"))
        for block in iter(lambda: source.read(1 << 20), b""):
            target.write(decoder.decode(block).encode("utf-8"))
        target.write(decoder.decode(b"", final=True).encode("utf-8"))
        return
    if first.startswith(codecs.BOM_UTF8):
        first = first[3:]
    target.write(first)
    shutil.copyfileobj(source, target, 1 << 20)


@contextmanager
def utf8_text(path: Path) -> Iterator[Path]:
    """A UTF-8 text file with the CRS data: ``path`` itself when it already is one, else a
    temporary extraction / transcoding (zip member, UTF-16) removed afterwards."""
    file = str(path)
    if path.suffix.casefold() == ".zip":
        deflate64 = _enable_deflate64()
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise InputError(file, f"not a readable zip archive ({exc})") from None
        with archive:
            members = [
                m
                for m in archive.infolist()
                if m.filename.casefold().endswith((".txt", ".csv")) and not m.filename.startswith("__MACOSX/")
            ]
            if len(members) != 1:
                raise InputError(file, f"expected one .txt or .csv file in the archive, found {len(members)}")
            member = members[0]
            if member.compress_type == 9 and not deflate64:
                raise InputError(
                    file,
                    "uses Deflate64 compression: install zipfile-deflate64 (pip install zipfile-deflate64) or unzip with 7-Zip first",
                )
            with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as target:
                try:
                    with archive.open(member) as source:
                        _copy_as_utf8(source, target, source.read(4))
                except (NotImplementedError, zipfile.BadZipFile, EOFError) as exc:
                    os.unlink(target.name)
                    raise InputError(file, f"cannot extract {member.filename}: {exc}") from None
            try:
                yield Path(target.name)
            finally:
                os.unlink(target.name)
        return
    with open(path, "rb") as handle:
        first = handle.read(4)
        if not first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            yield path
            return
        with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as target:
            _copy_as_utf8(handle, target, first)
    try:
        yield Path(target.name)
    finally:
        os.unlink(target.name)


def is_parquet(path: Path) -> bool:
    return path.suffix.casefold() == ".parquet"


def _squashed(name: str) -> str:
    """A column name without case or underscores: 'USD_Disbursement_Defl' = 'usd_disbursement_defl'."""
    return name.replace("_", "").casefold()


def _parquet_rows(path: Path, file: str, count: RecordCount) -> pl.LazyFrame:
    """The OECD's bulk CRS Parquet file -> the bulk text file's canonical columns, typed alike.

    Columns are matched to the text files' names ignoring case and underscores; a code
    column stored as numbers becomes text ('275', a whole-number float without '.0')."""
    try:
        schema = pl.read_parquet_schema(path)
    except (pl.exceptions.ComputeError, OSError) as exc:
        raise InputError(file, f"not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    wanted = {_squashed(raw): raw for raw in COLUMNS}
    found = {wanted[_squashed(name)]: name for name in schema if _squashed(name) in wanted}
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise InputError(file, f"not a CRS Parquet file (missing columns {', '.join(missing)}, in any case)")

    def as_text(name: str) -> pl.Expr:
        column, dtype = pl.col(name), schema[name]
        if dtype.is_float():
            whole = column.cast(pl.Int64, strict=False).cast(pl.String)
            return pl.when(column == column.round(0)).then(whole).otherwise(column.cast(pl.String))
        return column.cast(pl.String)

    frame = count.on(pl.scan_parquet(path)).select([as_text(name).alias(raw) for raw, name in found.items()])
    return _typed(frame, list(found))


def _header(text_path: Path, file: str | None = None) -> tuple[str, list[str]]:
    """(separator, names) of the header line, read up to the header cap: one endless line
    would otherwise be read whole into memory."""
    cap = limit("KSS_MAX_HEADER_CHARS")
    with text_path.open("r", encoding="utf-8-sig", newline="") as handle:
        header = handle.readline(cap + 1)
    if len(header.rstrip("\r\n")) > cap:
        raise InputError(file or str(text_path), f"header line over {cap:,} characters (KSS_MAX_HEADER_CHARS)")
    return split_header(header)


class RecordCount:
    """The records a scan reads (a quoted line break does not start a record), counted batch
    by batch as they stream past the reader, in the same pass as the write.

    The ledger compares it with the rows written (each row's ``source_rows``), so a step
    between reading and writing that lost or repeated rows is caught. It is not a second,
    independent parse: that cost 0.6 s per million rows, a fifth of the build, and
    ``select(pl.len())`` maps the whole file into memory. Polars asks ``map_batches``
    functions to be pure; this one only adds up batch heights, and a batch seen twice or
    never makes the ledger check fail loudly, never silently. One count per run of the frame.
    """

    def __init__(self) -> None:
        self.rows = 0
        self._lock = threading.Lock()  # the streaming engine runs batches on several threads

    def __call__(self, batch: pl.DataFrame) -> pl.DataFrame:
        with self._lock:
            self.rows += batch.height
        return batch

    def on(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """``frame`` with its rows counted as they pass (columns may still be pruned before it)."""
        return frame.map_batches(self, streamable=True, projection_pushdown=True)


def scan_crs(text_path: Path, file: str, count: RecordCount) -> pl.LazyFrame:
    """Lazy, typed CRS rows with canonical column names, of one UTF-8 bulk file, Data Explorer
    export or bulk Parquet file; ``count`` counts the file's records as the frame is run."""
    if is_parquet(text_path):
        return _parquet_rows(text_path, file, count)
    separator, names = _header(text_path, file)
    if set(EXPLORER_REQUIRED) <= set(names):
        return _explorer_rows(text_path, file, names, count)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(
            file,
            f"not a CRS bulk file (missing columns {', '.join(missing)}) nor a Data Explorer export "
            f"(needs {', '.join(EXPLORER_REQUIRED)})",
        )
    return _bulk_rows(text_path, names, separator, count)


def _bulk_rows(text_path: Path, names: list[str], separator: str, count: RecordCount) -> pl.LazyFrame:
    """Bulk-file columns renamed to canonical names; year and amounts typed."""
    raw = count.on(pl.scan_csv(text_path, separator=separator, infer_schema=False, quote_char='"'))
    return _typed(raw, [name for name in COLUMNS if name in names])


def _typed(raw: pl.LazyFrame, names: list[str]) -> pl.LazyFrame:
    """Text columns of the bulk file (``names`` of COLUMNS present) -> canonical names, year and
    amounts typed, absent columns empty."""
    present = {raw_name: COLUMNS[raw_name] for raw_name in names}
    frame = raw.select([pl.col(r).alias(c) for r, c in present.items()])
    for canonical in set(COLUMNS.values()) - set(present.values()):
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(canonical))
    return frame.with_columns(
        pl.col("year").str.strip_chars().cast(pl.Int16, strict=False),
        *[pl.col(c).str.strip_chars().cast(pl.Float64, strict=False) for c in AMOUNTS],
        pl.lit(None, dtype=pl.String).alias("source_reason"),
        pl.lit(1, dtype=pl.Int32).alias("source_rows"),
    )


def _explorer_rows(text_path: Path, file: str, names: list[str], count: RecordCount) -> pl.LazyFrame:
    """OECD Data Explorer (SDMX-CSV) export -> the bulk file's canonical columns.

    An export has one row per observation: the key (donor, recipient, sector ...), a
    measure (FLOW_TYPE C = commitments, D = disbursements; PRICE_BASE V = current,
    Q = constant prices) and OBS_VALUE scaled by 10^UNIT_MULT. The up-to-four USD
    observations of one key become one row with four amount columns, in USD millions like
    the bulk files. Observations in another unit or measure keep a row of their own with
    ``source_reason`` = unsupported_measure, so every observation is accounted for.
    """
    for column, unknown in (("UNIT_MULT", "scale"), ("UNIT_MEASURE", "currency")):
        if column not in names:
            raise InputError(
                file, f"Data Explorer export without a {column} column: the {unknown} of OBS_VALUE is unknown"
            )
    raw = pl.scan_csv(text_path, separator=",", infer_schema=False, quote_char='"')

    def text(column: str) -> pl.Expr:
        return pl.col(column).str.strip_chars() if column in names else pl.lit(None, dtype=pl.String)

    unit = text("UNIT_MEASURE")
    measure = pl.concat_str([text("FLOW_TYPE"), text("PRICE_BASE")])
    frame = raw.with_columns(
        # OBS_VALUE x 10^UNIT_MULT is in units; / 10^6 gives the bulk files' USD millions.
        (
            text("OBS_VALUE").cast(pl.Float64, strict=False)
            * pl.lit(10.0).pow(text("UNIT_MULT").cast(pl.Int32, strict=False) - 6)
        ).alias("_usd_mn"),
        pl.when((unit == "USD") & measure.is_in(list(EXPLORER_MEASURES)))
        .then(measure)
        .otherwise(pl.lit(None))
        .alias("_measure"),
    )
    recipient_codes = pl.DataFrame(
        [(iso3, row["dac_code"]) for iso3, row in reference.countries().items() if row["dac_code"]],
        schema={"_iso3": pl.String, "_dac_code": pl.String},
        orient="row",
    )
    keys = {canonical: text(column) for column, canonical in EXPLORER_KEYS.items()}
    keyed = (
        frame.with_columns(**keys)
        .with_columns(pl.col("year").cast(pl.Int16, strict=False))
        .join(recipient_codes.lazy(), left_on="recipient_de_code", right_on="_iso3", how="left", maintain_order="left")
        # Country recipients come as ISO3: look up their DAC code so both inputs share one code list.
        .with_columns(pl.coalesce("_dac_code", "recipient_de_code").alias("recipient_code"))
    )
    key_columns = [*EXPLORER_KEYS.values(), "recipient_code"]
    # Counted on each branch, after its filter: the two branches may each run the scan, and
    # between them they hold every observation once.
    supported = (
        count.on(keyed.filter(pl.col("_measure").is_not_null()))
        .group_by(key_columns, maintain_order=True)
        .agg(
            *[
                pl.col("_usd_mn").filter(pl.col("_measure") == code).first().alias(canonical)
                for code, canonical in EXPLORER_MEASURES.items()
            ],
            pl.len().cast(pl.Int32).alias("source_rows"),
        )
        .with_columns(pl.lit(None, dtype=pl.String).alias("source_reason"))
    )
    unsupported = (
        count.on(keyed.filter(pl.col("_measure").is_null()))
        .select(key_columns)
        .with_columns(
            *[pl.lit(None, dtype=pl.Float64).alias(c) for c in AMOUNTS],
            pl.lit("unsupported_measure").alias("source_reason"),
            pl.lit(1, dtype=pl.Int32).alias("source_rows"),
        )
    )
    rows = pl.concat([supported, unsupported], how="diagonal")
    for canonical in set(COLUMNS.values()) - set(rows.collect_schema().names()):
        rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias(canonical))
    return rows
