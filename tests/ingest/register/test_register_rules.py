"""Field rules of the KSS programme register (issue 16), checked on the committed CSV.

- partner countries and participant counts leave out Indonesia and Indonesians;
- start/end dates are event dates, and `date_basis` says when only the article date is known;
- `channel` (who delivers the aid) is never also the `triangular_partner` (who co-finances or
  co-organises), and only `triangular_partner` makes a programme triangular;
- inferences are stated in `notes` as "Inferred: ..." and never in `evidence`.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from kss_analysis.ingest.classify import classify_country_list
from kss_analysis.ingest.register.place import place_register
from kss_analysis.ingest.register.read import read_register
from tests.conftest import write_csv
from tests.paths import ROOT

KSS = ROOT / "data" / "raw" / "kss"
programmes = pd.read_csv(KSS / "kss_programmes.csv", dtype=str, keep_default_na=False).set_index(
    "programme_id", drop=False
)
INFERENCE_WORDS = re.compile(r"\b(?:infer\w*|likely|probabl\w*|appears to|presumabl\w*|suggests?)\b", re.IGNORECASE)


def _names(cell: str) -> set[str]:
    return {part.strip().casefold() for part in cell.split(";") if part.strip()}


def test_indonesia_is_never_a_partner_country():
    listed = programmes["partner_countries"]
    assert not listed.str.contains("indonesia", case=False).any()
    # Aliases too (RI, Republik Indonesia ...): nothing may resolve to IDN.
    for pid, cell in listed.items():
        codes, _ = classify_country_list(cell)
        assert "IDN" not in codes, pid


def test_participant_counts_that_include_indonesians_are_upper_bounds():
    # A count the page says includes Indonesians, without saying how many, cannot be exact.
    mixed = programmes[programmes["notes"].str.contains(r"include Indonesians|are Indonesian", case=False)]
    assert len(mixed) >= 5
    counted = mixed[mixed["participants"] != ""]
    assert (counted["participants_qualifier"] == "upper_bound").all(), counted["programme_id"].tolist()


def test_indonesian_staff_are_not_participants():
    # Medical teams, task forces and experts sent by Indonesia are not participants.
    staff = programmes[programmes["notes"].str.contains(r"^Not a participant count: \d+ Indonesian", regex=True)]
    assert len(staff) >= 5
    assert (staff["participants"] == "").all(), staff["programme_id"].tolist()


def test_every_dated_row_says_its_date_basis():
    dated = programmes[(programmes["year"] != "") | (programmes["start_date"] != "")]
    assert dated["date_basis"].isin(["event", "publication"]).all(), dated.loc[
        ~dated["date_basis"].isin(["event", "publication"]), "programme_id"
    ].tolist()
    undated = programmes.drop(dated.index)
    assert (undated["date_basis"] == "").all()
    assert undated["notes"].str.contains("Undated:").all()


def test_publication_dates_say_so_in_notes():
    publication = programmes[programmes["date_basis"] == "publication"]
    assert len(publication) >= 10
    assert publication["notes"].str.contains("Date basis: publication").all()


def test_channel_is_never_the_triangular_partner():
    both = programmes[(programmes["channel"] != "") & (programmes["triangular_partner"] != "")]
    for pid, row in both.iterrows():
        assert not _names(row["channel"]) & _names(row["triangular_partner"]), pid
    # The delivering UN agencies named in the audit are channels only.
    for agency in ("UNRWA", "WFP", "UNICEF"):
        assert not programmes["triangular_partner"].str.contains(agency).any(), agency
        assert programmes["channel"].str.contains(agency).any(), agency


def test_every_row_has_a_source_url():
    assert programmes["source_url"].str.match(r"https?://\S+$").all()


def test_inferences_are_stated_as_such():
    assert not programmes["evidence"].str.contains(INFERENCE_WORDS).any(), programmes.loc[
        programmes["evidence"].str.contains(INFERENCE_WORDS), "programme_id"
    ].tolist()
    flagged = programmes[programmes["notes"].str.contains(INFERENCE_WORDS)]
    assert flagged["notes"].str.contains("Inferred:").all(), flagged["programme_id"].tolist()


def test_audit_corrections_hold():
    coconut = programmes.loc["KSS-0177"]
    assert (coconut["start_date"], coconut["end_date"]) == ("2016-05-27", "2016-06-03")
    assert coconut["n_partner_countries"] == "12" and len(_names(coconut["partner_countries"])) == 12
    assert int(coconut["participants"]) < 36  # 36 stated include 9 Indonesians
    ethiopia = programmes.loc["KSS-0171"]
    assert (ethiopia["start_date"], ethiopia["end_date"]) == ("2024-11-26", "2024-12-04")
    unrwa = programmes.loc["KSS-0180"]
    assert (unrwa["triangular_partner"], unrwa["channel"]) == ("", "UNRWA")
    suriname = programmes.loc["KSS-0188"]
    assert "does not say which of them went to Suriname" in suriname["evidence"]


def _place(tmp_path, rows):
    return place_register(read_register(write_csv(tmp_path / "r.csv", rows)), source="test")


def test_placer_carries_date_basis_and_channel_and_only_partners_make_triangular(tmp_path):
    tables = _place(
        tmp_path,
        [
            ["judul", "tahun", "dasar_tanggal", "saluran", "mitra_triangular"],
            ["Food aid via WFP", "2022", "publication", "WFP", ""],
            ["Course with JICA", "2019", "Event", "", "JICA"],
            ["Course", "2019", "", "", ""],
            ["Kursus", "2020", "kegiatan", "", ""],
            ["Bantuan", "2021", "Publikasi", "UNRWA", ""],
        ],
    )
    acts = tables.activities.set_index("title")
    assert acts.loc["Food aid via WFP", ["date_basis", "channel", "cooperation_type"]].tolist() == [
        "publication",
        "WFP",
        "south_south",
    ]
    assert acts.loc["Course with JICA", ["date_basis", "cooperation_type"]].tolist() == ["event", "triangular"]
    assert pd.isna(acts.loc["Course", "date_basis"]) and pd.isna(acts.loc["Course", "channel"])
    # Indonesian spellings are read and recorded as a fix; a channel alone is never triangular.
    assert acts.loc["Kursus", ["date_basis", "fixes"]].tolist() == ["event", "date_basis"]
    assert acts.loc["Bantuan", ["date_basis", "cooperation_type"]].tolist() == ["publication", "south_south"]
    assert pd.isna(acts.loc["Food aid via WFP", "fixes"])


@pytest.mark.parametrize("value", ["article", "published"])
def test_unknown_date_basis_is_quarantined_with_a_reason(tmp_path, value):
    tables = _place(tmp_path, [["title", "year", "date_basis"], ["A", "2020", value], ["B", "2020", "event"]])
    assert tables.quarantine["reason_code"].tolist() == ["bad_date_basis"]
    assert value in tables.quarantine["message"].iloc[0]
    assert tables.activities["title"].tolist() == ["B"]


def test_embedded_register_triangular_count_follows_triangular_partner_only():
    tables = place_register(read_register(KSS / "kss_programmes.csv"), source="kss")
    acts = tables.activities.set_index("activity_id")
    expected = set(programmes.index[programmes["triangular_partner"] != ""])
    assert set(acts.index[acts["cooperation_type"] == "triangular"]) == expected
    with_channel = programmes.index[programmes["channel"] != ""]
    assert acts.loc[with_channel, "channel"].notna().all()
