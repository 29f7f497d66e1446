"""Build step of the package: the wheel carries the embedded KSS register as package data.

data/raw/kss stays the one place the register is edited. When a wheel is built (from the
repository or from the sdist), its CSV files and README are copied into the package at
kss_analysis/embedded/kss/, where an installed ``kss`` finds them
(src/kss_analysis/acquire/embedded.py). An editable install reads data/raw/kss itself and
copies nothing. Everything else is configured in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

REGISTER = Path(__file__).resolve().parent / "data" / "raw" / "kss"
TARGET = ("kss_analysis", "embedded", "kss")


def register_files() -> list[Path]:
    """The register as shipped: its CSV files and README (as acquire/embedded.py reads them)."""
    if not REGISTER.is_dir():
        raise SystemExit(f"{REGISTER}: not found; the wheel must carry the embedded KSS register")
    return sorted(p for p in REGISTER.iterdir() if p.is_file() and (p.suffix == ".csv" or p.name == "README.md"))


class BuildWithRegister(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib, *TARGET)
        self.mkpath(str(target))
        for path in register_files():
            self.copy_file(str(path), str(target / path.name), preserve_mode=False)


if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildWithRegister})
