"""Fingerprint a full build: sha256 of every processed file and every exported chart/table CSV.

Usage: python scripts/compare_builds.py OUT.json [--against BASELINE.json]

Builds the embedded registers (and, when KSS_MIRROR is set, every mirrored source) into a
temporary data folder, exports the charts' CSVs and JSON sidecars and the spreadsheet
tables, and writes {relative path: sha256} to OUT.json. With --against it prints which
files are the same, changed, new or gone, and exits 1 when any differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Synthetic CRS bulk file (random values, fixed seed) so the CRS build is fingerprinted too.
CRS_GENERATOR = next(
    (p / "shared" / "tools" / "gen_crs.py" for p in ROOT.parents if (p / "shared" / "tools" / "gen_crs.py").exists()),
    Path("gen_crs.py not found"),
)
CRS_ROWS = "2000"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(data: Path, mirror: str) -> None:
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    env = {**os.environ, "KSS_DATA_DIR": str(data), "PYTHONPATH": str(ROOT / "src")}
    kss = [sys.executable, "-m", "kss_analysis"]
    if mirror:
        # --all --skip-unreachable: exit code 1 on a source the mirror lacks is not fatal here.
        subprocess.run([*kss, "fetch", "--all", "--mirror", mirror], env=env, check=False, stdout=subprocess.DEVNULL)
    if CRS_GENERATOR.exists():
        (data / "raw" / "oecd-crs").mkdir(parents=True)
        crs_file = data / "raw" / "oecd-crs" / "CRS synthetic data.txt"
        subprocess.run(
            [sys.executable, str(CRS_GENERATOR), CRS_ROWS, str(crs_file), "7"], check=True, capture_output=True
        )
    subprocess.run([*kss, "build"], env=env, check=True, stdout=subprocess.DEVNULL)
    charts = data / "charts"
    subprocess.run(
        [*kss, "charts", "export", "--lang", "en,id", "--format", "svg", "--out", str(charts)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tables = data / "tables"
    subprocess.run(
        [*kss, "tables", "export", "--format", "csv,xlsx", "--out", str(tables)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def fingerprint(data: Path) -> dict[str, str]:
    found = {}
    for folder, suffixes in (("processed", None), ("charts", (".csv", ".json", ".svg")), ("tables", (".csv", ".xlsx"))):
        for path in sorted((data / folder).rglob("*")):
            if path.is_file() and (suffixes is None or path.suffix in suffixes):
                found[str(path.relative_to(data))] = _sha256(path)
    return found


def compare(new: dict[str, str], old: dict[str, str]) -> int:
    same = sorted(k for k in new if old.get(k) == new[k])
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    added, gone = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    print(f"{len(same)} identical, {len(changed)} changed, {len(added)} new, {len(gone)} gone")
    for title, names in (("changed", changed), ("new", added), ("gone", gone)):
        for name in names:
            print(f"  {title}: {name}")
    return 1 if changed or added or gone else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--against", help="baseline JSON to compare with")
    args = parser.parse_args()
    mirror = os.environ.get("KSS_MIRROR", "").strip()
    data = Path(tempfile.mkdtemp(prefix="kss-compare-"))
    try:
        build(data, mirror)
        prints = {"mirror": bool(mirror), "synthetic_crs": CRS_GENERATOR.exists(), "files": fingerprint(data)}
    finally:
        shutil.rmtree(data, ignore_errors=True)
    Path(args.out).write_text(json.dumps(prints, indent=1, sort_keys=True) + "\n")
    print(f"{len(prints['files'])} files fingerprinted into {args.out}")
    if args.against:
        return compare(prints["files"], json.loads(Path(args.against).read_text())["files"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
