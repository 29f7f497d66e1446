"""Session set-up shared by the unit tests and the notebooks run by nbval.

The notebooks read processed tables. Before any test runs, the embedded registers (and,
when KSS_MIRROR points at the offline mirror, every mirrored source) are built into a
temporary data folder (KSS_DATA_DIR), which the notebook kernels inherit. The working
copy's data/ is never touched by tests. Notebooks that need the fetched sources are
skipped, with the reason, when the mirror is absent.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
NEEDS_FETCHED_SOURCES = {"05-southern-providers.ipynb", "06-data-quality.ipynb"}


def _build_test_data(config) -> None:
    data = Path(tempfile.mkdtemp(prefix="kss-test-data-"))
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    mirror = os.environ.get("KSS_MIRROR", "").strip()
    config._kss_has_sources = False
    if mirror and Path(mirror).is_dir():
        from kss_analysis.fetch import fetch_source
        from kss_analysis.registry import load_sources

        reports = [fetch_source(s, data / "raw", mirror=Path(mirror)) for s in load_sources().values() if s.kind == "fetched"]
        config._kss_has_sources = not any(r.errors for r in reports)
    os.environ["KSS_DATA_DIR"] = str(data)
    from kss_analysis.pipeline import build_all

    build_all(data)
    config._kss_test_data = data


def pytest_configure(config):
    if not os.environ.get("KSS_DATA_DIR"):
        _build_test_data(config)


def pytest_collection_modifyitems(config, items):
    if getattr(config, "_kss_has_sources", True):
        return
    skip = pytest.mark.skip(reason="needs the fetched sources: set KSS_MIRROR=../shared/mirror (CI does) or run `kss fetch --all`")
    for item in items:
        if Path(str(item.fspath)).name in NEEDS_FETCHED_SOURCES:
            item.add_marker(skip)


def pytest_unconfigure(config):
    data = getattr(config, "_kss_test_data", None)
    if data:
        shutil.rmtree(data, ignore_errors=True)
