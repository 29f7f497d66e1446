"""Organisations named as partners or channels, resolved through one reference table.

reference/organisations.csv has one row per organisation (id, full and short names in
English and Indonesian, type, country); reference/organisation_aliases.csv maps other
spellings found in registers ('IsDB', 'UNFPA Indonesia') to an id. A name matches its
organisation when it equals, ignoring case, accents and punctuation, one of the
organisation's names or aliases. A name that matches none is shown as written: never
guessed from a part of it. A cell naming several organisations separates them with ';'
(outside brackets). Triangular partners, channels (the organisation that delivers the aid)
and IATI funders all go through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from kss_analysis.core import reference
from kss_analysis.core.labels import label

NAME_COLUMNS = ("name_en", "name_id", "short_en", "short_id")
SEPARATOR = ";"
TRAILING_ACRONYM = re.compile(r"\s*\([^()]*\)\s*$")


@cache
def organisations() -> dict[str, dict[str, str]]:
    """id -> organisation record."""
    return {row["id"]: row for row in reference.read_reference("organisations")}


@cache
def lookup() -> dict[str, str]:
    """Normalised name or alias -> organisation id. Raises if one name points to two organisations."""
    found: dict[str, str] = {}

    def add(name: str, organisation: str, origin: str) -> None:
        key = reference.normalise_name(name)
        if not key:
            return
        if found.get(key, organisation) != organisation:
            raise ValueError(f"reference/{origin}: '{name}' names {found[key]} and {organisation}")
        found[key] = organisation

    for organisation, row in organisations().items():
        for column in NAME_COLUMNS:
            add(row[column], organisation, "organisations.csv")
            # "World Health Organization (WHO)" is also written without its acronym
            add(TRAILING_ACRONYM.sub("", row[column]), organisation, "organisations.csv")
    for row in reference.read_reference("organisation_aliases"):
        if row["organisation"] not in organisations():
            raise ValueError(
                f"reference/organisation_aliases.csv: '{row['alias']}' names unknown {row['organisation']}"
            )
        add(row["alias"], row["organisation"], "organisation_aliases.csv")
    return found


def split_names(cell: object) -> list[str]:
    """'Japan; UN ESCAP' -> ['Japan', 'UN ESCAP']; empty parts and missing cells give none.

    A ';' inside brackets belongs to the name it qualifies ('Norway (embassy; Jakarta)')."""
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return []
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in str(cell):
        depth += (char in "([{") - (char in ")]}")
        if char == SEPARATOR and depth <= 0:
            parts.append("".join(current))
            current, depth = [], 0
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def resolve(name: str) -> str | None:
    """The id of the organisation ``name`` names, or None when the table does not know it."""
    return lookup().get(reference.normalise_name(name))


def display_name(key: str, lang: str) -> str:
    """The short name of an organisation id in ``lang``; anything else as written (a country
    name in the chart's language, as elsewhere)."""
    row = organisations().get(key)
    return row[f"short_{lang}"] if row else label("triangular_partner", key, lang)


def names_of(key: object, written: str, lang: str) -> str:
    """The name shown for one name as written: its organisation's short name in ``lang``, else as
    written (a country named as a partner in the chart's language)."""
    return display_name(key if isinstance(key, str) and key else written, lang)


def named_organisations(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per programme x name written in ``column`` of ``rows``: activity_id,
    name_as_written, organisation (its id, or None when the table does not know the name).

    A cell naming two organisations gives two rows; the order is the rows' and the cell's."""
    pairs = [
        (activity, name, resolve(name))
        for activity, cell in zip(rows["activity_id"], rows[column], strict=True)
        for name in split_names(cell)
    ]
    return pd.DataFrame(pairs, columns=["activity_id", "name_as_written", "organisation"])


def joined_names(cell: object, lang: str) -> str | None:
    """'UNRWA; Egyptian Red Crescent (North Sinai)' -> 'UNRWA; Bulan Sabit Merah Mesir' (id): each
    name of a cell as its organisation's short name in ``lang`` (unknown ones as written), once."""
    names = [names_of(resolve(name), name, lang) for name in split_names(cell)]
    return "; ".join(dict.fromkeys(names)) or None


def partner_counts(rows: pd.DataFrame, column: str, lang: str) -> pd.DataFrame:
    """Programmes per organisation named in ``column`` of ``rows`` (one row per programme).

    Columns: ``column`` (organisation id, or the name as written when unknown), its label in
    ``lang``, programmes, and the names as written that were counted there. A programme
    naming several organisations counts once for each; one naming the same organisation
    twice counts once. Largest first, then by name.
    """
    pairs = [
        (activity, name, resolve(name) or name)
        for activity, cell in zip(rows["activity_id"], rows[column], strict=True)
        for name in split_names(cell)
    ]
    named = pd.DataFrame(pairs, columns=["activity_id", "written", column])
    counts = (
        named.groupby(column, sort=True)
        .agg(programmes=("activity_id", "nunique"), names_as_written=("written", lambda s: "; ".join(sorted(set(s)))))
        .reset_index()
    )
    counts.insert(1, f"{column}_label", [display_name(key, lang) for key in counts[column]])
    order = counts.assign(_name=counts[f"{column}_label"].str.casefold())
    order = order.sort_values(["programmes", "_name", column], ascending=[False, True, True], kind="stable")
    return order.drop(columns="_name").reset_index(drop=True)


# --- funders ---------------------------------------------------------------------------------

MULTILATERAL_TYPES = frozenset({"un_system", "multilateral_bank", "intergovernmental"})
GOVERNMENT_OF = re.compile(r"^(?:government of (?:the )?|embassy of (?:the )?)")
MIN_COUNTRY_WORD = 4  # shorter names (Chad aside) are too often parts of other words or acronyms


@dataclass(frozen=True)
class Funder:
    """A funding organisation as a source names it, resolved (or not) through the organisation table.

    ``country_iso3``: the country whose government funds (bilateral), or None for a
    multilateral, a foundation, an NGO or an unknown name. ``inferred``: the country was read
    from a country's name or adjective inside the name ("Export-Import Bank of China"), not
    from the table.
    """

    written: str
    organisation: str | None = None
    country_iso3: str | None = None
    type: str | None = None
    inferred: bool = False

    @property
    def known(self) -> bool:
        return self.country_iso3 is not None or self.type is not None

    @property
    def multilateral(self) -> bool:
        return self.country_iso3 is None and self.type in MULTILATERAL_TYPES


@cache
def _country_words() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(whole-word pattern, ISO3) for every country's English name, English aliases and adjective."""
    words = [(reference.normalise_name(r["name_en"]), iso3) for iso3, r in reference.countries().items()]
    aliases = reference.read_reference("country_aliases")
    words += [(reference.normalise_name(r["alias"]), r["iso3"]) for r in aliases if r["lang"] == "en"]
    adjectives = reference.read_reference("country_adjectives")
    words += [(reference.normalise_name(r["adjective"]), r["iso3"]) for r in adjectives]
    return tuple((re.compile(rf"\b{re.escape(word)}\b"), iso3) for word, iso3 in words if len(word) >= MIN_COUNTRY_WORD)


@cache
def resolve_funder(name: str) -> Funder:
    """The organisation table first; then a government named as a country ("Portugal",
    "Government of Spain"); then one country named or described inside the name (inferred);
    else unknown. A name pointing at two countries ("Papua New Guinea" holds "Guinea") stays
    unknown: never guessed."""
    key = reference.normalise_name(name)
    if organisation := lookup().get(key):
        row = organisations()[organisation]
        return Funder(name, organisation, row["country_iso3"] or None, row["type"] or None)
    countries = reference.country_lookup()
    if iso3 := countries.get(GOVERNMENT_OF.sub("", key)):
        return Funder(name, None, iso3, "government")
    spans = [(m.start(), m.end(), iso3) for pattern, iso3 in _country_words() for m in pattern.finditer(key)]
    # a name inside a longer one ("Guinea" in "Papua New Guinea") is not a second country
    found = {
        iso3
        for start, end, iso3 in spans
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
    }
    if len(found) == 1:
        return Funder(name, None, found.pop(), "government", inferred=True)
    return Funder(name)
