"""Code lists and label catalogues shipped with the package (reference/*.csv).

Read once per process; every table is small. Joins use codes (ISO3, theme and region
codes); labels are for display only.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache

from kss_analysis.config import REFERENCE_DIR


@cache
def read_reference(name: str) -> tuple[dict[str, str], ...]:
    """The rows of reference/<name>.csv, read once per process (do not modify them)."""
    with open(REFERENCE_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def normalise_name(text: str) -> str:
    """Compare names without case, accents or punctuation: "Côte d'Ivoire" -> 'cote d ivoire'."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.sub(r"[^0-9a-z]+", " ", ascii_text.casefold()).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@cache
def countries() -> dict[str, dict[str, str]]:
    """ISO3 -> country record (names, ISO2, UN M49 subregion, DAC code, KSS region)."""
    return {row["iso3"]: row for row in read_reference("countries")}


@cache
def country_lookup() -> dict[str, str]:
    """Normalised name, ISO2 or ISO3 -> ISO3. Raises if two entries disagree."""
    lookup: dict[str, str] = {}

    def add(key: str, iso3: str, origin: str) -> None:
        key = normalise_name(key)
        if lookup.get(key, iso3) != iso3:
            raise ValueError(f"reference/{origin}: '{key}' points to {lookup[key]} and {iso3}")
        lookup[key] = iso3

    for iso3, row in countries().items():
        add(row["name_en"], iso3, "countries.csv")
        add(row["name_official"], iso3, "countries.csv")
    for row in read_reference("country_aliases"):
        add(row["alias"], row["iso3"], "country_aliases.csv")
    return lookup


@cache
def iso_codes() -> dict[str, str]:
    """Exact upper-case ISO2 and ISO3 codes -> ISO3 ('NA' is Namibia, not a missing value)."""
    codes = {iso3: iso3 for iso3 in countries()}
    codes.update({row["iso2"]: iso3 for iso3, row in countries().items() if row["iso2"]})
    return codes


@cache
def region_lookup() -> dict[str, str]:
    table = {normalise_name(row["alias"]): row["region"] for row in read_reference("region_aliases")}
    table.update({normalise_name(row["code"]): row["code"] for row in read_reference("regions")})
    return table


@cache
def labels(table: str, lang: str) -> dict[str, str]:
    """Code -> display label in 'en' or 'id' for a code table (regions, sector_themes, modalities ...)."""
    return {row["code"]: row[f"label_{lang}"] for row in read_reference(table)}


@cache
def colours(table: str) -> dict[str, str]:
    """Code -> chart colour from a code table's ``colour`` column, in the table's order."""
    rows = read_reference(table)
    if missing := [row["code"] for row in rows if not row.get("colour")]:
        raise ValueError(f"reference/{table}.csv: no colour for {', '.join(missing)}")
    return {row["code"]: row["colour"] for row in rows}


@cache
def aiddata_donors() -> dict[str, str]:
    """Lower-case AidData donor name -> ISO3."""
    return {row["donor"]: row["iso3"] for row in read_reference("aiddata_donors")}


@cache
def collaboration_types() -> dict[str, str | None]:
    """DAC/IATI collaboration-type (Bi_Multi) code -> cooperation type; None where the provider decides."""
    return {row["code"]: row["cooperation_type"] or None for row in read_reference("collaboration_types")}


@cache
def codes(table: str) -> frozenset[str]:
    """The codes of a code table (regions, sector_themes, modalities, cooperation_types)."""
    return frozenset(row["code"] for row in read_reference(table))


@cache
def currency_aliases() -> dict[str, str]:
    """Lower-case currency word or symbol ('rp', 'us$', 'rupiah') -> ISO 4217 code."""
    return {row["alias"]: row["currency"] for row in read_reference("currency_aliases")}


@cache
def sector_keywords() -> list[tuple[re.Pattern[str], str, str]]:
    """(pattern, keyword, theme); a keyword matches whole words, plural 's' allowed."""
    rows = read_reference("sector_keywords")
    return [
        (re.compile(rf"\b{re.escape(normalise_name(r['keyword']))}(?:s|es)?\b"), r["keyword"], r["theme"]) for r in rows
    ]


@cache
def modality_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for row in read_reference("modalities"):
        table[normalise_name(row["code"])] = row["code"]
        for alias in row["aliases"].split(";"):
            table[normalise_name(alias)] = row["code"]
    return table


@cache
def dac_sector_themes() -> dict[str, str]:
    """DAC sector category (3 digits) or purpose code (5 digits) -> sector theme."""
    return {row["code"]: row["theme"] for row in read_reference("dac_sector_themes")}


@cache
def dac_region_codes() -> dict[str, str]:
    """DAC/IATI recipient-region code (e.g. 298 Africa, regional) -> KSS region."""
    return {row["code"]: row["region"] for row in read_reference("dac_region_codes")}


@cache
def dac_donor_codes() -> frozenset[str]:
    """CRS donor codes of OECD DAC members (those the pinned code list gives)."""
    return frozenset(row["crs_donor_code"] for row in read_reference("dac_members") if row["crs_donor_code"])


@cache
def dac_members() -> frozenset[str]:
    """ISO3 of OECD DAC members (for classifying North-South flows)."""
    return frozenset(row["iso3"] for row in read_reference("dac_members"))
