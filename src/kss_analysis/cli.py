"""Command line: `kss fetch`, `kss sources`, `kss build`, `kss ingest`, `kss charts export`, `kss notebooks`.

User errors (unreadable file, bad option) exit with code 2 and one line on stderr;
`--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from kss_analysis.core import progress
from kss_analysis.core.errors import InputError, UsageError
from kss_analysis.core.labels import LANGS
from kss_analysis.core.progress import say
from kss_analysis.core.validate import InvariantError

EXIT_USER_ERROR = 2


def _table(rows: Sequence[Sequence[object]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _ledger_table(ledger) -> str:
    """Ledger rows summed per source folder (an IATI folder has one row per JSON file)."""
    grouped = ledger.assign(
        source=ledger["file"].str.split("/").str[0].where(ledger["file"].str.count("/") > 1, ledger["file"])
    )
    if "rows_flagged" not in grouped:  # the CRS ledger: its rows are quarantined in place, never flagged
        grouped["rows_flagged"] = 0
    sums = grouped.groupby("source", sort=False)[
        ["rows_read", "rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded", "rows_flagged"]
    ].sum()
    files = grouped.groupby("source", sort=False).size()
    rows = [[name, files[name], *r] for name, r in zip(sums.index, sums.itertuples(index=False), strict=True)]
    header = ["file or folder", "files", "read", "kept", "fixed", "quarantined", "excluded", "flagged (in kept+fixed)"]
    return _table(rows, header)


def _money_summary(tables) -> str:
    """Amounts without a USD or constant-price equivalent, per source and reason (see money.py)."""
    from kss_analysis.build.money import unconverted_summary

    acts = tables.activities
    with_amount = acts[acts["amount"].notna() | acts["amount_usd"].notna()]
    lines = [f"\nmoney: {int(with_amount['amount_usd'].notna().sum())} of {len(with_amount)} amounts in current USD"]
    for row in unconverted_summary(with_amount).itertuples():
        lines.append(f"  {row.source}: {row.rows} {row.reason}")
    tx = unconverted_summary(tables.activity_transactions)
    if len(tx):
        lines.append("  transactions: " + ", ".join(f"{r.rows} {r.reason}" for r in tx.itertuples()))
    return "\n".join(lines)


def cmd_build(args: argparse.Namespace) -> int:
    from kss_analysis.acquire.embedded import place_for_build
    from kss_analysis.build.pipeline import build_all
    from kss_analysis.core.config import data_dir

    data = Path(args.data_dir) if args.data_dir else data_dir()
    providers = _parse_providers(args.providers)
    if placed := place_for_build(data / "raw"):  # an installed package in a new data folder
        say(f"placed the embedded KSS register ({', '.join(placed)}) in {data / 'raw' / 'kss'}")
    result = build_all(data, tossd_providers=providers)
    for notice in result.notices:
        progress.warn(f"kss: skipped {notice}")
    say(_ledger_table(result.tables.ledger))
    quarantine = result.tables.quarantine
    if len(quarantine):
        counts = quarantine["reason_code"].value_counts().sort_index()
        say("\nquarantined by reason: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    say(_money_summary(result.tables))
    if result.unmapped_path is not None:
        from kss_analysis.ingest.unmapped import summary

        say("\n" + summary(result.unmapped, result.unmapped_path))
    say(f"\n{len(result.written)} files written, {len(result.unchanged)} unchanged in {data / 'processed'}")
    for path in result.written:
        say(f"  wrote {path}")
    _print_duplicates(result.tables.activities)
    for name, path in result.reports.items():
        say(f"{name.removesuffix('.csv').replace('_', ' ')}: {path}")
    return 0


MAX_LISTED = 20


def _print_duplicates(activities) -> None:
    """List the programmes that repeat another (kept in activities, not counted)."""
    dupes = activities[activities["duplicate_of"].notna()]
    if dupes.empty:
        return
    say(f"\n{len(dupes)} programme(s) repeat another and are not counted (duplicate_of):")
    for row in dupes.head(MAX_LISTED).itertuples():
        say(f"  {row.source_file} {row.source_locator}: {row.activity_id} repeats {row.duplicate_of}")
    if len(dupes) > MAX_LISTED:
        say(f"  ... and {len(dupes) - MAX_LISTED} more (see the duplicates report)")


def _ingest_formats() -> str:
    """The readers ``kss ingest --as`` takes, from the ingest stage's registry (a new source adds itself)."""
    from kss_analysis.ingest.readers import INGEST_FORMATS, READERS

    return ", ".join(f"{name} (file or folder)" if READERS[name].reads_folder else name for name in INGEST_FORMATS)


