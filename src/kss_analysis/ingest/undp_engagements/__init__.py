"""UNDP's South-South and triangular cooperation inventory: one engagement per row."""

from __future__ import annotations

from pathlib import Path

from kss_analysis.core.model import SourceTables
from kss_analysis.ingest.entry import ACTIVITY_TABLES, Reader


def place_file(path: Path, *, source: str, file_label: str) -> SourceTables:
    from kss_analysis.ingest.undp_engagements.place import place_engagements

    return place_engagements(path, source=source, file_label=file_label)


READERS = (Reader("undp-engagements", ACTIVITY_TABLES, place_file),)
