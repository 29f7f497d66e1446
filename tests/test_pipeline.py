"""End-to-end build of the embedded registers into a temporary data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis import io
from kss_analysis.pipeline import build_all

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data(tmp_path) -> Path:
    shutil.copytree(ROOT / "data" / "raw" / "kss", tmp_path / "raw" / "kss")
    return tmp_path


def test_every_programme_is_in_activities_or_quarantine(data):
    result = build_all(data)
    register = pd.read_csv(data / "raw" / "kss" / "kss_programmes.csv", dtype=str)
    placed = set(result.tables.activities["activity_id"])
    quarantined = set(result.tables.quarantine["locator"])
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
    }
    hashes = {p.name: io.sha256_file(p) for p in (data / "processed").glob("*.parquet")}
    second = build_all(data)
    assert second.written == []
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(data / "raw", other / "raw")
    build_all(other)
    assert {p.name: io.sha256_file(p) for p in (other / "processed").glob("*.parquet")} == hashes


def test_outputs_carry_input_checksums_and_version(data):
    build_all(data)
    meta = io.read_metadata(data / "processed" / "activities.parquet")
    assert meta["inputs"]["kss/kss_programmes.csv"] == io.sha256_file(data / "raw" / "kss" / "kss_programmes.csv")
    assert meta["package_version"]
    assert meta["grain"] == "one row per activity"


def test_aggregates_keep_currencies_and_overlaps_apart(data):
    result = build_all(data)
    acts = result.tables.activities
    start = acts["start_date"].astype("string")
    plans = (acts["amount_basis"] == "planned") & acts["participants"].isna() & (start.isna() | (start.str.len() <= 4))
    top = acts[acts["parent_activity_id"].isna() & ~plans.astype(bool)]
    by_sector = io.read_table(data / "processed" / "programmes_by_sector_year.parquet")
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
    by_region = io.read_table(data / "processed" / "programmes_by_region_year.parquet")
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
