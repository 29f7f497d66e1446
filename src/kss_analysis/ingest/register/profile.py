"""Register profiles and the layout rules of national project lists.

A profile (YAML) tells the register reader how to read a file whose headers or layout are
not ours: a ministry's export in Portuguese, Spanish or any language. The format is a
contract (README, "Register profiles"); every key is checked and a wrong one is named:

    columns:                 # header as written -> canonical register column
      Título: title
      Ano: year
    defaults:                # values for columns the file does not have
      provider: BRA
      funding_currency: BRL
    section_rows: partner_countries   # a row with a single filled cell sets this column below it
    exclude_rows_matching:   # regexes on any cell; such rows are excluded by the rule profile_exclude
      - "^Fonte:"
    sheets: [Projetos]       # optional: read only these sheets (default: every sheet with a header)
    note: free text          # optional: what the profile is for

Layout rules applied to every register, with or without a profile (each excluded row is
counted in the ledger under its rule): ``blank_row``; ``repeated_header`` (the header again,
or a new header whose columns then apply); ``total_row`` (first filled cell TOTAL, Total
geral, Jumlah ...); ``section_row`` (a row holding a single filled cell: with
``section_rows`` in the profile always, without a profile only when the cell names a known
country, so detection stays unambiguous).
"""

from __future__ import annotations

import re
import signal
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from kss_analysis.acquire.inputs import PROFILE_SUFFIX
from kss_analysis.core.config import LIMITS, limit
from kss_analysis.core.errors import InputError
from kss_analysis.core.schema import HEADER_LOOKUP, REGISTER_HEADERS, normalise_header

PROFILE_KEYS = ("columns", "defaults", "section_rows", "exclude_rows_matching", "sheets", "note")
# First filled cell of a total row, compared without case or accents (pt, es, en, id).
TOTAL_LABELS = frozenset(
    {"total", "totais", "totales", "total geral", "total general", "grand total", "subtotal", "sub total"}
    | {"jumlah", "jumlah total", "total keseluruhan"}
)
SECTION_COLUMN_AUTO = "partner_countries"  # what an unambiguous section row (a country name) sets


