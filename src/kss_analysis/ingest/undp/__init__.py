"""UNDP's South-South project list: read the export, place its projects."""

from __future__ import annotations

from pathlib import Path

from kss_analysis.core.model import SourceTables
from kss_analysis.ingest.entry import ACTIVITY_TABLES, Reader


def place_file(path: Path, *, source: str, file_label: str) -> SourceTables:
    from kss_analysis.ingest.undp.place import place_undp

    return place_undp(path, source=source, file_label=file_label)


READERS = (Reader("undp", ACTIVITY_TABLES, place_file),)
