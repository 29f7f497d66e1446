"""`make` checks the interpreter before it creates .venv, and says what it needs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("Makefile", "requirements.lock", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _make(checkout: Path, python: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "test", f"PYTHON={python}"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_unsupported_interpreter_stops_before_creating_the_venv(checkout: Path):
    fake = checkout / "python3.10"
    fake.write_text("#!/bin/sh\necho 3.10\n")  # answers every version question like a Python 3.10
    fake.chmod(0o755)
    result = _make(checkout, str(fake))
    assert result.returncode != 0
    assert "is Python 3.10; kss-analysis supports Python 3.11 3.12" in result.stderr
    assert not (checkout / ".venv").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_missing_interpreter_is_named(checkout: Path):
    result = _make(checkout, "no-such-python3.99")
    assert result.returncode != 0
    assert "cannot run 'no-such-python3.99'" in result.stderr
    assert not (checkout / ".venv").exists()
