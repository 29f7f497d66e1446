"""IATI: the funder is the provider, not the publisher.

An aid management system or a research release publishes other governments' activities:
its reporting organisation is the publisher. The provider comes from participating-org
role 1 (Funding), resolved through the organisation table (core/organisations.py).
tests/fixtures/iati_aims_funders.xml holds INVENTED activities in that layout; the
mirrored Timor-Leste AIMS file (AidData's geocoded research release) is the real case.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.core.organisations import resolve_funder
from kss_analysis.ingest.readers import place_file
from tests.paths import FIXTURES


@pytest.fixture(scope="module")
def aims() -> pd.DataFrame:
    tables = place_file(
        FIXTURES / "iati_aims_funders.xml", reader="iati-xml", source="aims", file_label="iati_aims_funders.xml"
    )
    return tables.activities.set_index("activity_id")


def test_the_funder_not_the_publisher_is_the_provider(aims):
    # Written out from the fixture: funder -> provider and cooperation type.
    expected = {
        "aims:AIMS-CO-1": ("BRA", "south_south"),  # Brazil's cooperation agency, Portuguese name
        "aims:AIMS-CO-2": ("JPN", "north_south"),  # Japan first, the World Bank second
        "aims:AIMS-CO-3": ("CHN", "south_south"),  # a Chinese bank: country read from the name
        "aims:AIMS-CO-5": (None, "multilateral"),  # WHO
        "aims:AIMS-CO-6": ("CHN", "south_south"),  # first funder that is a country's
    }
    for activity, (provider, cooperation) in expected.items():
        row = aims.loc[activity]
        assert (row["provider_iso3"] if pd.notna(row["provider_iso3"]) else None) == provider, activity
        assert row["cooperation_type"] == cooperation, activity
    assert not (aims["provider_iso3"] == "USA").any()  # the publisher is a US research lab
    assert set(aims["reporting_org"]) == {"Research Lab"}


def test_every_funder_is_kept_and_an_inferred_country_says_so(aims):
    assert aims.loc["aims:AIMS-CO-2", "funders"] == "Government Of Japan; World Bank"
    assert "funder_country_from_name" in aims.loc["aims:AIMS-CO-3", "fixes"]
    assert pd.isna(aims.loc["aims:AIMS-CO-1", "fixes"])


def test_an_unknown_funder_leaves_the_provider_empty_flagged_and_reported(aims):
    row = aims.loc["aims:AIMS-CO-4"]
    assert pd.isna(row["provider_iso3"]) and pd.isna(row["cooperation_type"])
    flagged = json.loads(row["unclassified"])
    assert {"attribute": "provider_iso3", "column": "participating-org (funding)", "value": "Unspecified"} in [
        {k: entry[k] for k in ("attribute", "column", "value")} for entry in flagged
    ]


def test_a_1_0x_file_names_the_funding_role_in_words(tmp_path):
    path = tmp_path / "v105.xml"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="1.05">
 <iati-activity default-currency="USD">
  <iati-identifier>V1-1</iati-identifier>
  <reporting-org ref="US-501c3-1" type="21">Research Lab</reporting-org>
  <title>Health posts</title>
  <participating-org role="Funding">Korean International Cooperation Agency</participating-org>
  <participating-org role="Implementing">Ministry of Health</participating-org>
  <activity-date type="start-actual" iso-date="2012-02-01"/>
  <recipient-country code="TL" percentage="100"/>
 </iati-activity>
</iati-activities>""",
        encoding="utf-8",
    )
    acts = place_file(path, reader="iati-xml", source="v1", file_label="v105.xml").activities
    assert acts["provider_iso3"].tolist() == ["KOR"] and acts["cooperation_type"].tolist() == ["north_south"]


@pytest.mark.parametrize(
    ("name", "iso3", "inferred"),
    [
        ("Japan International Cooperation Agency", "JPN", False),
        ("Government of Spain", "ESP", False),
        ("The People's Republic of China", "CHN", False),
        ("Korean International Cooperation Agency", "KOR", False),
        ("Unspecified Chinese Government Institution", "CHN", True),
        ("Papua New Guinea Government", "PNG", True),  # not Guinea as well
        ("Inter-American Development Bank", None, False),  # a multilateral, not the United States
        ("Guinea and Niger fund", None, False),  # two countries: never guessed
    ],
)
def test_funder_names_resolve_without_guessing(name, iso3, inferred):
    funder = resolve_funder(name)
    assert (funder.country_iso3, funder.inferred) == (iso3, inferred)


MIRROR = Path(os.environ.get("KSS_MIRROR", "/nonexistent")) / "iati-xml-timor-leste"


@pytest.mark.skipif(not MIRROR.is_dir(), reason="needs KSS_MIRROR (the offline mirror with iati-xml-timor-leste)")
def test_the_timor_leste_aims_file_credits_each_funder_not_the_publisher():
    path = next(MIRROR.glob("*.xml"))
    acts = place_file(path, reader="iati-xml", source="tl", file_label=path.name).activities.set_index("activity_id")
    # Read the funders from the raw XML here, without the package.
    funders: dict[str, list[str]] = {}
    for activity in ET.parse(path).getroot().iter("iati-activity"):
        identifier = (activity.findtext("iati-identifier") or "").strip()
        names = [(o.findtext("narrative") or "").strip() for o in activity.findall("participating-org[@role='1']")]
        funders[f"tl:{identifier}"] = names
    us_words = ("united states", "usaid", "u.s.", "american")
    never_us = [a for a, names in funders.items() if not any(w in n.casefold() for n in names for w in us_words)]
    credited = acts.loc[acts.index.intersection(never_us), "provider_iso3"]
    assert not (credited == "USA").any()  # before: every activity of the file was the USA's
    only_japan = [
        a
        for a, n in funders.items()
        if n and set(n) <= {"Government Of Japan", "Japan International Cooperation Agency"}
    ]
    assert len(only_japan) > 50 and (acts.loc[only_japan, "provider_iso3"] == "JPN").all()
    assert (acts["provider_iso3"] == "USA").mean() < 0.1
