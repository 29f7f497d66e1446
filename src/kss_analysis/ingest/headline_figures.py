"""Read and check the headline-figures register (data/raw/kss/kss_figures.csv).

One row per figure as a source states it. Figures mix units (IDR, USD, counts, percent)
and periods (annual, cumulative), so nothing here adds them up.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kss_analysis.core.errors import InputError
from kss_analysis.core.schema import FIGURE_PERIOD_TYPES, VALUE_QUALIFIERS
from kss_analysis.ingest.entry import Reader

REQUIRED = ("figure_id", "indicator", "value", "unit", "source_url")


def read_figures(path: Path) -> pd.DataFrame:
    """Figures with ``value`` as a number; raises InputError naming the first bad rows."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(str(path), f"missing columns: {', '.join(missing)}")
    problems = []
    values = pd.to_numeric(frame["value"], errors="coerce")
    for index in frame.index[values.isna()]:
        problems.append(f"row {index + 2}: value '{frame.at[index, 'value']}' is not a number")
    for column in REQUIRED:
        for index in frame.index[frame[column].str.strip() == ""]:
            problems.append(f"row {index + 2}: {column} is empty")
    for index in frame.index[~frame["value_qualifier"].isin(VALUE_QUALIFIERS)]:
        problems.append(
            f"row {index + 2}: value_qualifier '{frame.at[index, 'value_qualifier']}' not in {sorted(VALUE_QUALIFIERS)}"
        )
    for index in frame.index[~frame["period_type"].isin(FIGURE_PERIOD_TYPES)]:
        problems.append(
            f"row {index + 2}: period_type '{frame.at[index, 'period_type']}' not in {sorted(FIGURE_PERIOD_TYPES)}"
        )
    if frame["figure_id"].duplicated().any():
        problems.append(f"duplicate figure_id: {', '.join(frame['figure_id'][frame['figure_id'].duplicated()])}")
    if problems:
        raise InputError(
            str(path), "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        )
    out = frame.replace("", None)
    out["value"] = values
    return out


READERS = (Reader("figures", ("kss_figures",)),)  # built by build/pipeline.build_figures
