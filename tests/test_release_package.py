"""Installable: the wheel carries the embedded register, an installed `kss build` in an empty folder
builds it, and the shipped map shapes are GeoParquet.

The slow tests build a wheel without network (the build tools come from this environment:
--no-build-isolation) and install it, without its dependencies, into a new virtual environment
that sees this environment's packages through a .pth file.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import shapely

from kss_analysis import cli
from kss_analysis.acquire import embedded
from kss_analysis.core.version import package_version
from kss_analysis.outputs.charts import map_shapes


def repo_root() -> Path:
    return next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())


ROOT = repo_root()
REGISTER = ROOT / "data" / "raw" / "kss"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def programme_rows() -> int:
    with open(REGISTER / "kss_programmes.csv", newline="", encoding="utf-8") as handle:
        return sum(1 for row in csv.DictReader(handle) if row["programme_id"].strip())


# --- the register the package ships -----------------------------------------------------------


def test_a_checkout_ships_data_raw_kss_itself():
    assert embedded.installed_copy() is None  # nothing is copied into src/
    assert embedded.shipped_register() == REGISTER
    names = [p.name for p in embedded.register_files(REGISTER)]
    sources = embedded_source_files()
    assert set(sources) <= set(names) and "README.md" in names


def embedded_source_files() -> list[str]:
    from kss_analysis.acquire.registry import load_sources

    return list(load_sources()[embedded.SOURCE_ID].files)


def test_the_build_step_copies_what_the_package_reads():
    """setup.py's list of files is the one acquire/embedded.py reads (both: CSV files and README)."""
    spec = importlib.util.spec_from_file_location("kss_setup", ROOT / "setup.py")
    assert spec and spec.loader
    setup_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup_module)  # defines the build step; setup() runs only as __main__
    assert setup_module.register_files() == embedded.register_files(REGISTER)
    assert tuple(setup_module.TARGET) == (
        "kss_analysis",
        *embedded.INSTALLED_COPY.relative_to(embedded.PACKAGE_DIR).parts,
    )


def test_placing_copies_the_register_and_never_overwrites(tmp_path):
    raw = tmp_path / "raw"
    placed, present = embedded.place_register(raw, REGISTER)
    assert placed == [p.name for p in embedded.register_files(REGISTER)] and present == []
    assert all(sha(raw / "kss" / name) == sha(REGISTER / name) for name in placed)
    (raw / "kss" / "kss_programmes.csv").write_text("my corrections\n")
    assert embedded.place_register(raw, REGISTER) == ([], placed)
    assert (raw / "kss" / "kss_programmes.csv").read_text() == "my corrections\n"


