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

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kss_analysis.acquire.inputs import (
    SNAPSHOT,
    BuildInputs,
    copy_private,
    reading_copies,
    snapshot_inputs,
    special_file_reason,
)
from kss_analysis.build.aggregate import aggregate_standard
from kss_analysis.build.finalise import finalise
from kss_analysis.build.money import add_money_equivalents, add_transaction_equivalents, load_money_tables
from kss_analysis.build.reports import write_reports
from kss_analysis.build.result import BuildResult
from kss_analysis.core import io, progress, reference, schema
from kss_analysis.core.errors import InputError, reading
from kss_analysis.core.model import SourceTables
from kss_analysis.core.validate import InvariantError, check_ledger, enforce
from kss_analysis.ingest.codelists import read_codelists
from kss_analysis.ingest.headline_figures import read_figures
from kss_analysis.ingest.readers import admit, find_inputs, place_file, source_files
from kss_analysis.ingest.register.profile import profile_beside
from kss_analysis.ingest.tossd.read import DEFAULT_PROVIDERS
from kss_analysis.ingest.unmapped import write_report
from kss_analysis.rules import scope

USER_REFERENCE = Path("reference")  # the user's alias tables (reference.OVERRIDABLE)


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


def build_activities(
    admitted: BuildInputs,
    *,
    tossd_providers: tuple[str, ...] | None = DEFAULT_PROVIDERS,
    step: progress.Steps | None = None,
) -> tuple[SourceTables, dict[str, str], dict]:
    """Every register and activity source in raw/ -> canonical tables (money equivalents beside
    every stated amount), the sha256 of the files read, and the FX/deflator provenance.

    ``tossd_providers``: DAC provider codes read from TOSSD files (None = every provider).
    ``step``: told of each input read (the build's progress).
    """
    raw = admitted.raw
    inputs: dict[str, str] = {}
    parts = []
    for found in find_inputs(admitted):
        label = str(found.path.relative_to(raw))
        if step:
            step.at(label)
        inputs.update(admitted.checksums(found.files))
        if found.reader == "register" and (profile := profile_beside(found.path)):
            inputs.update(admitted.checksums([profile]))  # a profile changes how the register reads
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
        if step:
            step.advance(f"read {label}")
    tables = SourceTables.concat(parts)
    enforce(tables)
    tables = finalise(tables)
    money = add_money(tables, raw)
    return tables, inputs, money


def build_figures(admitted: BuildInputs) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """The headline-figures register, checked, when present."""
    files = source_files(admitted, "figures")
    if not files:
        return None, {}
    frames = []
    for file in files:
        with reading(str(file)):
            frames.append(read_figures(file))
    return pd.concat(frames, ignore_index=True), admitted.checksums(files)


def build_crs_outputs(admitted: BuildInputs, processed: Path) -> tuple[list[Path], list[Path]]:
    """CRS files -> year-partitioned processed/crs/ and processed/crs_ledger.parquet."""
    crs_inputs = source_files(admitted, "crs")
    if not crs_inputs:
        return [], []
    labels = [str(p.relative_to(admitted.raw)) for p in crs_inputs]
    built = build_crs(crs_inputs, processed / "crs", labels)
    ledger_path = processed / "crs_ledger.parquet"
    provenance = {"inputs": admitted.checksums(crs_inputs), "dataset": "crs_ledger", "grain": "one row per input file"}
    changed = io.write_table(built.ledger, ledger_path, provenance=provenance)
    return ([ledger_path] if changed else []) + [processed / "crs"], [] if changed else [ledger_path]


CODELIST_SOURCES = ("dac-crs-codes", "iati-codelists")


def build_codelists(admitted: BuildInputs, processed: Path) -> tuple[list[Path], list[Path]]:
    """DAC/CRS and IATI code lists -> processed/codelists.parquet, when fetched (verified files only)."""
    files = sorted(f for source_id in CODELIST_SOURCES for f in admitted.files(source_id))
    codelists = read_codelists(admitted.raw, files)
    if not len(codelists):
        return [], []
    provenance = {"inputs": admitted.checksums(files), "dataset": "codelists", "grain": "one row per codelist x code"}
    path = processed / "codelists.parquet"
    return ([path], []) if io.write_table(codelists, path, provenance=provenance) else ([], [path])


BUILD_LOCK = ".build.lock"


def build_all(data: Path, *, tossd_providers: tuple[str, ...] | None = DEFAULT_PROVIDERS) -> BuildResult:
    """Every register and fetched source in ``data``/raw -> ``data``/processed, one step per output,
    with the user's alias tables in raw/reference/ on (recorded among the inputs).

    Published as one transaction (publish.py) while holding the build lock (locking.py):
    readers of ``processed`` see the previous complete build or this one, never a mix.
    """
    from kss_analysis.build import publish
    from kss_analysis.core import locking

    private = Path(tempfile.mkdtemp(prefix="kss-reference-"))  # mode 700
    try:
        notices, inputs = user_overrides(data, private)
        with locking.hold(data / BUILD_LOCK, "kss build"), publish.transaction(data) as staging:
            result = _build_all(data / "raw", staging, inputs, tossd_providers)
            previous = publish.published(data)
        result.notices = notices + result.notices
        return publish.relocate(result, staging, data / publish.PROCESSED, previous)
    finally:
        reference.use_overrides(None)
        shutil.rmtree(private, ignore_errors=True)


