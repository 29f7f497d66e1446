"""Build every processed dataset from data/raw, one named step per output.

Inputs: every source of sources.yml present in raw/<source id>/, read by its ``reader``
(see readers.py), and any user register dropped into raw/registers/.
Outputs in processed/: activities, activity_recipients, activity_transactions,
quarantine, ledger, kss_figures and the standard aggregates, each with provenance
metadata (the sha256 of every raw file read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kss_analysis import io, schema
from kss_analysis.aggregate import aggregate_standard
from kss_analysis.figures import read_figures
from kss_analysis.model import SourceTables
from kss_analysis.readers import find_inputs, place_file, source_files
from kss_analysis.registry import load_sources
from kss_analysis.sources.codelists import read_codelists
from kss_analysis.validate import enforce

CRS_SUFFIXES = (".txt", ".zip", ".csv")


@dataclass
class BuildResult:
    tables: SourceTables
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)


def find_crs_inputs(raw: Path) -> list[Path]:
    """OECD CRS files fetched or placed by hand in the folder of every source read as ``crs``."""
    found = []
    for source in load_sources().values():
        folder = raw / source.id
        if source.reader == "crs" and folder.is_dir():
            found += sorted(
                p for p in folder.iterdir() if p.suffix.casefold() in CRS_SUFFIXES and not p.name.startswith(".")
            )
    return found


def write_outputs(
    tables: SourceTables, out: Path, inputs: dict[str, str], figures: pd.DataFrame | None = None
) -> tuple[list[Path], list[Path]]:
    """Write the canonical tables and aggregates into ``out``; returns (written, unchanged).

    The standard aggregates describe the KSS programme registers only (the embedded one
    and user registers); other sources stay in the canonical tables with their ``source``.
    """
    provenance = {"inputs": inputs}
    outputs: list[tuple[str, pd.DataFrame, object, dict]] = [
        ("activities", tables.activities, schema.ACTIVITIES, {"grain": "one row per activity"}),
        (
            "activity_recipients",
            tables.activity_recipients,
            schema.ACTIVITY_RECIPIENTS,
            {"grain": "one row per activity x recipient"},
        ),
        (
            "activity_transactions",
            tables.activity_transactions,
            schema.ACTIVITY_TRANSACTIONS,
            {"grain": "one row per transaction"},
        ),
        ("quarantine", tables.quarantine, schema.QUARANTINE, {"grain": "one row per raw row not placed"}),
        ("ledger", tables.ledger, schema.LEDGER, {"grain": "one row per raw file"}),
    ]
    if figures is not None:
        outputs.append(("kss_figures", figures, None, {"grain": "one row per headline figure"}))
    registers = tables.activities["source"].str.match(r"^(kss$|register:)")  # as export.is_register
    register_ids = set(tables.activities.loc[registers, "activity_id"])
    register_recipients = tables.activity_recipients[tables.activity_recipients["activity_id"].isin(register_ids)]
    for name, (table, basis) in aggregate_standard(tables.activities[registers], register_recipients).items():
        grain = f"one row per {name.split('_by_')[1].replace('_', ' x ')}"
        outputs.append((name, table, None, {"grain": grain, "basis": basis, "scope": "KSS programme registers"}))
    written, unchanged = [], []
    for name, frame, arrow_schema, extra in outputs:
        path = out / f"{name}.parquet"
        changed = io.write_table(
            frame, path, arrow_schema=arrow_schema, provenance={**provenance, "dataset": name, **extra}
        )
        (written if changed else unchanged).append(path)
    return written, unchanged


def _checksums(raw: Path, files) -> dict[str, str]:
    return {str(f.relative_to(raw)): io.sha256_file(f) for f in files}


def build_activities(raw: Path) -> tuple[SourceTables, dict[str, str]]:
    """Every register and activity source in raw/ -> canonical tables, and the sha256 of the files read."""
    inputs: dict[str, str] = {}
    parts = []
    for found in find_inputs(raw):
        inputs.update(_checksums(raw, found.files))
        parts.append(
            place_file(
                found.path, reader=found.reader, source=found.source, file_label=str(found.path.relative_to(raw))
            )
        )
    tables = SourceTables.concat(parts)
    enforce(tables)
    return tables, inputs


def build_figures(raw: Path) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """The headline-figures register, checked, when present."""
    files = source_files(raw, "figures")
    if not files:
        return None, {}
    return pd.concat([read_figures(f) for f in files], ignore_index=True), _checksums(raw, files)


def build_crs_outputs(raw: Path, processed: Path) -> tuple[list[Path], list[Path]]:
    """CRS files -> year-partitioned processed/crs/ and processed/crs_ledger.parquet."""
    crs_inputs = find_crs_inputs(raw)
    if not crs_inputs:
        return [], []
    from kss_analysis.crs import build_crs, crs_ledger

    build_crs(crs_inputs, processed / "crs")
    ledger_path = processed / "crs_ledger.parquet"
    provenance = {
        "inputs": _checksums(raw, crs_inputs),
        "dataset": "crs_ledger",
        "grain": "one row per year x quarantine reason",
    }
    changed = io.write_table(crs_ledger(processed / "crs").to_pandas(), ledger_path, provenance=provenance)
    return ([ledger_path] if changed else []) + [processed / "crs"], [] if changed else [ledger_path]


def build_codelists(raw: Path, processed: Path) -> tuple[list[Path], list[Path]]:
    """DAC/CRS and IATI code lists -> processed/codelists.parquet, when fetched."""
    codelists = read_codelists(raw)
    if not len(codelists):
        return [], []
    files = sorted([*(raw / "dac-crs-codes").glob("*.csv"), *(raw / "iati-codelists").glob("*.xml")])
    provenance = {"inputs": _checksums(raw, files), "dataset": "codelists", "grain": "one row per codelist x code"}
    path = processed / "codelists.parquet"
    return ([path], []) if io.write_table(codelists, path, provenance=provenance) else ([], [path])


def build_all(data: Path) -> BuildResult:
    """Every register and fetched source in ``data``/raw -> ``data``/processed, one step per output."""
    raw, processed = data / "raw", data / "processed"
    tables, inputs = build_activities(raw)
    figures, figure_inputs = build_figures(raw)
    inputs.update(figure_inputs)
    written, unchanged = write_outputs(tables, processed, dict(sorted(inputs.items())), figures)
    for step in (build_crs_outputs, build_codelists):
        step_written, step_unchanged = step(raw, processed)
        written += step_written
        unchanged += step_unchanged
    return BuildResult(tables, written, unchanged, inputs)
