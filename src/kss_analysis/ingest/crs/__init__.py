"""OECD CRS bulk files: scanned in batches and placed column-wise (the big source)."""

from __future__ import annotations

from kss_analysis.ingest.entry import Reader

# Built column-wise by its own step (build/pipeline.build_crs), also for ``kss ingest --as crs``.
READERS = (
    Reader("crs", ("crs", "crs_ledger"), pattern_suffixes=(".txt", ".zip", ".csv", ".parquet"), ingest_alone=True),
)
