"""Display text in English or Bahasa Indonesia: chart wording and code labels.

Everything comes from reference/ (chart_text.csv and the code tables); no plotting here,
so the spreadsheet export can label codes without importing matplotlib.
"""

from __future__ import annotations

from functools import cache

from kss_analysis.core import reference

LANGS = ("en", "id")
# Dimension -> reference table holding its codes, labels and chart colours.
CODE_TABLES = {
    "region": "regions",
    "sector_theme": "sector_themes",
    "modality": "modalities",
    "implementer_type": "implementer_types",
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
    """ISO3 -> country name; Indonesian names from the alias table, else from reference/countries.csv."""
    names = {iso3: row["name_en"] for iso3, row in reference.countries().items()}
    if lang == "id":
        indonesian: dict[str, str] = {}
        for row in reference.read_reference("country_aliases"):
            if row["lang"] == "id":
                indonesian.setdefault(row["iso3"], row["alias"])  # the first Indonesian name listed
        # the CLDR name of reference/countries.csv where the alias table has no Indonesian name ('Norwegia')
        names.update({iso3: row["name_id"] for iso3, row in reference.countries().items() if row.get("name_id")})
        names.update(indonesian)  # the alias table's usual names first ('Palestina', not 'Wilayah Palestina')
    return names


@cache
def _country_by_english_name(lang: str) -> dict[str, str]:
    return {row["name_en"]: country_names(lang)[iso3] for iso3, row in reference.countries().items()}


def label(kind: str, code: str | None, lang: str) -> str:
    """Display label of a code: kind is a dimension of CODE_TABLES or country; other codes show as they are."""
    if code == "not_stated" or code is None:
        return text("not_stated", lang)
    if kind in ("country", "recipient_iso3"):
        return country_names(lang).get(code, code)
    if kind == "triangular_partner" and lang != "en":  # a partner country is named in the chart's language
        return _country_by_english_name(lang).get(code, code)
    table = CODE_TABLES.get(kind)
    return reference.labels(table, lang).get(code, code) if table else str(code)
