"""The whole-column TOSSD placer (place.py) against the rules applied one row at a time.

``one_by_one`` below is the plain reading of the rules: every selected row through
``rows.place_row`` in file order, a repeated id quarantined, amounts summed row after row.
place.py must give exactly its tables (same rows, order, reasons, messages, ledger) on the
two fixtures, on a file of awkward rows written here, on vintages that type codes as
numbers, and whatever its chunk size. Then `kss ingest --as tossd` writes year-partitioned
datasets that two other engines (pyarrow's dataset reader and DuckDB) read with the same
totals as the ledger.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from kss_analysis.core.errors import RowProblem
from kss_analysis.ingest.clean import clean_text
from kss_analysis.ingest.placing import TableBuilder
from kss_analysis.ingest.tossd import place
from kss_analysis.ingest.tossd.read import batch_amounts, count_outside, read_tossd_batches
from kss_analysis.ingest.tossd.rows import place_row, placed_amounts, row_amounts
from tests.fixtures.make_tossd_fixtures import AMOUNT, COLUMNS
from tests.paths import FIXTURES

Y2024 = FIXTURES / "tossd_2024_fixture.parquet"
Y2022 = FIXTURES / "tossd_2022_vintage_fixture.parquet"
TABLES = ("activities", "activity_recipients", "activity_transactions", "quarantine", "ledger")


def one_by_one(path: Path, providers):
    """The rules read one row at a time (the reference the whole-column placer must equal)."""
    builder = TableBuilder("tossd/file.parquet")
    outside = count_outside(path, providers)
    for rule in sorted(outside.rows):
        builder.exclude_many(rule, outside.rows[rule], outside.amounts[rule])
        builder.count_amounts("raw", outside.amounts[rule])
    seen: set[str] = set()
    for table in read_tossd_batches(path, providers):
        builder.count_amounts("raw", batch_amounts(table))
        for record in table.to_pylist():
            tossdid = clean_text(record.get("tossdid")) or ""
            locator = f"{path.name} tossdid {tossdid or '(empty)'}"
            try:
                if tossdid in seen:
                    raise RowProblem("duplicate_id", f"tossdid {tossdid} already placed from an earlier row")
                activity, recipients, transactions = place_row(record, file_label=builder.file_label, locator=locator)
            except RowProblem as problem:
                builder.quarantine(locator, problem.reason, str(problem), record, row_amounts(record))
                continue
            seen.add(tossdid)
            builder.add(activity, recipients, transactions, amounts=placed_amounts(activity, transactions))
    return builder.tables()


# Rows a whole-column reading could get wrong, each against the rule it tests (SYNTHETIC).
AWKWARD = [
    {
        "tossdid": "A1",
        "ProjectTitle": " Plain  title ",
        "USD_disbursements": 1.5,
        "USD_Commitment": 2.0,
        "USD_disbursement_defl": 1.4,
        "purposecode": "12220",
        "FrameworkOfCollaboration": "FC01",
    },
    {"tossdid": "A1", "ProjectTitle": "repeats A1", "USD_disbursements": 3.0},
    {"tossdid": "B1", "recipientcode": "9999", "ProjectTitle": "unknown recipient code", "USD_disbursements": 4.0},
    {"tossdid": "B1", "ProjectTitle": "B1 again: the first was quarantined, so this one is placed"},
    {"tossdid": "B1", "ProjectTitle": "B1 a third time: now a repeat", "USD_disbursements": 5.5},
    {"tossdid": "C1", "Year": "２０２４", "ProjectTitle": "year in full-width digits"},
    {"tossdid": "C2", "Year": "24", "ProjectTitle": "two-digit year"},
    {"tossdid": "", "ProjectTitle": "no id"},
    {"tossdid": "D1", "ProjectTitle": "\x00\x00", "USD_disbursements": 7.0},
    {"tossdid": "D1", "ProjectTitle": "D1 again (its first row had no title, but was accepted)"},
    {"tossdid": "E1", "ProjectTitle": "tab\there\x1c and a separator", "USD_disbursements": float("inf")},
    {
        "tossdid": "E2",
        "ProjectTitle": "NaN and -inf",
        "USD_disbursements": float("nan"),
        "USD_Commitment": float("-inf"),
    },
    {"tossdid": "F1", "recipientcode": "998", "FrameworkOfCollaboration": "FC09", "ProjectTitle": "unknown framework"},
    {
        "tossdid": "F2",
        "recipientcode": "298",
        "FrameworkOfCollaboration": "FC01|FC02",
        "otherPartners": "  JICA  ",
        "ProjectTitle": "packed framework, region",
    },
    {
        "tossdid": "F3",
        "purposecode": "99999",
        "purposename_e": "fisheries training",
        "Aid_T_Description_E": "New",
        "modality": "Z99",
        "ProjectTitle": "unknown purpose and aid type",
    },
    {"tossdid": "F4", "modality": "C01", "ProjectTitle": "aid type by code only"},
    {"provider": "999", "ProviderNameE": "Republic of Indonesia", "tossdid": "G1", "ProjectTitle": "provider by name"},
    {"tossdid": "H1\u00a0", "recipientcode": " 275 ", "ProjectTitle": "no-break\u00a0 space\u2003here"},
    {"provider": "0", "tossdid": "AGG", "USD_disbursements": 100.0},
    {"provider": "701", "ProviderNameE": "Japan", "tossdid": "J1", "ProjectTitle": "another provider"},
    {"tossdid": "I1", "recipientcode": None, "ProjectTitle": None},
    {"tossdid": "K1", "ProjectTitle": "Pelatihan nelayan \u2014 Fiji", "recipientcode": "832"},
    {"provider": None, "ProviderNameE": None, "tossdid": "L1", "ProjectTitle": "no provider code"},
]


def write_awkward(path: Path, row_group_size: int = 5) -> Path:
    names = [name for name, _ in COLUMNS]
    base = {"Year": "2024", "provider": "738", "ProviderNameE": "Indonesia", "recipientcode": "275"}
    rows = [{**base, **row} for row in AWKWARD]
    table = pa.table(
        {n: pa.array([r.get(n) for r in rows], pa.float64() if n in AMOUNT else pa.string()) for n in names}
    )
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def retyped(
    source: Path, path: Path, kind: pa.DataType, columns=("Year", "provider", "recipientcode", "purposecode")
) -> Path:
    """A vintage that stores code columns as numbers (a whole-number float, or an integer)."""
    table = pq.read_table(source)
    for column in columns:
        values = pc.cast(pc.cast(table[column], pa.int64()), kind)
        table = table.set_column(table.schema.get_field_index(column), column, values)
    pq.write_table(table, path)
    return path


def assert_same(expected, actual):
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(actual, name), getattr(expected, name), check_exact=True, obj=name)


@pytest.mark.parametrize("providers", [("738",), None, ("738", "701")])
@pytest.mark.parametrize("fixture", [Y2024, Y2022])
def test_equals_the_rules_one_row_at_a_time_on_the_fixtures(fixture, providers):
    expected = one_by_one(fixture, providers)
    assert len(expected.activities)  # the comparison is not between two empty tables
    assert_same(expected, place.place_tossd(fixture, file_label="tossd/file.parquet", providers=providers))


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7, 65_536])
def test_awkward_rows_give_the_same_tables_whatever_the_chunk(tmp_path, monkeypatch, chunk_rows):
    path = write_awkward(tmp_path / "awkward.parquet")
    expected = one_by_one(path, None)
    monkeypatch.setattr(place, "CHUNK_ROWS", chunk_rows)
    actual = place.place_tossd(path, file_label="tossd/file.parquet", providers=None)
    assert_same(expected, actual)
    # Every row of the file is accounted for: placed, quarantined or excluded by a named rule.
    ledger = actual.ledger.iloc[0]
    assert (
        ledger["rows_read"]
        == len(AWKWARD)
        == (ledger["rows_kept"] + ledger["rows_fixed"] + ledger["rows_quarantined"] + ledger["rows_excluded"])
    )
    assert "tossd:2024:L1" in set(actual.activities["activity_id"])  # no provider code is no aggregate
    # The reference itself did what the rows ask: repeats, bad years, codes and amounts quarantined.
    reasons = actual.quarantine["reason_code"].value_counts().to_dict()
    assert reasons == {
        "duplicate_id": 3,  # A1, the third B1, D1 again
        "bad_year": 1,
        "missing_id": 1,
        "unknown_country": 2,  # B1's code 9999, I1's empty code
        "bad_amount": 2,
        "unknown_framework": 1,
        "missing_title": 1,
    }
    placed = actual.activities.set_index("activity_id")
    assert placed.loc["tossd:2024:B1", "title"].startswith("B1 again")
    assert placed.loc["tossd:2024:C1", "year"] == 2024  # full-width digits are digits
    assert placed.loc["tossd:2024:H1", "title"] == "no-break space here"
    # A provider code missing from countries.csv is resolved from its English name ...
    assert placed.loc["tossd:2024:G1", "provider_iso3"] == "IDN"


def test_numeric_code_vintages_give_the_same_tables(tmp_path):
    for kind in (pa.int32(), pa.float64()):
        path = retyped(Y2024, tmp_path / f"codes_{kind}.parquet", kind)
        assert_same(one_by_one(path, None), place.place_tossd(path, file_label="tossd/file.parquet", providers=None))
    # A float code that is not a whole number is read by the rules themselves.
    table = pq.read_table(retyped(Y2024, tmp_path / "float.parquet", pa.float64()))
    codes = table["purposecode"].to_pylist()
    codes[:3] = [12220.5, None, float("nan")]
    path = tmp_path / "odd_floats.parquet"
    pq.write_table(table.set_column(table.schema.get_field_index("purposecode"), "purposecode", pa.array(codes)), path)
    assert_same(one_by_one(path, None), place.place_tossd(path, file_label="tossd/file.parquet", providers=None))


def test_ingest_writes_year_partitions_that_other_engines_read_with_the_ledgers_totals(tmp_path, capsys):
    from kss_analysis import cli

    out = tmp_path / "out"
    path = write_awkward(tmp_path / "awkward.parquet")
    assert cli.main(["ingest", str(path), "--as", "tossd", "--out", str(out), "--providers", "all"]) == 0
    assert "partitioned by year" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "activities").iterdir()) == ["year=2024"]
    ledger = pd.read_parquet(out / "ledger.parquet").iloc[0]
    processed = json.loads(ledger["amounts"])["usd_disbursement_current"]["processed"]

    import pyarrow.dataset as ds

    acts = ds.dataset(out / "activities", format="parquet", partitioning="hive").to_table()
    assert acts.num_rows == ledger["rows_kept"] + ledger["rows_fixed"]
    assert pc.sum(acts["amount_usd"]).as_py() == pytest.approx(processed)
    assert set(acts["year"].to_pylist()) == {2024}  # the partition key comes back from the folder names

    duckdb = pytest.importorskip("duckdb", reason="DuckDB (a dev dependency) is the second engine here")
    con = duckdb.connect()
    glob = str(out / "activities" / "*" / "*.parquet")
    count, total = con.execute(
        f"SELECT count(*), sum(amount_usd) FROM read_parquet('{glob}', hive_partitioning = true)"
    ).fetchone()
    assert (count, total) == (acts.num_rows, pytest.approx(processed))
    recipients = con.execute(
        f"SELECT count(DISTINCT activity_id) FROM read_parquet('{out}/activity_recipients/*/*.parquet', hive_partitioning = true)"
    ).fetchone()[0]
    assert recipients == acts.num_rows  # every placed activity has its recipient rows, by id


def test_ingest_output_is_the_same_bytes_twice(tmp_path):
    from kss_analysis import cli

    path = write_awkward(tmp_path / "awkward.parquet")
    digests = []
    for name in ("a", "b"):
        assert (
            cli.main(["ingest", str(path), "--as", "tossd", "--out", str(tmp_path / name), "--providers", "all"]) == 0
        )
        files = sorted(p for p in (tmp_path / name).rglob("*") if p.is_file())
        digests.append({str(p.relative_to(tmp_path / name)): p.read_bytes() for p in files})
    assert digests[0] == digests[1]
    assert "activities/year=2024/part-0.parquet" in digests[0]


def test_awkward_rows_with_a_provider_selection(tmp_path, monkeypatch):
    path = write_awkward(tmp_path / "awkward.parquet")
    monkeypatch.setattr(place, "CHUNK_ROWS", 4)
    actual = place.place_tossd(path, file_label="tossd/file.parquet", providers=("738",))
    assert_same(one_by_one(path, ("738",)), actual)
    rules = actual.ledger.iloc[0]["excluded_by_rule"]
    # Japan's row, provider 999's and the row with no provider code are not Indonesia's (738);
    # the aggregate row has its own rule.
    assert rules == "aggregate_row_provider_0=1;provider_not_selected=3"
