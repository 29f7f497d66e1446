"""The package version: the one place the package reads it (stamped into every output's metadata).

The version comes from git (setuptools-scm, configured in pyproject.toml). Releases are
tagged ``vX.Y.Z``: on the tag the version is ``X.Y.Z``; four commits later it is
``X.Y.(Z+1).dev4+g<commit>``; before the first tag ``0.1.dev<commits>+g<commit>``. A working
tree with uncommitted changes adds the date (``.d20260101``), so such a build says so.

Where it is read from, first found wins:

1. a git checkout holding this package (the editable install ``make`` makes): git itself,
   asked when the version is first needed, so it follows every commit without a reinstall;
2. the installed distribution's metadata: the version its build took from git (a wheel, an
   sdist, an install from a copy); nothing is written into the source tree;
3. ``FALLBACK``: neither git nor an install (a bare copy of the source files on the path).

``__version__`` is computed on first use, not at import: asking git costs a few tenths of a
second that commands which stamp nothing (``kss --help``, ``kss sources``) do not pay.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

DISTRIBUTION = "kss-analysis"
FALLBACK = "0.0"  # as [tool.setuptools_scm] fallback_version in pyproject.toml


def checkout_root() -> Path | None:
    """The git checkout this package is imported from (src layout), or None when installed."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / ".git").exists():
        return root
    return None


def from_git(root: Path) -> str | None:
    """The version git gives the checkout now, by the rules of pyproject.toml (None without git)."""
    try:
        from setuptools_scm import Configuration, _get_version
    except ImportError:  # an environment without the build tools: use what the install wrote
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = Configuration.from_file(root / "pyproject.toml", dist_name=DISTRIBUTION)
            return _get_version(config, force_write_version_files=False)
    except Exception:  # no git binary, a repository git refuses, a shallow copy: fall back
        return None


def from_metadata() -> str | None:
    """The version the installed distribution was built as (None when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


@cache
def package_version() -> str:
    """The version of this copy of the package (see the module docstring for the order)."""
    root = checkout_root()
    return (root and from_git(root)) or from_metadata() or FALLBACK


def __getattr__(name: str) -> str:
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
