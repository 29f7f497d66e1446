"""Country names as Southern agencies write them, in Portuguese, Spanish and French.

A Brazilian or Mozambican export writes "Paraguai", "Casaquistão", "Territórios Palestinos";
a Latin American one "República Democrática del Congo"; a West African one "Afrique du Sud".
Everyday names come from the Unicode CLDR (Babel), official ones from ISO 3166 translations
(pycountry); a name that two countries share in those languages stays unknown.
"""

from __future__ import annotations

import pytest

from kss_analysis.core import reference
from kss_analysis.ingest.classify import classify_country

# Written out by hand from the countries' names, not read from the tables under test.
NAMES = {
    "Paraguai": "PRY",
    "Casaquistão": "KAZ",
    "Territórios Palestinos": "PSE",
    "Rep. Dem. do Congo": "COD",
    "Guiana": "GUY",  # Portuguese for Guyana, never French Guiana
    "Moçambique": "MOZ",
    "Costa do Marfim": "CIV",
    "República Democrática del Congo": "COD",
    "Emiratos Árabes Unidos": "ARE",
    "Afrique du Sud": "ZAF",
    "Birmanie": "MMR",
}


@pytest.mark.parametrize(("name", "iso3"), sorted(NAMES.items()))
def test_names_in_the_languages_of_southern_exports_resolve(name, iso3):
    assert classify_country(name) == iso3


def test_no_name_points_to_two_countries_across_the_tables():
    everyday, official, ours = (
        reference.cldr_country_names(),
        reference.translated_country_names(),
        reference.country_lookup(),
    )
    clashes = [
        (name, iso3, other[name])
        for name, iso3 in everyday.items()
        for other in (official, ours)
        if name in other and other[name] != iso3
    ]
    assert clashes == []


def test_a_name_meaning_two_countries_is_quarantined_with_both_candidates(tmp_path):
    """'Nigeri' is Niger in one language and Nigeria in another: never resolved to either."""
    from kss_analysis.ingest.readers import place_file

    path = tmp_path / "daftar.csv"
    path.write_text("Judul,Tahun,Negara Peserta\nPelatihan,2019,Nigeri\nLokakarya,2019,Paraguai\n", encoding="utf-8")
    tables = place_file(path, reader="register", source="register:daftar", file_label="daftar.csv")
    quarantined = tables.quarantine.set_index("reason_code")
    assert list(quarantined.index) == ["ambiguous_country"]
    assert "'Nigeri' (NER or NGA)" in quarantined.loc["ambiguous_country", "message"]
    assert tables.activities["title"].tolist() == ["Lokakarya"]
