"""A citable data release: ``dist/kss-analysis-data-<version>/``.

It holds the processed tables as Parquet and CSV (``data/``), the exported charts
(``charts/``) and tables (``tables/``), a Frictionless Data Package descriptor
(``datapackage.json``: one Table Schema per CSV, generated from ``core/schema.py`` with
types, descriptions and units, enums from the vocabularies and code tables, ranges,
required columns, primary and foreign keys between activities, recipients and transactions,
the sources with their licences and citations; ``frictionless validate`` checks the files
against it) and a ``README.md`` with the data vintage. The same inputs give the
same bytes: nothing is read from the clock, files are listed sorted, JSON keys are sorted.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kss_analysis.acquire.registry import load_sources
from kss_analysis.core import io, reference, schema
from kss_analysis.core.csv_safety import escape_frame
from kss_analysis.core.version import __version__

NAME = "kss-analysis-data"
PROFILE = "tabular-data-package"
TABLE_SCHEMAS = {
    "activities": schema.ACTIVITIES,
    "activity_recipients": schema.ACTIVITY_RECIPIENTS,
    "activity_transactions": schema.ACTIVITY_TRANSACTIONS,
    "quarantine": schema.QUARANTINE,
    "ledger": schema.LEDGER,
}
GRAINS = {
    "activities": "one row per programme (activity) of a source file; `counted` marks those counted once",
    "activity_recipients": "one row per programme x partner country (or x stated region when no country is named)",
    "activity_transactions": "one row per financial transaction (IATI), in its own currency",
    "quarantine": "one row per raw row that could not be placed",
    "ledger": "one row per raw file: rows read = kept + fixed + quarantined + excluded",
    "kss_figures": "one row per headline figure as its source states it",
    "codelists": "one row per code list x code (DAC CRS and IATI code lists)",
    "crs_ledger": "one row per CRS input file",
    "programmes_by_sector_year": "sector theme x year, Indonesia's KSS programmes only",
    "programmes_by_modality_year": "modality x year, Indonesia's KSS programmes only",
    "programmes_by_region_year": "region x year, Indonesia's KSS programmes only",
}
PRIMARY_KEYS = {
    "activities": ["activity_id"],
    "ledger": ["file"],
}
# (column, table it refers to, column there); "" is the table itself (Table Schema's self-reference).
FOREIGN_KEYS = {
    "activities": [("parent_activity_id", "", "activity_id"), ("duplicate_of", "", "activity_id")],
    "activity_recipients": [("activity_id", "activities", "activity_id")],
    "activity_transactions": [("activity_id", "activities", "activity_id")],
    "quarantine": [("file", "ledger", "file")],
}
# Columns that never miss a value, besides the primary keys': a row of a child table names its programme.
REQUIRED = {
    "activity_recipients": ["activity_id"],
    "activity_transactions": ["activity_id"],
    "quarantine": ["file"],
}
# Ranges of numeric columns, by column name in every table that has it: (minimum, maximum or None).
RANGES = {
    "share": (0, 1),
    "n_partner_countries": (0, None),
    "participants": (0, None),
    "rows_read": (0, None),
    "rows_kept": (0, None),
    "rows_fixed": (0, None),
    "rows_quarantined": (0, None),
    "rows_excluded": (0, None),
    "rows_flagged": (0, None),
    "programmes": (0, None),
}
# Column descriptions, units in the text; a column named here is described in every table that has it.
DESCRIPTIONS = {
    "source": "source id (sources.yml): `kss` for the embedded register, `register:<file stem>` for others",
    "source_file": "raw file the row was read from, under data/raw",
    "source_locator": "where in the raw file: sheet and row",
    "activity_id": "programme id, stable across builds (source prefix + the source's own id)",
    "parent_activity_id": "activity_id of the programme this row is part of",
    "duplicate_of": "activity_id of the programme this row repeats",
    "counted": "true when the row counts once in programme totals (not a part, duplicate or plan)",
    "title": "title as the source writes it",
    "title_id": "title in Indonesian, where stated",
    "year": "year of the programme (start year)",
    "start_date": "start date, ISO 8601 at the precision stated (2017, 2017-07 or 2017-07-17)",
    "end_date": "end date, ISO 8601 at the precision stated",
    "date_basis": "what the date is: event, or publication when only the article date is known",
    "provider_iso3": "ISO 3166-1 alpha-3 code of the provider country",
    "provider_name": "name of the provider country",
    "implementer": "organisation that carries the programme out",
    "implementer_type": "kind of implementer (code; reference/implementer_types.csv)",
    "sector_text": "sector as the source writes it",
    "sector_code": "sector code of the source (DAC CRS purpose code where stated)",
    "sector_theme": "primary sector theme (code; reference/sector_themes.csv)",
    "sector_themes": "every sector theme named, ';'-separated codes",
    "modality": "form of cooperation (code; reference/modalities.csv)",
    "cooperation_type": "form of partnership (code; reference/cooperation_types.csv)",
    "triangular_partner": "third party of a triangular programme",
    "channel": "organisation that delivers the aid; never makes a programme triangular",
    "n_partner_countries": "number of partner countries (count)",
    "participants": "number of participants (persons)",
    "participants_qualifier": "how the participant count is stated",
    "amount": "amount as stated, in `currency` (units of that currency)",
    "currency": "ISO 4217 code of the amount",
    "amount_usd": "amount in current US dollars (USD; IMF annual average exchange rate of the year)",
    "amount_basis": "what the amount is: stated, approximate, planned, cumulative ...",
    "amount_usd_constant": "amount in constant US dollars (USD at price_base_year prices; US GDP deflator)",
    "price_base_year": "price base year of the constant amounts",
    "fx_rate": "currency units per US dollar used for the conversion",
    "fx_source": "where the exchange rate comes from",
    "deflator_source": "where the deflator comes from",
    "amount_idr_constant": "rupiah amount at idr_price_base_year prices (IDR; Indonesian GDP deflator)",
    "idr_price_base_year": "price base year of amount_idr_constant",
    "conversion_note": "'; '-joined reason codes when a money equivalent is missing",
    "amount_usd_constant_stated": "constant-USD amount as the source states it (USD at price_base_year_stated)",
    "price_base_year_stated": "price base year of amount_usd_constant_stated",
    "flow_type": "type of flow (source's code)",
    "status": "status of the programme as stated",
    "reporting_org": "publisher of the record (IATI); not the provider",
    "funders": "every funding organisation named, '; '-separated",
    "participating_orgs": "JSON list of participating organisations {role, name, ref}",
    "source_url": "page or file the row was taken from",
    "fixes": "fields normalised from a non-standard spelling",
    "unclassified": "JSON list of values the reference tables do not know",
    "recipient_iso3": "ISO 3166-1 alpha-3 code of the partner country",
    "region": "region (code; reference/regions.csv)",
    "share": "share of the programme given to this partner (0-1; the shares of a programme sum to 1)",
    "allocation": "how the share was set",
    "recipient_name_en": "partner country name in English",
    "recipient_name_id": "partner country name in Indonesian",
    "region_name_en": "region name in English",
    "region_name_id": "region name in Indonesian",
    "transaction_type": "commitment, disbursement, expenditure, incoming_funds ...",
    "date": "transaction date, ISO 8601",
    "value": "transaction value as stated, in `currency`",
    "value_usd": "value in current US dollars (USD; IMF annual average exchange rate of the year)",
    "value_usd_constant": "value in constant US dollars (USD at price_base_year prices)",
    "file": "raw file, under data/raw",
    "locator": "where in the raw file: sheet and row",
    "reason_code": "why the row was quarantined (code)",
    "message": "what is wrong, in words",
    "raw": "the raw row as JSON",
    "column": "the column to fix, as its header is written in the file",
    "rows_read": "rows read from the file (count)",
    "rows_kept": "rows kept as read (count)",
    "rows_fixed": "rows kept after a fix (count)",
    "rows_quarantined": "rows quarantined (count)",
    "rows_excluded": "rows excluded by a rule (count)",
    "excluded_by_rule": "rule=count pairs, ';'-separated",
    "rows_flagged": "of rows kept and fixed, those with an unclassified value (count)",
    "amounts": "JSON: measure -> {raw, processed, quarantined, excluded} sums",
    "programmes": "number of programmes (count)",
}


def _field_type(kind: pa.DataType) -> str:
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_integer(kind):
        return "integer"
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number"
    return "string"


def _enum(table: str, column: str) -> list[str] | None:
    if (table, column) in schema.VOCABULARIES:
        return sorted(schema.VOCABULARIES[table, column])
    if (table, column) in schema.CODED_COLUMNS:
        return sorted(reference.labels(schema.CODED_COLUMNS[table, column], "en"))
    return None


def table_schema(table: str, arrow: pa.Schema, tables: Collection[str] | None = None) -> dict:
    """The Table Schema of one table: fields with types, descriptions, enums, ranges; its keys.

    A foreign key to a table outside ``tables`` (the package's resources, when given) is left out:
    a reference to a resource the package does not hold makes the whole package invalid."""
    fields = []
    required = set(PRIMARY_KEYS.get(table, [])) | set(REQUIRED.get(table, []))
    for item in arrow:
        spec: dict = {"name": item.name, "type": _field_type(item.type)}
        if item.name in DESCRIPTIONS:
            spec["description"] = DESCRIPTIONS[item.name]
        constraints: dict = {}
        if item.name in required:
            constraints["required"] = True
        if (values := _enum(table, item.name)) is not None:
            constraints["enum"] = values
        if item.name in RANGES and spec["type"] in ("integer", "number"):
            low, high = RANGES[item.name]
            constraints["minimum"] = low
            if high is not None:
                constraints["maximum"] = high
        if constraints:
            spec["constraints"] = constraints
        fields.append(spec)
    body: dict = {"fields": fields, "missingValues": [""]}
    if table in PRIMARY_KEYS:
        body["primaryKey"] = PRIMARY_KEYS[table]
    columns = set(arrow.names)
    foreign = [
        {"fields": [column], "reference": {"resource": target, "fields": [target_column]}}
        for column, target, target_column in FOREIGN_KEYS.get(table, [])
        if column in columns and (target == "" or tables is None or target in tables)
    ]
    if foreign:
        body["foreignKeys"] = foreign
    return body


def _arrow_schema(table: str, parquet: Path) -> pa.Schema:
    return TABLE_SCHEMAS.get(table) or pq.read_schema(parquet).remove_metadata()


def _sources(inputs: dict[str, str]) -> list[dict]:
    registry = load_sources()
    out = []
    for source_id in sorted({path.split("/", 1)[0] for path in inputs}):
        source = registry.get(source_id)
        if source is None:
            out.append({"title": source_id})
            continue
        entry = {"title": source.title, "citation": source.citation, "licence": source.licence}
        if source.base_url:
            entry["path"] = source.base_url
        out.append(entry)
    return out


def descriptor(processed: Path, tables: list[str], inputs: dict[str, str], built: str) -> dict:
    """The datapackage.json of a release holding ``tables`` (as data/<table>.csv)."""
    resources = []
    for table in tables:
        resources.append(
            {
                "name": table,
                "path": f"data/{table}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": GRAINS.get(table, table),
                "dialect": {"delimiter": ",", "lineTerminator": "\n", "doubleQuote": True, "header": True},
                "schema": table_schema(table, _arrow_schema(table, processed / f"{table}.parquet"), tables),
            }
        )
    sources = _sources(inputs)
    return {
        "profile": PROFILE,
        "name": NAME,
        "title": "Indonesia's South-South and triangular cooperation: processed tables",
        "version": __version__,
        "created": built,
        "description": (
            "Processed tables of kss-analysis: Indonesia's South-South and triangular cooperation "
            "programmes, their partners and money, with the raw inputs' sha256 in README.md. "
            "The resources are the CSV files; beside each, data/<name>.parquet holds the same table "
            "with its Arrow types and provenance metadata (an extra file, not a resource: the schemas describe the CSV)."
        ),
        # The data's licences are those of their sources (below); README.md lists them.
        "licenses": [{"path": "README.md", "title": f"per source: {s['licence']}"} for s in sources if "licence" in s],
        "sources": sources,
        "resources": resources,
    }


def _csv_bytes(parquet: Path) -> bytes:
    frame = io.read_table(parquet)
    return escape_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


def _copy_tree(source: Path | None, target: Path, patterns: tuple[str, ...]) -> list[Path]:
    if source is None or not source.is_dir():
        return []
    written = []
    found = (p for pattern in patterns for p in source.rglob(pattern) if p.is_file() and not p.name.startswith("."))
    for path in sorted(found):
        destination = target / path.relative_to(source)
        io.write_bytes_atomic(destination, path.read_bytes())
        written.append(destination)
    return written


def _readme(info: dict, tables: list[str], sources: list[dict]) -> str:
    lines = [
        f"# {NAME} {__version__}",
        "",
        "Processed tables of kss-analysis on Indonesia's South-South and triangular cooperation.",
        "",
        "- `data/`: the tables as Parquet (with provenance metadata) and CSV (UTF-8)",
        "- `datapackage.json`: Frictionless Data Package descriptor (types, units, keys, sources)",
        "- `charts/`: the standard charts in English (`en/`) and Indonesian (`id/`), each with CSV and JSON",
        "- `tables/`: the standard tables as XLSX and CSV",
        "",
        "## Data vintage",
        "",
        f"Built {info['built']} by kss-analysis {info['package_version']}; released by kss-analysis {__version__}.",
        "",
        "| input (under data/raw) | sha256 |",
        "|---|---|",
        *[f"| {path} | {sha} |" for path, sha in info["inputs"].items()],
        "",
        "## Tables",
        "",
        *[f"- `{table}`: {GRAINS.get(table, table)}" for table in tables],
        "",
        "## Sources, licences and how to cite",
        "",
        f"Cite: kss-analysis {__version__}, {NAME} (data built {str(info['built'])[:10]}), and the sources:",
        "",
        *[f"- {s['title']}. {s.get('citation', '')} Licence: {s.get('licence', 'not stated')}." for s in sources],
        "",
    ]
    return "\n".join(lines)


def build_release(
    processed: Path,
    dist: Path,
    *,
    figures: Path | None = None,
    tables: Path | None = None,
    project: Path | None = None,
    echo: Callable[[str], None] = print,
) -> Path:
    """Write dist/kss-analysis-data-<version>/; returns that folder. Files no longer produced are removed."""
    target = dist / f"{NAME}-{__version__}"
    if target.exists():
        shutil.rmtree(target)
    names = sorted(p.stem for p in processed.glob("*.parquet"))
    if "activities" not in names:
        raise FileNotFoundError(f"{processed}/activities.parquet: run `kss build` first")
    activities = processed / "activities.parquet"
    meta = io.read_metadata(activities)
    built = datetime.fromtimestamp(activities.stat().st_mtime, tz=UTC)
    info = {
        "inputs": dict(sorted(meta.get("inputs", {}).items())),
        "package_version": meta.get("package_version", __version__),
        "built": f"{built:%Y-%m-%d %H:%M} UTC",
    }
    for name in names:
        io.write_bytes_atomic(target / "data" / f"{name}.parquet", (processed / f"{name}.parquet").read_bytes())
        io.write_bytes_atomic(target / "data" / f"{name}.csv", _csv_bytes(processed / f"{name}.parquet"))
    package = descriptor(processed, names, info["inputs"], f"{built:%Y-%m-%dT%H:%M:%SZ}")
    body = json.dumps(package, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    io.write_bytes_atomic(target / "datapackage.json", body.encode("utf-8"))
    _copy_tree(figures, target / "charts", ("*.svg", "*.png", "*.pdf", "*.csv", "*.json"))
    _copy_tree(tables, target / "tables", ("*.xlsx", "*.csv"))
    for extra in ("CITATION.cff", "LICENSE"):
        if project is not None and (project / extra).is_file():
            io.write_bytes_atomic(target / extra, (project / extra).read_bytes())
    io.write_bytes_atomic(target / "README.md", _readme(info, names, package["sources"]).encode("utf-8"))
    echo(f"wrote {target}")
    return target
