"""The data release (dist/kss-analysis-data-<version>/) and its Frictionless descriptor,
checked against the Data Package and Table Schema rules it relies on: every resource's file
exists and its CSV header is its schema's fields; types are Table Schema types; enums hold
every value written; primary keys are unique and foreign keys resolve; the same inputs give
the same bytes. The package validates with frictionless (its Python API and its CLI), and a copy
with one bad cell does not."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import frictionless
import pytest

from kss_analysis.build.pipeline import build_all
from kss_analysis.core.version import __version__
from kss_analysis.outputs.release import NAME, build_release

pytestmark = pytest.mark.slow  # a build of the embedded register
TABLE_SCHEMA_TYPES = {"string", "number", "integer", "boolean"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("release")
    shutil.copytree(Path(__file__).resolve().parents[2] / "data" / "raw" / "kss", root / "data" / "raw" / "kss")
    build_all(root / "data")
    figures = root / "figures" / "en"
    figures.mkdir(parents=True)
    (figures / "a_chart.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    (figures / ".export-key.json").write_text("{}", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def release(built) -> Path:
    return build_release(built / "data" / "processed", built / "dist", figures=built / "figures", echo=lambda _: None)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_release_folder_is_named_by_version_and_holds_tables_charts_and_readme(release):
    assert release.name == f"{NAME}-{__version__}"
    for table in ("activities", "activity_recipients", "activity_transactions"):
        assert (release / "data" / f"{table}.parquet").is_file()
        assert (release / "data" / f"{table}.csv").is_file()
    assert (release / "charts" / "en" / "a_chart.svg").is_file()
    assert not (release / "charts" / "en" / ".export-key.json").exists()
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert "kss/kss_programmes.csv" in readme and "Data vintage" in readme


def test_descriptor_is_a_tabular_data_package_whose_schemas_match_the_files(release):
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package" and package["name"] == NAME
    assert package["version"] == __version__
    assert package["sources"] and all(s["title"] for s in package["sources"])
    assert package["licenses"] and all("path" in x or "name" in x for x in package["licenses"])
    names = [r["name"] for r in package["resources"]]
    assert len(names) == len(set(names)) and {"activities", "activity_recipients", "activity_transactions"} <= set(
        names
    )
    for resource in package["resources"]:
        path = release / resource["path"]
        assert path.is_file(), resource["path"]
        fields = resource["schema"]["fields"]
        assert {f["type"] for f in fields} <= TABLE_SCHEMA_TYPES
        with open(path, newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header == [f["name"] for f in fields], resource["name"]


def test_enums_hold_every_value_and_keys_hold(release):
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in package["resources"]}
    activities = by_name["activities"]["schema"]
    enums = {f["name"] for f in activities["fields"] if "enum" in f.get("constraints", {})}
    assert {"cooperation_type", "modality", "sector_theme", "amount_basis"} <= enums
    assert activities["primaryKey"] == ["activity_id"]
    for resource in package["resources"]:
        rows = _rows(release / resource["path"])
        schema = resource["schema"]
        for field in schema["fields"]:
            allowed = field.get("constraints", {}).get("enum")
            if allowed is not None:
                written = {row[field["name"]] for row in rows} - set(schema["missingValues"])
                assert written <= set(allowed), (resource["name"], field["name"], written - set(allowed))
            if field["type"] == "integer":
                assert all(row[field["name"]].lstrip("-").isdigit() for row in rows if row[field["name"]])
        if key := schema.get("primaryKey"):
            values = [tuple(row[k] for k in key) for row in rows]
            assert len(values) == len(set(values)), resource["name"]
        for foreign in schema.get("foreignKeys", []):
            target = by_name[foreign["reference"]["resource"] or resource["name"]]  # "": the table itself
            known = {row[foreign["reference"]["fields"][0]] for row in _rows(release / target["path"])}
            written = {row[foreign["fields"][0]] for row in rows} - set(schema["missingValues"])
            assert written <= known, (resource["name"], foreign["fields"], written - known)
    assert by_name["activity_recipients"]["schema"]["foreignKeys"]
    assert by_name["activity_transactions"]["schema"]["foreignKeys"]


def test_same_inputs_give_the_same_bytes(built, release):
    before = {p.relative_to(release): p.read_bytes() for p in sorted(release.rglob("*")) if p.is_file()}
    again = build_release(built / "data" / "processed", built / "dist", figures=built / "figures", echo=lambda _: None)
    after = {p.relative_to(again): p.read_bytes() for p in sorted(again.rglob("*")) if p.is_file()}
    assert before == after


# --- frictionless ------------------------------------------------------------------------------


def _errors(report: frictionless.Report) -> set[tuple[str, str, str | None, int | None]]:
    """(resource, error type, field, row number) of every error; package-level ones under ''."""
    found = {
        (task.name, e.type, getattr(e, "field_name", None), getattr(e, "row_number", None))
        for task in report.tasks
        for e in task.errors
    }
    return found | {("", e.type, None, None) for e in report.errors}


def test_frictionless_validates_every_resource_of_the_release(release):
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    report = frictionless.validate(release / "datapackage.json")
    assert report.valid, sorted(_errors(report), key=str)[:20]
    assert {task.name for task in report.tasks} == {r["name"] for r in package["resources"]}
    for resource in package["resources"]:  # it read every row, not just the header
        task = next(t for t in report.tasks if t.name == resource["name"])
        assert task.stats.get("rows", 0) == len(_rows(release / resource["path"])), resource["name"]
    assert len(_rows(release / "data" / "activity_recipients.csv")) > 0


def _frictionless_cli(package: Path) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("frictionless")), "validate", "--json", package.name]
    return subprocess.run(command, cwd=package.parent, capture_output=True, text=True, timeout=300)


def test_frictionless_cli_validates_the_release(release):
    done = _frictionless_cli(release / "datapackage.json")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads(done.stdout)["valid"] is True


def _copy_package(release: Path, target: Path) -> Path:
    """datapackage.json and the CSV resources (what frictionless reads) in ``target``."""
    shutil.copytree(
        release,
        target,
        ignore=lambda folder, names: [n for n in names if n in ("charts", "tables") or n.endswith(".parquet")],
    )
    return target / "datapackage.json"


def _edit_csv(path: Path, row: int, column: str, value: str | None) -> None:
    """Set ``column`` of data row ``row`` (0 = first) to ``value``; None appends a copy of that row instead."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    if value is None:
        body.append(list(body[row]))
    else:
        body[row][header.index(column)] = value
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *body])


