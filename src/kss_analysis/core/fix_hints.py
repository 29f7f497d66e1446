"""How to fix a quarantined cell, by quarantine reason code (for messages and reports)."""

from __future__ import annotations

HOW_TO_FIX = {
    "ambiguous_scale": "write the scale as a word (Rp 2,5 miliar; USD 2.5 million) or the full number",
    "bad_year": "write a year (2017), a date (17 Juli 2017), TA 2019 or a range (2017/2018)",
    "bad_date": "write a date as 2017-07-17, 17 Juli 2017, Juli 2017 or 2017",
    "bad_number": "write a number such as 1.234.567,89, 1,234,567.89 or Rp 2,5 miliar",
    "bad_funding_value": "write an amount such as Rp 2,5 miliar, 2500000000 or USD 1.2 million",
    "bad_participants": "write a whole number of people such as 25 or 'lebih dari 30'",
    "bad_n_partner_countries": "write a whole number of countries such as 3",
    "bad_amount": "the file holds an infinite amount (inf): take the amount from the publisher's table again",
    "amount_out_of_range": "check the number: it is beyond +/-10^15 (a typo, a pasted formula result or damage)",
    "bad_participants_qualifier": "use exact, lower_bound, upper_bound, approximate or cumulative",
    "bad_funding_basis": "use stated, sum_of_stated, approximate, unverified, planned, in_kind or cumulative",
    "bad_currency": "write a 3-letter currency code such as IDR or USD",
    "missing_currency": "add the currency (Rp/IDR or USD) to the amount or the currency column",
    "currency_conflict": "make the amount's currency and the currency column agree",
    "end_before_start": "check the start and end dates; the end cannot come before the start",
    "unknown_country": "write the country's English or Indonesian name or ISO code, or add an alias in "
    "data/raw/reference/country_aliases.csv (alias,iso3,lang,note)",
    "ambiguous_country": "write the ISO3 code or the country's English name: this name means different "
    "countries in different languages",
    "unknown_region": "use a region such as Afrika, Asia, Pasifik or add one in data/raw/reference/region_aliases.csv",
    "unknown_sector": "use a sector word the keyword list knows or add one in data/raw/reference/sector_keywords.csv",
    "unknown_modality": "use a known modality (training, grant, ...) or add an alias in "
    "data/raw/reference/modalities.csv",
    "missing_title": "give the programme a title",
    "duplicate_id": "give each programme its own programme_id",
    "unknown_parent": "the parent programme_id must be a programme of the same file",
    "too_many_cells": "remove the stray cells to the right of the last header column",
    "field_too_long": "shorten the cell (it is longer than any real register field)",
    "encoding_error": "retype the cell, or save the whole file as UTF-8 (CSV UTF-8) so every cell has one encoding",
    "formula_without_value": "open the file in Excel or LibreOffice and save it, so the formula's value is stored",
}
DEFAULT_HINT = "check the cell against the data dictionary (docs/data_dictionary.md)"


def how_to_fix(reason: str) -> str:
    return HOW_TO_FIX.get(reason, DEFAULT_HINT)
