"""OECD Creditor Reporting System at scale: bulk files -> year-partitioned Parquet.

Reads ``CRS <year> data.txt`` bulk files (pipe-delimited, UTF-8 or UTF-16 with a byte-order
mark, quoted fields may hold line breaks), plain or inside zip archives (Deflate64 too,
through zipfile-deflate64), and OECD Data Explorer CSV exports of the CRS (SDMX-CSV, one
observation per row, pivoted here to one row per key). Polars streams the file: it is
never held in memory whole. Amounts are in USD millions, as the bulk files state them.
Every column is read as text first, so codes keep leading zeros and the value 'NA'
(Namibia) stays data; amounts are then cast to numbers explicitly.

Output: <processed>/crs/year=YYYY/part-NNNNN.parquet (zstd), one row per CRS record, with
canonical names: donor, recipient (DAC code -> ISO3), region, purpose code -> sector
theme, flow, channel, collaboration type (Bi_Multi; 8 = triangular), commitments and
disbursements in USD at current and at constant prices, each in its own column.
Rows whose recipient or purpose code the reference tables do not know stay in the table
with ``quarantine_reason`` set (quarantined in place: nothing is dropped and the build
stays one pass); aggregates leave them out.
"""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from kss_analysis import reference
from kss_analysis.errors import InputError

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
    "USD_Commitment": "usd_commitment",
    "USD_Disbursement": "usd_disbursement",
    "USD_Commitment_Defl": "usd_commitment_constant",
    "USD_Disbursement_Defl": "usd_disbursement_constant",
}
AMOUNTS = ("usd_commitment", "usd_disbursement", "usd_commitment_constant", "usd_disbursement_constant")
TRIANGULAR = "8"
# Small row groups make the partitioned sink flush often: peak memory on 1M synthetic rows
# fell from 1.1 GB (polars' default) to about 0.5 GB at the same speed (benchmarks/bench_crs.py).
ROW_GROUP_ROWS = 10_000
MULTILATERAL = ("2", "4")
REQUIRED = ("Year", "DonorCode", "RecipientCode", "PurposeCode", "USD_Commitment", "USD_Disbursement")
OUTPUT_COLUMNS = [
    *COLUMNS.values(),
    "recipient_iso3",
    "region",
    "sector_theme",
    "cooperation_type",
    "quarantine_reason",
]

# OECD Data Explorer (SDMX-CSV) exports of DSD_CRS@DF_CRS: codes in upper case, labels in
# the column named like the dimension ("DONOR" code, "Donor" label).
EXPLORER_REQUIRED = ("DONOR", "RECIPIENT", "SECTOR", "FLOW_TYPE", "PRICE_BASE", "TIME_PERIOD", "OBS_VALUE")
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
    "CV": "usd_commitment",
    "DV": "usd_disbursement",
    "CQ": "usd_commitment_constant",
    "DQ": "usd_disbursement_constant",
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
def utf8_text(path: Path):
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


def _reference_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    countries = pl.DataFrame(
        [(row["dac_code"], iso3, row["kss_region"]) for iso3, row in reference.countries().items() if row["dac_code"]],
        schema={"recipient_code": pl.String, "recipient_iso3": pl.String, "country_region": pl.String},
        orient="row",
    )
    regions = pl.DataFrame(
        list(reference.dac_region_codes().items()),
        schema={"recipient_code": pl.String, "code_region": pl.String},
        orient="row",
    )
    themes = pl.DataFrame(
        list(reference.dac_sector_themes().items()), schema={"code": pl.String, "theme": pl.String}, orient="row"
    )
    return countries, regions, themes


