"""Paths. No I/O at import: every path is computed when asked for."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/kss_analysis: package data lives there
REFERENCE_DIR = PACKAGE_DIR / "reference"


def project_root() -> Path:
    """The checkout holding this package (editable install), else the working directory."""
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


def data_dir() -> Path:
    """Folder holding raw/ and processed/; ``KSS_DATA_DIR`` overrides it."""
    override = os.environ.get("KSS_DATA_DIR")
    return Path(override).resolve() if override else project_root() / "data"


def raw_dir() -> Path:
    return data_dir() / "raw"


def processed_dir() -> Path:
    """The published build (publish.py). Resolved once per call, so a reader that takes this
    path and reads several tables reads them all from one build even if another is published."""
    path = data_dir() / "processed"
    if not path.is_symlink():
        return path
    try:
        return path.resolve(strict=True)
    except FileNotFoundError:
        return path  # a dangling link: the caller says there is no processed data
    except (OSError, RuntimeError) as exc:  # a loop of links
        from kss_analysis.core.errors import InputError

        raise InputError(str(path), f"link cannot be followed ({exc.__class__.__name__}: a loop?); remove it") from None


# What one input may cost, read here only: each limit has a default a real file stays far
# below and an environment variable to raise it (docs/reliability.md lists them). A value
# that is not a whole number above 0 is ignored (the default holds).
LIMITS = {
    "KSS_MAX_UNZIPPED_BYTES": 1 << 30,  # bytes one archive member may expand to
    "KSS_MAX_HEADER_CHARS": 65_536,  # characters in a CSV's header line (a real one is under 2,000)
    "KSS_MAX_CELL_CHARS": 100_000,  # characters in one cell; longer ones are quarantined (field_too_long)
    "KSS_MAX_PROFILE_BYTES": 256 * 1024,  # bytes of a register profile (YAML); a real one is a few hundred
    "KSS_MAX_PATTERN_CHARS": 200,  # characters in one regular expression of a register profile
    "KSS_MAX_MATCH_CHARS": 1_000,  # characters of a cell a profile's patterns search (its start)
    "KSS_PATTERN_SECONDS": 10,  # seconds a profile's patterns may take on one register file in all
    "KSS_MAX_XLSX_CELLS": 5_000_000,  # cells read from one workbook, empty padding included
}


def limit(name: str) -> int:
    """The limit ``name`` (a key of LIMITS): its environment variable when set, else the default."""
    default = LIMITS[name]
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default
