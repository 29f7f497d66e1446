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