def user_overrides(data: Path, private: Path) -> tuple[list[str], dict[str, str]]:
    """Turn on the user's alias tables in raw/reference/ (reference.use_overrides), read from
    private copies in ``private``, each hashed while it is copied: the build reads the bytes
    whose sha256 it records (a file swapped later changes nothing). A table that is a link out
    of the data folder or a special file is left out with a notice, like a register.
    Returns (notices, inputs: raw/reference/<file> -> sha256)."""
    folder = data / "raw" / USER_REFERENCE
    notices, inputs = [], {}
    for name in reference.OVERRIDABLE:
        path = folder / f"{name}.csv"
        if not (path.exists() or path.is_symlink()):
            continue
        if reason := special_file_reason(path, data):
            notices.append(f"{USER_REFERENCE / path.name} {reason}")
            continue
        inputs[str(USER_REFERENCE / path.name)] = copy_private(path, private / path.name)
    reference.use_overrides(private)
    return notices, inputs


def _build_all(
    raw: Path, processed: Path, inputs: dict[str, str], tossd_providers: tuple[str, ...] | None
) -> BuildResult:
    """Every step, writing into the folder ``processed`` (the staging folder of a build)."""
    # The raw files this build may read, found and checksummed once, are parsed from private
    # copies hashed as they are made: a file swapped after its check is refused, never built.
    with reading_copies(processed / SNAPSHOT, raw) as copies:
        return _build_steps(snapshot_inputs(admit(raw), copies), processed, inputs, tossd_providers)


def _build_steps(
    admitted: BuildInputs, processed: Path, inputs: dict[str, str], tossd_providers: tuple[str, ...] | None
) -> BuildResult:
    later_steps = (("CRS", build_crs_outputs), ("code lists", build_codelists))
    total = len(find_inputs(admitted)) + 3 + len(later_steps)
    with progress.steps("build", total=total) as step:
        tables, activity_inputs, money = build_activities(admitted, tossd_providers=tossd_providers, step=step)
        inputs.update(activity_inputs)
        step.at("headline figures")
        figures, figure_inputs = build_figures(admitted)
        inputs.update(figure_inputs)
        step.advance("headline figures")
        step.at("tables")
        written, unchanged = write_outputs(tables, processed, dict(sorted(inputs.items())), figures, money)
        step.advance("tables written")
        reports = write_reports(tables.activities, tables.quarantine, processed)
        unmapped_path, unmapped, changed = write_report(tables.activities, processed)
        (written if changed else unchanged).append(unmapped_path)
        step.advance("reports written")
        for name, build_step in later_steps:
            step.at(name)
            step_written, step_unchanged = build_step(admitted, processed)
            written += step_written
            unchanged += step_unchanged
            step.advance(name if step_written or step_unchanged else f"{name}: no input")
    return BuildResult(
        tables, written, unchanged, inputs, reports, unmapped, unmapped_path, list(dict.fromkeys(admitted.notices))
    )  # notices once each


# Small row groups make the partitioned sink flush often: peak memory on 1M synthetic rows
# fell from 1.1 GB (polars' default) to about 0.5 GB at the same speed (benchmarks/bench_crs.py).
CRS_ROW_GROUP_ROWS = 10_000


@dataclass
class CrsBuild:
    out: Path  # year-partitioned CRS rows
    ledger: pd.DataFrame  # one row per input file: rows read = written + quarantined in place


def build_crs(inputs: list[Path], out: Path, labels: list[str] | None = None) -> CrsBuild:
    """CRS files -> ``out`` (year=YYYY/part-*.parquet), and a ledger of the records each input's
    reader passed on (counted as they stream by) against the rows written.

    ``labels`` name the inputs in ``source_file`` and the ledger (default: the paths as given).
    Raises InvariantError when the rows written do not account for every record read.
    """
    from contextlib import ExitStack

    from kss_analysis.build.aggregate import crs_rows_by_file
    from kss_analysis.ingest.crs.place import place_crs
    from kss_analysis.ingest.crs.read import RecordCount, scan_crs, utf8_text

    labels = labels or [str(p) for p in inputs]
    counts = [RecordCount() for _ in inputs]  # records read, counted while the rows are written
    with ExitStack() as stack:
        frames = []
        for path, label, count in zip(inputs, labels, counts, strict=True):
            text_path = stack.enter_context(utf8_text(path))
            frames.append((str(path), place_crs(scan_crs(text_path, str(path), count), label)))
        io.write_partitioned(frames, out, key="year", row_group_size=CRS_ROW_GROUP_ROWS)
    read = {label: count.rows for label, count in zip(labels, counts, strict=True)}
    for label, rows in read.items():
        if not rows:
            raise InputError(label, "a header but no records: nothing to build")
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
