"""Turn text cells into typed values: numbers, dates, lists.

Each parser returns the value and whether the text needed normalising (a "fix"), and
raises ``RowProblem`` with a reason code when the text cannot be read. Nothing is guessed:
an ambiguous or unreadable cell is an error, not a default.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from kss_analysis.core.errors import RowProblem
from kss_analysis.core.reference import currency_aliases
from kss_analysis.core.schema import MISSING_SENTINELS


@dataclass(frozen=True)
class ParsedNumber:
    value: float | None
    currency: str | None = None  # from a prefix such as "Rp" or "USD"
    qualifier: str = "exact"  # exact | lower_bound | upper_bound | approximate
    fixed: bool = False


def is_missing(text: object) -> bool:
    return text is None or str(text).strip().casefold() in MISSING_SENTINELS


SCALE_WORDS = {
    "ribu": 1e3,
    "thousand": 1e3,
    "rb": 1e3,
    "juta": 1e6,
    "jt": 1e6,
    "million": 1e6,
    "mn": 1e6,
    "miliar": 1e9,
    "milyar": 1e9,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "triliun": 1e12,
    "trilyun": 1e12,
    "trillion": 1e12,
    "t": 1e12,  # triliun and trillion agree
}
# "M" is miliar (1e9) in Indonesian writing and million (1e6) in English: the language
# context decides (see _scale_of_m), and a cell whose context is unclear is quarantined.
AMBIGUOUS_M = "m"
QUALIFIERS = {
    "more than": "lower_bound",
    "over": "lower_bound",
    "at least": "lower_bound",
    "lebih dari": "lower_bound",
    "sedikitnya": "lower_bound",
    "minimal": "lower_bound",
    "about": "approximate",
    "around": "approximate",
    "approximately": "approximate",
    "sekitar": "approximate",
    "kurang lebih": "approximate",
    "less than": "upper_bound",
    "kurang dari": "upper_bound",
    "up to": "upper_bound",
    "hingga": "upper_bound",
}
# Counting words that may follow a number: "20 orang", "30 participants".
UNIT_WORDS = r"(?:orang|peserta|participants?|people|persons?|pax)"

_SCALES = "|".join(sorted([*SCALE_WORDS, AMBIGUOUS_M], key=len, reverse=True))
_NUMBER_RE = re.compile(
    r"^(?P<sign>[-−]?)\s*(?P<cur>rp\.?|idr|usd|us\$|us|\$)?\s*(?P<sign2>[-−]?)\s*"
    rf"(?P<num>\d[\d.,\s]*\d|\d)\s*(?:(?P<scale>{_SCALES})\b\.?)?\s*"
    r"(?P<cur2>idr|usd|rupiah|dollars?|dolar(?: as)?)?\s*"
    rf"(?:{UNIT_WORDS})?$"
)


def _read_digits(num: str, decimal: str | None = None) -> tuple[float, str | None]:
    """Read '1.234.567,89', '1,234.56', '2,5' and '1.2' by the separators they use.

    Rule: with both separators the last one is the decimal mark; a separator that occurs
    several times groups thousands; a single separator followed by exactly three digits
    groups thousands ('1.500 juta' is 1,500 million), otherwise it is the decimal mark
    ('2,5 miliar' is 2.5 billion, 'USD 1.25 million' is 1.25 million).
    Returns (value, the decimal mark the number used or None).
    """
    num = num.replace(" ", "")
    if decimal is not None:
        # The source's convention is known: no guessing.
        thousands = "," if decimal == "." else "."
        if num.count(decimal) > 1:
            raise RowProblem("bad_number", f"cannot read number '{num}': decimal mark '{decimal}' repeats")
        return float(num.replace(thousands, "").replace(decimal, ".")), decimal if decimal in num else None
    dots, commas = num.count("."), num.count(",")
    if dots and commas:
        decimal = "." if num.rfind(".") > num.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        if num.count(decimal) > 1:
            raise RowProblem("bad_number", f"cannot read number '{num}': decimal mark '{decimal}' repeats")
        return float(num.replace(thousands, "").replace(decimal, ".")), decimal
    sep = "." if dots else "," if commas else None
    if sep is None:
        return float(num), None
    groups = num.split(sep)
    if len(groups) > 2:
        if not all(len(g) == 3 for g in groups[1:]):
            raise RowProblem("bad_number", f"cannot read number '{num}': irregular digit groups")
        return float(num.replace(sep, "")), None
    if len(groups[1]) == 3:
        return float(num.replace(sep, "")), None
    return float(groups[0] + "." + groups[1]), sep


def _scale_of_m(raw: str, currency: str | None, decimal_mark: str | None) -> float:
    """'M' after a rupiah amount or with a decimal comma is miliar; after a dollar amount
    (decimal point or none) it is million. Mixed or missing signals are not guessed."""
    indonesian = currency == "IDR" or decimal_mark == ","
    english = currency == "USD" or decimal_mark == "."
    if indonesian and not english:
        return 1e9
    if currency == "USD" and decimal_mark != ",":
        return 1e6
    raise RowProblem(
        "ambiguous_scale",
        f"'{raw}': 'M' can mean miliar (10^9, Indonesian) or million (10^6, English) and the cell does not "
        "say which; write the word ('Rp 2,5 miliar', 'USD 2.5 million') or the full number",
    )


MAX_ABS_NUMBER = 1e15  # Rp 1,000 trillion: a third of Indonesia's state budget; beyond is a typo or an attack


def _in_range(value: float | int, raw: str) -> float:
    """``value`` as a float, or RowProblem('amount_out_of_range') when it is not finite or too large."""
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = float("inf")
    if not math.isfinite(number) or abs(number) > MAX_ABS_NUMBER:
        shown = raw if len(raw) <= 40 else f"{raw[:20]}...({len(raw):,} characters)"
        raise RowProblem("amount_out_of_range", f"number '{shown}' is outside +/-{MAX_ABS_NUMBER:,.0f}")
    return number


def parse_number(text: object, decimal: str | None = None, currency: str | None = None) -> ParsedNumber:
    """Read a number written in Indonesian or English style.

    ``decimal`` ('.' or ',') states the source's decimal mark when it is known (machine
    exports); otherwise the separators decide (see ``_read_digits``).

    Handles 'Rp 1.234.567,89', '1,234.56', 'Rp 2,5 miliar', 'USD 1.2 million',
    '20 orang', 'lebih dari 120', '(1,234)' for negatives and the missing-value
    sentinels ('', '-', '..', 'n/a'), which give ``value=None``. Abbreviations: 'Jt' juta
    (10^6), 'T' triliun/trillion (10^12), 'B'/'bn' billion (10^9), and 'M' by language
    context: 'Rp 2,5 M' is 2.5 miliar, 'USD 2.5M' 2.5 million, 'Rp 2.5 M' is ambiguous
    (``RowProblem('ambiguous_scale')``). ``currency`` is the currency stated in another
    column, if any, and counts as context.
    """
    if isinstance(text, bool):
        raise RowProblem("bad_number", f"cannot read number '{text}'")
    if isinstance(text, (int, float)):
        if text != text:  # NaN from a spreadsheet cell
            return ParsedNumber(None)
        return ParsedNumber(_in_range(text, str(text)))
    if is_missing(text):
        return ParsedNumber(None)
    raw = str(text).strip()
    s = re.sub(r"\s+", " ", raw.casefold())
    qualifier = "exact"
    for phrase, kind in QUALIFIERS.items():
        if s.startswith(phrase + " "):
            qualifier, s = kind, s[len(phrase) + 1 :]
            break
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    match = _NUMBER_RE.match(s)
    if not match:
        raise RowProblem("bad_number", f"cannot read number '{raw}'")
    found_currency = None
    for part in (match["cur"], match["cur2"]):
        if part:
            part = part.rstrip(".")
            found_currency = currency_aliases()[part]
    number, decimal_mark = _read_digits(match["num"], decimal)
    scale_word = match["scale"]
    if scale_word == AMBIGUOUS_M:
        scale = _scale_of_m(raw, found_currency or currency, decimal_mark)
    else:
        scale = SCALE_WORDS[scale_word] if scale_word else 1.0
    value = _in_range(number * scale, raw)
    if negative or match["sign"] or match["sign2"]:
        value = -value
    currency = found_currency
    plain = re.fullmatch(r"-?\d+(\.\d+)?", raw) is not None and float(raw) == value
    return ParsedNumber(round(value, 6), currency, qualifier, fixed=not plain)


MONTHS = {
    **dict.fromkeys(["januari", "january", "jan"], 1),
    **dict.fromkeys(["februari", "pebruari", "february", "feb", "peb"], 2),
    **dict.fromkeys(["maret", "march", "mar"], 3),
    **dict.fromkeys(["april", "apr"], 4),
    **dict.fromkeys(["mei", "may"], 5),
    **dict.fromkeys(["juni", "june", "jun"], 6),
    **dict.fromkeys(["juli", "july", "jul"], 7),
    **dict.fromkeys(["agustus", "august", "agu", "agt", "aug", "ags"], 8),
    **dict.fromkeys(["september", "sept", "sep"], 9),
    **dict.fromkeys(["oktober", "october", "okt", "oct"], 10),
    **dict.fromkeys(["november", "nopember", "nov", "nop"], 11),
    **dict.fromkeys(["desember", "december", "des", "dec"], 12),
}


def _iso(year: int, month: int | None = None, day: int | None = None, raw: str = "") -> str:
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        raise RowProblem("bad_date", f"no such date '{raw}'") from None
    if not 1900 <= year <= 2100:
        raise RowProblem("bad_date", f"year out of range in '{raw}'")
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_date(text: object) -> tuple[str | None, bool]:
    """Read a date at the precision it is stated; return (ISO string, fixed).

    '2017-07-17', '2017-07', '2017', '17 Juli 2017', '17 July 2017', 'Juli 2017',
    '17/07/2017' (day first, as Indonesian documents write it) and spreadsheet dates.
    """
    if isinstance(text, dt.datetime):
        return _iso(text.year, text.month, text.day), True
    if isinstance(text, dt.date):
        return _iso(text.year, text.month, text.day), True
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text != text:
            return None, False
        if float(text).is_integer():
            return _iso(int(text), raw=str(text)), True
        raise RowProblem("bad_date", f"cannot read date '{text}'")
    if is_missing(text):
        return None, False
    raw = str(text).strip()
    s = re.sub(r"\s+", " ", raw.casefold()).rstrip(".")
    if m := re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", s):
        mo, d = (int(g) if g else None for g in m.groups()[1:])
        return _iso(int(m[1]), mo, d, raw), False
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[t ]\d{2}:\d{2}(:\d{2})?", s):
        return _iso(int(m[1]), int(m[2]), int(m[3]), raw), True
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s):
        return _iso(int(m[3]), int(m[2]), int(m[1]), raw), True
    if m := re.fullmatch(r"(?:(\d{1,2}) )?([a-z]+)\.? (\d{4})", s):
        if m[2] not in MONTHS:
            raise RowProblem("bad_date", f"unknown month '{m[2]}' in '{raw}'")
        day = int(m[1]) if m[1] else None
        return _iso(int(m[3]), MONTHS[m[2]], day, raw), True
    raise RowProblem("bad_date", f"cannot read date '{raw}'")


def parse_year(text: object) -> tuple[int | None, bool]:
    """A four-digit year (1900-2100); '2017.0' from a spreadsheet is accepted."""
    if isinstance(text, float) and text != text:
        return None, False
    if is_missing(text):
        return None, False
    s = str(text).strip()
    if m := re.fullmatch(r"(\d{4})(?:\.0+)?", s):
        year = int(m[1])
        if 1900 <= year <= 2100:
            return year, s != m[1]
    raise RowProblem("bad_year", f"cannot read year '{s}'")


LIST_SEPARATORS = re.compile(r"\s*[;,\n]\s*")
CONJUNCTIONS = re.compile(r"\s+(?:and|dan|&)\s+", re.IGNORECASE)


def split_list(text: object) -> list[str]:
    """Split 'Mesir; Kenya, Fiji' on ';', ',' and new lines; blanks dropped."""
    if text is None or (isinstance(text, float) and text != text):
        return []
    return [part for part in LIST_SEPARATORS.split(str(text).strip()) if part]


def clean_text(text: object) -> str | None:
    """Collapse whitespace; empty text becomes None."""
    if text is None or (isinstance(text, float) and text != text):
        return None
    s = re.sub(r"\s+", " ", str(text)).strip()
    return s or None


@dataclass(frozen=True)
class YearCell:
    """What a register's year cell says: the year, and any start or end date it states."""

    year: int | None
    start_date: str | None = None  # a full or month date written in the year cell
    end_date: str | None = None  # the last year of a range ('2017/2018' -> '2018')
    fixed: bool = False


