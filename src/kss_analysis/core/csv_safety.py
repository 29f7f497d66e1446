"""Text a spreadsheet would run as a formula, made inert: every CSV or workbook the package
writes (table and chart exports, the build's own reports) passes its cells through here.

A cell starting with = + - @, a tab or a carriage return (``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``, ``@SUM(...)``) is prefixed with an apostrophe, which spreadsheets
show as text; numbers and other text are unchanged.
"""

from __future__ import annotations

from typing import TypeVar

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
T = TypeVar("T")


def escape_formula(value: T) -> T | str:
    """'=1+1' -> "'=1+1"; numbers and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and header escaped (``escape_formula``)."""
    out = frame.copy()
    for position in range(out.shape[1]):  # by position: two headers may read alike in a translation
        values = out.iloc[:, position]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out.isetitem(position, values.map(escape_formula))
    out.columns = [escape_formula(c) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV (no index, LF line ends) with formula cells escaped."""
    return escape_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")
