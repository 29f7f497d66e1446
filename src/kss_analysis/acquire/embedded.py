"""The embedded KSS register wherever the package runs: the one in data/raw/kss, and its installed copy.

``data/raw/kss`` of the repository is the one place the register is edited. A wheel (or an
install from the sdist) carries a copy of its CSV files and README inside the package, under
``kss_analysis/embedded/kss/``: the build copies them there (setup.py), so an installed
``kss`` has the register without the repository.

``kss build`` places that copy in a data folder that has no ``raw/kss`` yet (an installed
package run in an empty folder builds the register, as a checkout does); ``kss fetch kss``
places it on request, from the installed copy or the checkout's ``data/raw/kss``. An
existing ``raw/kss`` is never overwritten: it may hold the user's corrections. An empty
``raw/kss`` folder builds without the register.
"""

from __future__ import annotations

from pathlib import Path

from kss_analysis.core.config import PACKAGE_DIR, project_root
from kss_analysis.core.errors import InputError
from kss_analysis.core.io import write_bytes_atomic

SOURCE_ID = "kss"
INSTALLED_COPY = PACKAGE_DIR / "embedded" / SOURCE_ID  # present in an installed wheel, not in a checkout
README = "README.md"


def register_files(folder: Path) -> list[Path]:
    """The files that make up the register in ``folder``: its CSV files and README, sorted."""
    return sorted(p for p in folder.iterdir() if p.is_file() and (p.suffix == ".csv" or p.name == README))


def installed_copy() -> Path | None:
    """The copy inside an installed package (None when running from a checkout)."""
    return INSTALLED_COPY if INSTALLED_COPY.is_dir() and register_files(INSTALLED_COPY) else None


def checkout_register() -> Path | None:
    folder = project_root() / "data" / "raw" / SOURCE_ID
    return folder if (project_root() / "pyproject.toml").is_file() and folder.is_dir() else None


def shipped_register() -> Path | None:
    """Where the register this package carries is: its installed copy, else the checkout's data/raw/kss."""
    return installed_copy() or checkout_register()


def place_register(raw: Path, origin: Path | None = None) -> tuple[list[str], list[str]]:
    """Copy the shipped register into ``raw``/kss: (file names placed, names already there).

    Nothing is overwritten; ``origin`` defaults to ``shipped_register()``. Raises InputError
    when there is no register to place.
    """
    origin = origin or shipped_register()
    if origin is None:
        raise InputError(str(raw / SOURCE_ID), "no embedded register to place: this installation carries none")
    target = raw / SOURCE_ID
    if origin.resolve() == target.resolve():
        return [], [p.name for p in register_files(origin)]
    placed, present = [], []
    for path in register_files(origin):
        if (target / path.name).exists():
            present.append(path.name)
        else:
            write_bytes_atomic(target / path.name, path.read_bytes())
            placed.append(path.name)
    return placed, present


def place_for_build(raw: Path) -> list[str]:
    """Before a build: the installed copy placed in ``raw``/kss when that folder does not exist.

    Only from an installed package: in a checkout the data folder is the user's choice (a
    KSS_DATA_DIR without the register builds without it, as before)."""
    copy = installed_copy()
    if copy is None or (raw / SOURCE_ID).exists():
        return []
    return place_register(raw, copy)[0]
