"""Is a published processed folder one complete build? Checks across its tables.

Used by the crash tests (a build killed at any point must leave a folder that passes) and
usable on any processed folder. A mix of two builds shows as tables naming different
input files or checksums, counts that disagree with the ledger, or aggregates that are
not those of the published activities.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kss_analysis.build.aggregate import aggregate_standard
from kss_analysis.core import io
from kss_analysis.core.model import SourceTables
from kss_analysis.core.validate import check_tables
from kss_analysis.rules import scope

CORE = ("activities", "activity_recipients", "activity_transactions", "quarantine", "ledger")
OWN_INPUTS = ("codelists", "crs_ledger")  # built from other raw files, with their own provenance


def check_published(processed: Path) -> list[str]:
    """Problems found; an empty list means the folder is one consistent build."""
    problems = []
    files = sorted(processed.glob("*.parquet"))
    missing = [name for name in CORE if not (processed / f"{name}.parquet").is_file()]
    if missing:
        return [f"{processed}: missing {', '.join(missing)}"]
    inputs = {}
    for path in files:
        if path.stem in OWN_INPUTS:
            continue
        inputs[path.stem] = io.read_metadata(path).get("inputs")
    if len({repr(v) for v in inputs.values()}) > 1:
        reference = inputs["activities"]
        odd = sorted(name for name, value in inputs.items() if value != reference)
        problems.append(f"tables from another build than activities (different inputs): {', '.join(odd)}")
    frames = {name: io.read_table(processed / f"{name}.parquet") for name in CORE}
    tables = SourceTables(
        frames["activities"],
        frames["activity_recipients"],
        frames["quarantine"],
        frames["ledger"],
        frames["activity_transactions"],
    )
    problems += check_tables(tables)
    acts = tables.activities
    programmes, recipients = scope.scoped(acts, tables.activity_recipients)
    for name, (expected, _) in aggregate_standard(programmes, recipients).items():
        path = processed / f"{name}.parquet"
        if not path.is_file():
            problems.append(f"aggregate {name} missing")
            continue
        published = io.read_table(path)
        try:
            pd.testing.assert_frame_equal(
                published.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
            )
        except AssertionError:
            problems.append(f"aggregate {name} is not the aggregate of the published activities")
    return problems
