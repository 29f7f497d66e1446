"""reference/countries.csv against official lists.

- ISO 3166-1 codes (alpha-3, alpha-2, numeric) and English names against pycountry, with
  the exceptions written out below, each with its reason.
- DAC/CRS country codes against the OECD DAC/CRS code lists: the pinned copy of the
  dac-crs-codes source (recipients.csv, dac_members.csv, non_dac_donors.csv) when
  KSS_MIRROR is set, and always against an excerpt of those lists written out here.
- The recipients that are in TOSSD but not on the DAC List of ODA Recipients carry their
  codes, with the source named in ``dac_note``.
- No code belongs to two rows, and no name of one country is another country's name in
  another language (a name shared across languages must not resolve silently).
"""

from __future__ import annotations

import csv
import gettext
from collections import Counter
from functools import cache
from pathlib import Path

import pycountry
import pytest

from kss_analysis.core import reference
from kss_analysis.core.reference import normalise_name
from tests.conftest import mirror_dir

ROWS = reference.countries()

# Rows whose ISO3 pycountry does not have: ISO3 -> reason.
NOT_IN_ISO = {
    "XKX": "Kosovo: XK/XKX are user-assigned codes (EU, IMF, World Bank; DAC code 57), not ISO 3166-1; "
    "412 is the numeric code those users give it, not a UN M49 code",
}

# English display names (name_en) that are not one of pycountry's name, official_name or
# common_name: ISO3 -> (name_en, reason). Labels in charts and exports use these.
DISPLAY_NAMES = {
    "BES": ("Bonaire, Saint Eustatius and Saba", "English 'Saint' for ISO's Dutch 'Sint'"),
    "BLM": ("St. Barths", "common short form; ISO: Saint Barthélemy"),
    "COD": ("DR Congo", "short form that keeps the two Congos apart; ISO: Congo, The Democratic Republic of the"),
    "COG": ("Congo Republic", "short form that keeps the two Congos apart; ISO: Congo"),
    "FLK": ("Falkland Islands", "ISO adds '(Malvinas)'"),
    "FSM": ("Micronesia, Fed. Sts.", "World Bank short form; ISO: Micronesia, Federated States of"),
    "HMD": ("Heard and McDonald Islands", "short form; ISO: Heard Island and McDonald Islands"),
    "KNA": ("St. Kitts and Nevis", "World Bank 'St.' form; ISO: Saint Kitts and Nevis"),
    "LCA": ("St. Lucia", "World Bank 'St.' form; ISO: Saint Lucia"),
    "MAC": ("Macau", "English spelling; ISO: Macao"),
    "MAF": ("Saint-Martin", "ISO adds '(French part)'"),
    "PSE": ("Palestine", "ISO: Palestine, State of"),
    "RUS": ("Russia", "common short form; ISO: Russian Federation"),
    "SGS": ("South Georgia and South Sandwich Is.", "World Bank short form; ISO: South Georgia and the ..."),
    "SHN": ("St. Helena", "World Bank short form; ISO: Saint Helena, Ascension and Tristan da Cunha"),
    "SJM": ("Svalbard and Jan Mayen Islands", "UN M49 form; ISO: Svalbard and Jan Mayen"),
    "SPM": ("St. Pierre and Miquelon", "World Bank 'St.' form; ISO: Saint Pierre and Miquelon"),
    "SXM": ("Sint Maarten", "ISO adds '(Dutch part)'"),
    "VAT": ("Vatican", "common short form; ISO: Holy See (Vatican City State)"),
    "VCT": ("St. Vincent and the Grenadines", "World Bank 'St.' form; ISO: Saint Vincent and the Grenadines"),
    "VIR": ("United States Virgin Islands", "ISO: Virgin Islands, U.S."),
    "WLF": ("Wallis and Futuna Islands", "UN M49 form; ISO: Wallis and Futuna"),
}

# A name in our tables that pycountry's translations give to another country in one
# language, where the translation is a slip, not a name in use: normalised name ->
# (other ISO3, reason). Anything else shared across languages must not be in our tables.
TRANSLATION_SLIPS = {
    "mexico": ("MYS", "Guarani (gn) file translates 'Malaysia' as 'Mexico'"),
    "samoa": ("ASM", "Faroese (fo) file gives 'Sámoa' for American Samoa; Samoa is WSM in ISO and DAC"),
}

# Excerpt of the OECD DAC/CRS code lists (source dac-crs-codes, commit 2c6b56c:
# recipients.csv unless marked; names as written there): code -> (name, ISO3).
DAC_EXCERPT = {
    "738": ("Indonesia", "IDN"),
    "880": ("Samoa", "WSM"),
    "725": ("Brunei Darussalam", "BRN"),
    "434": ("Chile", "CHL"),
    "831": ("Cook Islands", "COK"),
    "270": ("Seychelles", "SYC"),
    "460": ("Uruguay", "URY"),
    "328": ("Bahamas", "BHS"),
    "329": ("Barbados", "BRB"),
    "375": ("Trinidad and Tobago", "TTO"),
    "382": ("Saint Kitts and Nevis", "KNA"),
    "275": ("Namibia", "NAM"),  # 275 is Palestine in UN M49
    "550": ("West Bank and Gaza Strip", "PSE"),
    "446": ("Guyana", "GUY"),
    "730": ("China (People's Republic of)", "CHN"),
    "765": ("Timor-Leste", "TLS"),
    "860": ("Micronesia", "FSM"),
    "57": ("Kosovo", "XKX"),
    "302": ("United States", "USA"),  # dac_members.csv
    "701": ("Japan", "JPN"),  # dac_members.csv
}

