"""Read the cells of an XLSX workbook sparsely: only rows stored in the file, only up to
each row's last value, merged ranges filled within the real used range.

openpyxl's own row iterator pads every row to the sheet's declared dimension and yields
every missing row, so one stray cell at XFD1048576 costs 17 billion empty cells. Here the
sheet XML is streamed with openpyxl's ``WorkSheetParser`` (a read-only workbook, nothing
materialised): a stray far cell costs one row. The archive is checked first
(safe_archive) and any parse failure becomes an InputError naming the sheet. A workbook
holds at most KSS_MAX_XLSX_CELLS cells, counting the empty ones a row is padded with and
those merged ranges fill: a far cell on every row is refused, not spread over gigabytes.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from kss_analysis.acquire.safe_archive import check_archive
from kss_analysis.core.config import limit
from kss_analysis.core.errors import InputError


@dataclass
class Sheet:
    title: str
    state: str  # visible, hidden, veryHidden
    rows: list[tuple[int, list[object]]]  # (1-based row number, cells from column A), stored rows only


class TooManyCells(Exception):
    """The workbook's cells (stored, padded or filled) passed KSS_MAX_XLSX_CELLS."""


class CellBudget:
    """Cells one workbook may still cost (KSS_MAX_XLSX_CELLS), spent before they are allocated."""

    def __init__(self) -> None:
        self.cap = self.left = limit("KSS_MAX_XLSX_CELLS")

    def spend(self, cells: int) -> None:
        self.left -= cells
        if self.left < 0:
            raise TooManyCells


def _sheet_rows(
    workbook, sheet, data_only: bool = True, budget: CellBudget | None = None
) -> list[tuple[int, list[object]]]:
    from openpyxl.worksheet._reader import WorkSheetParser

    budget = budget or CellBudget()

    rows: dict[int, dict[int, object]] = {}
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for index, cells in parser.parse():
            rows[index] = {c["column"]: c["value"] for c in cells if c["value"] not in (None, "")}
            budget.spend(len(rows[index]) + 1)  # a row costs one cell even when empty
        merged = parser.merged_cells.mergeCell if parser.merged_cells else []
    used_cols = max((max(v) for v in rows.values() if v), default=0)
    for merge in merged:
        from openpyxl.worksheet.cell_range import CellRange

        area = CellRange(merge.ref)
        value = rows.get(area.min_row, {}).get(area.min_col)
        if value is None:
            continue
        # fill only stored rows and used columns: a range merged to XFD1048576 costs nothing
        filled_rows = [r for r in rows if area.min_row <= r <= area.max_row]
        budget.spend(len(filled_rows) * max(min(area.max_col, used_cols) - area.min_col + 1, 0))
        for index in filled_rows:
            for col in range(area.min_col, min(area.max_col, used_cols) + 1):
                rows[index][col] = value
    budget.spend(sum(max(values, default=0) - len(values) for values in rows.values()))  # the padding
    grid = []
    for index in sorted(rows):
        values = rows[index]
        width = max(values, default=0)
        grid.append((index, [values.get(c) for c in range(1, width + 1)]))
    return grid


def read_sheets(path: Path, data_only: bool = True) -> list[Sheet]:
    """Every sheet of the workbook (hidden ones too, flagged by ``state``); with ``data_only``
    False a formula cell reads as its formula text ('=SUM(...)') instead of its saved value."""
    from openpyxl import load_workbook

    file = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(archive, file)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(file, f"not a readable XLSX workbook ({exc.__class__.__name__}: {exc})") from None
    sheets = []
    title = None
    budget = CellBudget()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                title = sheet.title
                sheets.append(Sheet(sheet.title, sheet.sheet_state, _sheet_rows(workbook, sheet, data_only, budget)))
        finally:
            workbook.close()
    except InputError:
        raise
    except TooManyCells:
        raise InputError(
            file,
            f"more than {budget.cap:,} cells, empty ones in the used range included (KSS_MAX_XLSX_CELLS); refused",
            locator=f"sheet '{title}'",
        ) from None
    except Exception as exc:  # malformed XML, bad styles, missing parts: all one user-facing error
        where = f"sheet '{title}'" if title else "workbook parts"
        raise InputError(
            file, f"not a readable XLSX workbook ({exc.__class__.__name__}: {exc})", locator=where
        ) from None
    return sheets
