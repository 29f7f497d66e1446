"""The version comes from git, reaches every output, and the release files agree on it.

- a checkout's version names its commit (PEP 440); a fresh repository gives 0.1.devN+g<commit>
  before any tag, X.Y.Z on the tag vX.Y.Z and X.Y.(Z+1).devN+g<commit> after it; a copy
  without git or an install falls back to pyproject's fallback_version;
- Parquet metadata, chart sidecars, the XLSX Sources sheet, the notebook banner and
  `kss --version` all carry it, and the notebooks' committed banners are sanitised for nbval;
- CHANGELOG.md names the tag form and CITATION.cff the last release it lists;
- the build tools are pinned, so `make` installs without build isolation (offline).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from kss_analysis import cli
from kss_analysis.core import version as version_module
from kss_analysis.core.version import package_version


def repo_root() -> Path:
    """The checkout (found upwards, so the test may live in any folder of tests/)."""
    here = Path(__file__).resolve()
    return next(p for p in here.parents if (p / "pyproject.toml").is_file())


ROOT = repo_root()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RELEASE_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")


def test_the_version_is_dynamic_and_configured_for_git_tags():
    assert "version" not in PYPROJECT["project"] and PYPROJECT["project"]["dynamic"] == ["version"]
    scm = PYPROJECT["tool"]["setuptools_scm"]
    assert scm["fallback_version"] == version_module.FALLBACK
    assert "version_file" not in scm and "write_to" not in scm  # a build writes nothing into src/
    requires = " ".join(PYPROJECT["build-system"]["requires"])
    assert "setuptools-scm" in requires and "setuptools>=" in requires


def test_the_version_is_pep440():
    Version(package_version())  # raises InvalidVersion otherwise


def test_kss_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"kss-analysis {package_version()}"


@needs_git
def test_a_checkout_names_its_commit():
    root = version_module.checkout_root()
    if root is None:
        pytest.skip("not run from a git checkout")
    head = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], cwd=root, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip(f"git cannot read this checkout: {head.stderr.strip()}")
    found = version_module.from_git(root)
    assert found is not None
    local = Version(found).local
    assert local is None or f"g{head.stdout.strip()}" in local  # on a clean tag there is no local part


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@needs_git
def test_untagged_tagged_and_later_commits_give_pep440_versions(tmp_path):
    repo = tmp_path / "project"
    repo.mkdir()
    shutil.copyfile(ROOT / "pyproject.toml", repo / "pyproject.toml")
    _git(repo, "init", "-q")
    for n in range(3):
        (repo / "file.txt").write_text(str(n))
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--no-gpg-sign", "-m", f"commit {n}")
    head = _git(repo, "rev-parse", "--short=7", "HEAD")
    untagged = version_module.from_git(repo)
    assert re.fullmatch(rf"0\.1\.dev3\+g{head}[0-9a-f]*", untagged or ""), untagged

    _git(repo, "tag", "v0.3.0")
    assert version_module.from_git(repo) == "0.3.0"

    (repo / "file.txt").write_text("later")
    _git(repo, "commit", "-q", "--no-gpg-sign", "-am", "later")
    later = _git(repo, "rev-parse", "--short=7", "HEAD")
    assert re.fullmatch(rf"0\.3\.1\.dev1\+g{later}[0-9a-f]*", version_module.from_git(repo) or "")

    (repo / "file.txt").write_text("uncommitted")
    dirty = version_module.from_git(repo) or ""
    assert re.fullmatch(rf"0\.3\.1\.dev1\+g{later}[0-9a-f]*\.d\d{{8}}", dirty), dirty


def test_without_git_or_an_install_the_fallback_version(monkeypatch):
    monkeypatch.setattr(version_module, "checkout_root", lambda: None)
    monkeypatch.setattr(version_module, "from_metadata", lambda: None)
    version_module.package_version.cache_clear()
    try:
        assert version_module.package_version() == "0.0" == PYPROJECT["tool"]["setuptools_scm"]["fallback_version"]
    finally:
        monkeypatch.undo()
        version_module.package_version.cache_clear()


def test_an_installed_copy_reads_the_version_of_its_metadata(monkeypatch):
    monkeypatch.setattr(version_module, "checkout_root", lambda: None)
    monkeypatch.setattr(version_module, "from_metadata", lambda: "1.2.3")
    version_module.package_version.cache_clear()
    try:
        assert version_module.package_version() == "1.2.3"
    finally:
        monkeypatch.undo()
        version_module.package_version.cache_clear()


def test_the_version_is_read_in_one_place():
    """Only core/version.py decides the version; the rest asks it (no literal version anywhere)."""
    package = ROOT / "src" / "kss_analysis"
    for path in package.rglob("*.py"):
        if path.name == "version.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "importlib.metadata import version\n" not in text or "matplotlib" in text, path
        assert not re.search(r"__version__\s*=", text), path
        assert "0.1.0" not in text, path


def test_every_output_carries_the_version(register_build, tmp_path):
    from kss_analysis.core.io import read_metadata
    from kss_analysis.outputs.charts.export import export_charts
    from kss_analysis.outputs.notebooks.loaders import data_vintage
    from kss_analysis.outputs.tables.export import about

    processed = register_build / "processed"
    version = package_version()
    assert read_metadata(processed / "activities.parquet")["package_version"] == version
    assert ("kss-analysis version", version) in about(processed, "en", "programmes_by_sector_year")
    notebook = next((ROOT / "notebooks").glob("01-*.ipynb"))
    assert f"Built by kss-analysis {version}." in data_vintage(str(notebook), processed)
    export_charts(processed, tmp_path, ["en"], ["svg"], ["programmes_by_sector"], echo=lambda _: None)
    sidecar = json.loads((tmp_path / "en" / "programmes_by_sector.json").read_text(encoding="utf-8"))
    assert sidecar["package_version"] == version


def test_nbval_hides_the_version_in_committed_outputs():
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    rules = [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]

    def sanitise(text: str) -> str:
        for regex, replace in rules:
            text = regex.sub(replace, text)
        return text

    for version in (
        "0.1.0",
        "0.3.0",
        "0.1.dev214+g1ab153710",
        "0.3.1.dev4+g1a2b3c4.d20261207",
        "0.0",
        package_version(),
    ):
        assert sanitise(f"Built by kss-analysis {version}.") == "Built by kss-analysis VERSION."
    banners = [
        line
        for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if "Built by kss-analysis" in line
    ]
    assert banners and all("kss-analysis VERSION." in sanitise(line) for line in banners)


def latest_release() -> tuple[str, str]:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    match = RELEASE_HEADING.search(changelog)
    assert match, "CHANGELOG.md lists no release (## [X.Y.Z] - YYYY-MM-DD)"
    return match.group(1), match.group(2)


def test_changelog_keeps_an_unreleased_section_and_names_the_tag_form():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("## [Unreleased]") < RELEASE_HEADING.search(changelog).start()
    assert "tagged `vX.Y.Z`" in changelog
    versions = [Version(v) for v, _ in RELEASE_HEADING.findall(changelog)]
    assert versions == sorted(versions, reverse=True), "releases newest first"


def test_citation_cff_parses_and_names_the_last_release():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert {"cff-version", "message", "title", "version", "authors", "license", "preferred-citation"} <= set(cff)
    assert cff["cff-version"] == "1.2.0" and cff["license"] == "MIT"
    assert cff["authors"] == [{"name": "kss-analysis contributors"}]
    preferred = cff["preferred-citation"]
    assert {"type", "title", "authors"} <= set(preferred)
    version, date = latest_release()
    assert str(cff["version"]) == str(preferred["version"]) == version
    assert str(cff["date-released"]) == str(preferred["date-released"]) == date


def test_license_is_mit_as_pyproject_says():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_build_tools_are_pinned_and_make_installs_without_build_isolation():
    pins = _pins()
    assert {"setuptools", "setuptools-scm"} <= set(pins)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "-e ." in line and "install" in line]
    assert installs and all("--no-build-isolation" in line for line in installs)


def test_environment_yml_pins_the_locked_versions():
    pins = _pins()
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    for dependency in env["dependencies"]:
        if not isinstance(dependency, str) or dependency.split("=")[0] in {"python", "pip"}:
            continue
        name, _, version = dependency.partition("=")
        assert version == pins[name], f"environment.yml {dependency}: requirements.lock pins {pins[name]}"