# Recipients in the published TOSSD files that are not on the DAC List of ODA Recipients
# (income group MADCTs in the DAC/CRS recipient code list; Cook Islands UMICs in that
# vintage): ISO3 -> DAC code. Their rows were quarantined before.
TOSSD_RECIPIENTS = {
    "BRN": "725",
    "CHL": "434",
    "COK": "831",
    "SYC": "270",
    "URY": "460",
    "BHS": "328",
    "BRB": "329",
    "TTO": "375",
    "KNA": "382",
}

# DAC/CRS names that pycountry does not look up: name -> ISO3.
DAC_NAMES = {
    "Turkey": "TUR",
    "Kosovo": "XKX",
    "Democratic Republic of the Congo": "COD",
    "Saint Helena": "SHN",
    "West Bank and Gaza Strip": "PSE",
    "China (People's Republic of)": "CHN",
    "Chinese Taipei": "TWN",
    "Hong Kong (China)": "HKG",
    "Korea": "KOR",
    "Macau (China)": "MAC",
    "Micronesia": "FSM",
    "Russia": "RUS",
}

# Country-level codes of the DAC/CRS recipient list that countries.csv does not carry yet
# (rows with them are quarantined as unknown_country): code -> ISO3. Adding one to
# countries.csv means taking it off this list.
NOT_CARRIED = {
    "35": "GIB",
    "258": "MYT",
    "331": "BMU",
    "361": None,  # Netherlands Antilles, dissolved in 2010: no ISO 3166-1 code
    "373": "ABW",
    "376": "AIA",
    "386": "CYM",
    "387": "TCA",
    "388": "VGB",
    "443": "FLK",
    "530": "BHR",
    "558": "OMN",
    "735": "HKG",
    "748": "MAC",
    "761": "SGP",
    "840": "PYF",
    "850": "NCL",
    "858": "MNP",
}


def iso_names(country) -> set[str]:
    return {
        normalise_name(getattr(country, a)) for a in ("name", "official_name", "common_name") if hasattr(country, a)
    }


def dac_iso3(name: str) -> str:
    if name in DAC_NAMES:
        return DAC_NAMES[name]
    return pycountry.countries.lookup(name).alpha_3


# ISO 3166 through pycountry -------------------------------------------------------------


def test_iso_codes_match_pycountry():
    wrong = []
    for iso3, row in ROWS.items():
        if iso3 in NOT_IN_ISO:
            continue
        country = pycountry.countries.get(alpha_3=iso3)
        if country is None:
            wrong.append(f"{iso3}: not an ISO 3166-1 alpha-3 code")
            continue
        if row["iso2"] != country.alpha_2:
            wrong.append(f"{iso3}: iso2 {row['iso2']}, ISO {country.alpha_2}")
        if row["un_m49_code"].zfill(3) != country.numeric:
            wrong.append(f"{iso3}: numeric {row['un_m49_code']}, ISO {country.numeric}")
    assert wrong == []


def test_every_iso_country_has_a_row_and_the_exceptions_are_not_iso():
    assert {c.alpha_3 for c in pycountry.countries} - set(ROWS) == set()
    for iso3 in NOT_IN_ISO:
        assert iso3 in ROWS and pycountry.countries.get(alpha_3=iso3) is None
    assert (ROWS["XKX"]["iso2"], ROWS["XKX"]["dac_code"]) == ("XK", "57")


def test_english_names_match_pycountry_or_are_listed():
    unlisted = [
        f"{iso3}: '{row['name_en']}' (ISO: {pycountry.countries.get(alpha_3=iso3).name})"
        for iso3, row in ROWS.items()
        if iso3 not in NOT_IN_ISO
        and iso3 not in DISPLAY_NAMES
        and normalise_name(row["name_en"]) not in iso_names(pycountry.countries.get(alpha_3=iso3))
    ]
    assert unlisted == []
    for iso3, (name, _reason) in DISPLAY_NAMES.items():
        assert ROWS[iso3]["name_en"] == name, f"{iso3}: the table changed, review DISPLAY_NAMES"
        assert normalise_name(name) not in iso_names(pycountry.countries.get(alpha_3=iso3)), f"{iso3}: no longer needed"


