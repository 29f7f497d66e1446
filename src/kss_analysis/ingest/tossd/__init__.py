"""TOSSD (Total Official Support for Sustainable Development) year files: read, then place by provider."""

from __future__ import annotations

from pathlib import Path

from kss_analysis.core.model import SourceTables
from kss_analysis.ingest.entry import WITH_TRANSACTIONS, Reader


def place_file(path: Path, *, source: str, file_label: str, providers: tuple[str, ...] | None) -> SourceTables:
    from kss_analysis.ingest.tossd.place import place_tossd

    return place_tossd(path, file_label=file_label, providers=providers)


READERS = (Reader("tossd", WITH_TRANSACTIONS, place_file, pattern_suffixes=(".parquet",), takes_providers=True),)
