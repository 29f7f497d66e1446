"""Build every processed dataset from data/raw, one named step per output.

Inputs: the embedded KSS registers in raw/kss/ and any user register dropped into
raw/registers/. Outputs in processed/: activities, activity_recipients, quarantine,
ledger, kss_figures and the standard aggregates, each with provenance metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kss_analysis import io, schema
from kss_analysis.aggregate import aggregate_standard
from kss_analysis.figures import read_figures
from kss_analysis.programmes import place_register
from kss_analysis.sources.register import read_register
from kss_analysis.tables import SourceTables
from kss_analysis.validate import enforce

KSS_PROGRAMMES = Path("kss") / "kss_programmes.csv"
KSS_FIGURES = Path("kss") / "kss_figures.csv"
USER_REGISTERS = Path("registers")
REGISTER_SUFFIXES = (".csv", ".xlsx", ".xlsm")


@dataclass
class BuildResult:
    tables: SourceTables
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)


def find_registers(raw: Path) -> list[tuple[str, Path]]:
    """(source name, path) of every register to build, embedded one first."""
    found = []
    if (raw / KSS_PROGRAMMES).exists():
        found.append(("kss", raw / KSS_PROGRAMMES))
    user_dir = raw / USER_REGISTERS
    if user_dir.is_dir():
        for path in sorted(user_dir.iterdir()):
            if path.suffix.casefold() in REGISTER_SUFFIXES and not path.name.startswith((".", "~$")):
                found.append((f"register:{path.stem}", path))
    return found


def build_register_tables(path: Path, *, source: str, file_label: str | None = None) -> SourceTables:
    """One register file -> canonical tables, invariants checked."""
    id_prefix = "" if source == "kss" else f"{source.split(':', 1)[-1]}:"
    tables = place_register(read_register(path), source=source, file_label=file_label, id_prefix=id_prefix)
    enforce(tables)
    return tables


def write_outputs(
    tables: SourceTables, out: Path, inputs: dict[str, str], figures: pd.DataFrame | None = None
) -> tuple[list[Path], list[Path]]:
    """Write the canonical tables and aggregates into ``out``; returns (written, unchanged)."""
    provenance = {"inputs": inputs}
    outputs: list[tuple[str, pd.DataFrame, object, dict]] = [
        ("activities", tables.activities, schema.ACTIVITIES, {"grain": "one row per activity"}),
        (
            "activity_recipients",
            tables.activity_recipients,
            schema.ACTIVITY_RECIPIENTS,
            {"grain": "one row per activity x recipient"},
        ),
        ("quarantine", tables.quarantine, schema.QUARANTINE, {"grain": "one row per raw row not placed"}),
        ("ledger", tables.ledger, schema.LEDGER, {"grain": "one row per raw file"}),
    ]
    if figures is not None:
        outputs.append(("kss_figures", figures, None, {"grain": "one row per headline figure"}))
    for name, (table, basis) in aggregate_standard(tables.activities, tables.activity_recipients).items():
        outputs.append(
            (name, table, None, {"grain": f"one row per {name.split('_by_')[1].replace('_', ' x ')}", "basis": basis})
        )
    written, unchanged = [], []
    for name, frame, arrow_schema, extra in outputs:
        path = out / f"{name}.parquet"
        changed = io.write_table(
            frame, path, arrow_schema=arrow_schema, provenance={**provenance, "dataset": name, **extra}
        )
        (written if changed else unchanged).append(path)
    return written, unchanged


def build_all(data: Path) -> BuildResult:
    """Every register in ``data``/raw -> ``data``/processed."""
    raw, processed = data / "raw", data / "processed"
    registers = find_registers(raw)
    inputs = {str(path.relative_to(raw)): io.sha256_file(path) for _, path in registers}
    parts = [
        build_register_tables(path, source=source, file_label=str(path.relative_to(raw))) for source, path in registers
    ]
    tables = SourceTables.concat(parts)
    enforce(tables)
    figures = None
    if (raw / KSS_FIGURES).exists():
        figures = read_figures(raw / KSS_FIGURES)
        inputs[str(KSS_FIGURES)] = io.sha256_file(raw / KSS_FIGURES)
    written, unchanged = write_outputs(tables, processed, dict(sorted(inputs.items())), figures)
    return BuildResult(tables, written, unchanged, inputs)
