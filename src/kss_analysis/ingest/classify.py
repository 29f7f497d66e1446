"""Place cleaned values in the project's classification schemes (DESIGN.md).

Countries -> ISO3 -> KSS region; free-text sector -> sector theme; modality -> code;
triangular partner -> cooperation type. What cannot be placed is reported, never guessed.
"""

from __future__ import annotations

from kss_analysis.core import reference
from kss_analysis.ingest.clean import CONJUNCTIONS, split_list


def classify_country(name: str) -> str | None:
    """ISO3 for a country name (English or Indonesian), ISO2 or ISO3 code, or a name in
    another language that pycountry's ISO 3166 translations or the CLDR's everyday names
    (Portuguese, Spanish, French) give one country; else None."""
    text = name.strip()
    if text in reference.iso_codes():
        return reference.iso_codes()[text]
    key = reference.normalise_name(text)
    return (
        reference.country_lookup().get(key)
        or reference.translated_country_names().get(key)
        or reference.cldr_country_names().get(key)
    )


def classify_country_list(text: object) -> tuple[list[str], list[str]]:
    """Split a partner-country cell and map each name; returns (ISO3 codes, unknown names).

    'Antigua and Barbuda' stays whole because the whole name is known; 'Kenya dan Mesir'
    is split on the conjunction because the whole is not.
    """
    found: list[str] = []
    unknown: list[str] = []
    for part in split_list(text):
        iso3 = classify_country(part)
        if iso3:
            found.append(iso3)
            continue
        pieces = CONJUNCTIONS.split(part)
        codes = [classify_country(p) for p in pieces]
        if len(pieces) > 1 and all(codes):
            found.extend(code for code in codes if code)  # all are, as just checked
        else:
            unknown.append(part)
    return list(dict.fromkeys(found)), unknown


def classify_region(iso3: str) -> str:
    return reference.countries()[iso3]["kss_region"]


def classify_region_names(text: object) -> tuple[list[str], list[str]]:
    """Map stated region names ('Afrika; Pasifik') to region codes; returns (codes, unknown)."""
    codes: list[str] = []
    unknown: list[str] = []
    for part in split_list(text):
        code = reference.region_lookup().get(reference.normalise_name(part))
        (codes if code else unknown).append(code or part)
    return list(dict.fromkeys(codes)), unknown


def classify_sector(text: str) -> tuple[str | None, list[str]]:
    """Primary sector theme and every theme named, from free text in English or Indonesian.

    The primary theme is the one named first in the text (registers list the main sector
    first). Returns (None, []) when no keyword matches.
    """
    normalised = reference.normalise_name(text)
    hits: list[tuple[int, int, str]] = []
    for pattern, keyword, theme in reference.sector_keywords():
        for match in pattern.finditer(normalised):
            hits.append((match.start(), -len(keyword), theme))
    if not hits:
        return None, []
    hits.sort()
    themes = list(dict.fromkeys(theme for _, _, theme in hits))
    return themes[0], themes


def classify_modality(text: str) -> str | None:
    return reference.alias_lookup("modalities").get(reference.normalise_name(text))


def classify_implementer_type(text: str) -> str | None:
    """Who ran a programme, as a code of reference/implementer_types.csv (EN or ID words)."""
    return reference.alias_lookup("implementer_types").get(reference.normalise_name(text))


def classify_cooperation_type(triangular_partner: str | None) -> str:
    """A named outside partner makes a programme triangular; otherwise South-South."""
    return "triangular" if triangular_partner else "south_south"


def classify_dac_sector(code: str) -> str | None:
    """Sector theme of a DAC purpose code (5 digits) or sector category (3 digits).

    A 5-digit code listed on its own wins; otherwise its 3-digit category decides.
    Returns None for a code the table does not know.
    """
    table = reference.dac_sector_themes()
    code = str(code).strip()
    if code in table:
        return table[code]
    if len(code) == 5 and code.isdigit():
        return table.get(code[:3])
    return None
