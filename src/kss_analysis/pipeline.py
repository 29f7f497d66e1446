"""Build every processed dataset from data/raw, one named step per output.

Inputs: the embedded KSS registers in raw/kss/, any user register dropped into
raw/registers/, and every fetched source present in raw/<source id>/ (see sources.yml).
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
from kss_analysis.errors import reading
from kss_analysis.figures import read_figures
from kss_analysis.placing.aiddata import place_aiddata
from kss_analysis.placing.iati import place_iati_path
from kss_analysis.placing.register import place_register
from kss_analysis.placing.undp import place_undp
from kss_analysis.registry import Source, load_sources
from kss_analysis.sources.codelists import read_codelists
from kss_analysis.sources.register import read_register
from kss_analysis.tables import SourceTables
from kss_analysis.validate import enforce

KSS_PROGRAMMES = Path("kss") / "kss_programmes.csv"
KSS_FIGURES = Path("kss") / "kss_figures.csv"
USER_REGISTERS = Path("registers")
REGISTER_SUFFIXES = (".csv", ".xlsx", ".xlsm")
ACTIVITY_READERS = ("aiddata", "undp", "iati-json", "iati-xml")
INGEST_FORMATS = ("register", *ACTIVITY_READERS)


@dataclass
class BuildResult:
    tables: SourceTables
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # raw files not built, and why


def find_registers(raw: Path, notices: list[str] | None = None) -> list[tuple[str, Path]]:
    """(source name, path) of every register to build, embedded one first; files skipped
    (special files, a second file with the same register name) are explained in ``notices``."""
    from kss_analysis.inputs import special_file_reason

    notices = [] if notices is None else notices
    found = []
    if (raw / KSS_PROGRAMMES).exists():
        found.append(("kss", raw / KSS_PROGRAMMES))
    user_dir = raw / USER_REGISTERS
    if user_dir.is_dir():
        taken: dict[str, Path] = {}
        for path in sorted(user_dir.iterdir()):
            if path.suffix.casefold() in REGISTER_SUFFIXES and not path.name.startswith((".", "~$")):
                label = path.relative_to(raw)
                if reason := special_file_reason(path, raw.parent):
                    notices.append(f"{label} {reason}")
                elif path.stem in taken:
                    notices.append(
                        f"{label}: same register name as {taken[path.stem].relative_to(raw)}, which is built; "
                        "skipped (rename one if both are wanted)"
                    )
                else:
                    taken[path.stem] = path
                    found.append((f"register:{path.stem}", path))
    return found


def build_register_tables(path: Path, *, source: str, file_label: str | None = None) -> SourceTables:
    """One register file -> canonical tables, invariants checked."""
    id_prefix = "" if source == "kss" else f"{source.split(':', 1)[-1]}:"
    with reading(str(path)):
        tables = place_register(read_register(path), source=source, file_label=file_label, id_prefix=id_prefix)
    enforce(tables)
    return tables


def build_file_tables(
    path: Path, *, reader: str, source: str, file_label: str, files: list[Path] | None = None
) -> SourceTables:
    """One raw file (or IATI JSON folder, only ``files`` of it when given) -> canonical tables."""
    if reader == "register":
        return build_register_tables(path, source=source, file_label=file_label)
    with reading(str(path)):
        if reader == "aiddata":
            tables = place_aiddata(path, source=source, file_label=file_label)
        elif reader == "undp":
            tables = place_undp(path, file_label=file_label)
        elif reader in ("iati-json", "iati-xml"):
            tables = place_iati_path(path, kind=reader, source=source, file_label=file_label, files=files)
        else:
            raise ValueError(f"no reader named {reader}")
    enforce(tables)
    return tables


def find_source_inputs(raw: Path, notices: list[str] | None = None) -> list[tuple[Source, Path, list[Path]]]:
    """(source, path to read, raw files behind it) for every fetched source present in raw/:
    only its listed files that match their checksum (inputs.admit_source); the others are
    explained in ``notices``."""
    from kss_analysis.fetch import read_manifest
    from kss_analysis.inputs import admit_source

    manifest = read_manifest(raw)
    found = []
    for source in load_sources().values():
        if source.reader not in ACTIVITY_READERS or source.kind == "embedded":
            continue
        folder = raw / source.id
        admitted = admit_source(source, raw, manifest)
        if notices is not None:
            notices.extend(admitted.notices)
        present = sorted(admitted.files)
        if not present:
            continue
        if source.reader == "iati-json":
            found.append((source, folder, present))
        else:
            found.extend((source, path, [path]) for path in present)
    return found


def verified_codelists(raw: Path, notices: list[str]) -> list[Path]:
    """The code-list files that match their checksum (inputs.admit_source); others in ``notices``."""
    from kss_analysis.fetch import read_manifest
    from kss_analysis.inputs import admit_source

    sources, manifest, files = load_sources(), read_manifest(raw), []
    for source_id in ("dac-crs-codes", "iati-codelists"):
        if source_id in sources:
            admitted = admit_source(sources[source_id], raw, manifest)
            notices.extend(admitted.notices)
            files.extend(admitted.files)
    return sorted(files)


CRS_SUFFIXES = (".txt", ".zip", ".csv")


def find_crs_inputs(raw: Path, notices: list[str] | None = None) -> list[Path]:
    """OECD CRS bulk files fetched or placed by hand in raw/oecd-crs/ (special files skipped)."""
    from kss_analysis.inputs import special_file_reason

    folder = raw / "oecd-crs"
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.casefold() in CRS_SUFFIXES and not path.name.startswith("."):
            if reason := special_file_reason(path, raw.parent):
                (notices if notices is not None else []).append(f"{path.relative_to(raw)} {reason}")
            else:
                found.append(path)
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


BUILD_LOCK = ".build.lock"


def build_all(data: Path) -> BuildResult:
    """Every register and fetched source in ``data``/raw -> ``data``/processed, published as
    one transaction (publish.py) while holding the build lock (locking.py)."""
    from kss_analysis import locking, publish

    with locking.hold(data / BUILD_LOCK, "kss build"), publish.transaction(data) as staging:
        result = build_into(data / "raw", staging)
        previous = publish.published(data)
    return publish.relocate(result, staging, data / publish.PROCESSED, previous)


def build_into(raw: Path, processed: Path) -> BuildResult:
    """Every register and fetched source in ``raw`` -> the folder ``processed``."""
    inputs: dict[str, str] = {}
    parts = []
    notices: list[str] = []
    for source, path in find_registers(raw, notices):
        label = str(path.relative_to(raw))
        inputs[label] = io.sha256_file(path)
        parts.append(build_register_tables(path, source=source, file_label=label))
    for source, path, files in find_source_inputs(raw, notices):
        for file in files:
            inputs[str(file.relative_to(raw))] = io.sha256_file(file)
        parts.append(
            build_file_tables(
                path, reader=source.reader, source=source.id, file_label=str(path.relative_to(raw)), files=files
            )
        )
    tables = SourceTables.concat(parts)
    enforce(tables)
    figures = None
    if (raw / KSS_FIGURES).exists():
        figures = read_figures(raw / KSS_FIGURES)
        inputs[str(KSS_FIGURES)] = io.sha256_file(raw / KSS_FIGURES)
    written, unchanged = write_outputs(tables, processed, dict(sorted(inputs.items())), figures)
    crs_inputs = find_crs_inputs(raw, notices)
    if crs_inputs:
        from kss_analysis.crs import build_crs, crs_ledger

        for file in crs_inputs:
            inputs[str(file.relative_to(raw))] = io.sha256_file(file)
        build_crs(crs_inputs, processed / "crs")
        ledger_path = processed / "crs_ledger.parquet"
        crs_provenance = {
            "inputs": {str(f.relative_to(raw)): inputs[str(f.relative_to(raw))] for f in crs_inputs},
            "dataset": "crs_ledger",
            "grain": "one row per year x quarantine reason",
        }
        (
            written
            if io.write_table(crs_ledger(processed / "crs").to_pandas(), ledger_path, provenance=crs_provenance)
            else unchanged
        ).append(ledger_path)
        written.append(processed / "crs")
    verified = verified_codelists(raw, notices)
    codelists = read_codelists(raw, verified)
    if len(codelists):
        files = verified
        provenance = {
            "inputs": {str(f.relative_to(raw)): io.sha256_file(f) for f in files},
            "dataset": "codelists",
            "grain": "one row per codelist x code",
        }
        path = processed / "codelists.parquet"
        (written if io.write_table(codelists, path, provenance=provenance) else unchanged).append(path)
    return BuildResult(tables, written, unchanged, inputs, notices)
