"""Build every processed dataset from data/raw, one named step per output.

Inputs: every source of sources.yml present in raw/<source id>/, read by its ``reader``
(see readers.py), and any user register dropped into raw/registers/.
Outputs in processed/: activities, activity_recipients, activity_transactions,
quarantine, ledger, kss_figures and the standard aggregates, each with provenance
metadata (the sha256 of every raw file read, and the FX and deflator vintages used for
the money equivalents, see money.py); unmapped_values.csv lists the values kept as
'unclassified' and the reference file to extend (unmapped.py).

A build is one transaction (publish.py): every step writes into a staging folder that is
published in one atomic step, under the build lock (locking.py). Only verified inputs are
read (inputs.py); raw files left out are explained in ``BuildResult.notices``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kss_analysis.core import io
from kss_analysis.core import reference
from kss_analysis.core import schema
from kss_analysis.build.aggregate import aggregate_standard
from kss_analysis.build.reports import write_reports
from kss_analysis.core.errors import reading
from kss_analysis.ingest.headline_figures import read_figures
from kss_analysis.build.finalise import finalise
from kss_analysis.build.result import BuildResult
from kss_analysis.core.model import SourceTables
from kss_analysis.build.money import add_money_equivalents, add_transaction_equivalents, load_money_tables
from kss_analysis.ingest.readers import find_inputs, place_file, source_files
from kss_analysis.acquire.registry import load_sources
from kss_analysis.ingest.codelists import read_codelists
from kss_analysis.ingest.register.profile import profile_beside
from kss_analysis.ingest.tossd.read import DEFAULT_PROVIDERS
from kss_analysis.ingest.unmapped import write_report
from kss_analysis.rules import scope
from kss_analysis.core.validate import InvariantError, check_ledger, enforce

CRS_SUFFIXES = (".txt", ".zip", ".csv")
USER_REFERENCE = Path("reference")  # the user's alias tables (reference.OVERRIDABLE)


def find_crs_inputs(raw: Path, notices: list[str] | None = None) -> list[Path]:
    """OECD CRS files fetched or placed by hand in the folder of every source read as ``crs``;
    special files and links out of the data folder are skipped with a notice."""
    from kss_analysis.acquire.inputs import special_file_reason

    found = []
    for source in load_sources().values():
        folder = raw / source.id
        if source.reader == "crs" and folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.casefold() not in CRS_SUFFIXES or path.name.startswith("."):
                    continue
                if reason := special_file_reason(path, raw.parent):
                    if notices is not None:
                        notices.append(f"{path.relative_to(raw)} {reason}")
                else:
                    found.append(path)
    return found


def add_money(tables: SourceTables, raw: Path | None) -> dict:
    """Money step: USD and constant-price equivalents beside every stated amount, in place.

    Rates and deflators come from raw/ when fetched there, else the embedded extract;
    returns their provenance (file, origin, sha256, upstream commit).
    """
    money = load_money_tables(raw)
    tables.activities = add_money_equivalents(tables.activities, tables=money)
    tables.activity_transactions = add_transaction_equivalents(tables.activity_transactions, tables=money)
    return money.provenance


def write_outputs(
    tables: SourceTables,
    out: Path,
    inputs: dict[str, str],
    figures: pd.DataFrame | None = None,
    money: dict | None = None,
) -> tuple[list[Path], list[Path]]:
    """Write the canonical tables and aggregates into ``out``; returns (written, unchanged).

    The standard aggregates describe the KSS programme registers only (the embedded one
    and user registers); other sources stay in the canonical tables with their ``source``.
    """
    provenance = {"inputs": inputs, **({"money": money} if money else {})}
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
    programmes, programme_recipients = scope.scoped(tables.activities, tables.activity_recipients)
    for name, (table, basis) in aggregate_standard(programmes, programme_recipients).items():
        grain = f"one row per {name.split('_by_')[1].replace('_', ' x ')}"
        outputs.append((name, table, None, {"grain": grain, "basis": basis, "scope": "KSS programme registers"}))
    written: list[Path] = []
    unchanged: list[Path] = []
    for name, frame, arrow_schema, extra in outputs:
        path = out / f"{name}.parquet"
        changed = io.write_table(
            frame, path, arrow_schema=arrow_schema, provenance={**provenance, "dataset": name, **extra}
        )
        (written if changed else unchanged).append(path)
    return written, unchanged


def _checksums(raw: Path, files) -> dict[str, str]:
    return {str(f.relative_to(raw)): io.sha256_file(f) for f in files}


def build_activities(
    raw: Path,
    *,
    tossd_providers: tuple[str, ...] | None = DEFAULT_PROVIDERS,
    notices: list[str] | None = None,
) -> tuple[SourceTables, dict[str, str], dict]:
    """Every register and activity source in raw/ -> canonical tables (money equivalents beside
    every stated amount), the sha256 of the files read, and the FX/deflator provenance.

    ``tossd_providers``: DAC provider codes read from TOSSD files (None = every provider).
    ``notices`` gets one line per raw file not built (unverified, special, duplicate name).
    """
    inputs: dict[str, str] = {}
    parts = []
    for found in find_inputs(raw, notices):
        inputs.update(_checksums(raw, found.files))
        if found.reader == "register" and (profile := profile_beside(found.path)):
            inputs.update(_checksums(raw, [profile]))  # a profile changes how the register reads
        parts.append(
            place_file(
                found.path,
                reader=found.reader,
                source=found.source,
                file_label=str(found.path.relative_to(raw)),
                providers=tossd_providers,
                files=found.files,
            )
        )
    tables = SourceTables.concat(parts)
    enforce(tables)
    tables = finalise(tables)
    money = add_money(tables, raw)
    return tables, inputs, money


def build_figures(raw: Path, notices: list[str] | None = None) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """The headline-figures register, checked, when present."""
    files = source_files(raw, "figures", notices)
    if not files:
        return None, {}
    frames = []
    for file in files:
        with reading(str(file)):
            frames.append(read_figures(file))
    return pd.concat(frames, ignore_index=True), _checksums(raw, files)


def build_crs_outputs(raw: Path, processed: Path, notices: list[str] | None = None) -> tuple[list[Path], list[Path]]:
    """CRS files -> year-partitioned processed/crs/ and processed/crs_ledger.parquet."""
    crs_inputs = find_crs_inputs(raw, notices)
    if not crs_inputs:
        return [], []
    built = build_crs(crs_inputs, processed / "crs", [str(p.relative_to(raw)) for p in crs_inputs])
    ledger_path = processed / "crs_ledger.parquet"
    provenance = {"inputs": _checksums(raw, crs_inputs), "dataset": "crs_ledger", "grain": "one row per input file"}
    changed = io.write_table(built.ledger, ledger_path, provenance=provenance)
    return ([ledger_path] if changed else []) + [processed / "crs"], [] if changed else [ledger_path]


def verified_codelists(raw: Path, notices: list[str] | None = None) -> list[Path]:
    """The code-list files that match their checksum (inputs.admit_source); others in ``notices``."""
    from kss_analysis.acquire.fetch import read_manifest
    from kss_analysis.acquire.inputs import admit_source

    sources, manifest = load_sources(), read_manifest(raw)
    files: list[Path] = []
    for source_id in ("dac-crs-codes", "iati-codelists"):
        if source_id in sources:
            admitted = admit_source(sources[source_id], raw, manifest)
            if notices is not None:
                notices.extend(admitted.notices)
            files.extend(admitted.files)
    return sorted(files)


def build_codelists(raw: Path, processed: Path, notices: list[str] | None = None) -> tuple[list[Path], list[Path]]:
    """DAC/CRS and IATI code lists -> processed/codelists.parquet, when fetched (verified files only)."""
    files = verified_codelists(raw, notices)
    codelists = read_codelists(raw, files)
    if not len(codelists):
        return [], []
    provenance = {"inputs": _checksums(raw, files), "dataset": "codelists", "grain": "one row per codelist x code"}
    path = processed / "codelists.parquet"
    return ([path], []) if io.write_table(codelists, path, provenance=provenance) else ([], [path])


BUILD_LOCK = ".build.lock"


def build_all(data: Path, *, tossd_providers: tuple[str, ...] | None = DEFAULT_PROVIDERS) -> BuildResult:
    """Every register and fetched source in ``data``/raw -> ``data``/processed, one step per output,
    with the user's alias tables in raw/reference/ on (recorded among the inputs).

    Published as one transaction (publish.py) while holding the build lock (locking.py):
    readers of ``processed`` see the previous complete build or this one, never a mix.
    """
    from kss_analysis.core import locking
    from kss_analysis.build import publish

    overrides = reference.use_overrides(data / "raw" / USER_REFERENCE)
    try:
        inputs = {str(USER_REFERENCE / p.name): io.sha256_file(p) for p in overrides.values()}
        with locking.hold(data / BUILD_LOCK, "kss build"), publish.transaction(data) as staging:
            result = _build_all(data / "raw", staging, inputs, tossd_providers)
            previous = publish.published(data)
        return publish.relocate(result, staging, data / publish.PROCESSED, previous)
    finally:
        reference.use_overrides(None)


def _build_all(
    raw: Path, processed: Path, inputs: dict[str, str], tossd_providers: tuple[str, ...] | None
) -> BuildResult:
    """Every step, writing into the folder ``processed`` (the staging folder of a build)."""
    notices: list[str] = []
    tables, activity_inputs, money = build_activities(raw, tossd_providers=tossd_providers, notices=notices)
    inputs.update(activity_inputs)
    figures, figure_inputs = build_figures(raw, notices)
    inputs.update(figure_inputs)
    written, unchanged = write_outputs(tables, processed, dict(sorted(inputs.items())), figures, money)
    reports = write_reports(tables.activities, tables.quarantine, processed)
    unmapped_path, unmapped, changed = write_report(tables.activities, processed)
    (written if changed else unchanged).append(unmapped_path)
    for step in (build_crs_outputs, build_codelists):
        step_written, step_unchanged = step(raw, processed, notices)
        written += step_written
        unchanged += step_unchanged
    return BuildResult(
        tables, written, unchanged, inputs, reports, unmapped, unmapped_path, list(dict.fromkeys(notices))
    )  # notices once each


# Small row groups make the partitioned sink flush often: peak memory on 1M synthetic rows
# fell from 1.1 GB (polars' default) to about 0.5 GB at the same speed (benchmarks/bench_crs.py).
CRS_ROW_GROUP_ROWS = 10_000


@dataclass
class CrsBuild:
    out: Path  # year-partitioned CRS rows
    ledger: pd.DataFrame  # one row per input file: rows read = written + quarantined in place


def build_crs(inputs: list[Path], out: Path, labels: list[str] | None = None) -> CrsBuild:
    """CRS files -> ``out`` (year=YYYY/part-*.parquet), and a ledger that counts the input's records apart.

    ``labels`` name the inputs in ``source_file`` and the ledger (default: the paths as given).
    Raises InvariantError when the rows written do not account for every record read.
    """
    from contextlib import ExitStack

    from kss_analysis.build.aggregate import crs_rows_by_file
    from kss_analysis.ingest.crs.place import place_crs
    from kss_analysis.ingest.crs.read import count_input_rows, scan_crs, utf8_text

    labels = labels or [str(p) for p in inputs]
    read: dict[str, int] = {}
    with ExitStack() as stack:
        frames = []
        for path, label in zip(inputs, labels, strict=True):
            text_path = stack.enter_context(utf8_text(path))
            frames.append((str(path), place_crs(scan_crs(text_path, str(path)), label)))
            read[label] = count_input_rows(text_path)
        io.write_partitioned(frames, out, key="year", row_group_size=CRS_ROW_GROUP_ROWS)
    ledger = crs_ledger(read, crs_rows_by_file(out).to_pandas())
    problems = check_ledger(ledger)
    if problems:
        raise InvariantError("CRS build lost rows:\n  - " + "\n  - ".join(problems))
    return CrsBuild(out, ledger)


def crs_ledger(read: dict[str, int], written: pd.DataFrame) -> pd.DataFrame:
    """Per input: records read, written clean, quarantined in place (with the count per reason)."""
    rows = []
    for file, n_read in read.items():
        mine = written[written["source_file"] == file]
        flagged = mine[mine["quarantine_reason"].notna()]
        by_reason = flagged.groupby("quarantine_reason")["rows"].sum().sort_index()
        rows.append(
            {
                "file": file,
                "rows_read": n_read,
                "rows_kept": int(mine.loc[mine["quarantine_reason"].isna(), "rows"].sum()),
                "rows_fixed": 0,
                "rows_quarantined": int(flagged["rows"].sum()),
                "rows_excluded": 0,
                "excluded_by_rule": None,
                "quarantined_by_reason": ";".join(f"{r}={n}" for r, n in by_reason.items()) or None,
            }
        )
    return pd.DataFrame(rows)