def scan_crs(text_path: Path, file: str) -> pl.LazyFrame:
    """Lazy, typed, canonical CRS rows of one UTF-8 file: a bulk file or a Data Explorer export."""
    header = text_path.open("r", encoding="utf-8-sig", newline="").readline()
    separator = "|" if header.count("|") >= header.count(",") else ","
    names = [h.strip().strip('"') for h in header.rstrip("\r\n").split(separator)]
    if set(EXPLORER_REQUIRED) <= set(names):
        return _canonical(_explorer_rows(text_path, file, names))
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(
            file,
            f"not a CRS bulk file (missing columns {', '.join(missing)}) nor a Data Explorer export "
            f"(needs {', '.join(EXPLORER_REQUIRED)})",
        )
    return _canonical(_bulk_rows(text_path, names, separator))


def _bulk_rows(text_path: Path, names: list[str], separator: str) -> pl.LazyFrame:
    """Bulk-file columns renamed to canonical names; year and amounts typed."""
    present = {raw: canonical for raw, canonical in COLUMNS.items() if raw in names}
    raw = pl.scan_csv(text_path, separator=separator, infer_schema=False, quote_char='"')
    frame = raw.select([pl.col(r).alias(c) for r, c in present.items()])
    for canonical in set(COLUMNS.values()) - set(present.values()):
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(canonical))
    return frame.with_columns(
        pl.col("year").str.strip_chars().cast(pl.Int16, strict=False),
        *[pl.col(c).str.strip_chars().cast(pl.Float64, strict=False) for c in AMOUNTS],
        pl.lit(None, dtype=pl.String).alias("source_reason"),
    )


def _explorer_rows(text_path: Path, file: str, names: list[str]) -> pl.LazyFrame:
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
        ).alias("_usd_millions"),
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
    supported = (
        keyed.filter(pl.col("_measure").is_not_null())
        .group_by(key_columns, maintain_order=True)
        .agg(
            [
                pl.col("_usd_millions").filter(pl.col("_measure") == code).first().alias(canonical)
                for code, canonical in EXPLORER_MEASURES.items()
            ]
        )
        .with_columns(pl.lit(None, dtype=pl.String).alias("source_reason"))
    )
    unsupported = (
        keyed.filter(pl.col("_measure").is_null())
        .select(key_columns)
        .with_columns(
            *[pl.lit(None, dtype=pl.Float64).alias(c) for c in AMOUNTS],
            pl.lit("unsupported_measure").alias("source_reason"),
        )
    )
    rows = pl.concat([supported, unsupported], how="diagonal")
    for canonical in set(COLUMNS.values()) - set(rows.collect_schema().names()):
        rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias(canonical))
    return rows


