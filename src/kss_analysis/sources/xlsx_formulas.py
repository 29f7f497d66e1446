"""The formula cells of a workbook, so a register row can say which formula has no saved value.

A spreadsheet saved by Excel or LibreOffice stores each formula's last value beside it, and
the register reader reads those values. A file written by a script often stores the formula
alone: its cell then reads as empty, and the row is quarantined (``formula_without_value``)
naming the cell, rather than read as if the cell were blank.
"""

from __future__ import annotations

from pathlib import Path


def formula_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet title -> {(row number 1-based, column index 0-based): formula text}."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        return {
            sheet.title: {
                (number, col): value
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                for col, value in enumerate(row)
                if isinstance(value, str) and value.startswith("=")
            }
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()