def cmd_ingest(args: argparse.Namespace) -> int:
    from kss_analysis.build.finalise import finalise
    from kss_analysis.build.pipeline import add_money, write_outputs
    from kss_analysis.build.publish import published_build_reason
    from kss_analysis.core.config import data_dir, raw_dir
    from kss_analysis.core.io import sha256_file, staged_folder
    from kss_analysis.ingest.readers import INGEST_FORMATS, ingest_source, place_file

    if args.as_ not in INGEST_FORMATS:
        raise UsageError(f"--as {args.as_}: use one of {', '.join(INGEST_FORMATS)}")
    path = Path(args.file)
    if not path.exists():
        raise InputError(str(path), "file not found")
    out = Path(args.out)
    if reason := published_build_reason(out, data_dir()):
        raise InputError(str(out), f"{reason}; `kss ingest` writes elsewhere: give --out a folder of its own")
    if args.as_ == "crs":
        from kss_analysis.build.pipeline import build_crs

        built = build_crs([path], out / "crs", [path.name])
        say(_ledger_table(built.ledger))
        say(f"{built.ledger['rows_read'].sum():,} CRS records in {built.out} (year-partitioned Parquet)")
        return 0
    if args.profile and args.as_ != "register":
        raise UsageError("--profile applies to --as register only")
    if args.as_ == "tossd":
        return _ingest_tossd(path, out, _parse_providers(args.providers))
    tables = place_file(
        path,
        reader=args.as_,
        source=ingest_source(args.as_, path),
        file_label=path.name,
        providers=_parse_providers(args.providers),
        profile=Path(args.profile) if args.profile else None,
    )
    tables = finalise(tables)  # duplicate_of, counted, recipient names
    money = add_money(tables, raw_dir())
    files = sorted(p for p in path.rglob("*.json")) if path.is_dir() else [path]
    inputs = {str(f.relative_to(path.parent)): sha256_file(f) for f in files}
    from kss_analysis.ingest.unmapped import summary, write_report

    with staged_folder(out) as staging:  # every table or none
        written, unchanged = write_outputs(tables, staging, inputs, money=money)
        report_path, report, _ = write_report(tables.activities, staging)
    say(_ledger_table(tables.ledger))
    for row in tables.quarantine.itertuples():
        say(f"  quarantined {row.locator}: {row.reason_code}: {row.message}")
    say(summary(report, out / report_path.name))
    say(f"{len(written) + len(unchanged)} tables in {args.out}")
    return 0


