"""Read a programme register (CSV or XLSX, English or Indonesian headers).

Finds the header row below any title rows, fills merged cells, and hands back every data
row with its spreadsheet row number, from every visible sheet that has a header. Blank,
repeated-header, total and section rows (and rows a profile excludes) are returned as
exclusions with a rule name, so the ledger can count them; see register_profile.py.
A formula cell is read as its saved value; one with no saved value is flagged on the row.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from kss_analysis.core.config import limit
from kss_analysis.core.errors import InputError
from kss_analysis.core.schema import REGISTER_HEADERS, REQUIRED_REGISTER_COLUMNS
from kss_analysis.ingest.register.profile import (
    NO_PROFILE,
    RegisterProfile,
    header_columns,
    is_header_again,
    is_total_row,
    matches_exclusion,
    section_value,
)
from kss_analysis.ingest.xlsx_formulas import formula_cells

HEADER_SEARCH_ROWS = 30
EXTRA_CELLS = "__extra_cells__"  # key set on a row with more cells than the header
UNCACHED_FORMULAS = "__uncached_formulas__"  # key set on a row whose formula cells have no saved value:
# {canonical column: "cell F5: =SUM(F2:F4)"}
MIN_HEADER_MATCHES = 2


@dataclass
class RegisterRows:
    """The rows of one register file, headers mapped to canonical names.

    ``rows`` holds (locator, {canonical column: raw cell}) per data row; ``excluded``
    holds (locator, rule) per row left out by a named rule.
    """

    file: str
    sheet: str | None
    header_row: int
    columns: dict[int, str]
    rows: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical name -> header as written


# A UTF-8 sequence of two to four bytes (a character beyond ASCII), as RFC 3629 defines them.
UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # an undecodable byte, kept by errors="surrogateescape"


def decode_text(data: bytes, file: str, *, invalid: str = "replace") -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; otherwise Windows-1252 when the file as a
    whole is (no more UTF-8 characters than stray bytes).

    A UTF-8 file with a few bytes that are not UTF-8 (a cell pasted from a Windows-1252 file)
    stays UTF-8: those bytes are decoded with the error handler ``invalid``, ``replace``
    (U+FFFD) or ``surrogateescape`` (the register reader quarantines such rows, encoding_error),
    never by re-decoding the whole file, which would garble every other character.

    The first line, a header or a title above one, is checked against the header cap."""
    text = _decode(data, file, invalid)
    check_first_line(text, file)
    return text


def check_first_line(text: str, file: str) -> None:
    """Refuse a file whose first line is over KSS_MAX_HEADER_CHARS characters: a header is a short
    line, and one of a megabyte costs minutes in every row compared with it."""
    cap = limit("KSS_MAX_HEADER_CHARS")
    head = text[: cap + 1]
    if len(text) > cap and "\n" not in head and "\r" not in head:  # CR alone ends a line too (old Mac files)
        raise InputError(
            file, f"over {cap:,} characters in one line (KSS_MAX_HEADER_CHARS); not a table header", "line 1"
        )


def _decode(data: bytes, file: str, invalid: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="surrogateescape")
    stray = len(NOT_UTF8.findall(text))
    if len(UTF8_MULTIBYTE.findall(data)) >= stray:
        return text if invalid == "surrogateescape" else data.decode("utf-8-sig", errors=invalid)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(file, f"not UTF-8, UTF-16 or Windows-1252 text (byte {exc.start})") from None


def _read_csv_cells(path: Path) -> list[list[object]]:
    text = decode_text(path.read_bytes(), str(path), invalid="surrogateescape")  # place_row quarantines those rows
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(max(len(text), 131072))  # read any cell; place_row refuses the over-long ones
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)  # CR, LF or CRLF
    rows: list[list[object]] = []
    try:
        for row in reader:
            rows.append(list(row))
    except csv.Error as exc:
        hint = "truncated inside a quoted field?" if "end of data" in str(exc) else "malformed"
        raise InputError(str(path), f"CSV {hint} ({exc})", locator=f"line {reader.line_num}") from None
    return rows


