"""Display text in English or Bahasa Indonesia: chart wording and code labels.

Everything comes from reference/ (chart_text.csv and the code tables); no plotting here,
so the spreadsheet export can label codes without importing matplotlib.
"""

from __future__ import annotations

from functools import cache

from kss_analysis import reference

LANGS = ("en", "id")
# Dimension -> reference table holding its codes, labels and chart colours.
CODE_TABLES = {
    "region": "regions",
    "sector_theme": "sector_themes",
    "modality": "modalities",
    "cooperation_type": "cooperation_types",
    "amount_basis": "amount_bases",
}


@cache
def chart_text(lang: str) -> dict[str, str]:
    return {row["key"]: row[lang] for row in reference.read_reference("chart_text")}


def text(key: str, lang: str, **values: object) -> str:
    return chart_text(lang)[key].format(**values)


@cache
def country_names(lang: str) -> dict[str, str]:
    """ISO3 -> country name; Indonesian names from the alias table where it has one."""
    names = {iso3: row["name_en"] for iso3, row in reference.countries().items()}
    if lang == "id":
        indonesian: dict[str, str] = {}
        for row in reference.read_reference("country_aliases"):
            if row["lang"] == "id":
                indonesian.setdefault(row["iso3"], row["alias"])  # the first Indonesian name listed
        names.update(indonesian)
    return names


def label(kind: str, code: str | None, lang: str) -> str:
    """Display label of a code: kind is a dimension of CODE_TABLES or country; other codes show as they are."""
    if code == "not_stated" or code is None:
        return text("not_stated", lang)
    if kind in ("country", "recipient_iso3"):
        return country_names(lang).get(code, code)
    table = CODE_TABLES.get(kind)
    return reference.labels(table, lang).get(code, code) if table else str(code)
