"""IATI activities (Datastore JSON and activity XML): read, then place activities and transactions."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from kss_analysis.core.model import SourceTables
from kss_analysis.ingest.entry import WITH_TRANSACTIONS, Reader


def place_file(path: Path, *, kind: str, source: str, file_label: str, files: list[Path] | None = None) -> SourceTables:
    from kss_analysis.ingest.iati.place import place_iati_path

    return place_iati_path(path, kind=kind, source=source, file_label=file_label, files=files)


READERS = (
    Reader("iati-json", WITH_TRANSACTIONS, partial(place_file, kind="iati-json"), reads_folder=True),
    Reader("iati-xml", WITH_TRANSACTIONS, partial(place_file, kind="iati-xml")),
)