def _ingest_tossd(path: Path, out: Path, providers: tuple[str, ...] | None) -> int:
    """A TOSSD year file, any provider selection, placed whole columns at a time, chunk by chunk,
    and written as year-partitioned datasets (build/partitioned.py): all providers of a year in
    seconds, in the memory of one chunk."""
    from kss_analysis.build.partitioned import PlacedDataset
    from kss_analysis.core import schema
    from kss_analysis.core.io import read_table, sha256_file, staged_folder
    from kss_analysis.ingest.tossd.place import TossdPlacement
    from kss_analysis.ingest.unmapped import summary, write_report

    placement = TossdPlacement(path, file_label=path.name, providers=providers)
    activities = 0
    with staged_folder(out) as staging:  # every table or none
        dataset = PlacedDataset(staging, {path.name: sha256_file(path)})
        for chunk in placement.chunks():
            dataset.write(chunk.activities, chunk.activity_recipients, chunk.activity_transactions, chunk.quarantine)
            activities += chunk.activities.num_rows
        ledger = placement.ledger()
        flagged = dataset.finish(ledger, schema.QUARANTINE)
        report_path, report, _ = write_report(flagged, staging)
    say(_ledger_table(ledger.to_pandas()))
    quarantine = read_table(out / "quarantine.parquet")
    for row in quarantine.head(MAX_LISTED).itertuples():
        say(f"  quarantined {row.locator}: {row.reason_code}: {row.message}")
    if len(quarantine) > MAX_LISTED:
        say(f"  ... and {len(quarantine) - MAX_LISTED:,} more in {out / 'quarantine.parquet'}")
    say(summary(report, out / report_path.name))
    say(
        f"{activities:,} activities in {out / 'activities'} (and activity_recipients, activity_transactions: "
        "Parquet partitioned by year)"
    )
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from kss_analysis.core.config import processed_dir
    from kss_analysis.core.csv_safety import csv_bytes
    from kss_analysis.outputs.sql import run_sql, sql_context

    processed = Path(args.processed) if args.processed else processed_dir()
    extra = {}
    for item in args.table:
        name, _, path = item.partition("=")
        if not name or not path:
            raise UsageError(f"--table {item}: use NAME=PATH, e.g. tossd=out/activities")
        extra[name.strip()] = Path(path)
    if args.tables:
        context = sql_context(processed, extra)
        for name in context.tables():
            columns = context.execute(f'SELECT * FROM "{name}" LIMIT 0').collect_schema().names()
            say(f"{name}: {', '.join(columns)}")
        return 0
    if not args.query:
        raise UsageError('give a query, e.g. kss sql "SELECT year, count(*) AS n FROM activities GROUP BY year"')
    result = run_sql(args.query, processed, extra)
    if args.csv:
        sys.stdout.write(csv_bytes(result.to_pandas()).decode("utf-8"))
        return 0
    import polars as pl

    with pl.Config(tbl_rows=MAX_LISTED * 5, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
        say(str(result))
    return 0


def cmd_charts_export(args: argparse.Namespace) -> int:
    from kss_analysis.core.config import processed_dir
    from kss_analysis.outputs.charts.export import FORMATS, export_charts

    langs = [x.strip() for x in args.lang.split(",") if x.strip()]
    formats = [x.strip() for x in args.format.split(",") if x.strip()]
    if bad := [x for x in langs if x not in LANGS]:
        raise UsageError(f"--lang {','.join(bad)}: use en, id or en,id")
    if bad := [x for x in formats if x not in FORMATS]:
        raise UsageError(f"--format {','.join(bad)}: use any of {','.join(FORMATS)}")
    processed = Path(args.processed) if args.processed else processed_dir()
    if not (processed / "activities.parquet").exists():
        raise UsageError(f"no processed data in {processed}: run `kss build` first")
    paths = export_charts(processed, Path(args.out), langs, formats)
    say(f"{len(paths)} files in {args.out} ({', '.join(langs)}; {', '.join(formats)} + csv + json)")
    return 0


def _parse_providers(text: str) -> tuple[str, ...] | None:
    """--providers: 'all' (None = every provider) or DAC provider codes '738,764'."""
    if text.strip().casefold() == "all":
        return None
    codes = tuple(c.strip() for c in text.split(",") if c.strip())
    if not codes or not all(c.isdigit() for c in codes):
        raise UsageError(f"--providers {text}: use all or DAC provider codes such as 738 or 738,764")
    return codes


PROVIDERS_HELP = "TOSSD: DAC provider codes to read, e.g. 738 (Indonesia, the default) or 738,764; all = every provider"


def _parse_years(text: str | None) -> list[int] | None:
    from kss_analysis.acquire.fetch import parse_years

    if not text:
        return None
    try:
        return parse_years(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


OFFLINE_HINT = "to work offline, copy the files from a mirror: kss fetch --mirror DIR (or set KSS_MIRROR=DIR)"


def cmd_fetch(args: argparse.Namespace) -> int:
    from kss_analysis.acquire.fetch import FetchReport, UnreachableError, fetch_source, mirror_from_env
    from kss_analysis.acquire.registry import load_sources
    from kss_analysis.core.config import raw_dir

    sources = load_sources()
    if args.all == bool(args.ids):
        raise UsageError("name source ids or use --all (see `kss sources`)")
    if unknown := [i for i in args.ids if i not in sources]:
        raise UsageError(f"unknown source id: {', '.join(unknown)} (see `kss sources`)")
    years = _parse_years(args.years)
    if args.all:
        chosen = [s for s in sources.values() if s.kind == "fetched" or (s.kind == "pattern" and years)]
    else:
        chosen = [sources[i] for i in args.ids]
        if missing_years := [s.id for s in chosen if s.kind == "pattern" and not years]:
            raise UsageError(f"{', '.join(missing_years)}: a pattern source needs --years, e.g. --years 2019-2023")
    mirror = Path(args.mirror) if args.mirror else mirror_from_env()
    if mirror is not None and not mirror.is_dir():
        raise UsageError(f"--mirror {mirror}: no such folder")
    raw = raw_dir()
    failed = 0
    skipped: list[str] = []
    network_down = False
    # One line per source (below); on a terminal a bar over the sources, pooch's over each download.
    with progress.steps("fetch", total=len(chosen), unit="source", lines=False) as step:
        for source in chosen:
            step.at(source.id)
            if network_down and mirror is None and source.kind != "embedded":
                # One connection failure is enough: no point trying every source again.
                report = FetchReport(
                    source.id, errors=[UnreachableError("network unreachable (see above)", network_down=True)]
                )
            else:
                report = fetch_source(
                    source,
                    raw,
                    mirror=mirror,
                    force=args.force,
                    years=years,
                    progress=progress.terminal(),
                    on_file=partial(_fetching, step, source.id),
                )
            step.advance(source.id)
            if report.unreachable and args.skip_unreachable:
                if not report.network_down:  # a network outage is said once, below, for every source
                    say(f"{source.id}: skipped: {report.errors[0]}")
                network_down = network_down or report.network_down
                skipped.append(source.id)
                continue
            network_down = network_down or report.network_down
            if source.kind == "embedded":
                say(
                    f"{source.id}: {len(report.fetched)} placed from the package, {len(report.skipped)} already present"
                )
            else:
                via = f"from mirror {mirror}" if mirror else "from upstream"
                say(f"{source.id}: {len(report.fetched)} fetched {via}, {len(report.skipped)} already verified")
            for error in report.errors:
                progress.error(f"  {source.id}: {error}")
            failed += bool(report.errors)
    if skipped:
        say(_skipped_sources_line(skipped, network_down))
    if (skipped or failed) and mirror is None:
        progress.warn(OFFLINE_HINT)
    return 1 if failed else 0


def _fetching(step: progress.Steps, source_id: str, path: str) -> None:
    step.at(f"{source_id}/{path}")


def _skipped_sources_line(skipped: list[str], network_down: bool) -> str:
    """One line for every unreachable source: which, and what that means for the notebooks."""
    from kss_analysis.core.config import project_root
    from kss_analysis.outputs.notebooks.runner import notebook_needs

    why = "the network is unreachable" if network_down else "they were unreachable"
    affected = [
        path.stem.split("-", 1)[0]
        for path in sorted((project_root() / "notebooks").glob("*.ipynb"))
        if set(notebook_needs(path)) & set(skipped)
    ]
    effect = f"; notebooks {', '.join(affected)} need them and will be skipped" if affected else ""
    return (
        f"{len(skipped)} source(s) not fetched because {why}: {', '.join(skipped)}{effect}. "
        "The embedded KSS registers build as usual."
    )


def cmd_sources(args: argparse.Namespace) -> int:
    from kss_analysis.acquire.fetch import read_manifest, source_status
    from kss_analysis.acquire.registry import load_sources
    from kss_analysis.core.config import processed_dir, raw_dir

    if args.citations:
        return _write_citations(args.citations, args.out)
    if args.out:
        raise UsageError("--out goes with --citations")
    raw = raw_dir()
    manifest = read_manifest(raw)
    rows_by_source: dict[str, int] = {}
    ledger_path = processed_dir() / "ledger.parquet"
    if ledger_path.exists():
        from kss_analysis.core.io import read_table

        for row in read_table(ledger_path).itertuples():
            source_id = row.file.split("/", 1)[0]
            rows_by_source[source_id] = rows_by_source.get(source_id, 0) + int(row.rows_read)
    rows = []
    for source in load_sources().values():
        status, present, expected = source_status(source, raw, manifest)
        files = f"{present}/{expected}" if source.kind != "pattern" else str(present)
        built = rows_by_source.get(source.id)
        rows.append([source.id, status, files, source.kind, "" if built is None else built, source.licence[:60]])
    print(_table(rows, ["id", "status", "files", "kind", "rows built", "licence"]))
    return 0


def _write_citations(form: str, out: str | None) -> int:
    """Every source's citation as CSL-JSON, to stdout or to ``out``."""
    from kss_analysis.acquire.citations import FORMATS, csl_json
    from kss_analysis.acquire.registry import load_sources
    from kss_analysis.core.io import write_bytes_atomic

    if form not in FORMATS:
        raise UsageError(f"--citations {form}: use {', '.join(FORMATS)}")
    body = csl_json(load_sources().values())
    if out is None:
        sys.stdout.write(body)
    else:
        write_bytes_atomic(Path(out), body.encode("utf-8"))
        say(f"{len(load_sources())} source citations in {out}")
    return 0


def cmd_tables_export(args: argparse.Namespace) -> int:
    from kss_analysis.core.config import processed_dir
    from kss_analysis.outputs.tables.export import FORMATS, export_tables

    formats = [x.strip() for x in args.format.split(",") if x.strip()]
    if bad := [x for x in formats if x not in FORMATS]:
        raise UsageError(f"--format {','.join(bad)}: use csv, xlsx or csv,xlsx")
    if args.lang not in LANGS:
        raise UsageError(f"--lang {args.lang}: use en or id")
    processed = processed_dir()
    if not (processed / "activities.parquet").exists():
        raise UsageError(f"no processed data in {processed}: run `kss build` first")
    paths = export_tables(processed, Path(args.out), formats, args.lang)
    say(f"{len(paths)} tables in {args.out}")
    return 0


def cmd_notebooks_run(args: argparse.Namespace) -> int:
    from kss_analysis.core.config import processed_dir, project_root
    from kss_analysis.outputs.notebooks.runner import parameter_problems, parse_parameters, run_notebooks

    processed = processed_dir()
    if not (processed / "activities.parquet").exists():
        raise UsageError(f"no processed data in {processed}: run `kss build` first")
    notebooks = [Path(p) for p in args.notebooks] or sorted((project_root() / "notebooks").glob("*.ipynb"))
    if missing := [str(p) for p in notebooks if not p.is_file()]:
        raise UsageError(f"no such notebook: {', '.join(missing)}")
    try:
        parameters = parse_parameters(args.parameters)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if parameters and (problems := parameter_problems(notebooks, parameters)):
        raise UsageError("; ".join(problems))
    done = run_notebooks(notebooks, Path(args.out), processed, echo=say, parameters=parameters)
    say(
        f"notebooks: {len(done['executed'])} executed, {len(done['unchanged'])} unchanged, "
        f"{len(done['skipped'])} skipped; executed copies in {args.out}"
    )
    return 0


def cmd_notebooks_report(args: argparse.Namespace) -> int:
    from kss_analysis.core.config import processed_dir
    from kss_analysis.outputs.notebooks.runner import render_html

    executed = sorted(Path(args.executed).glob("*.ipynb"))
    if not executed:
        raise UsageError(f"no executed notebooks in {args.executed}: run `kss notebooks run` (or `make run`) first")
    render_html(executed, Path(args.out), processed_dir(), echo=say)
    _write_front_page(Path(args.out), args.figures, args.tables)
    return 0


def _write_front_page(out: Path, figures: str | None, tables: str | None) -> None:
    from kss_analysis.core.config import processed_dir
    from kss_analysis.outputs.report_page import write_index

    processed = processed_dir()
    if not (processed / "activities.parquet").exists():
        raise UsageError(f"no processed data in {processed}: run `kss build` first")
    write_index(
        processed,
        out,
        figures=Path(figures) if figures else None,
        tables=Path(tables) if tables else None,
    )


def cmd_release(args: argparse.Namespace) -> int:
    from kss_analysis.core.config import processed_dir, project_root
    from kss_analysis.outputs.release import build_release

    processed = processed_dir()
    if not (processed / "activities.parquet").exists():
        raise UsageError(f"no processed data in {processed}: run `kss build` first")
    build_release(
        processed, Path(args.out), figures=Path(args.figures), tables=Path(args.tables), project=project_root()
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    _write_front_page(Path(args.out), args.figures, args.tables)
    return 0


class VersionAction(argparse.Action):
    """``--version``: asks for the version only when given (asking git costs a few tenths of a second)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from kss_analysis.core.version import package_version

        print(f"kss-analysis {package_version()}")
        parser.exit()


def _verbosity_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """-q/-v, taken before the command (kss -q build) and after it (kss build -q)."""
    default: object = False if top else argparse.SUPPRESS  # a command's parser keeps what the top one read
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="errors only; results still go to stdout"
    )
    group.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="each step on its own line, with its time"
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kss", description="Statistics on Indonesia's South-South cooperation.")
    _verbosity_options(parser, top=True)
    parser.add_argument("--version", action=VersionAction, help="show the version (from git: tag, or commit) and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build every dataset from data/raw into data/processed")
    build.add_argument("--data-dir", help="folder with raw/ and processed/ (default: KSS_DATA_DIR or ./data)")
    build.add_argument("--providers", default="738", help=PROVIDERS_HELP)
    build.set_defaults(func=cmd_build)

    ingest = sub.add_parser("ingest", help="read one file into canonical tables")
    ingest.add_argument("file")
    ingest.add_argument(
        "--as",
        dest="as_",
        required=True,
        help=f"file format: {_ingest_formats()}",
    )
    ingest.add_argument("--out", required=True, help="folder for the Parquet tables")
    ingest.add_argument("--providers", default="738", help=PROVIDERS_HELP)
    ingest.add_argument(
        "--profile",
        help="register profile (YAML) for other headers and layouts; default: <file stem>.profile.yml beside it",
    )
    ingest.set_defaults(func=cmd_ingest)

    fetch = sub.add_parser("fetch", help="download raw sources (or copy them from a mirror), checksum-verified")
    fetch.add_argument("ids", nargs="*", help="source ids (see `kss sources`)")
    fetch.add_argument("--all", action="store_true", help="every pinned source")
    fetch.add_argument("--force", action="store_true", help="fetch again even when a verified copy is present")
    fetch.add_argument("--mirror", help="offline mirror folder (default: KSS_MIRROR)")
    fetch.add_argument("--years", help="years for pattern sources such as oecd-crs or tossd: 2019-2023")
    fetch.add_argument("--skip-unreachable", action="store_true", help="report unreachable sources and exit 0")
    fetch.set_defaults(func=cmd_fetch)

    sql = sub.add_parser(
        "sql",
        help="run SQL over the processed tables and datasets (polars SQL, streamed)",
        description="Every processed table is a view named by its file (activities, ledger ...) and every "
        "folder of Parquet parts one named by the folder (crs), hive keys as columns.",
    )
    sql.add_argument("query", nargs="?", help='e.g. "SELECT year, count(*) AS n FROM activities GROUP BY year"')
    sql.add_argument("--processed", help="folder of processed tables (default: the published build)")
    sql.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="add a Parquet file or folder of parts as a view, e.g. tossd=out/activities (repeatable)",
    )
    sql.add_argument("--csv", action="store_true", help="print the result as CSV (all rows) instead of a table")
    sql.add_argument("--tables", action="store_true", help="list the views and their columns, then exit")
    sql.set_defaults(func=cmd_sql)

    sources = sub.add_parser("sources", help="status of every registered source, or their citations")
    sources.add_argument(
        "--citations", metavar="FORMAT", help="print every source's citation instead: csl-json (CSL-JSON)"
    )
    sources.add_argument("--out", help="with --citations: write to this file instead of stdout")
    sources.set_defaults(func=cmd_sources)

    export = _export_parser(sub, "charts", "write every standard chart with its CSV and JSON", cmd_charts_export)
    export.add_argument("--lang", default="en", help="en, id or en,id")
    export.add_argument("--format", default="png,svg", help="any of png,svg,pdf")
    export.add_argument("--out", default="reports/figures")
    export.add_argument("--processed", help="folder of processed tables (default: data/processed)")

    notebooks = sub.add_parser("notebooks", help="execute the notebooks on this data, render them to HTML")
    notebooks_sub = notebooks.add_subparsers(dest="notebooks_command", required=True)
    nb_run = notebooks_sub.add_parser("run", help="execute notebooks whose sources are present (skips say why)")
    nb_run.add_argument("notebooks", nargs="*", help="notebook files (default: every notebook in notebooks/)")
    nb_run.add_argument("--out", default="reports/notebooks", help="folder for the executed copies")
    nb_run.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable of the notebooks' parameters cell, e.g. -p LANG=id (repeatable; as papermill -p)",
    )
    nb_run.set_defaults(func=cmd_notebooks_run)
    nb_report = notebooks_sub.add_parser("report", help="render the executed notebooks to standalone HTML")
    nb_report.add_argument("--executed", default="reports/notebooks", help="folder of executed notebooks")
    nb_report.add_argument("--out", default="reports", help="folder for the HTML files")
    _front_page_options(nb_report)
    nb_report.set_defaults(func=cmd_notebooks_report)

    report = sub.add_parser("report", help="write the report's front page (index.html) from what is there")
    report.add_argument("--out", default="reports", help="report folder (index.html is written there)")
    _front_page_options(report)
    report.set_defaults(func=cmd_report)

    release = sub.add_parser("release", help="write the data release dist/kss-analysis-data-<version>/")
    release.add_argument("--out", default="dist", help="folder for the release folder")
    release.add_argument("--figures", default="reports/figures", help="exported charts to include")
    release.add_argument("--tables", default="reports/tables", help="exported tables to include")
    release.set_defaults(func=cmd_release)

    tables_export = _export_parser(sub, "tables", "write the standard aggregates as CSV or XLSX", cmd_tables_export)
    tables_export.add_argument("--format", default="xlsx", help="csv, xlsx or csv,xlsx")
    tables_export.add_argument("--lang", default="en", help="language of the label columns: en or id")
    tables_export.add_argument("--out", default="reports/tables")
    for command in _leaf_parsers(sub):
        _verbosity_options(command, top=False)
    return parser


def _front_page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--figures", help="exported charts for the front page (default: <out>/figures)")
    parser.add_argument("--tables", help="exported tables for the front page (default: <out>/tables)")


def _leaf_parsers(sub) -> list[argparse.ArgumentParser]:
    """Every command's own parser (``build``, ``charts export``, ``notebooks run`` ...)."""
    leaves: list[argparse.ArgumentParser] = []
    for command in dict.fromkeys(sub.choices.values()):
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        leaves += _leaf_parsers(nested[0]) if nested else [command]
    return leaves


def _export_parser(sub, noun: str, help_text: str, func) -> argparse.ArgumentParser:
    """`kss <noun> export`: its own parser, options added by the caller."""
    group = sub.add_parser(noun, help=f"{noun[:-1]} commands")
    export = group.add_subparsers(dest=f"{noun}_command", required=True).add_parser("export", help=help_text)
    export.set_defaults(func=func)
    return export


EXIT_INTERRUPTED = 130


def _terminate(_signum, _frame):  # SIGTERM ends a run like Ctrl-C: staging removed, one line
    raise KeyboardInterrupt


def _exit_now(code: int) -> None:
    """End the command with ``code`` once an interrupted run is cleaned up.

    Not through interpreter shutdown: under load, CPython sometimes still counted the caught
    KeyboardInterrupt as unhandled (its flag is set when the interrupt passes through code a C
    extension runs with PyRun_String) and killed itself with SIGINT on the way out: exit -2,
    not 130, although this line had printed and atexit had run."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    import signal

    parser = make_parser()
    args = parser.parse_args(argv)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    progress.configure(progress.QUIET if args.quiet else progress.VERBOSE if args.verbose else progress.NORMAL)
    try:
        return _run(args, argv)
    finally:
        progress.reset()


def _run(args: argparse.Namespace, argv: list[str] | None) -> int:
    try:
        return args.func(args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        progress.error("kss: interrupted; nothing partial was kept, earlier outputs are unchanged")
        if argv is None:  # this process is the kss command (not a caller passing its own argv)
            _exit_now(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except (InputError, UsageError) as exc:
        if args.debug:
            raise
        progress.error(f"kss: error: {exc}")
        return EXIT_USER_ERROR
    except InvariantError as exc:
        if args.debug:
            raise
        progress.error(f"kss: {exc}")
        return 1
    except OSError as exc:
        if args.debug:
            raise
        progress.error(f"kss: error: {exc.filename or ''}: {exc.strerror or exc}")
        return EXIT_USER_ERROR