# 'TA 2019', 'T.A. 2019', 'Tahun Anggaran 2019', 'FY 2019', 'fiscal year 2019', 'tahun 2019'
_YEAR_PREFIX = re.compile(r"^(?:t\.?\s?a\.?|tahun anggaran|tahun|fy|fiscal year|year)\s*(?=\d)")
# '2017/2018', '2017-2018', '2017 – 2018', '2017/18' (a two-digit end only after '/':
# '2017-07' is a month)
_YEAR_RANGE = re.compile(r"(\d{4})\s*(?:[/–—]\s*(\d{2}|\d{4})|\s-\s(\d{4})|-(\d{4}))")


def parse_year_cell(text: object) -> YearCell:
    """Read a year as registers write it: '2017', '17 Juli 2017', 'July 2017', 'TA 2019',
    'T.A. 2019', '2017/2018' or '2017-2018' (the first year is the year; the last is
    returned as ``end_date``). Raises ``RowProblem('bad_year')`` for anything else."""
    if isinstance(text, (dt.date, dt.datetime)):
        day = _iso(text.year, text.month, text.day)  # what parse_date returns for a date
        return YearCell(text.year, start_date=day, fixed=True)
    if not isinstance(text, str):
        year, fixed = parse_year(text)
        return YearCell(year, fixed=fixed)
    if is_missing(text):
        return YearCell(None)
    raw = text.strip()
    s = re.sub(r"\s+", " ", raw.casefold()).rstrip(".")
    if re.fullmatch(r"\d{4}(?:\.0+)?", s):
        year, fixed = parse_year(s)
        return YearCell(year, fixed=fixed or s != raw)
    s = _YEAR_PREFIX.sub("", s)
    if m := _YEAR_RANGE.fullmatch(s):
        first = int(m[1])
        last_text = next(g for g in m.groups()[1:] if g)
        last = int(last_text) if len(last_text) == 4 else first // 100 * 100 + int(last_text)
        if not (1900 <= first <= last <= 2100):
            raise RowProblem("bad_year", f"cannot read year range '{raw}': the end is before the start")
        return YearCell(first, end_date=f"{last:04d}" if last != first else None, fixed=True)
    try:
        iso, _ = parse_date(s)
    except RowProblem:
        raise RowProblem("bad_year", f"cannot read year '{raw}'") from None
    if iso is None:
        return YearCell(None)
    return YearCell(int(iso[:4]), start_date=iso if len(iso) > 4 else None, fixed=True)