def _canonical(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Recipient -> ISO3 and region, purpose -> sector theme, Bi_Multi -> co-operation type,
    and the in-place quarantine reason."""
    countries, regions, themes = _reference_frames()
    frame = (
        frame.with_columns(
            pl.col("recipient_code").str.strip_chars(),
            pl.col("purpose_code").str.strip_chars(),
            pl.col("collaboration_type").str.strip_chars(),
        )
        .join(countries.lazy(), on="recipient_code", how="left", maintain_order="left")
        .join(regions.lazy(), on="recipient_code", how="left", maintain_order="left")
        .join(
            themes.lazy().rename({"code": "purpose_code", "theme": "theme5"}),
            on="purpose_code",
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.col("purpose_code").str.slice(0, 3).alias("sector3"))
        .join(
            themes.lazy().rename({"code": "sector3", "theme": "theme3"}),
            on="sector3",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.coalesce("country_region", "code_region").alias("region"),
            pl.coalesce("theme5", "theme3").alias("sector_theme"),
            # No Bi_Multi (e.g. an aggregated Data Explorer export): the type is unknown, not bilateral.
            pl.when(pl.col("collaboration_type").is_null() | (pl.col("collaboration_type") == ""))
            .then(pl.lit(None, dtype=pl.String))
            .when(pl.col("collaboration_type") == TRIANGULAR)
            .then(pl.lit("triangular"))
            .when(pl.col("collaboration_type").is_in(MULTILATERAL))
            .then(pl.lit("multilateral"))
            .otherwise(pl.lit("bilateral"))
            .alias("cooperation_type"),
        )
        .with_columns(
            pl.concat_str(
                [
                    pl.col("source_reason"),
                    pl.when(pl.col("year").is_null()).then(pl.lit("bad_year")),
                    pl.when(pl.col("region").is_null()).then(pl.lit("unknown_recipient")),
                    pl.when(pl.col("sector_theme").is_null()).then(pl.lit("unknown_sector")),
                ],
                separator=";",
                ignore_nulls=True,
            ).alias("quarantine_reason")
        )
        .with_columns(
            pl.when(pl.col("quarantine_reason") == "")
            .then(None)
            .otherwise(pl.col("quarantine_reason"))
            .alias("quarantine_reason")
        )
        .drop("country_region", "code_region", "theme5", "theme3", "sector3", "source_reason")
        .select(OUTPUT_COLUMNS)
    )
    return frame


def _part_path(args) -> str:
    """Hive layout: year=YYYY/part-NNNNN.parquet (DuckDB, Spark and pandas read it as is)."""
    year = args.partition_keys["year"][0]
    return f"year={year}/part-{args.index_in_partition:05d}.parquet"


def build_crs(inputs: list[Path], out: Path) -> Path:
    """Stream every CRS input into ``out`` (year-partitioned); returns ``out``.

    Written into a staging folder first and swapped in at the end, so a crash leaves the
    previous dataset, never a partial one, at the final path.
    """
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for index, path in enumerate(inputs):
            with utf8_text(path) as text_path:
                frame = scan_crs(text_path, str(path))
                target = staging / f"input-{index:03d}"
                try:
                    frame.sink_parquet(
                        pl.PartitionBy(target, key="year", include_key=False, file_path_provider=_part_path),
                        compression="zstd",
                        mkdir=True,
                        engine="streaming",
                        row_group_size=ROW_GROUP_ROWS,
                    )
                except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
                    raise InputError(str(path), f"cannot read as CRS: {str(exc).splitlines()[0]}") from None
        _merge_inputs(staging, len(inputs))
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _merge_inputs(staging: Path, n_inputs: int) -> None:
    """Move input-NNN/year=YYYY/part-K files to year=YYYY/part-NNNK so inputs never clash."""
    for index in range(n_inputs):
        folder = staging / f"input-{index:03d}"
        if not folder.exists():
            continue
        for part in sorted(folder.rglob("*.parquet")):
            year_dir = staging / part.parent.name
            year_dir.mkdir(exist_ok=True)
            part.rename(year_dir / f"part-{index:03d}{part.stem.removeprefix('part-')}.parquet")
        shutil.rmtree(folder)


def scan_processed(crs_dir: Path) -> pl.LazyFrame:
    return pl.scan_parquet(crs_dir / "**" / "*.parquet", hive_partitioning=True)


def aggregate_crs(
    crs_dir: Path, dims: tuple[str, ...] = ("year", "sector_theme", "region", "donor_name")
) -> pl.DataFrame:
    """Commitments and disbursements (USD millions, current prices) by ``dims``; reads only the columns it needs.

    One row per combination of ``dims``; quarantined rows left out.
    """
    frame = scan_processed(crs_dir).filter(pl.col("quarantine_reason").is_null())
    return (
        frame.group_by(list(dims))
        .agg(
            pl.col("usd_commitment").sum().alias("usd_commitment"),
            pl.col("usd_disbursement").sum().alias("usd_disbursement"),
            pl.len().alias("records"),
        )
        .sort(list(dims), nulls_last=True)
        .collect(engine="streaming")
    )


def crs_ledger(crs_dir: Path) -> pl.DataFrame:
    """Rows per year: written, of which quarantined in place, by reason."""
    frame = scan_processed(crs_dir)
    return (
        frame.group_by("year", "quarantine_reason")
        .agg(pl.len().alias("rows"))
        .sort("year", "quarantine_reason", nulls_last=True)
        .collect()
    )
