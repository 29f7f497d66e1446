"""The data release (dist/kss-analysis-data-<version>/) and its Frictionless descriptor,
checked against the Data Package and Table Schema rules it relies on: every resource's file
exists and its CSV header is its schema's fields; types are Table Schema types; enums hold
every value written; primary keys are unique and foreign keys resolve; the same inputs give
the same bytes."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

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
            assert {row[foreign["fields"][0]] for row in rows} <= known
    assert by_name["activity_recipients"]["schema"]["foreignKeys"]
    assert by_name["activity_transactions"]["schema"]["foreignKeys"]


def test_same_inputs_give_the_same_bytes(built, release):
    before = {p.relative_to(release): p.read_bytes() for p in sorted(release.rglob("*")) if p.is_file()}
    again = build_release(built / "data" / "processed", built / "dist", figures=built / "figures", echo=lambda _: None)
    after = {p.relative_to(again): p.read_bytes() for p in sorted(again.rglob("*")) if p.is_file()}
    assert before == after
