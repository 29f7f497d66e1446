"""Place CRS rows in the project's terms: ISO3 and region, sector theme, cooperation type.

Rows whose recipient or purpose code the reference tables do not know stay in the table
with ``quarantine_reason`` set (quarantined in place: nothing is dropped and the build stays
one pass); aggregates leave them out. Cooperation type: Bi_Multi 8 is triangular and 2 or 4
multilateral (reference/collaboration_types.csv); a bilateral row is North-South when the
donor is a DAC member and left unknown otherwise (not every non-DAC donor is a Southern
provider); no Bi_Multi (an aggregated Data Explorer export) leaves it unknown.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from kss_analysis.core import reference
from kss_analysis.ingest.crs.read import COLUMNS

OUTPUT_COLUMNS = [
    *COLUMNS.values(),
    "recipient_iso3",
    "region",
    "sector_theme",
    "cooperation_type",
    "quarantine_reason",
    "source_file",
    "source_rows",  # input records behind the row (observations pivoted into one key, else 1)
]


def _lookup(code: str, mappings: Mapping[str, Mapping[str, str | None]]) -> list[pl.Expr]:
    """One column per mapping, named by its key: ``mapping[code]`` per row, null for a code the
    mappings lack (all have the same keys).

    The code is cast once to an Enum of the known codes, whose physical value is the code's
    position; an unknown code casts to null and takes the last, empty slot of each column's
    values. The values are categorical, so the Parquet writer takes their dictionary as it is.
    Neither a join (four hash joins cost about 0.5 s per million rows, a quarter of the whole
    read-and-write) nor replace_strict (polars' streaming engine holds the whole input for it:
    4 GB against 0.6 GB on 5M rows): this is elementwise, so it streams."""
    keys = list(next(iter(mappings.values())))
    if any(list(mapping) != keys for mapping in mappings.values()):
        raise ValueError(f"{code}: the lookups sharing one position need the same codes in the same order")
    position = pl.col(code).cast(pl.Enum(keys), strict=False).to_physical().cast(pl.UInt32).fill_null(len(keys))
    return [
        pl.lit(pl.Series([*(mapping[key] for key in keys), None], dtype=pl.Categorical)).gather(position).alias(name)
        for name, mapping in mappings.items()
    ]


def _lookups() -> list[pl.Expr]:
    """Recipient code -> ISO3 and region (a country's own region first, a regional code's
    otherwise); purpose code -> sector theme (its 5-digit code's theme, else its 3-digit
    sector's); Bi_Multi code -> cooperation type by code (collaboration_types.csv)."""
    countries = {
        row["dac_code"]: (iso3, row["kss_region"]) for iso3, row in reference.countries().items() if row["dac_code"]
    }
    recipients = {**{code: (None, region) for code, region in reference.dac_region_codes().items()}, **countries}
    themes = reference.dac_sector_themes()  # 5-digit purpose codes and 3-digit sectors
    [theme5] = _lookup("purpose_code", {"theme5": themes})
    [theme3] = _lookup("sector3", {"theme3": themes})
    return [
        *_lookup(
            "recipient_code",
            {
                "recipient_iso3": {code: iso3 for code, (iso3, _) in recipients.items()},
                "region": {code: region for code, (_, region) in recipients.items()},
            },
        ),
        pl.coalesce(theme5, theme3).alias("sector_theme"),
        *_lookup("collaboration_type", {"by_code": reference.collaboration_types()}),
    ]


def _cooperation_type() -> pl.Expr:
    """From ``by_code`` (the Bi_Multi code's type) and the donor."""
    code = pl.col("collaboration_type")
    by_code = pl.col("by_code")
    dac_donor = pl.col("donor_code").str.strip_chars().is_in(sorted(reference.dac_donor_codes()))
    return (
        pl.when(code.is_null() | (code == ""))
        .then(pl.lit(None, dtype=pl.Categorical))
        .when(by_code.is_not_null())
        .then(by_code)
        .when(dac_donor)
        .then(pl.lit("north_south", dtype=pl.Categorical))
        .otherwise(pl.lit(None, dtype=pl.Categorical))
        .alias("cooperation_type")
    )


def _reason_checks() -> dict[str, pl.Expr]:
    """Reasons found here -> the rows they apply to, in the order they are written."""
    return {
        "bad_year": pl.col("year").is_null(),
        "unknown_recipient": pl.col("region").is_null(),
        "unknown_sector": pl.col("sector_theme").is_null(),
    }


def _quarantine_reason() -> pl.Expr:
    """The row's reasons joined by ';' (null when clean): the reader's own reason first, then ours.

    Bit i of a row's code is set when reason i applies; the code picks the row's text from
    the 2^n possible ones, so no string is built per row."""
    checks = _reason_checks()
    code = sum(
        (applies.cast(pl.UInt32) * (1 << bit) for bit, applies in enumerate(checks.values())),
        pl.lit(0, dtype=pl.UInt32),
    )
    texts = [";".join(r for bit, r in enumerate(checks) if bits >> bit & 1) or None for bits in range(1 << len(checks))]
    ours = pl.lit(pl.Series(texts, dtype=pl.Categorical)).gather(code)
    reader = pl.col("source_reason")  # e.g. unsupported_measure, set by the Data Explorer reader
    joined = pl.concat_str([reader, ours.cast(pl.String)], separator=";", ignore_nulls=True).cast(pl.Categorical)
    return pl.when(reader.is_null() | (reader == "")).then(ours).otherwise(joined).alias("quarantine_reason")


def place_crs(frame: pl.LazyFrame, file: str) -> pl.LazyFrame:
    """Recipient -> ISO3 and region, purpose -> sector theme, Bi_Multi and donor -> cooperation type,
    and the in-place quarantine reason; ``file`` names the input in ``source_file``."""
    frame = frame.with_columns(
        pl.col("recipient_code").str.strip_chars(),
        pl.col("purpose_code").str.strip_chars(),
        pl.col("collaboration_type").str.strip_chars(),
    ).with_columns(pl.col("purpose_code").str.slice(0, 3).alias("sector3"))
    return (
        frame.with_columns(_lookups())
        # No Bi_Multi (e.g. an aggregated Data Explorer export): the type is unknown, not bilateral.
        .with_columns(_cooperation_type())
        .with_columns(_quarantine_reason(), pl.lit(file, dtype=pl.Categorical).alias("source_file"))
        .select(OUTPUT_COLUMNS)
    )
