"""Organisations named as partners, resolved through one reference table.

reference/organisations.csv has one row per organisation (id, full and short names in
English and Indonesian, type, country); reference/organisation_aliases.csv maps other
spellings found in registers ('IsDB', 'UNFPA Indonesia') to an id. A name matches its
organisation when it equals, ignoring case, accents and punctuation, one of the
organisation's names or aliases. A name that matches none is shown as written: never
guessed from a part of it. A cell naming several organisations separates them with ';'
(outside brackets).
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from kss_analysis.core import reference
from kss_analysis.core.labels import label

NAME_COLUMNS = ("name_en", "name_id", "short_en", "short_id")
SEPARATOR = ";"


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
