"""UNDP's South-South and triangular cooperation inventory: one engagement per row, no years."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis import cli
from kss_analysis.acquire.registry import load_sources
from kss_analysis.core.errors import InputError
from kss_analysis.core.validate import check_tables
from kss_analysis.ingest.readers import INGEST_FORMATS, place_file
from tests.paths import FIXTURES

SOURCE = "undp-ssc-engagements"
SAMPLE = FIXTURES / "undp_engagements_sample.csv"
NEXT_VINTAGE = FIXTURES / "undp_engagements_next_vintage.csv"
MIRROR = Path(os.environ["KSS_MIRROR"]) if os.environ.get("KSS_MIRROR") else None


def place(path: Path):
    return place_file(path, reader="undp-engagements", source=SOURCE, file_label=path.name)


def balanced(ledger: pd.DataFrame) -> bool:
    row = ledger.iloc[0]
    return row.rows_read == row.rows_kept + row.rows_fixed + row.rows_quarantined + row.rows_excluded


@pytest.mark.parametrize("path", [SAMPLE, NEXT_VINTAGE], ids=["current", "next vintage"])
def test_ledger_balances_and_no_row_gets_a_year(path):
    tables = place(path)
    assert check_tables(tables) == []
    assert balanced(tables.ledger)
    assert tables.ledger.iloc[0].rows_read == len(path.read_text(encoding="utf-8-sig").splitlines()) - 1
    acts = tables.activities
    assert acts[["year", "start_date", "end_date"]].isna().all().all()  # rule no_year_in_source
    assert (acts["reporting_org"] == "UNDP").all()


def test_current_layout():
    tables = place(SAMPLE)
    ledger = tables.ledger.iloc[0]
    assert (ledger.rows_read, ledger.rows_kept, ledger.rows_quarantined, ledger.rows_flagged) == (7, 5, 2, 1)
    quarantine = tables.quarantine.set_index("locator")
    assert quarantine.loc["record 4", ["reason_code", "column", "value"]].tolist() == [
        "unknown_country",
        "ISO-3 Code",
        "ATL",
    ]
    assert quarantine.loc["record 8", "reason_code"] == "duplicate_id"  # Obs ID 1 again
    acts = tables.activities.set_index("activity_id")
    fiji = acts.loc[f"{SOURCE}:2"]
    assert fiji.provider_iso3 == "IDN;VNM;TLS"  # the engaged countries, as stated
    assert fiji.provider_name == "Indonesia, Viet Nam and Timor-Leste"  # trailing spaces gone
    assert fiji.sector_themes == "fisheries_marine;environment_climate"
    assert fiji.cooperation_type == "south_south"  # SIDS is the host's country group, not a type
    assert [o["name"] for o in json.loads(fiji.participating_orgs)] == ["Government", "Academia"]
    assert fiji.title == (
        "Capacity Building; Knowledge Sharing: Marine Conservation; Climate Action (Country-To-Country; SDG 14, 13)"
    )
    assert pd.isna(acts.loc[f"{SOURCE}:5", "provider_iso3"])  # 'regional': no engaged country
    flagged = json.loads(acts.loc[f"{SOURCE}:6", "unclassified"])
    assert {(e["attribute"], e["value"]) for e in flagged} == {
        ("provider_iso3", "MDX"),
        ("sector_theme", "Space Weather"),
    }
    assert pd.isna(acts.loc[f"{SOURCE}:6", "provider_iso3"])
    recipients = tables.activity_recipients.set_index("activity_id")
    assert recipients.loc[f"{SOURCE}:2", "recipient_iso3"] == "FJI"
    bureau = recipients.loc[f"{SOURCE}:4"]  # reported by a regional bureau, no country
    assert pd.isna(bureau.recipient_iso3) and (bureau.region, bureau.allocation) == ("africa", "stated_region")


def test_next_vintage_renamed_headers_extra_column_and_french_values():
    tables = place(NEXT_VINTAGE)
    assert tables.ledger.iloc[0][["rows_read", "rows_quarantined"]].tolist() == [5, 0]
    acts = tables.activities.set_index("activity_id")
    assert acts.loc[f"{SOURCE}:101", "cooperation_type"] == "triangular"  # 'Triangulaire'
    assert acts.loc[f"{SOURCE}:104", "cooperation_type"] == "south_south"  # 'Sud-Sud'
    ivory = acts.loc[f"{SOURCE}:102"]  # no codes: the names are looked up, as fixes
    assert ivory.provider_iso3 == "BEN;TGO"
    assert set(ivory.fixes.split(";")) == {"country_from_name", "engaged_from_name"}
    recipients = tables.activity_recipients.set_index("activity_id")
    assert recipients.loc[f"{SOURCE}:102", "recipient_iso3"] == "CIV"
    # themes written in French are kept, flagged, never guessed
    flagged = json.loads(acts.loc[f"{SOURCE}:103", "unclassified"])
    assert [(e["column"], e["value"]) for e in flagged] == [("Domaine thématique", "Santé")]
    assert acts.loc[f"{SOURCE}:103", "sector_theme"] == "unclassified"


def test_a_file_without_the_required_columns_is_refused_naming_them(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("Obs ID,Country,Method\n1,Kenya,Regional\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        place(path)
    message = str(error.value)
    for column in ("ISO-3 Code", "ISO-3 of countries that are engaged in the SSC/TrC", "Thematic Area"):
        assert column in message
    assert "Obs ID," not in message


def test_registered_and_listed():
    entry = load_sources()[SOURCE]
    assert entry.reader == "undp-engagements" and list(entry.files) == ["data.csv"]
    assert "undp-engagements" in INGEST_FORMATS
    assert load_sources()["undp-ssc-projects"].reader == "undp"  # the older list stays


def test_kss_ingest_as_undp_engagements(tmp_path):
    out = tmp_path / "out"
    assert cli.main(["ingest", str(SAMPLE), "--as", "undp-engagements", "--out", str(out)]) == 0
    assert len(pd.read_parquet(out / "activities.parquet")) == 5
    assert len(pd.read_parquet(out / "quarantine.parquet")) == 2


@pytest.mark.skipif(MIRROR is None, reason="needs KSS_MIRROR (the offline mirror with undp-ssc-engagements/data.csv)")
def test_the_mirrored_inventory_places_every_row():
    assert MIRROR is not None
    tables = place(MIRROR / SOURCE / "data.csv")
    assert check_tables(tables) == []
    ledger = tables.ledger.iloc[0]
    assert ledger.rows_read == 430 and balanced(tables.ledger)
    assert ledger.rows_kept + ledger.rows_fixed + ledger.rows_quarantined == 430
    assert tables.quarantine["reason_code"].notna().all() and tables.quarantine["message"].notna().all()
    acts = tables.activities
    assert acts["year"].isna().all()
    assert acts["activity_id"].is_unique
    assert set(tables.activity_recipients["activity_id"]) == set(acts["activity_id"])