def header_key(text: object) -> str:
    """Header compared without case, accents or punctuation: 'Título' and 'titulo' -> 'titulo'."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    return normalise_header("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@dataclass(frozen=True)
class RegisterProfile:
    file: str
    columns: dict[str, str] = field(default_factory=dict)  # header_key -> canonical
    defaults: dict[str, str] = field(default_factory=dict)
    section_rows: str | None = None  # canonical column; None: automatic detection only
    section_auto: bool = True  # False when the profile says section_rows: false
    exclude_rows_matching: tuple[re.Pattern[str], ...] = ()
    sheets: tuple[str, ...] | None = None
    # seconds left to ``exclude_rows_matching`` on the file this profile reads (KSS_PATTERN_SECONDS)
    pattern_seconds: list[float] = field(default_factory=lambda: [float(limit("KSS_PATTERN_SECONDS"))], compare=False)

    def header_lookup(self) -> dict[str, str]:
        lookup = {header_key(k): v for k, v in HEADER_LOOKUP.items()}
        lookup.update(self.columns)
        return lookup


NO_PROFILE = RegisterProfile(file="")


def _canonical(value: object, file: str, key: str) -> str:
    if not isinstance(value, str) or value not in REGISTER_HEADERS:
        raise InputError(
            file, f"key '{key}': '{value}' is not a register column (use one of: {', '.join(REGISTER_HEADERS)})"
        )
    return value


MAX_PROFILE_BYTES = LIMITS["KSS_MAX_PROFILE_BYTES"]  # the default; KSS_MAX_PROFILE_BYTES sets another


def load_profile(path: str | Path) -> RegisterProfile:
    """Read and check a profile; any unknown key or column raises InputError naming both."""
    import yaml

    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise InputError(file, "profile not found")
    if path.stat().st_size > (cap := limit("KSS_MAX_PROFILE_BYTES")):
        raise InputError(
            file, f"a profile is a short YAML file; this one is over {cap:,} bytes (KSS_MAX_PROFILE_BYTES)"
        )
    try:
        text = path.read_text(encoding="utf-8")
        # YAML aliases can expand a few lines into gigabytes ("billion laughs"): a profile needs none.
        if any(isinstance(token, yaml.AliasToken) for token in yaml.scan(text)):
            raise InputError(file, "aliases (*name) are not allowed in a profile; write each value out")
        data = yaml.safe_load(text) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(file, f"not a readable YAML profile ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise InputError(file, "a profile is a mapping of keys (columns, defaults, section_rows ...)")
    if unknown := [str(k) for k in data if k not in PROFILE_KEYS]:
        raise InputError(file, f"unknown key '{unknown[0]}' (profile keys: {', '.join(PROFILE_KEYS)})")

    columns_in = data.get("columns") or {}
    if not isinstance(columns_in, dict):
        raise InputError(file, "key 'columns': a mapping of header as written -> register column")
    columns = {header_key(h): _canonical(c, file, f"columns.{h}") for h, c in columns_in.items()}

    defaults_in = data.get("defaults") or {}
    if not isinstance(defaults_in, dict):
        raise InputError(file, "key 'defaults': a mapping of register column -> value")
    defaults = {}
    for column, value in defaults_in.items():
        _canonical(column, file, f"defaults.{column}")
        if isinstance(value, (dict, list)):
            raise InputError(file, f"key 'defaults.{column}': a single value, not {type(value).__name__}")
        defaults[column] = str(value)

    section = data.get("section_rows")
    section_auto = section is not False
    if section in (None, False):
        section = None
    else:
        section = _canonical(section, file, "section_rows")

    patterns_in = data.get("exclude_rows_matching") or []
    if isinstance(patterns_in, str) or not isinstance(patterns_in, list):
        raise InputError(file, "key 'exclude_rows_matching': a list of regular expressions")
    patterns = [
        compile_pattern(str(pattern), file, f"exclude_rows_matching[{index}]")
        for index, pattern in enumerate(patterns_in)
    ]

    sheets = data.get("sheets")
    if sheets is not None and not (isinstance(sheets, list) and all(isinstance(s, str) for s in sheets)):
        raise InputError(file, "key 'sheets': a list of sheet names")
    return RegisterProfile(
        file=file,
        columns=columns,
        defaults=defaults,
        section_rows=section,
        section_auto=section_auto,
        exclude_rows_matching=tuple(patterns),
        sheets=tuple(sheets) if sheets is not None else None,
    )


def compile_pattern(pattern: str, file: str, key: str) -> re.Pattern[str]:
    """A profile's regular expression, refused in one line when it could run for hours on one
    cell: longer than KSS_MAX_PATTERN_CHARS, or a repetition holding another repetition or a
    choice, like ``(a+)+`` or ``(a|ab)*``, whose backtracking is exponential in the cell's length."""
    cap = limit("KSS_MAX_PATTERN_CHARS")
    if len(pattern) > cap:
        raise InputError(file, f"key '{key}': {len(pattern):,} characters (limit {cap:,}; KSS_MAX_PATTERN_CHARS)")
    try:
        compiled = re.compile(pattern)
        from re import _parser  # type: ignore[attr-defined]  # the parse re.compile makes (sre_parse before 3.11)

        nested = _nested_repetition(_parser.parse(pattern))
    except re.error as exc:
        raise InputError(file, f"key '{key}': bad regular expression ({exc})") from None
    if nested:
        raise InputError(
            file,
            f"key '{key}': '{pattern}' repeats a group that itself repeats or offers a choice, which can "
            "backtrack for hours on one cell; write it without the nesting (e.g. a+ for (a+)+, [ab]* for (a|b)*)",
        )
    return compiled


def _nested_repetition(tree, inside: bool = False) -> bool:
    """Does a repetition (at most > 1) hold another repetition or a choice (|)?"""
    from re import _constants as sre  # type: ignore[attr-defined]

    for op, arg in tree:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            repeats = high > 1
            if repeats and inside or _nested_repetition(sub, inside or repeats):
                return True
        elif op == sre.BRANCH:
            if inside or any(_nested_repetition(branch, inside) for branch in arg[1]):
                return True
        else:  # groups, lookarounds, conditionals: whatever sub-patterns they hold
            parts = arg if isinstance(arg, (tuple, list)) else (arg,)
            for part in parts:
                if hasattr(part, "data") and _nested_repetition(part, inside):
                    return True
    return False


