"""Read a programme register (CSV or XLSX, English or Indonesian headers).

Finds the header row below any title rows, fills merged cells, and hands back every data
row with its spreadsheet row number. Blank rows and repeated header rows are returned as
exclusions with a rule name, so the ledger can count them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from kss_analysis.errors import InputError
from kss_analysis.schema import HEADER_LOOKUP, REGISTER_HEADERS, REQUIRED_REGISTER_COLUMNS, normalise_header

HEADER_SEARCH_ROWS = 30
EXTRA_CELLS = "__extra_cells__"  # key set on a row with more cells than the header
MAX_FIELD_CHARS = 100_000  # longer cells are quarantined (field_too_long)
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
    ignored_headers: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical name -> header as written


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; otherwise Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(file, f"not UTF-8, UTF-16 or Windows-1252 text (byte {exc.start})") from None


def _read_csv_cells(path: Path) -> list[list[object]]:
    text = decode_text(path.read_bytes(), str(path))
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


def _find_header(grid: list[list[object]]) -> tuple[int, dict[int, str]] | None:
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns = {}
        for col, cell in enumerate(cells):
            canonical = HEADER_LOOKUP.get(normalise_header(cell))
            if canonical and canonical not in columns.values():
                columns[col] = canonical
        if len(columns) >= MIN_HEADER_MATCHES and "title" in columns.values():
            return index, columns
    return None


def _place_sheet(result: RegisterRows, sheet: str | None, grid: list[tuple[int, list[object]]], found) -> None:
    """Rows below the header of one sheet (``grid``: (row number, cells)) into ``result``."""
    header_index, columns = found
    header_number, header_cells = grid[header_index]
    if result.header_row == 0:
        result.sheet, result.header_row, result.columns = sheet, header_number, columns
        result.headers = {name: str(header_cells[col]).strip() for col, name in columns.items()}
        result.ignored_headers = [
            str(c) for i, c in enumerate(header_cells) if i not in columns and c not in (None, "")
        ]
    prefix = f"sheet '{sheet}' " if sheet else ""
    header_norm = [normalise_header(c) for c in header_cells]
    for number, cells in grid[header_index + 1 :]:
        locator = f"{prefix}row {number}"
        if _is_blank(cells):
            result.excluded.append((locator, "blank_row"))
            continue
        if [normalise_header(c) for c in cells] == header_norm:
            result.excluded.append((locator, "repeated_header"))
            continue
        record = {name: (cells[col] if col < len(cells) else None) for col, name in columns.items()}
        if len(cells) > len(header_cells) and not _is_blank(cells[len(header_cells) :]):
            record[EXTRA_CELLS] = cells[len(header_cells) :]
        result.rows.append((locator, record))


def read_register(path: str | Path) -> RegisterRows:
    """Read a register file; raises ``InputError`` when no usable header is found.

    Every sheet of a workbook is read: each visible sheet with a register header adds its
    rows; the non-blank rows of a hidden sheet or of a sheet without a header are counted
    as excluded (rules ``hidden_sheet``, ``sheet_without_header``), so none goes uncounted.
    """
    from kss_analysis.sources.xlsx_sparse import read_sheets

    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise InputError(file, "file not found")
    suffix = path.suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        sheets = [(s.title, s.state, s.rows) for s in read_sheets(path)]
    elif suffix in (".csv", ".txt", ".tsv"):
        sheets = [(None, "visible", list(enumerate(_read_csv_cells(path), start=1)))]
    else:
        raise InputError(file, f"unsupported register format '{path.suffix}' (use .csv or .xlsx)")

    result = RegisterRows(file=file, sheet=None, header_row=0, columns={})
    skipped = []
    for sheet, state, grid in sheets:
        found = _find_header([cells for _, cells in grid]) if state == "visible" else None
        if found is None:
            skipped.append((sheet, "hidden_sheet" if state != "visible" else "sheet_without_header", grid))
            continue
        _place_sheet(result, sheet, grid, found)
    if result.header_row:
        for sheet, rule, grid in skipped:
            result.excluded.extend((f"sheet '{sheet}' row {n}", rule) for n, cells in grid if not _is_blank(cells))
        return result

    expected = ", ".join(
        f"{name} ({'/'.join(REGISTER_HEADERS[name][1:2]) or name})" for name in REQUIRED_REGISTER_COLUMNS
    )
    raise InputError(
        file,
        f"no header row found in the first {HEADER_SEARCH_ROWS} rows of any visible sheet: "
        f"need {expected} and at least one more known column such as year/tahun",
    )