@cache
def translations() -> dict[str, dict[str, set[str]]]:
    """Normalised name in any language pycountry translates -> ISO3 -> languages."""
    found: dict[str, dict[str, set[str]]] = {}
    for mo in sorted(Path(pycountry.LOCALES_DIR).glob("*/LC_MESSAGES/iso3166-1.mo")):
        with open(mo, "rb") as handle:
            translation = gettext.GNUTranslations(handle)
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                if hasattr(country, attr):
                    name = normalise_name(translation.gettext(getattr(country, attr)))
                    found.setdefault(name, {}).setdefault(country.alpha_3, set()).add(mo.parts[-3])
    return found


def test_no_name_in_our_tables_is_another_country_in_another_language():
    """'Guiana' (Portuguese and Galician for Guyana) was French Guiana's name_official."""
    shared = {}
    for name, iso3 in reference.country_lookup().items():
        slip = TRANSLATION_SLIPS.get(name, ("",))[0]
        others = {o: sorted(langs) for o, langs in translations().get(name, {}).items() if o not in (iso3, slip)}
        if others:
            shared[name] = (iso3, others)
    assert shared == {}
    for name, (other, _reason) in TRANSLATION_SLIPS.items():
        assert other in translations()[name], f"'{name}': no longer needed"


def test_guiana_is_not_french_guiana():
    from kss_analysis.ingest.classify import classify_country

    assert "guiana" not in reference.country_lookup()
    assert ROWS["GUF"]["name_official"] == "French Guiana"
    assert classify_country("Guiana") != "GUF"
    assert classify_country("French Guiana") == "GUF"


# Codes that must be unique -------------------------------------------------------------


@pytest.mark.parametrize("column", ["iso3", "iso2", "un_m49_code", "dac_code"])
def test_no_code_belongs_to_two_rows(column):
    rows = reference.read_reference("countries")
    counts = Counter(row[column] for row in rows if row[column])
    assert [code for code, n in counts.items() if n > 1] == []


# DAC/CRS codes -------------------------------------------------------------------------


def test_dac_codes_match_the_written_out_excerpt_of_the_official_list():
    for code, (name, iso3) in DAC_EXCERPT.items():
        assert ROWS[iso3]["dac_code"] == code, f"{name}: {iso3} should carry DAC code {code}"
    assert ROWS["ASM"]["dac_code"] == "", "American Samoa is not in the DAC/CRS recipient list; 880 is Samoa"
    assert ROWS["WSM"]["dac_code"] == "880"


def test_tossd_recipients_carry_their_codes_with_the_source():
    from kss_analysis.ingest.tossd.rows import dac_code_iso3

    for iso3, code in TOSSD_RECIPIENTS.items():
        assert ROWS[iso3]["dac_code"] == code
        assert "DAC/CRS recipient code list" in ROWS[iso3]["dac_note"]
        assert dac_code_iso3()[code] == iso3  # a TOSSD or CRS row with this code lands here
    assert dac_code_iso3()["880"] == "WSM"


def read_official(name: str) -> dict[str, str]:
    """code -> English name from the pinned DAC/CRS code list ``name`` (skips without the mirror)."""
    folder = mirror_dir()
    if folder is None or not (folder / "dac-crs-codes" / name).is_file():
        pytest.skip("needs KSS_MIRROR (the offline mirror with dac-crs-codes/recipients.csv)")
    with open(folder / "dac-crs-codes" / name, encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name_en"] for row in csv.DictReader(handle)}


def test_dac_codes_match_the_official_lists():
    """Every dac_code is a recipient (recipients.csv) or provider (dac_members.csv,
    non_dac_donors.csv) code whose official name is the same country."""
    official: dict[str, set[str]] = {}
    for name in ("recipients.csv", "dac_members.csv", "non_dac_donors.csv"):
        for code, country in read_official(name).items():
            official.setdefault(code, set()).add(country)
    wrong = []
    for iso3, row in ROWS.items():
        code = row["dac_code"]
        if not code:
            continue
        if code not in official:
            wrong.append(f"{iso3}: {code} is in no DAC/CRS code list")
        elif {dac_iso3(name) for name in official[code]} != {iso3}:
            wrong.append(f"{iso3}: {code} is {sorted(official[code])} in the official lists")
    assert wrong == []


def test_written_out_lists_agree_with_the_official_lists():
    recipients = read_official("recipients.csv")
    members = read_official("dac_members.csv")
    for code, (name, iso3) in DAC_EXCERPT.items():
        assert recipients.get(code, members.get(code)) == name
        assert dac_iso3(name) == iso3
    for iso3, code in TOSSD_RECIPIENTS.items():
        assert dac_iso3(recipients[code]) == iso3
    assert "American Samoa" not in recipients.values()


def test_every_country_code_of_the_recipient_list_is_carried_or_listed():
    """A country-level recipient code (not 'regional' or 'unspecified') is in countries.csv or in NOT_CARRIED."""
    carried = {row["dac_code"] for row in ROWS.values()}
    missing = {}
    for code, name in read_official("recipients.csv").items():
        if "regional" in name or "unspecified" in name or code in carried:
            continue
        missing[code] = None if name == "Netherlands Antilles" else dac_iso3(name)
    assert missing == NOT_CARRIED