def profile_beside(register: Path) -> Path | None:
    """``<stem>.profile.yml`` next to a register, if present."""
    candidate = register.with_name(register.stem + PROFILE_SUFFIX)
    return candidate if candidate.is_file() else None


def _filled(cells: list[object]) -> list[object]:
    return [c for c in cells if c is not None and str(c).strip() != ""]


def header_columns(cells: list[object], lookup: dict[str, str], min_matches: int) -> dict[int, str] | None:
    """Column index -> canonical name when ``cells`` read as a header row (title among them)."""
    columns: dict[int, str] = {}
    for col, cell in enumerate(cells):
        canonical = lookup.get(header_key(cell))
        if canonical and canonical not in columns.values():
            columns[col] = canonical
    return columns if len(columns) >= min_matches and "title" in columns.values() else None


def is_header_again(
    cells: list[object], header_cells: list[object], lookup: dict[str, str], min_matches: int
) -> dict[int, str] | None:
    """The header repeated (same cells), or a new header (every filled cell a known header)."""
    # rows of other lengths differ at once: the header's cells are not keyed again for every row
    same = len(cells) == len(header_cells) and [header_key(c) for c in cells] == [header_key(c) for c in header_cells]
    columns = header_columns(cells, lookup, min_matches)
    if same:
        return columns or {}
    if columns and len(columns) == len(_filled(cells)):
        return columns
    return None


def is_total_row(cells: list[object]) -> bool:
    from kss_analysis.core.reference import normalise_name

    filled = _filled(cells)
    return bool(filled) and normalise_name(str(filled[0])) in TOTAL_LABELS


def matches_exclusion(cells: list[object], profile: RegisterProfile) -> bool:
    """Does a pattern of the profile match a cell (its first KSS_MAX_MATCH_CHARS characters)?"""
    if not profile.exclude_rows_matching:
        return False
    cap = limit("KSS_MAX_MATCH_CHARS")
    texts = [str(c)[:cap] for c in _filled(cells)]
    return any(_search(p, text, profile) for p in profile.exclude_rows_matching for text in texts)


class _OutOfTime(Exception):
    pass


def _out_of_time(signum, frame) -> None:
    raise _OutOfTime


def _search(pattern: re.Pattern[str], text: str, profile: RegisterProfile) -> bool:
    """``pattern.search(text)`` within the time the profile has left on this file. The re module
    checks for signals while it backtracks, so an alarm stops a runaway search; alarms exist in
    the main thread only, where every kss command runs (elsewhere the static checks stay)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return pattern.search(text) is not None
    left = profile.pattern_seconds
    previous = signal.signal(signal.SIGALRM, _out_of_time)
    start = time.monotonic()
    try:
        if left[0] <= 0:
            raise _OutOfTime
        signal.setitimer(signal.ITIMER_REAL, left[0])
        return pattern.search(text) is not None
    except _OutOfTime:
        seconds = limit("KSS_PATTERN_SECONDS")
        raise InputError(
            profile.file,
            f"key 'exclude_rows_matching': '{pattern.pattern}' took over {seconds} s on one register "
            "(KSS_PATTERN_SECONDS): it backtracks too much; simplify it",
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        left[0] -= time.monotonic() - start


def section_value(
    cells: list[object], profile: RegisterProfile, columns: dict[int, str] | None = None
) -> tuple[str, str] | None:
    """(column, value) when the row is a section row under the profile's rule, else None.

    Without ``section_rows`` in the profile, only a country name outside the partner-country
    column counts (a lone name in that column is a data row that lacks its title).
    """
    filled = [(i, c) for i, c in enumerate(cells) if c is not None and str(c).strip() != ""]
    if len(filled) != 1 or not isinstance(filled[0][1], str) or _is_number(filled[0][1]):
        return None
    col, value = filled[0][0], filled[0][1].strip()
    if profile.section_rows:
        return profile.section_rows, value
    in_own_column = (columns or {}).get(col) == SECTION_COLUMN_AUTO
    if profile.section_auto and not in_own_column and _names_countries(value):
        return SECTION_COLUMN_AUTO, value
    return None


def _is_number(text: str) -> bool:
    return re.fullmatch(r"[\d\s.,%-]+", text.strip()) is not None


def _names_countries(text: str) -> bool:
    from kss_analysis.ingest.classify import classify_country_list

    found, unknown = classify_country_list(text)
    return bool(found) and not unknown
