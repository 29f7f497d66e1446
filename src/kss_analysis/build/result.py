"""What one build produced: its tables, the files written or left unchanged, inputs and notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kss_analysis.core.model import SourceTables


@dataclass
class BuildResult:
    tables: SourceTables
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)  # quarantine and duplicates CSVs
    unmapped: pd.DataFrame | None = None  # unmapped-values report (unmapped.py)
    unmapped_path: Path | None = None
    notices: list[str] = field(default_factory=list)  # raw files not built, and why
