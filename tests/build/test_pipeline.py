"""End-to-end build of the embedded registers into a temporary data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.build.pipeline import build_all
from kss_analysis.core import io
from tests.conftest import mirror_dir, needs_mirror
from tests.paths import ROOT


@pytest.fixture
def data(tmp_path) -> Path:
    shutil.copytree(ROOT / "data" / "raw" / "kss", tmp_path / "raw" / "kss")
    return tmp_path


def _processed(built_data: Path, name: str) -> pd.DataFrame:
    return io.read_table(built_data / "processed" / f"{name}.parquet")


def test_every_programme_is_in_activities_or_quarantine(built_data):
    register = pd.read_csv(ROOT / "data" / "raw" / "kss" / "kss_programmes.csv", dtype=str)
    acts, quarantine = _processed(built_data, "activities"), _processed(built_data, "quarantine")
    placed = set(acts.loc[acts["source"] == "kss", "activity_id"])
    quarantined = set(quarantine.loc[quarantine["file"] == "kss/kss_programmes.csv", "locator"])
    assert len(placed) + len(quarantined) == len(register)
    assert placed <= set(register["programme_id"])


def test_second_build_rewrites_nothing_and_a_fresh_build_is_byte_identical(data, tmp_path_factory):
    first = build_all(data)
    assert {p.stem for p in first.written} == {
        "activities",
        "activity_recipients",
        "activity_transactions",
        "quarantine",
        "ledger",
        "kss_figures",
        "programmes_by_sector_year",
        "programmes_by_region_year",
        "programmes_by_modality_year",
        "unmapped_values",
    }
    hashes = {p.name: io.sha256_file(p) for p in (data / "processed").glob("*.*")}
    second = build_all(data)
    assert second.written == []
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(data / "raw", other / "raw")
    build_all(other)
    assert {p.name: io.sha256_file(p) for p in (other / "processed").glob("*.*")} == hashes


def test_outputs_carry_input_checksums_and_version(built_data):
    meta = io.read_metadata(built_data / "processed" / "activities.parquet")
    assert meta["inputs"]["kss/kss_programmes.csv"] == io.sha256_file(
        ROOT / "data" / "raw" / "kss" / "kss_programmes.csv"
    )
    assert meta["package_version"]
    assert meta["grain"] == "one row per activity"


def test_aggregates_keep_currencies_and_overlaps_apart(built_data):
    acts = _processed(built_data, "activities")
    acts = acts[acts["source"] == "kss"]  # the aggregates cover the registers
    start = acts["start_date"].astype("string")
    plans = (acts["amount_basis"] == "planned") & acts["participants"].isna() & (start.isna() | (start.str.len() <= 4))
    top = acts[acts["parent_activity_id"].isna() & ~plans.astype(bool)]
    by_sector = _processed(built_data, "programmes_by_sector_year")
    assert by_sector["programmes"].sum() == len(top)
    # amounts: counted programmes', plus a part's own amount when its parent states a smaller one or none
    parts = acts[acts["parent_activity_id"].notna()]
    parent = acts.set_index("activity_id")
    includable = (parts["parent_activity_id"].map(parent["currency"]) == parts["currency"]) & (
        parts["parent_activity_id"].map(parent["amount"]) >= parts["amount"]
    )
    countable = pd.concat([top, parts[~includable]])
    countable = countable[~countable["amount_basis"].isin(["planned", "cumulative"])]
    assert by_sector["amount_idr"].sum() == pytest.approx(countable.loc[countable["currency"] == "IDR", "amount"].sum())
    assert by_sector["amount_usd"].sum() == pytest.approx(countable.loc[countable["currency"] == "USD", "amount"].sum())
    # a programme touching two regions is counted in both, amounts are split by share
    by_region = _processed(built_data, "programmes_by_region_year")
    assert by_region["programmes"].sum() >= len(top)
    assert by_region["amount_idr"].sum() == pytest.approx(by_sector["amount_idr"].sum())


def test_user_registers_are_built_beside_the_embedded_one(data):
    (data / "raw" / "registers").mkdir()
    (data / "raw" / "registers" / "mine.csv").write_text(
        "programme_id,judul,tahun,negara_mitra\nKSS-0001,Pelatihan saya,2024,Fiji\n", encoding="utf-8"
    )
    result = build_all(data)
    ids = set(result.tables.activities["activity_id"])
    assert "mine:KSS-0001" in ids and "KSS-0001" in ids  # ids of different files never collide
    assert set(result.tables.ledger["file"]) == {"kss/kss_programmes.csv", "registers/mine.csv"}


@pytest.mark.slow
@needs_mirror
def test_all_mirrored_sources_build_and_every_ledger_balances(tmp_path):
    raw = tmp_path / "raw"
    for source in (
        "aiddata-gcof-china-1.0",
        "aiddata-tuff-qatar-1.0",
        "undp-ssc-projects",
        "iati-ssc-activities",
        "iati-xml-timor-leste",
    ):
        shutil.copytree(mirror_dir() / source, raw / source)
    result = build_all(tmp_path)
    ledger = result.tables.ledger
    assert (
        ledger["rows_read"] == ledger[["rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded"]].sum(axis=1)
    ).all()
    by_source = result.tables.activities.groupby("source").size().to_dict()
    assert set(by_source) == {
        "aiddata-gcof-china-1.0",
        "aiddata-tuff-qatar-1.0",
        "undp-ssc-projects",
        "iati-ssc-activities",
        "iati-xml-timor-leste",
    }
    assert ledger[ledger["file"].str.startswith("iati-ssc-activities/")]["rows_read"].sum() == 632
    assert (
        ledger.set_index("file").loc["aiddata-gcof-china-1.0/GlobalChineseOfficialFinanceDataset_v1.0.zip", "rows_read"]
        == 5466
    )
