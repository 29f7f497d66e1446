"""The scale path: DuckDB reads the CRS build's output folder as it is (hive partitions
year=YYYY/part-*.parquet, no conversion step) and gets the same aggregate as
``kss_analysis.build.aggregate.aggregate_crs``. Spark and Dask read the same layout; DuckDB stands in
for them here because it installs from the package index with no JVM or cluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.build.aggregate import aggregate_crs
from kss_analysis.build.pipeline import build_crs

duckdb = pytest.importorskip("duckdb", reason="duckdb is a dev dependency (pip install -r requirements.lock)")

# Two small bulk files that differ like real yearly files differ: column order, an extra
# column the build does not read, unquoted fields, LF vs CRLF line ends.
FILE_A = (
    '"Year"|"DonorCode"|"DonorName"|"RecipientCode"|"RecipientName"|"Bi_Multi"|"PurposeCode"'
    '|"USD_Commitment"|"USD_Disbursement"|"USD_Commitment_Defl"|"USD_Disbursement_Defl"|"CrsID"\r\n'
    '"2019"|"701"|"Japan"|"738"|"Indonesia"|"8"|"31120"|"1.5"|"0.75"|"1.4"|"0.7"|"a1"\r\n'
    '"2019"|"701"|"Japan"|"738"|"Indonesia"|"1"|"31120"|"2.25"|""|"2.0"|""|"a2"\r\n'
    '"2019"|"801"|"Australia"|"275"|"Namibia"|"1"|"12220"|"2.0"|"1.0"|"1.9"|"0.9"|"a3"\r\n'
    '"2020"|"701"|"Japan"|"298"|"Africa, regional"|"1"|"99999"|"3.0"|"3.0"|"2.9"|"2.9"|"a4"\r\n'
)
FILE_B = (
    "CrsID|Year|RecipientCode|PurposeCode|DonorCode|DonorName|ExtraColumn|USD_Disbursement|USD_Commitment\n"
    "b1|2020|738|74020|302|United States|x|4.25||\n"
    "b2|2020|275|12220|302|United States|y|0.5|0.6\n"
    "b3|2021|738|31120|701|Japan|z|7|8\n"
)


@pytest.fixture
def crs_out(tmp_path) -> Path:
    a = tmp_path / "CRS 2019 data.txt"
    b = tmp_path / "CRS 2020 data.txt"
    a.write_bytes(FILE_A.encode())
    b.write_bytes(FILE_B.encode())
    return build_crs([a, b], tmp_path / "crs").out


def duckdb_frame(sql: str) -> pd.DataFrame:
    return duckdb.sql(sql).df()


def test_duckdb_reads_every_row_of_the_partitioned_output_as_is(crs_out):
    glob = f"{crs_out}/**/*.parquet"
    counts = duckdb_frame(
        f"SELECT year, count(*) AS n FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY year ORDER BY year"
    )
    # 4 + 3 rows written, the quarantined 99999 row included: nothing lost on the way.
    assert counts["year"].tolist() == [2019, 2020, 2021]
    assert counts["n"].tolist() == [3, 3, 1]


def test_duckdb_aggregate_equals_aggregate_crs(crs_out):
    glob = f"{crs_out}/**/*.parquet"
    # polars sums an all-null group to 0, SQL to NULL: coalesce so both mean "none reported".
    ours = duckdb_frame(
        f"""
        SELECT year, region,
               coalesce(sum(commitment_usd_mn), 0) AS commitment_usd_mn,
               coalesce(sum(disbursement_usd_mn), 0) AS disbursement_usd_mn,
               count(*) AS records
        FROM read_parquet('{glob}', hive_partitioning = true)
        WHERE quarantine_reason IS NULL
        GROUP BY year, region
        ORDER BY year, region
        """
    )
    theirs = aggregate_crs(crs_out, ("year", "region")).to_pandas()
    # (2019, africa), (2019, asia), (2020, africa), (2020, asia), (2021, asia); the 99999 row is quarantined.
    assert len(ours) == len(theirs) == 5
    for frame in (ours, theirs):
        frame["year"] = frame["year"].astype(int)
        frame["records"] = frame["records"].astype(int)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    # Values checked by hand from the fixtures, not only against each other.
    asia_2019 = ours[(ours["year"] == 2019) & (ours["region"] == "asia")].iloc[0]
    assert (asia_2019["commitment_usd_mn"], asia_2019["disbursement_usd_mn"], asia_2019["records"]) == (3.75, 0.75, 2)
