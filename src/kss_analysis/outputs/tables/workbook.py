"""Tables a spreadsheet opens ready to read: headers in the reader's language with units,
codes beside names, number formats, a frozen header row, widths and a Sources sheet.

Header wording, units and the number format of each column are data
(reference/export_headers.csv); a column missing there keeps its name and no format.
Same tables, same bytes: workbook stamps are fixed (see ``stable_zip``).
"""

from __future__ import annotations

import io as stdio
import re
import zipfile
from datetime import datetime
from functools import cache

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from kss_analysis.core import reference

NUMBER_FORMATS = {"count": "#,##0", "money": "#,##0", "year": "0"}  # never scientific notation
MAX_WIDTH, MIN_WIDTH = 60, 8
# openpyxl stamps the save time into docProps/core.xml and every zip entry; a fixed stamp
# makes the same table give the same bytes (1980-01-01 is the earliest a zip entry can hold).
FIXED_STAMP = datetime(1980, 1, 1)
CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


@cache
def headers() -> dict[str, dict[str, str]]:
    return {row["column"]: row for row in reference.read_reference("export_headers")}


def header(column: str, lang: str) -> str:
    row = headers().get(column)
    return row[lang] if row else column


def number_format(column: str) -> str | None:
    row = headers().get(column)
    return NUMBER_FORMATS.get(row["format"]) if row else None


def localised(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The frame with headers in ``lang`` (units in the header); values unchanged."""
    return frame.rename(columns={c: header(c, lang) for c in frame.columns})


def _cell(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars -> Python numbers openpyxl writes as numbers
        return value.item()
    return value


def _width(values: list[object], title: str) -> float:
    longest = max([len(str(title))] + [len(str(v)) for v in values[:2000] if v is not None])
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))


def workbook_bytes(sheets: list[tuple[str, pd.DataFrame]], lang: str, about: list[tuple[str, str]]) -> bytes:
    """Sheets (name, frame with canonical column names) plus a Sources sheet of (field, value) rows."""
    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets:
        sheet = book.create_sheet(name[:31])
        columns = list(frame.columns)
        sheet.append([header(c, lang) for c in columns])
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        for i, column in enumerate(columns, start=1):
            letter = get_column_letter(i)
            fmt = number_format(column)
            if fmt:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt
            sheet.column_dimensions[letter].width = _width(frame[column].tolist(), header(column, lang))
        sheet.freeze_panes = "A2"
    sources = book.create_sheet(_text("sheet_sources", lang))
    for field, value in about:
        sources.append([field, value])
    sources.column_dimensions["A"].width = 30
    sources.column_dimensions["B"].width = 110
    book.properties.created = FIXED_STAMP
    buffer = stdio.BytesIO()
    book.save(buffer)
    return stable_zip(buffer.getvalue())


def stable_zip(data: bytes) -> bytes:
    """The .xlsx with fixed time stamps (zip entries and workbook properties)."""
    stable = stdio.BytesIO()
    with zipfile.ZipFile(stdio.BytesIO(data)) as source, zipfile.ZipFile(stable, "w") as target:
        for entry in source.infolist():
            body = source.read(entry)
            if entry.filename == "docProps/core.xml":
                stamp = FIXED_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                body = CORE_MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED_STAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, body)
    return stable.getvalue()


def _text(key: str, lang: str) -> str:
    from kss_analysis.core.labels import text

    return text(key, lang)
