"""Session set-up shared by the unit tests and the notebooks run by nbval.

The processed data (the embedded registers, and every mirrored source when KSS_MIRROR points
at the offline mirror) are built on first demand, at most once per process (once per xdist
worker), into a temporary data folder: a test asks for them with the ``built_data`` fixture
(or a fixture built on it, such as ``session_data``); a notebook asks by being run, before its
kernel starts (the kernel inherits KSS_DATA_DIR). A test that asks for nothing never waits for
a build. A test sees KSS_DATA_DIR set to the build only when it asked for it, and to an empty
folder otherwise, so a test that reads processed data without asking fails every time, not
only when another test happened to build first. The working copy's data/ is never touched
by tests. Notebooks that need fetched sources absent from the mirror are skipped, with the
reason, decided at collection from the mirror (no build) and checked against the build
before they run. A KSS_DATA_DIR set before pytest starts is used as the build, never rebuilt.
"""

import gc
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
GIVEN_DATA_DIR = "KSS_TEST_GIVEN_DATA_DIR"


def _mirror() -> Path | None:
    mirror = os.environ.get("KSS_MIRROR", "").strip()
    return Path(mirror) if mirror and Path(mirror).is_dir() else None


def _build_test_data(config) -> Path:
    data = Path(tempfile.mkdtemp(prefix="kss-test-data-"))
    config._kss_test_data = data  # removed at the end of the session, even if the build fails
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    if mirror := _mirror():
        from kss_analysis.acquire.fetch import fetch_source
        from kss_analysis.acquire.registry import load_sources

        for source in load_sources().values():
            if source.kind == "fetched":
                fetch_source(source, data / "raw", mirror=mirror)
    from kss_analysis.build.pipeline import build_all

    build_all(data)
    return data


def built_data_dir(config) -> Path:
    """The test data folder, built on the first call in this process (each xdist worker is one)."""
    if config._kss_built is None:
        if config._kss_given_data:
            config._kss_built = config._kss_given_data
        else:
            if config._kss_build_error is not None:  # a failed build fails every test that asks, once built
                raise config._kss_build_error
            try:
                config._kss_built = _build_test_data(config)
            except Exception as error:
                config._kss_build_error = error
                raise
    return config._kss_built


@pytest.fixture(scope="session")
def built_data(pytestconfig) -> Path:
    """The data folder with the processed build (``<it>/processed``), built once per process on
    first demand; while a test that asks for it runs, KSS_DATA_DIR points at it. Read it, never
    write it."""
    return built_data_dir(pytestconfig)


@pytest.fixture(autouse=True)
def _kss_data_dir(request, monkeypatch):
    """KSS_DATA_DIR for each test: the build if the test asked for it, else an empty folder."""
    if "built_data" in request.fixturenames:
        data = request.getfixturevalue("built_data")
    else:
        data = request.config._kss_no_data
    monkeypatch.setenv("KSS_DATA_DIR", str(data))


def pytest_configure(config):
    # A data folder given before pytest started. xdist workers inherit the controller's environment,
    # where KSS_DATA_DIR is already the empty folder below: the first process passes the given one on.
    given = os.environ.setdefault(GIVEN_DATA_DIR, os.environ.get("KSS_DATA_DIR", "").strip())
    config._kss_given_data = Path(given) if given else None
    config._kss_built = None
    config._kss_build_error = None
    config._kss_test_data = None
    config._kss_notebook_plans = {}
    # What a test that asked for no build sees: an empty data folder, never the working copy's data/.
    config._kss_no_data = Path(tempfile.mkdtemp(prefix="kss-test-nodata-"))
    os.environ["KSS_DATA_DIR"] = str(config._kss_no_data)
    # Charts leave many short-lived cycles: collect less often, and never scan the objects loaded so far
    # (modules, reference tables). About 8% off the fast suite; memory grows by some 10 MB.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _is_notebook(item) -> bool:
    return str(item.fspath).endswith(".ipynb")


def _skip_reason(absent) -> str:
    return f"needs {', '.join(absent)}: set KSS_MIRROR to a mirror folder (CI does) or run `kss fetch --all`"


def _sources_to_build(config) -> set[str]:
    """Source ids the test build will hold, judged without building: those of a given build,
    else the fetched sources the mirror has a folder for."""
    if config._kss_given_data:
        from kss_analysis.outputs.notebooks.runner import present_sources

        return present_sources(config._kss_given_data / "processed")
    mirror = _mirror()
    if mirror is None:
        return set()
    from kss_analysis.acquire.registry import load_sources

    return {s.id for s in load_sources().values() if s.kind == "fetched" and (mirror / s.id).is_dir()}


def pytest_collection_modifyitems(config, items):
    """Skip a notebook whose sources (its metadata's ``kss.needs_sources``) will not be in the test build."""
    notebooks = {Path(str(item.fspath)) for item in items if _is_notebook(item)}
    if not notebooks:
        return
    from kss_analysis.outputs.notebooks.runner import notebook_needs

    present = _sources_to_build(config)
    missing = {path.name: [s for s in notebook_needs(path) if s not in present] for path in notebooks}
    for item in items:
        if absent := missing.get(Path(str(item.fspath)).name):
            item.add_marker(pytest.mark.skip(reason=_skip_reason(absent)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """A notebook's cells run on the build: build it (once per process) before the notebook's
    kernel starts (in pytest's set-up of the notebook, inside this wrapper), and skip the notebook
    if a source it needs did not make it into the build. A notebook already skipped at collection
    builds nothing. KSS_DATA_DIR points at the build only while the kernel starts."""
    if not _is_notebook(item) or item.get_closest_marker("skip"):
        return (yield)
    data = built_data_dir(item.config)
    path = Path(str(item.fspath))
    if path not in item.config._kss_notebook_plans:
        from kss_analysis.outputs.notebooks.runner import plan_notebooks

        item.config._kss_notebook_plans[path] = plan_notebooks([path], data / "processed")[0].missing
    if absent := item.config._kss_notebook_plans[path]:
        pytest.skip(_skip_reason(absent))
    os.environ["KSS_DATA_DIR"] = str(data)  # the kernel, started with the notebook's first cell, inherits it
    try:
        return (yield)
    finally:
        os.environ["KSS_DATA_DIR"] = str(item.config._kss_no_data)


def pytest_unconfigure(config):
    for data in (getattr(config, "_kss_test_data", None), getattr(config, "_kss_no_data", None)):
        if data:
            shutil.rmtree(data, ignore_errors=True)
