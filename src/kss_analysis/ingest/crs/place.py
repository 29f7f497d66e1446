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


def place_crs(frame: pl.LazyFrame, file: str) -> pl.LazyFrame:
    """Recipient -> ISO3 and region, purpose -> sector theme, Bi_Multi and donor -> cooperation type,
    and the in-place quarantine reason; ``file`` names the input in ``source_file``."""
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
        .drop("country_region", "code_region", "theme5", "theme3", "sector3", "source_reason")
        .with_columns(pl.lit(file).alias("source_file"))
        .select(OUTPUT_COLUMNS)
    )
    return frame
