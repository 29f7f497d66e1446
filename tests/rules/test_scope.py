"""Scope is one rule: Indonesia's KSS programmes everywhere, another provider's register only when asked.

One build holds the embedded register and a user's register profiled for another provider
(a Thai agency's list, INVENTED rows written here). The query API, the aggregates, every
register chart's CSV and sidecar, and ``kss tables export`` must answer the same question,
and the Thai rows appear only where they are asked for (``providers=``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import kss_analysis as kss
from kss_analysis.build.pipeline import build_all
from kss_analysis.outputs.charts.export import export_charts
from kss_analysis.outputs.tables.export import export_tables
from kss_analysis.rules import scope
from tests.paths import ROOT

THAI_TITLES = [
    "Rice farming course for Lao officials",
    "Community health training for Cambodian nurses",
    "Fisheries workshop for Mozambique",
]


@pytest.fixture(scope="module")
def mixed_build(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("scope")
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    registers = data / "raw" / "registers"
    registers.mkdir(parents=True)
    rows = [
        "title,year,sector,modality,partner_countries,participants,source_url",
        f"{THAI_TITLES[0]},2019,agriculture,training,Laos,25,https://example.org/tica/1",
        f"{THAI_TITLES[1]},2019,health,training,Cambodia,30,https://example.org/tica/2",
        f"{THAI_TITLES[2]},2021,fisheries,workshop,Mozambique,12,https://example.org/tica/3",
    ]
    (registers / "thai_agency.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (registers / "thai_agency.profile.yml").write_text(
        "note: INVENTED register of a Thai agency, for tests\ndefaults:\n  provider: THA\n", encoding="utf-8"
    )
    build_all(data)
    return data / "processed"


def test_the_api_default_is_indonesias_programmes_and_other_providers_are_reached_by_asking(mixed_build):
    default = kss.programmes(processed=mixed_build, lang="en")
    thai = kss.programmes(processed=mixed_build, lang="en", providers="THA")
    everyone = kss.programmes(processed=mixed_build, lang="en", providers="all")
    assert sorted(thai["title"]) == sorted(THAI_TITLES)
    assert set(thai["source"]) == {"register:thai_agency"}
    assert not default["title"].isin(THAI_TITLES).any()
    assert set(default["source"]) == {"kss"}
    assert len(everyone) == len(default) + len(thai)
    partners = kss.partners(processed=mixed_build, lang="en")
    assert not partners["activity_id"].isin(thai["activity_id"]).any()
    assert set(kss.partners(processed=mixed_build, lang="en", providers=["tha"])["activity_id"]) == set(
        thai["activity_id"]
    )


def test_aggregates_count_exactly_the_programmes_the_api_returns(mixed_build):
    api = kss.programmes(processed=mixed_build, lang="en")  # undated programmes too: the aggregates keep them
    expected = api.groupby(["sector_theme", "year"], dropna=False).size().rename("programmes").sort_index()
    aggregate = pd.read_parquet(mixed_build / "programmes_by_sector_year.parquet")
    aggregate = aggregate[aggregate["programmes"] > 0].set_index(["sector_theme", "year"])["programmes"]
    pd.testing.assert_series_equal(aggregate.sort_index().astype(int), expected.astype(int), check_names=False)


@pytest.fixture(scope="module")
def charts(mixed_build, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("charts")
    export_charts(mixed_build, out, ["en"], ["svg"], echo=lambda _: None)
    return out / "en"


def test_register_charts_show_the_apis_numbers_and_name_only_their_inputs(mixed_build, charts):
    api = kss.programmes(processed=mixed_build, lang="en")
    by_year = pd.read_csv(charts / "programmes_by_year.csv").groupby("year")["programmes"].sum()
    assert by_year.to_dict() == api.dropna(subset=["year"]).groupby("year").size().to_dict()
    by_sector = pd.read_csv(charts / "programmes_by_sector.csv").set_index("sector_theme")["programmes"]
    assert by_sector.to_dict() == api.groupby("sector_theme").size().to_dict()
    for sidecar in sorted(charts.glob("*.json")):
        inputs = json.loads(sidecar.read_text(encoding="utf-8"))["inputs"]
        assert not [path for path in inputs if "thai_agency" in path], sidecar.name
    for table in sorted(charts.glob("*.csv")):
        text = table.read_text(encoding="utf-8")
        assert not any(title in text for title in THAI_TITLES), table.name


def test_tables_export_lists_the_programmes_its_aggregates_count(mixed_build, tmp_path):
    export_tables(mixed_build, tmp_path, ["csv"], lang="en")
    exported = pd.read_csv(tmp_path / "programmes.csv")
    api = kss.programmes(processed=mixed_build, lang="en")
    assert set(exported.iloc[:, 0]) == set(api["activity_id"])
    aggregate = pd.read_csv(tmp_path / "programmes_by_sector_year.csv")
    counted = aggregate.filter(like="rogram").select_dtypes("number").iloc[:, 0].sum()
    assert counted == len(api)


def test_the_scope_rule_on_small_frames():
    """Edge cases: a missing source, a provider list with several codes, lower-case codes, 'all'."""
    acts = pd.DataFrame(
        {
            "source": ["kss", "register:mine", "register:thai", "tossd", None],
            "provider_iso3": ["IDN", "IDN", "THA", "IDN", "IDN"],
        }
    )
    assert scope.in_scope(acts).tolist() == [True, True, False, False, False]
    assert scope.in_scope(acts, "tha").tolist() == [False, False, True, False, False]
    assert scope.in_scope(acts, "all").tolist() == [True, True, True, False, False]
    several = pd.DataFrame({"source": ["kss", "kss"], "provider_iso3": ["BRA;IDN", "BRA;THA"]})
    assert scope.of_providers(several).tolist() == [True, False]
    inputs = {"kss/kss_programmes.csv": "a", "registers/thai.csv": "b", "registers/thai.profile.yml": "c"}
    assert scope.inputs_in_scope(inputs, acts.iloc[:2]) == {"kss/kss_programmes.csv": "a"}
    assert scope.inputs_in_scope(inputs, acts.iloc[2:3]) == {
        "registers/thai.csv": "b",
        "registers/thai.profile.yml": "c",
    }
