"""`kss sql` and ``kss_analysis.sql``: SQL over the processed tables and partitioned datasets.

Answers are checked against the same Parquet files read with pyarrow and pandas, not against
the SQL layer itself."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from kss_analysis import cli, sql
from tests.ingest.tossd.test_whole_columns import write_awkward


def test_a_query_over_processed_tables_equals_pandas_on_the_same_files(register_build, capsys):
    processed = register_build / "processed"
    result = sql(
        "SELECT year, count(*) AS n FROM activities WHERE counted AND year IS NOT NULL GROUP BY year ORDER BY year",
        processed=processed,
    ).to_pandas()
    activities = pq.read_table(processed / "activities.parquet").to_pandas()
    expected = activities[activities["counted"]].groupby("year").size()
    assert len(result) > 10
    assert dict(zip(result["year"], result["n"], strict=True)) == expected.to_dict()
    # A join across tables, through the command line, as CSV.
    query = (
        "SELECT r.region, count(DISTINCT a.activity_id) AS programmes FROM activities a "
        "JOIN activity_recipients r ON a.activity_id = r.activity_id WHERE a.counted "
        "GROUP BY r.region ORDER BY programmes DESC"
    )
    assert cli.main(["sql", "--processed", str(processed), "--csv", query]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "region,programmes"
    recipients = pq.read_table(processed / "activity_recipients.parquet").to_pandas()
    joined = recipients.merge(activities[activities["counted"]][["activity_id"]], on="activity_id")
    top = joined.groupby("region")["activity_id"].nunique().sort_values(ascending=False)
    assert lines[1] == f"{top.index[0]},{top.iloc[0]}"


def test_a_partitioned_dataset_is_a_view_with_its_hive_key(tmp_path, register_build, capsys):
    out = tmp_path / "tossd"
    assert (
        cli.main(["ingest", str(write_awkward(tmp_path / "awkward.parquet")), "--as", "tossd", "--out", str(out)]) == 0
    )
    capsys.readouterr()
    tables = {"tossd": out / "activities"}
    result = sql(
        "SELECT year, provider_iso3, count(*) AS n, sum(amount_usd) AS usd FROM tossd GROUP BY year, provider_iso3",
        processed=register_build / "processed",
        tables=tables,
    ).to_pandas()
    ledger = pd.read_parquet(out / "ledger.parquet").iloc[0]
    assert result["n"].sum() == ledger["rows_kept"] + ledger["rows_fixed"]
    assert result["usd"].sum() == pytest.approx(json.loads(ledger["amounts"])["usd_disbursement_current"]["processed"])
    assert set(result["year"]) == {2024}  # from the folder names year=2024
    assert (
        cli.main(
            [
                "sql",
                "--processed",
                str(register_build / "processed"),
                "--table",
                f"tossd={out / 'activities'}",
                "--tables",
            ]
        )
        == 0
    )
    assert any(line.startswith("tossd: ") for line in capsys.readouterr().out.splitlines())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT count(*) FROM nothere", "relation 'nothere' was not found (tables: activities"),
        ("SELEC 1", "sql parser error"),
        ("SELECT nope FROM activities", 'unable to find column "nope"'),
    ],
)
def test_a_bad_query_is_one_line_and_exit_2(register_build, capsys, query, message):
    assert cli.main(["sql", "--processed", str(register_build / "processed"), query]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_bad_table_option_is_refused(register_build, tmp_path, capsys):
    processed = str(register_build / "processed")
    assert cli.main(["sql", "--processed", processed, "--table", "Bad-Name=x", "SELECT 1"]) == 2
    assert cli.main(["sql", "--processed", processed, "--table", f"t={tmp_path / 'missing'}", "SELECT 1"]) == 2
    assert cli.main(["sql", "--processed", str(tmp_path / "none"), "SELECT 1"]) == 2
    assert "run `kss build` first" in capsys.readouterr().err


def test_crs_codes_read_as_text_and_join_the_other_tables(tmp_path, register_build):
    """The CRS build stores its derived codes dictionary-encoded; in SQL they are text, so they
    join the register's text columns and take text functions."""
    from kss_analysis.build.pipeline import build_crs
    from tests.ingest.crs.test_crs import bulk_text

    src = tmp_path / "CRS 2019 data.txt"
    src.write_text(bulk_text(), encoding="utf-8")
    crs = build_crs([src], tmp_path / "crs").out
    processed = register_build / "processed"
    result = sql(
        "SELECT c.region, upper(c.sector_theme) AS theme, count(*) AS n FROM crs c "
        "JOIN (SELECT DISTINCT region FROM activity_recipients) r ON c.region = r.region "
        "WHERE c.quarantine_reason IS NULL GROUP BY c.region, theme ORDER BY c.region, theme",
        processed=processed,
        tables={"crs": crs},
    ).to_pandas()
    rows = pd.read_parquet(crs).astype({"region": "string", "sector_theme": "string"})
    regions = set(pq.read_table(processed / "activity_recipients.parquet").column("region").to_pylist())
    clean = rows[rows["quarantine_reason"].isna() & rows["region"].isin(regions)]
    expected = clean.groupby(["region", clean["sector_theme"].str.upper()]).size()
    assert len(result) == len(expected) > 0
    assert [(r.region, r.theme, r.n) for r in result.itertuples()] == [(k[0], k[1], v) for k, v in expected.items()]
