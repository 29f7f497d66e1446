"""Session set-up shared by the unit tests and the notebooks run by nbval.

The notebooks read processed tables; before any test runs, the embedded registers are
built into a temporary data folder (KSS_DATA_DIR), which the notebook kernels inherit.
The working copy's data/processed is never touched by tests.
"""

import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def pytest_sessionstart(session):
    if os.environ.get("KSS_DATA_DIR"):
        return
    data = Path(tempfile.mkdtemp(prefix="kss-test-data-"))
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    os.environ["KSS_DATA_DIR"] = str(data)
    from kss_analysis.pipeline import build_all

    build_all(data)
    session.config._kss_test_data = data


def pytest_sessionfinish(session):
    data = getattr(session.config, "_kss_test_data", None)
    if data:
        shutil.rmtree(data, ignore_errors=True)
