"""Read the UNDP South-South cooperation project list (CSV, one project per record).

Headers are matched without case or punctuation; the earlier layout of the list (one
column fewer) reads the same, since only the columns below are needed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from kss_analysis.core.errors import InputError
from kss_analysis.core.schema import normalise_header
from kss_analysis.ingest.register.read import decode_text

COLUMNS = {
    "number": "number",
    "project_name": "title",
    "links": "links",
    "host_recipient_country_ies": "hosts",
    "provider_country_ies": "providers",
    "regions_involved": "regions",
    "entity_ies_supporting_and_or_implementing": "implementers",
    "start_year": "start_year",
    "end_year": "end_year",
    "thematic_areas": "themes",
    "sub_thematic_areas": "subthemes",  # later vintages of the list
}
REQUIRED = ("title", "hosts", "providers", "start_year", "themes")


def read_undp(path: str | Path) -> pd.DataFrame:
    """All projects as text with canonical column names and a ``row`` (record number)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None
    text = decode_text(data, str(path))
    try:
        frame = pd.read_csv(io.StringIO(text, newline=""), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise InputError(str(path), f"malformed CSV: {exc}") from None
    frame = frame.rename(columns={c: COLUMNS.get(normalise_header(c), c) for c in frame.columns})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(str(path), f"not the UNDP South-South project list: missing {', '.join(missing)}")
    frame.insert(0, "row", range(2, len(frame) + 2))
    return frame
