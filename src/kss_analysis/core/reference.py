"""Code lists and label catalogues shipped with the package (reference/*.csv).

Read once per process; every table is small. Joins use codes (ISO3, theme and region
codes); labels are for display only.

User overrides: the alias tables (OVERRIDABLE) can be extended without touching the
package, from files of the same name and columns under data/raw/reference/; a build
turns them on with ``use_overrides`` (user rows come after the package's, and a user
alias wins over a package alias of the same name). Country names in other languages
resolve through pycountry's ISO 3166 translations after our EN/ID tables; a translated
name shared by two countries is not used.
"""

from __future__ import annotations

import csv
import gettext
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from kss_analysis.core.config import REFERENCE_DIR
from kss_analysis.core.errors import InputError

OVERRIDABLE = ("country_aliases", "region_aliases", "sector_keywords", "modalities")
_overrides: dict[str, Path] = {}  # table name -> user file, set by use_overrides


@cache
def read_reference(name: str) -> tuple[dict[str, str], ...]:
    """The rows of the package's own reference/<name>.csv, read once per process (do not modify them)."""
    with open(REFERENCE_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def read_overrides(name: str) -> list[dict[str, str]]:
    """The user's rows for table ``name`` (none unless a build turned overrides on)."""
    path = _overrides.get(name)
    if path is None:
        return []
    with open(REFERENCE_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        expected = next(csv.reader(handle))
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if sorted(reader.fieldnames or []) != sorted(expected):
            raise InputError(str(path), f"columns must be {','.join(expected)} (as in the package table)")
        rows = [{k: (v or "").strip() for k, v in row.items()} for row in reader]
    for number, row in enumerate(rows, start=2):
        problem = _check_override_row(name, row)
        if problem:
            raise InputError(str(path), problem, locator=f"row {number}")
    return rows


def _check_override_row(name: str, row: dict[str, str]) -> str | None:
    """A user row must point at a code the package knows."""
    if name == "country_aliases" and row["iso3"] not in countries():
        return f"iso3 '{row['iso3']}' is not an ISO 3166 alpha-3 code in reference/countries.csv"
    if name == "region_aliases" and row["region"] not in labels("regions", "en"):
        return f"region '{row['region']}' is not one of {', '.join(labels('regions', 'en'))}"
    if name == "sector_keywords" and row["theme"] not in labels("sector_themes", "en"):
        return f"theme '{row['theme']}' is not one of {', '.join(labels('sector_themes', 'en'))}"
    if name == "modalities" and not (row["code"] and row["label_en"] and row["label_id"]):
        return "a modality needs code, label_en and label_id"
    return None


def use_overrides(folder: Path | None, skip: Iterable[str] = ()) -> dict[str, Path]:
    """Extend the alias tables with the user's files in ``folder`` (None turns them off);
    the tables named in ``skip`` are left out (a refused file).

    Returns table name -> file for the files found; caches are reset either way.
    """
    _overrides.clear()
    if folder is not None and folder.is_dir():
        names = [n for n in OVERRIDABLE if n not in set(skip)]
        _overrides.update({n: folder / f"{n}.csv" for n in names if (folder / f"{n}.csv").is_file()})
    for cached in (country_lookup, region_lookup, labels, sector_keywords, alias_lookup, ambiguous_country_names):
        cached.cache_clear()
    return dict(_overrides)


def _rows(name: str) -> list[dict[str, str]]:
    return [*read_reference(name), *read_overrides(name)]


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
        add(row["name_id"], iso3, "countries.csv")
    for row in read_reference("country_aliases"):
        add(row["alias"], row["iso3"], "country_aliases.csv")
    user: dict[str, str] = {}
    for row in read_overrides("country_aliases"):
        key = normalise_name(row["alias"])
        if user.get(key, row["iso3"]) != row["iso3"]:
            raise InputError(
                str(_overrides["country_aliases"]), f"'{row['alias']}' points to {user[key]} and {row['iso3']}"
            )
        user[key] = row["iso3"]
    return {**lookup, **user}


# Languages of the national lists the project reads (Portuguese: Brazil, Mozambique, Timor-Leste;
# Spanish: Latin American agencies; French: West and Central Africa) whose everyday country
# names, as the Unicode CLDR writes them ("Territórios palestinos", "Congo - Kinshasa"), resolve.
CLDR_LANGUAGES = ("pt", "pt_PT", "es", "es_419", "fr")


@cache
def cldr_country_names() -> dict[str, str]:
    """Normalised everyday country name in CLDR_LANGUAGES -> ISO3 (from Babel's copy of the Unicode CLDR).

    A name given to two countries in these languages is left out (never guessed)."""

    return {name: next(iter(codes)) for name, codes in _cldr_candidates().items() if len(codes) == 1}


@cache
def _cldr_candidates() -> dict[str, frozenset[str]]:
    from babel import Locale

    by_iso2 = {row["iso2"]: iso3 for iso3, row in countries().items() if row["iso2"]}
    found: dict[str, set[str]] = {}
    for language in CLDR_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if code in by_iso2:
                for variant in (name, name.replace(" - ", " ")):
                    found.setdefault(normalise_name(variant), set()).add(by_iso2[code])
    return {name: frozenset(codes) for name, codes in sorted(found.items()) if len(name) >= 4}


@cache
def ambiguous_country_names() -> dict[str, tuple[str, ...]]:
    """Normalised name -> the countries it names in different languages, for names that no
    table resolves to one country: such a name is quarantined (``ambiguous_country``) with its
    candidates, never resolved to either."""
    resolved = {**cldr_country_names(), **translated_country_names(), **country_lookup()}
    out: dict[str, set[str]] = {}
    for candidates in (_cldr_candidates(), _translation_candidates()):
        for name, codes in candidates.items():
            if len(codes) > 1 and name not in resolved:
                out.setdefault(name, set()).update(codes)
    return {name: tuple(sorted(codes)) for name, codes in sorted(out.items())}


@cache
def translated_country_names() -> dict[str, str]:
    """Normalised country name in any language pycountry translates -> ISO3.

    Names that translate to two different countries in some languages are left out, so
    they stay unknown (quarantined) rather than guessed.
    """
    return {name: next(iter(codes)) for name, codes in _translation_candidates().items() if len(codes) == 1}


@cache
def _translation_candidates() -> dict[str, frozenset[str]]:
    import pycountry

    found: dict[str, set[str]] = {}
    known = countries()
    for mo in sorted(Path(pycountry.LOCALES_DIR).glob("*/LC_MESSAGES/iso3166-1.mo")):
        with open(mo, "rb") as handle:
            translation = gettext.GNUTranslations(handle)
        for country in pycountry.countries:
            if country.alpha_3 not in known:
                continue
            for attr in ("name", "official_name", "common_name"):
                english = getattr(country, attr, None)
                if english:
                    found.setdefault(normalise_name(translation.gettext(english)), set()).add(country.alpha_3)
    # Very short "names" are translation slips (single letters), not names.
    return {name: frozenset(codes) for name, codes in sorted(found.items()) if len(name) >= 4}


@cache
def iso_codes() -> dict[str, str]:
    """Exact upper-case ISO2 and ISO3 codes -> ISO3 ('NA' is Namibia, not a missing value)."""
    codes = {iso3: iso3 for iso3 in countries()}
    codes.update({row["iso2"]: iso3 for iso3, row in countries().items() if row["iso2"]})
    return codes


@cache
def region_lookup() -> dict[str, str]:
    table = {normalise_name(row["alias"]): row["region"] for row in _rows("region_aliases")}
    for row in read_reference("regions"):  # the code and the package's own labels read back as the code
        table.update({normalise_name(row[column]): row["code"] for column in ("code", "label_en", "label_id")})
    return table


@cache
def labels(table: str, lang: str) -> dict[str, str]:
    """Code -> display label in 'en' or 'id' for a code table (regions, sector_themes, modalities ...)."""
    rows = _rows(table) if table in OVERRIDABLE else read_reference(table)
    return {row["code"]: row[f"label_{lang}"] for row in rows}


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
    rows = _rows("sector_keywords")
    return [
        (re.compile(rf"\b{re.escape(normalise_name(r['keyword']))}(?:s|es)?\b"), r["keyword"], r["theme"]) for r in rows
    ]


@cache
def alias_lookup(name: str) -> dict[str, str]:
    """Normalised code, label (English or Indonesian) or alias -> code, for a code table with
    an ``aliases`` column: the package's own labels always read back as their code."""
    table: dict[str, str] = {}
    for row in _rows(name):
        for written in (row["code"], row["label_en"], row["label_id"], *row["aliases"].split(";")):
            table[normalise_name(written)] = row["code"]
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
