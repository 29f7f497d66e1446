"""Countries, regions, sector themes and modalities: what maps, and what is refused."""

import pytest

from kss_analysis.core import reference
from kss_analysis.ingest.classify import (
    classify_cooperation_type,
    classify_country,
    classify_country_list,
    classify_modality,
    classify_region,
    classify_region_names,
    classify_sector,
)


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Mesir", "EGY"),
        ("Afrika Selatan", "ZAF"),
        ("Pantai Gading", "CIV"),
        ("Timor Leste", "TLS"),
        ("Timor-Leste", "TLS"),
        ("Papua Nugini", "PNG"),
        ("Viet Nam", "VNM"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("NA", "NAM"),  # ISO2 of Namibia is data, not a missing value
        ("ID", "IDN"),
        ("PNG", "PNG"),
        ("the Gambia", "GMB"),
        ("Palestina", "PSE"),
        ("Kepulauan Solomon", "SLB"),
    ],
)
def test_country_names_in_english_indonesian_and_codes(name, iso3):
    assert classify_country(name) == iso3


def test_unknown_country_is_reported_not_guessed():
    found, unknown = classify_country_list("Kenya; Atlantis; Fiji")
    assert found == ["KEN", "FJI"]
    assert unknown == ["Atlantis"]


def test_conjunctions_split_only_when_the_whole_name_is_unknown():
    assert classify_country_list("Antigua and Barbuda; Trinidad dan Tobago")[0] == ["ATG", "TTO"]
    assert classify_country_list("Kenya dan Mesir")[0] == ["KEN", "EGY"]
    assert classify_country_list("Fiji and Atlantis")[1] == ["Fiji and Atlantis"]


def test_lower_case_iso2_is_not_taken_as_a_code():
    # 'na' in running text must not become Namibia
    assert classify_country("na") is None


@pytest.mark.parametrize(
    ("iso3", "region"),
    [
        ("PSE", "middle_east"),
        ("TUR", "middle_east"),
        ("FJI", "pacific"),
        ("PNG", "pacific"),
        ("EGY", "africa"),
        ("SUR", "latin_america_caribbean"),
        ("TLS", "asia"),
        ("ARM", "asia"),
        ("CYP", "europe"),
    ],
)
def test_regions_follow_un_m49_with_documented_overrides(iso3, region):
    assert classify_region(iso3) == region


def test_every_country_has_a_known_region():
    codes = {row["code"] for row in reference.read_reference("regions")}
    assert {c["kss_region"] for c in reference.countries().values()} <= codes


def test_region_names_in_both_languages():
    assert classify_region_names("Afrika; Pasifik") == (["africa", "pacific"], [])
    assert classify_region_names("Atlantis")[1] == ["Atlantis"]


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("agriculture (rice cultivation)", "agriculture_food"),
        ("pertanian", "agriculture_food"),
        ("budidaya ikan air tawar", "fisheries_marine"),
        ("fisheries (seaweed processing); SMEs", "fisheries_marine"),
        ("health infrastructure", "health_population"),
        ("keluarga berencana", "health_population"),
        ("beasiswa", "education_scholarships"),
        ("microfinance", "economy"),
        ("UMKM", "economy"),
        ("disaster relief; health", "disaster_humanitarian"),
        ("bantuan kemanusiaan", "disaster_humanitarian"),
        ("diplomacy", "governance_diplomacy"),
        ("tourism (ecotourism)", "tourism_culture"),
    ],
)
def test_sector_theme_is_the_first_theme_named(text, theme):
    assert classify_sector(text)[0] == theme


def test_unknown_sector_gives_none_never_other():
    assert classify_sector("astrology") == (None, [])


def test_sector_keeps_every_theme_named():
    assert classify_sector("disaster management; waste management")[1] == [
        "disaster_humanitarian",
        "environment_climate",
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("pelatihan", "training"),
        ("Training", "training"),
        ("lokakarya", "seminar_workshop"),
        ("magang", "internship"),
        ("hibah", "grant"),
        ("humanitarian aid", "humanitarian_aid"),
        ("beasiswa", "scholarship"),
    ],
)
def test_modalities_in_both_languages(text, code):
    assert classify_modality(text) == code


def test_unknown_modality_is_none():
    assert classify_modality("telepathy") is None


def test_a_named_partner_makes_a_programme_triangular():
    assert classify_cooperation_type("JICA") == "triangular"
    assert classify_cooperation_type(None) == "south_south"


def test_alias_table_conflicts_are_refused(monkeypatch):
    original = reference.read_reference

    def with_conflict(name):
        rows = original(name)
        if name == "country_aliases":
            rows = (*rows, {"alias": "Mesir", "iso3": "KEN", "lang": "id", "note": "wrong on purpose"})
        return rows

    monkeypatch.setattr(reference, "read_reference", with_conflict)
    reference.country_lookup.cache_clear()
    try:
        with pytest.raises(ValueError, match="mesir"):
            reference.country_lookup()
    finally:
        monkeypatch.undo()
        reference.country_lookup.cache_clear()