def _append_row(path: Path, values: dict[str, str]) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with open(path, "a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow([values.get(name, "") for name in header])


# (table, data row, column, new value or None to repeat the row) -> (error type, field, CSV row number)
CORRUPTIONS = {
    "cooperation type outside its enum": (
        ("activities", 0, "cooperation_type", "sideways"),
        ("constraint-error", "cooperation_type", 2),
    ),
    "modality outside its code table": (
        ("activities", 1, "modality", "telepathy"),
        ("constraint-error", "modality", 3),
    ),
    "year not an integer": (("activities", 0, "year", "twenty"), ("type-error", "year", 2)),
    "repeated programme": (("activities", 0, "activity_id", None), ("primary-key", None, None)),
    "parent programme unknown": (("activities", 0, "parent_activity_id", "KSS-9999X"), ("foreign-key", None, 2)),
    "recipient of an unknown programme": (
        ("activity_recipients", 0, "activity_id", "KSS-9999X"),
        ("foreign-key", None, 2),
    ),
    "recipient without programme": (
        ("activity_recipients", 0, "activity_id", ""),
        ("constraint-error", "activity_id", 2),
    ),
    "share above one": (("activity_recipients", 0, "share", "1.5"), ("constraint-error", "share", 2)),
    "negative count": (("ledger", 0, "rows_read", "-3"), ("constraint-error", "rows_read", 2)),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_frictionless_reports_one_bad_cell(release, tmp_path, case):
    (table, row, column, value), (kind, field, row_number) = CORRUPTIONS[case]
    package = _copy_package(release, tmp_path / "package")
    _edit_csv(package.parent / "data" / f"{table}.csv", row, column, value)
    errors = _errors(frictionless.validate(package))
    if row_number is None:  # the repeated row: appended at the end
        row_number = len(_rows(package.parent / "data" / f"{table}.csv")) + 1
    assert errors == {(table, kind, field, row_number)}


def test_frictionless_reports_a_transaction_of_an_unknown_programme(release, tmp_path):
    package = _copy_package(release, tmp_path / "package")
    transactions = package.parent / "data" / "activity_transactions.csv"
    _append_row(transactions, {"activity_id": "KSS-9999X", "transaction_type": "disbursement", "value": "10"})
    assert _errors(frictionless.validate(package)) == {
        ("activity_transactions", "foreign-key", None, len(_rows(transactions)) + 1)
    }
    done = _frictionless_cli(package)
    assert done.returncode != 0 and json.loads(done.stdout)["valid"] is False