def _is_blank(cells: list[object]) -> bool:
    return all(c is None or str(c).strip() == "" for c in cells)


def _find_header(grid: list[list[object]], lookup: dict[str, str]) -> tuple[int, dict[int, str]] | None:
    cap = limit("KSS_MAX_HEADER_CHARS")
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if sum(len(str(c)) for c in cells if c is not None) > cap:
            continue  # a header is a short line (a title row may be long, a header never)
        columns = header_columns(cells, lookup, MIN_HEADER_MATCHES)
        if columns:
            return index, columns
    return None


def _section_above(grid: list[list[object]], header_index: int, profile: RegisterProfile) -> tuple[str, str] | None:
    """A section row just above the first header (title rows further up are not sections)."""
    for index in range(header_index - 1, -1, -1):
        if not _is_blank(grid[index]):
            return section_value(grid[index], profile)
    return None


def read_register(path: str | Path, profile: RegisterProfile | None = None) -> RegisterRows:
    """Read a register file (every visible sheet with a header); raises ``InputError`` when
    no sheet has a usable header. ``profile`` maps other headers and layouts (register_profile).

    Every sheet of a workbook is accounted for: each visible sheet with a register header adds
    its rows; the non-blank rows of a hidden sheet or of a sheet without a header are counted
    as excluded (rules ``hidden_sheet``, ``sheet_without_header``). Cells are read sparsely
    (sources/xlsx_sparse.py): a stray cell far down or right costs nothing.
    """
    from kss_analysis.ingest.xlsx_sparse import read_sheets

    path = Path(path)
    file = str(path)
    profile = profile or NO_PROFILE
    if not path.is_file():
        raise InputError(file, "file not found")
    suffix = path.suffix.casefold()
    formulas: dict[str, dict[tuple[int, int], str]] = {}
    sheets: list[tuple[str | None, str, list[tuple[int, list[object]]]]]  # (name, state, rows); a CSV has no name
    if suffix in (".xlsx", ".xlsm"):
        sheets = [(s.title, s.state, s.rows) for s in read_sheets(path)]
        formulas = formula_cells(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        sheets = [(None, "visible", list(enumerate(_read_csv_cells(path), start=1)))]
    else:
        raise InputError(file, f"unsupported register format '{path.suffix}' (use .csv or .xlsx)")
    if profile.sheets is not None:
        names = [name for name, state, _ in sheets if state == "visible"]
        if missing := [s for s in profile.sheets if s not in names]:
            raise InputError(profile.file, f"key 'sheets': no visible sheet named {', '.join(missing)} in {file}")
        sheets = [sheet for sheet in sheets if sheet[0] in profile.sheets]

    lookup = profile.header_lookup()
    result: RegisterRows | None = None
    skipped = []
    for sheet, state, grid in sheets:
        found = _find_header([cells for _, cells in grid], lookup) if state == "visible" else None
        if found is None:
            skipped.append((sheet, "hidden_sheet" if state != "visible" else "sheet_without_header", grid))
            continue
        header_index, columns = found
        header_number = grid[header_index][0]
        if result is None:
            result = RegisterRows(file=file, sheet=sheet, header_row=header_number, columns=columns)
        _read_rows(result, sheet, grid, formulas.get(sheet or "", {}), header_index, columns, profile, lookup)
    if result is not None:
        for sheet, rule, grid in skipped:
            result.excluded.extend((f"sheet '{sheet}' row {n}", rule) for n, cells in grid if not _is_blank(cells))
        return result

    expected = ", ".join(
        f"{name} ({'/'.join(REGISTER_HEADERS[name][1:2]) or name})" for name in REQUIRED_REGISTER_COLUMNS
    )
    hint = "" if profile.file else "; for other headers or layouts give a profile (docs/registers.md: profiles)"
    raise InputError(
        file,
        f"no header row found in the first {HEADER_SEARCH_ROWS} rows of any visible sheet: "
        f"need {expected} and at least one more known column such as year/tahun{hint}{_sheet_survey(sheets)}",
    )


def _sheet_survey(sheets: list[tuple[str | None, str, list[tuple[int, list[object]]]]]) -> str:
    """For a workbook: the sheets found, and the one that most likely holds the rows (the most
    rows with two or more filled cells), with its first such row as a header to map."""
    named = [s for s in sheets if s[0] is not None]
    if not named:
        return ""

    def filled(cells: list[object]) -> list[str]:
        return [str(c).strip() for c in cells if c is not None and str(c).strip()]

    tables = {name: [cells for _, cells in grid if len(filled(cells)) >= 2] for name, state, grid in named}
    found = "; sheets found: " + ", ".join(
        f"'{name}' ({len(tables[name])} rows of 2+ cells{', hidden' if state != 'visible' else ''})"
        for name, state, _ in named
    )
    visible = [name for name, state, _ in named if state == "visible" and tables[name]]
    if not visible:
        return found
    best = max(visible, key=lambda name: len(tables[name]))
    first = ", ".join(filled(tables[best][0])[:8])
    return f"{found}; the rows are most likely on '{best}' (header row: {first}): map those headers in a profile"


def _note_headers(result: RegisterRows, header_cells: list[object], columns: dict[int, str]) -> None:
    """Canonical name -> header as written (the first header that names it), for messages."""
    for col, name in columns.items():
        result.headers.setdefault(name, str(header_cells[col]).strip())


def _read_rows(
    result: RegisterRows,
    sheet: str | None,
    grid: list[tuple[int, list[object]]],
    formulas: dict[tuple[int, int], str],
    header_index: int,
    columns: dict[int, str],
    profile: RegisterProfile,
    lookup: dict[str, str],
) -> None:
    """The rows below one sheet's header: data rows, or exclusions with their rule.
    ``grid``: (row number, cells) per stored row; ``formulas``: the sheet's formula cells,
    (row number, column index) -> formula."""
    from openpyxl.utils import get_column_letter

    header_cells = grid[header_index][1]
    _note_headers(result, header_cells, columns)
    prefix = f"sheet '{sheet}' " if sheet else ""
    section = _section_above([cells for _, cells in grid], header_index, profile)
    for number, cells in grid[header_index + 1 :]:
        locator = f"{prefix}row {number}"
        if _is_blank(cells):
            result.excluded.append((locator, "blank_row"))
            continue
        again = is_header_again(cells, header_cells, lookup, MIN_HEADER_MATCHES)
        if again is not None:
            if again and again != columns:  # a new header: its columns apply below
                columns, header_cells = again, cells
                _note_headers(result, header_cells, columns)
            result.excluded.append((locator, "repeated_header"))
            continue
        if matches_exclusion(cells, profile):
            result.excluded.append((locator, "profile_exclude"))
            continue
        if is_total_row(cells):
            result.excluded.append((locator, "total_row"))
            continue
        if found := section_value(cells, profile, columns):
            section = found
            result.excluded.append((locator, "section_row"))
            continue
        record = {name: (cells[col] if col < len(cells) else None) for col, name in columns.items()}
        if len(cells) > len(header_cells) and not _is_blank(cells[len(header_cells) :]):
            record[EXTRA_CELLS] = cells[len(header_cells) :]
        if section and _is_blank([record.get(section[0])]):
            record[section[0]] = section[1]
        for column, value in profile.defaults.items():
            if _is_blank([record.get(column)]):
                record[column] = value
        # A formula whose cell reads empty has no saved value (written by a script, never opened).
        uncached = {
            name: f"cell {get_column_letter(col + 1)}{number}: {formulas[(number, col)]}"
            for col, name in columns.items()
            if (number, col) in formulas and _is_blank(cells[col : col + 1])
        }
        if uncached:
            record[UNCACHED_FORMULAS] = uncached
        result.rows.append((locator, record))
