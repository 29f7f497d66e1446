"""Place CRS rows in the project's terms: ISO3 and region, sector theme, cooperation type.

Rows whose recipient or purpose code the reference tables do not know stay in the table
with ``quarantine_reason`` set (quarantined in place: nothing is dropped and the build stays
one pass); aggregates leave them out. Cooperation type: Bi_Multi 8 is triangular and 2 or 4
multilateral (reference/collaboration_types.csv); a bilateral row is North-South when the
donor is a DAC member and left unknown otherwise (not every non-DAC donor is a Southern
provider); no Bi_Multi (an aggregated Data Explorer export) leaves it unknown.
"""

from __future__ import annotations

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


def _cooperation_type() -> pl.Expr:
    code = pl.col("collaboration_type")
    by_code = code.replace_strict(reference.collaboration_types(), default=None, return_dtype=pl.String)
    dac_donor = pl.col("donor_code").str.strip_chars().is_in(sorted(reference.dac_donor_codes()))
    return (
        pl.when(code.is_null() | (code == ""))
        .then(pl.lit(None, dtype=pl.String))
        .when(by_code.is_not_null())
        .then(by_code)
        .when(dac_donor)
        .then(pl.lit("north_south"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("cooperation_type")
    )


def _lookups() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(DAC recipient code -> ISO3, DAC recipient or region code -> region, purpose code -> theme)."""
    countries = {
        row["dac_code"]: (iso3, row["kss_region"]) for iso3, row in reference.countries().items() if row["dac_code"]
    }
    iso3 = {code: pair[0] for code, pair in countries.items()}
    # A country's own region first; a regional code (298 Africa, regional ...) otherwise.
    region = {**dict(reference.dac_region_codes()), **{code: pair[1] for code, pair in countries.items()}}
    return iso3, region, dict(reference.dac_sector_themes())


def _looked_up(column: pl.Expr, table: dict[str, str]) -> pl.Expr:
    # A hash lookup per row (replace_strict), cheaper than a join that keeps the input's order.
    return column.replace_strict(table, default=None, return_dtype=pl.String)


def place_crs(frame: pl.LazyFrame, file: str) -> pl.LazyFrame:
    """Recipient -> ISO3 and region, purpose -> sector theme, Bi_Multi and donor -> cooperation type,
    and the in-place quarantine reason; ``file`` names the input in ``source_file``."""
    iso3, region, themes = _lookups()
    purpose = pl.col("purpose_code")
    frame = (
        frame.with_columns(
            pl.col("recipient_code").str.strip_chars(),
            purpose.str.strip_chars(),
            pl.col("collaboration_type").str.strip_chars(),
        )
        .with_columns(
            _looked_up(pl.col("recipient_code"), iso3).alias("recipient_iso3"),
            _looked_up(pl.col("recipient_code"), region).alias("region"),
            # the 5-digit purpose code's theme, else its 3-digit sector's
            pl.coalesce(_looked_up(purpose, themes), _looked_up(purpose.str.slice(0, 3), themes)).alias("sector_theme"),
            # No Bi_Multi (e.g. an aggregated Data Explorer export): the type is unknown, not bilateral.
            _cooperation_type(),
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
        .drop("source_reason")
        .with_columns(pl.lit(file).alias("source_file"))
        .select(OUTPUT_COLUMNS)
    )
    return frame
