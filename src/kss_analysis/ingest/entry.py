"""A reader entry: what a source unit declares so that ``kss build`` and ``kss ingest --as`` find it.

Each source unit of the ingest stage (a module, or a folder's ``__init__``) lists its
entries in a module-level ``READERS`` tuple; ``ingest.readers`` collects them. Placing
code is imported only when a file is placed, so listing the readers stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kss_analysis.core.model import SourceTables

ACTIVITY_TABLES = ("activities", "activity_recipients", "quarantine", "ledger")
WITH_TRANSACTIONS = (*ACTIVITY_TABLES, "activity_transactions")


@dataclass(frozen=True)
class Reader:
    name: str  # the ``reader`` of sources.yml and the ``--as`` of kss ingest
    tables: tuple[str, ...]  # processed tables its rows go to
    place: Callable[..., SourceTables] | None = None  # None: built by its own step in build/pipeline.py
    reads_folder: bool = False  # one folder of files is read as one input (IATI JSON)
    pattern_suffixes: tuple[str, ...] = ()  # files of a pattern source (no pinned list) that it reads
    takes_providers: bool = False  # TOSSD: which providers to read
    takes_profile: bool = False  # registers: a profile for other headers and layouts
    ingest_alone: bool = False  # ``kss ingest --as`` reads it although ``place`` is None (CRS)
