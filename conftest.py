"""Session set-up shared by the unit tests and the notebooks run by nbval.

The notebooks read processed tables. Before any test runs, the embedded registers (and,
when KSS_MIRROR points at the offline mirror, every mirrored source) are built into a
temporary data folder (KSS_DATA_DIR), which the notebook kernels inherit. The working
copy's data/ is never touched by tests. Notebooks that need the fetched sources are
skipped, with the reason, when the mirror is absent.
"""

import gc
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def _build_test_data(config) -> None:
    data = Path(tempfile.mkdtemp(prefix="kss-test-data-"))
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    mirror = os.environ.get("KSS_MIRROR", "").strip()
    if mirror and Path(mirror).is_dir():
        from kss_analysis.acquire.fetch import fetch_source
        from kss_analysis.acquire.registry import load_sources

        for source in load_sources().values():
            if source.kind == "fetched":
                fetch_source(source, data / "raw", mirror=Path(mirror))
    os.environ["KSS_DATA_DIR"] = str(data)
    from kss_analysis.build.pipeline import build_all

    build_all(data)
    config._kss_test_data = data


def pytest_configure(config):
    if not os.environ.get("KSS_DATA_DIR"):
        _build_test_data(config)
    # Charts leave many short-lived cycles: collect less often, and never scan the objects loaded so far
    # (modules, reference tables). About 8% off the fast suite; memory grows by some 10 MB.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def pytest_collection_modifyitems(config, items):
    """Skip a notebook whose sources (its metadata's ``kss.needs_sources``) are not in the test build."""
    from kss_analysis.core.config import processed_dir
    from kss_analysis.outputs.notebooks.runner import plan_notebooks

    notebooks = {Path(str(item.fspath)) for item in items if str(item.fspath).endswith(".ipynb")}
    missing = {plan.path.name: plan.missing for plan in plan_notebooks(notebooks, processed_dir()) if plan.missing}
    for item in items:
        if absent := missing.get(Path(str(item.fspath)).name):
            reason = f"needs {', '.join(absent)}: set KSS_MIRROR to a mirror folder (CI does) or run `kss fetch --all`"
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_unconfigure(config):
    data = getattr(config, "_kss_test_data", None)
    if data:
        shutil.rmtree(data, ignore_errors=True)