def test_an_installed_package_places_the_register_before_a_build(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(embedded, "INSTALLED_COPY", REGISTER)  # as in a wheel: the package carries a copy
    data = tmp_path / "data"
    assert cli.main(["build", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert f"placed the embedded KSS register (README.md, kss_figures.csv, kss_programmes.csv) in {data}" in out
    ledger = pq.read_table(data / "processed" / "ledger.parquet").to_pandas().set_index("file")
    assert ledger.loc["kss/kss_programmes.csv", "rows_read"] == programme_rows()
    # an existing raw/kss is the user's: an empty one builds without the register
    (tmp_path / "other" / "raw" / "kss").mkdir(parents=True)
    assert embedded.place_for_build(tmp_path / "other" / "raw") == []


def test_a_checkout_does_not_place_the_register_in_another_data_folder(tmp_path):
    assert embedded.place_for_build(tmp_path / "raw") == []
    assert not (tmp_path / "raw").exists()


def test_kss_fetch_kss_places_the_register(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KSS_DATA_DIR", str(tmp_path))
    assert cli.main(["fetch", "kss"]) == 0
    assert "kss: 3 placed from the package, 0 already present" in capsys.readouterr().out
    assert sha(tmp_path / "raw" / "kss" / "kss_programmes.csv") == sha(REGISTER / "kss_programmes.csv")
    assert cli.main(["fetch", "kss"]) == 0
    assert "kss: 0 placed from the package, 3 already present" in capsys.readouterr().out


# --- GeoParquet --------------------------------------------------------------------------------


def test_map_shapes_carry_geoparquet_metadata():
    metadata = pq.read_schema(map_shapes.SHAPES_FILE).metadata
    geo = json.loads(metadata[b"geo"])
    assert geo["version"] == "1.0.0" and geo["primary_column"] == "wkb"
    column = geo["columns"]["wkb"]
    assert column["encoding"] == "WKB"
    assert column["crs"]["id"] == {"authority": "OGC", "code": "CRS84"} and column["crs"]["type"] == "GeographicCRS"
    table = pq.read_table(map_shapes.SHAPES_FILE)
    geometries = shapely.from_wkb(table.column("wkb").to_pylist())
    assert column["geometry_types"] == sorted({g.geom_type for g in geometries})
    west, south, east, north = column["bbox"]
    assert -180 <= west < east <= 180 and -90 <= south < north <= 90
    assert column["bbox"] == [round(float(x), map_shapes.DECIMALS) for x in shapely.total_bounds(geometries)]


def test_geo_metadata_is_written_the_same_way_every_time(tmp_path):
    """The shipped file is what write_table makes of its own table: same metadata, same bytes."""
    table = pq.read_table(map_shapes.SHAPES_FILE)
    again = map_shapes.with_geo_metadata(table)
    assert again.schema.metadata == table.schema.metadata
    map_shapes.write_table(again, tmp_path / "shapes.parquet")
    assert sha(tmp_path / "shapes.parquet") == sha(map_shapes.SHAPES_FILE)


# --- the wheel, installed ----------------------------------------------------------------------


def build_wheel(source: Path, out: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        cwd=out,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("kss_analysis-*.whl")
    return wheel


def venv_with_wheel(wheel: Path, folder: Path) -> Path:
    """A new venv holding the wheel alone; this environment's packages are seen through a .pth file."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            "-q",
            str(wheel),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return folder / "bin"


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"KSS_DATA_DIR", "KSS_MIRROR", "PYTHONPATH"}}


def source_copy(folder: Path) -> Path:
    """The working tree as it is (uncommitted changes too), without git metadata: a build there
    writes nothing into the checkout (its build/ and egg-info stay in the copy)."""
    top_level = {".git", ".venv", "build", "dist", "data", "reports", "notebooks", ".mypy_cache", ".ruff_cache"}

    def ignore(where: str, names: list[str]) -> set[str]:  # only at the top: src/kss_analysis/build is the stage
        skipped = {n for n in names if n.endswith(".egg-info") or n == "__pycache__"}
        return skipped | (top_level & set(names) if Path(where) == ROOT else set())

    shutil.copytree(ROOT, folder, ignore=ignore)
    shutil.copytree(REGISTER, folder / "data" / "raw" / "kss")
    return folder


@pytest.mark.slow
def test_a_wheel_install_builds_the_embedded_register_in_an_empty_folder(tmp_path, monkeypatch):
    version = package_version()  # the checkout's version, given to the build of the copy
    monkeypatch.setenv("SETUPTOOLS_SCM_PRETEND_VERSION_FOR_KSS_ANALYSIS", version)
    wheel = build_wheel(source_copy(tmp_path / "source"), tmp_path)
    assert wheel.name.startswith(f"kss_analysis-{version}-")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            Path(name).name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if name.startswith("kss_analysis/embedded/kss/")
        }
        assert "kss_analysis/reference/map_shapes.parquet" in archive.namelist()
        assert any(name.endswith("licenses/LICENSE") for name in archive.namelist())
        stages = {
            name.split("/")[1]
            for name in archive.namelist()
            if name.count("/") >= 2 and name.startswith("kss_analysis/")
        }
        assert {"core", "acquire", "ingest", "rules", "build", "outputs"} <= stages
    assert shipped == {p.name: sha(p) for p in embedded.register_files(REGISTER)}

    bin_dir = venv_with_wheel(wheel, tmp_path / "venv")
    empty = tmp_path / "empty"
    empty.mkdir()
    said = subprocess.run(
        [str(bin_dir / "kss"), "--version"], cwd=empty, env=clean_env(), capture_output=True, text=True
    )
    assert said.returncode == 0, said.stderr
    assert said.stdout.strip() == f"kss-analysis {version}"

    done = subprocess.run([str(bin_dir / "kss"), "build"], cwd=empty, env=clean_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "placed the embedded KSS register" in done.stdout
    processed = empty / "data" / "processed"
    ledger = pq.read_table(processed / "ledger.parquet").to_pandas().set_index("file")
    assert ledger.loc["kss/kss_programmes.csv", "rows_read"] == programme_rows()
    meta = json.loads(pq.read_schema(processed / "activities.parquet").metadata[b"kss_analysis"])
    assert meta["package_version"] == version
    assert meta["inputs"]["kss/kss_programmes.csv"] == sha(REGISTER / "kss_programmes.csv")


@pytest.mark.slow
def test_a_copy_without_git_metadata_builds_with_the_fallback_version(tmp_path, monkeypatch):
    monkeypatch.delenv("SETUPTOOLS_SCM_PRETEND_VERSION", raising=False)
    monkeypatch.delenv("SETUPTOOLS_SCM_PRETEND_VERSION_FOR_KSS_ANALYSIS", raising=False)
    wheel = build_wheel(source_copy(tmp_path / "source"), tmp_path)
    assert wheel.name.startswith("kss_analysis-0.0-")
