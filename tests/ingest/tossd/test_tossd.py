"""TOSSD reader and placer on the two invented fixtures in the published layout
(tests/fixtures/make_tossd_fixtures.py). Expected values are written out from the
fixture rows (amounts in thousands of USD in the file, USD units in our tables)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from kss_analysis.core.errors import InputError
from kss_analysis.core.validate import check_tables
from kss_analysis.ingest.tossd.place import place_tossd
from kss_analysis.ingest.tossd.read import read_tossd_batches
from tests.paths import FIXTURES

Y2024 = FIXTURES / "tossd_2024_fixture.parquet"
Y2022 = FIXTURES / "tossd_2022_vintage_fixture.parquet"


@pytest.fixture(scope="module")
def all_2024():
    return place_tossd(Y2024, file_label="tossd/tossd_2024.parquet", providers=None)


@pytest.fixture(scope="module")
def indonesia_2024():
    return place_tossd(Y2024, file_label="tossd/tossd_2024.parquet")


def activity(tables, tossdid: str, year: int = 2024) -> pd.Series:
    acts = tables.activities.set_index("activity_id")
    return acts.loc[f"tossd:{year}:{tossdid}"]


def rules(tables) -> dict[str, int]:
    text = tables.ledger.iloc[0]["excluded_by_rule"] or ""
    return {k: int(v) for k, v in (part.split("=") for part in text.split(";") if part)}


def test_provider_0_aggregate_rows_are_excluded_by_their_rule(all_2024):
    """Two provider-0 rows (AGG-2024-01/02) are counted under the named rule, never placed."""
    assert rules(all_2024) == {"aggregate_row_provider_0": 2}
    assert not all_2024.activities["activity_id"].str.contains("AGG-").any()
    assert "Aggregate" not in set(all_2024.activities["provider_name"])
    amounts = json.loads(all_2024.ledger.iloc[0]["amounts"])
    assert amounts["usd_disbursement_current"]["excluded"] == pytest.approx((42000.0 + 11000.0) * 1000)


def test_default_reads_indonesia_only_and_counts_the_rest(indonesia_2024):
    assert set(indonesia_2024.activities["provider_iso3"]) == {"IDN"}
    assert rules(indonesia_2024) == {"aggregate_row_provider_0": 2, "provider_not_selected": 3}


def test_framework_of_collaboration(all_2024):
    """FC02 -> triangular with otherPartners as partner; packed FC01|FC02 -> triangular;
    FC03 -> multilateral; FC01 -> south_south; empty (Japan's row) -> not stated."""
    jica = activity(all_2024, "ID-2024-0002")
    assert jica["cooperation_type"] == "triangular"
    assert jica["triangular_partner"] == "Japan International Cooperation Agency (JICA)"
    assert activity(all_2024, "ID-2024-0008")[["cooperation_type", "triangular_partner"]].tolist() == [
        "triangular",
        "UNFPA",
    ]
    assert activity(all_2024, "ID-2024-0006")["cooperation_type"] == "multilateral"
    assert activity(all_2024, "ID-2024-0001")["cooperation_type"] == "south_south"
    assert pd.isna(activity(all_2024, "ID-2024-0001")["triangular_partner"])
    assert pd.isna(activity(all_2024, "JP-2024-0001")["cooperation_type"])


def test_amounts_are_thousands_times_1000(all_2024):
    """ID-2024-0001: disbursement 152.25, commitment 180 (thousand USD) in the file."""
    row = activity(all_2024, "ID-2024-0001")
    assert row["amount_usd"] == 152250.0
    assert row["amount_usd_constant_stated"] == 152250.0  # the publisher's figure; 2024 is its base year
    assert row["price_base_year_stated"] == 2024 and row["currency"] == "USD" and row["flow_type"] == "disbursement"
    tx = all_2024.activity_transactions.set_index(["activity_id", "transaction_type"])["value"]
    assert tx[("tossd:2024:ID-2024-0001", "commitment")] == 180000.0
    assert tx[("tossd:2024:ID-2024-0001", "disbursement")] == 152250.0


def test_constant_2024_differs_from_current_in_an_earlier_vintage():
    tables = place_tossd(Y2022, file_label="tossd_2022.parquet")
    row = activity(tables, "ID-2022-0002", 2022)
    assert row["amount_usd"] == 72000.0
    assert row["amount_usd_constant_stated"] == pytest.approx(72.0 * 1.0874 * 1000)


def test_no_disbursement_stays_empty_not_zero(all_2024):
    row = activity(all_2024, "ID-2024-0011")
    assert pd.isna(row["amount_usd"]) and pd.isna(row["currency"])


def test_recipient_codes_are_dac_codes(all_2024):
    """275 is Namibia in the DAC list (and Palestine in UN M49): Namibia stays Namibia;
    550 West Bank and Gaza -> PSE; 998 -> one unallocated multi-region row; 298 -> Africa."""
    recips = all_2024.activity_recipients.set_index("activity_id")
    assert recips.loc["tossd:2024:ID-2024-0002", "recipient_iso3"] == "NAM"
    assert recips.loc["tossd:2024:ID-2024-0003", "recipient_iso3"] == "PSE"
    scholarship = recips.loc["tossd:2024:ID-2024-0004"]
    assert pd.isna(scholarship["recipient_iso3"])
    assert (scholarship["region"], scholarship["allocation"]) == ("multi_region", "unallocated")
    africa = recips.loc["tossd:2024:ID-2024-0005"]
    assert (africa["region"], africa["allocation"]) == ("africa", "stated_region")


def test_unknown_recipient_code_is_quarantined_with_its_amounts(all_2024):
    quarantine = all_2024.quarantine.set_index("reason_code")
    assert "1299" in quarantine.loc["unknown_country", "message"]
    assert "ID-2024-0007" in quarantine.loc["unknown_country", "locator"]
    assert "tossd:2024:ID-2024-0007" not in set(all_2024.activities["activity_id"])
    amounts = json.loads(all_2024.ledger.iloc[0]["amounts"])
    # quarantined: ID-2024-0007 (7.5) and the repeated ID-2024-0001 row (5.0)
    assert amounts["usd_disbursement_current"]["quarantined"] == pytest.approx(12500.0)


def test_repeated_tossdid_is_quarantined_not_added(all_2024):
    assert "duplicate_id" in set(all_2024.quarantine["reason_code"])
    assert activity(all_2024, "ID-2024-0001")["amount_usd"] == 152250.0


@pytest.mark.parametrize("path", [Y2024, Y2022])
@pytest.mark.parametrize("providers", [None, ("738",)])
def test_ledger_balances_rows_and_amounts(path, providers):
    """Rows: every row of the file (Parquet metadata) is kept, quarantined or excluded.
    Amounts: each measure sums, independently read from the file, to processed +
    quarantined + excluded."""
    tables = place_tossd(path, file_label=path.name, providers=providers)
    assert check_tables(tables) == []
    ledger = tables.ledger.iloc[0]
    assert ledger["rows_read"] == pq.ParquetFile(path).metadata.num_rows
    assert ledger["rows_read"] == ledger[["rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded"]].sum()
    file = pq.read_table(path)
    amounts = json.loads(ledger["amounts"])
    for column, measure in [
        ("USD_disbursements", "usd_disbursement_current"),
        ("USD_Commitment", "usd_commitment_current"),
    ]:
        expected = pc.sum(file[column]).as_py() * 1000
        sums = amounts[measure]
        assert sums["raw"] == pytest.approx(expected)
        assert sums.get("processed", 0) + sums.get("quarantined", 0) + sums.get("excluded", 0) == pytest.approx(
            expected
        )


def test_vintage_with_other_columns_reads_the_same():
    """2022 file: other column order, agencyname_E missing, extra columns, modality 'j01'."""
    tables = place_tossd(Y2022, file_label="tossd_2022.parquet")
    assert len(tables.activities) == 6 and tables.quarantine.empty
    flood = activity(tables, "ID-2022-0001", 2022)
    assert flood["modality"] == "equipment_in_kind"  # '(for SSC providers only) In-kind donations'
    assert pd.isna(flood["implementer"])  # the column is absent in this vintage
    assert activity(tables, "ID-2022-0002", 2022)["triangular_partner"] == "International Coconut Community (ICC)"
    assert activity(tables, "ID-2022-0005", 2022)["sector_theme"] == "fisheries_marine"


def test_batches_never_exceed_a_row_group():
    """The fixture is written in row groups of 4 rows; the filtered read yields no batch larger."""
    sizes = [t.num_rows for t in read_tossd_batches(Y2024, providers=None)]
    assert sum(sizes) == 14 and max(sizes) <= 4


def _write(tmp_path: Path, rows: dict[str, list], name: str = "t.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(pa.table(rows), path)
    return path


def test_provider_typed_as_integer_in_a_vintage_still_filters(tmp_path):
    base = pq.read_table(Y2024).to_pydict()
    base["provider"] = [int(p) for p in base["provider"]]
    base["recipientcode"] = [int(c) for c in base["recipientcode"]]
    tables = place_tossd(_write(tmp_path, base), file_label="int.parquet")
    assert len(tables.activities) == 9
    assert rules(tables) == {"aggregate_row_provider_0": 2, "provider_not_selected": 3}
    recips = tables.activity_recipients.set_index("activity_id")
    assert recips.loc["tossd:2024:ID-2024-0002", "recipient_iso3"] == "NAM"


def test_modality_by_code_when_the_description_is_new_and_unclassified_when_both_are(tmp_path):
    base = pq.read_table(Y2024).slice(0, 2).to_pydict()
    base["Aid_T_Description_E"] = ["Training (renamed in a later vintage)", "Something new"]
    base["modality"] = ["D021", "Z99"]
    tables = place_tossd(_write(tmp_path, base), file_label="m.parquet")
    row = activity(tables, "ID-2024-0001")
    assert row["modality"] == "training" and row["fixes"] == "modality_from_code"
    # both unknown: the row is kept as 'unclassified', flagged with the raw code and text (issue 18)
    assert tables.quarantine.empty and tables.ledger.iloc[0].rows_flagged == 1
    other = activity(tables, "ID-2024-0002")
    assert other["modality"] == "unclassified"
    assert json.loads(other["unclassified"]) == [
        {
            "attribute": "modality",
            "column": "Aid_T_Description_E",
            "value": "Z99 Something new",
            "extend": "reference/tossd_modalities.csv",
        }
    ]


def test_an_unknown_purpose_code_goes_through_the_keywords_then_is_unclassified(tmp_path):
    """INVENTED purpose codes 99990/99991 (no DAC code): the name decides, else unclassified (issue 18)."""
    base = pq.read_table(Y2024).slice(0, 2).to_pydict()
    base["purposecode"] = ["99990", "99991"]
    base["purposename_e"] = ["Rural development support", "Lunar affairs"]
    tables = place_tossd(_write(tmp_path, base), file_label="p.parquet")
    assert check_tables(tables) == [] and tables.quarantine.empty
    by_name, unknown = activity(tables, "ID-2024-0001"), activity(tables, "ID-2024-0002")
    assert by_name["sector_theme"] == "agriculture_food" and pd.isna(by_name["unclassified"])
    assert unknown["sector_theme"] == "unclassified" and unknown["sector_code"] == "99991"
    assert json.loads(unknown["unclassified"])[0]["value"] == "99991 Lunar affairs"
    assert tables.ledger.iloc[0].rows_flagged == 1


def test_not_a_tossd_file_names_the_missing_columns(tmp_path):
    path = _write(tmp_path, {"Year": ["2024"], "provider": ["738"]})
    with pytest.raises(InputError, match="tossdid, recipientcode"):
        place_tossd(path, file_label="x")
    text = tmp_path / "x.parquet"
    text.write_text("not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        place_tossd(text, file_label="x")


# --- fetch, build and ingest -------------------------------------------------------------


def test_fetch_plans_one_published_url_per_year():
    from kss_analysis.acquire.fetch import planned_files
    from kss_analysis.acquire.registry import load_sources

    planned = planned_files(load_sources()["tossd"], [2019, 2024])
    assert planned == {
        "tossddata_2019.parquet": ("https://tossd.online/tossddata_2019.parquet", None),
        "tossddata_2024.parquet": ("https://tossd.online/tossddata_2024.parquet", None),
    }


def test_fetch_records_the_checksum_at_download(tmp_path, monkeypatch, capsys):
    import hashlib
    import shutil

    from kss_analysis import cli

    mirror = tmp_path / "mirror"
    (mirror / "tossd").mkdir(parents=True)
    shutil.copyfile(Y2024, mirror / "tossd" / "tossddata_2024.parquet")
    monkeypatch.setenv("KSS_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["fetch", "tossd", "--years", "2024", "--mirror", str(mirror)]) == 0
    manifest = json.loads((tmp_path / "data" / "raw" / "MANIFEST.json").read_text())["files"]
    entry = manifest["tossd/tossddata_2024.parquet"]
    assert entry["sha256"] == hashlib.sha256(Y2024.read_bytes()).hexdigest()
    assert entry["url"] == "https://tossd.online/tossddata_2024.parquet"
    assert cli.main(["fetch", "tossd", "--mirror", str(mirror)]) == 2  # a pattern source needs --years
    assert "--years" in capsys.readouterr().err


def test_build_picks_up_files_in_raw_tossd(tmp_path, monkeypatch, capsys):
    import shutil

    from kss_analysis import cli

    folder = tmp_path / "raw" / "tossd"
    folder.mkdir(parents=True)
    shutil.copyfile(Y2024, folder / "tossddata_2024.parquet")
    shutil.copyfile(Y2022, folder / "tossddata_2022.parquet")
    assert cli.main(["build", "--data-dir", str(tmp_path)]) == 0
    acts = pd.read_parquet(tmp_path / "processed" / "activities.parquet")
    assert acts["source"].value_counts().to_dict() == {"tossd": 9 + 6}
    ledger = pd.read_parquet(tmp_path / "processed" / "ledger.parquet").set_index("file")
    assert ledger.loc["tossd/tossddata_2024.parquet", "rows_read"] == 16
    assert cli.main(["build", "--data-dir", str(tmp_path), "--providers", "all"]) == 0
    assert len(pd.read_parquet(tmp_path / "processed" / "activities.parquet")) == 12 + 8


@pytest.mark.parametrize(("path", "indonesia", "everyone"), [(Y2024, 9, 12), (Y2022, 6, 8)])
def test_ingest_works_on_both_vintages(tmp_path, capsys, path, indonesia, everyone):
    from kss_analysis import cli

    assert cli.main(["ingest", str(path), "--as", "tossd", "--out", str(tmp_path / "a")]) == 0
    assert len(pd.read_parquet(tmp_path / "a" / "activities")) == indonesia
    assert cli.main(["ingest", str(path), "--as", "tossd", "--out", str(tmp_path / "b"), "--providers", "all"]) == 0
    assert len(pd.read_parquet(tmp_path / "b" / "activities")) == everyone
    assert path.name in capsys.readouterr().out


def test_ingest_rejects_a_bad_provider_list(tmp_path, capsys):
    from kss_analysis import cli

    assert cli.main(["ingest", str(Y2024), "--as", "tossd", "--out", str(tmp_path), "--providers", "Indonesia"]) == 2
    assert "--providers Indonesia" in capsys.readouterr().err


def test_the_built_table_keeps_the_publishers_constant_figure_beside_ours(tmp_path):
    """Built, not only placed: the money step adds our constant USD and leaves TOSSD's own."""
    import shutil

    from kss_analysis.build.pipeline import build_all

    (tmp_path / "raw" / "tossd").mkdir(parents=True)
    shutil.copy(Y2022, tmp_path / "raw" / "tossd" / "tossddata_2022.parquet")
    acts = build_all(tmp_path).tables.activities.set_index("activity_id")
    row = acts.loc["tossd:2022:ID-2022-0002"]
    assert row["amount_usd_constant_stated"] == pytest.approx(72.0 * 1.0874 * 1000)  # the file's _defl x 1000
    assert row["price_base_year_stated"] == 2024
    assert row["amount_usd"] == 72000.0
    # ours: the current amount through the US GDP deflator to our base year, named as such
    assert pd.notna(row["amount_usd_constant"]) and row["price_base_year"] >= 2024
    assert row["amount_usd_constant"] != row["amount_usd_constant_stated"] or row["price_base_year"] == 2024


def test_an_infinite_amount_quarantines_its_row_and_the_ledger_still_balances(tmp_path):
    """A NaN amount is an empty cell (as a data frame writes it); inf or -inf is no amount:
    that row is quarantined (bad_amount), never the whole file."""
    import numpy as np

    frame = pd.read_parquet(Y2024)
    frame["USD_disbursements"] = frame["USD_disbursements"].astype("float64")
    frame["USD_Commitment"] = frame["USD_Commitment"].astype("float64")
    ids = frame["tossdid"].tolist()
    frame.loc[frame["tossdid"] == "ID-2024-0002", "USD_disbursements"] = np.inf
    frame.loc[frame["tossdid"] == "ID-2024-0003", "USD_Commitment"] = -np.inf
    frame.loc[frame["tossdid"] == "ID-2024-0004", "USD_disbursements"] = np.nan
    path = tmp_path / "tossd_inf.parquet"
    frame.to_parquet(path)
    tables = place_tossd(path, file_label=path.name)
    bad = tables.quarantine[tables.quarantine["reason_code"] == "bad_amount"]
    assert sorted(bad["locator"].str.split().str[-1]) == ["ID-2024-0002", "ID-2024-0003"]
    assert "ID-2024-0004" in ids and pd.isna(activity(tables, "ID-2024-0004")["amount_usd"])
    assert check_tables(tables) == []  # rows and amounts balance
