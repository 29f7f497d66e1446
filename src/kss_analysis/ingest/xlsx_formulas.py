"""The formula cells of a workbook, so a register row can say which formula has no saved value.

A spreadsheet saved by Excel or LibreOffice stores each formula's last value beside it, and
the register reader reads those values. A file written by a script often stores the formula
alone: its cell then reads as empty, and the row is quarantined (``formula_without_value``)
naming the cell, rather than read as if the cell were blank.
"""

from __future__ import annotations

from pathlib import Path


def formula_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet title -> {(row number 1-based, column index 0-based): formula text}.

    Read sparsely (xlsx_sparse), like the values: a stray cell far away costs nothing."""
    from kss_analysis.ingest.xlsx_sparse import read_sheets

    return {
        sheet.title: {
            (number, col): value
            for number, cells in sheet.rows
            for col, value in enumerate(cells)
            if isinstance(value, str) and value.startswith("=")
        }
        for sheet in read_sheets(path, data_only=False)
    }
