"""AidData research releases (GCOF China, TUFF Qatar): read the release, place its projects."""

from __future__ import annotations

from pathlib import Path

from kss_analysis.core.model import SourceTables
from kss_analysis.ingest.entry import ACTIVITY_TABLES, Reader


def place_file(path: Path, *, source: str, file_label: str) -> SourceTables:
    from kss_analysis.ingest.aiddata.place import place_aiddata

    return place_aiddata(path, source=source, file_label=file_label)


READERS = (Reader("aiddata", ACTIVITY_TABLES, place_file),)
