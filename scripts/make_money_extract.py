"""Regenerate the embedded money extract (reference/fx_rates.csv, deflators.csv) from fetched files.

    kss fetch imf-exchangerates wb-inflation      # or: --mirror ../shared/mirror
    python scripts/make_money_extract.py [--raw data/raw]

Keeps, byte for byte, the upstream rows the package needs offline: IMF rates of the
currencies the register, IATI and AidData sources use, and the US and Indonesian GDP
deflator series. reference/money_extract.json names each file's source, commit, the
sha256 of the upstream file it came from, the selection and the extract's own sha256.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kss_analysis.core.config import REFERENCE_DIR  # noqa: E402
from kss_analysis.build.money import # noqa: E402     DEFLATOR_FILE, DEFLATOR_SOURCE_ID, EXTRACT_FILES, EXTRACT_METADATA, FX_FILE, FX_SOURCE_ID, _commit_of
from kss_analysis.acquire.registry import load_sources  # noqa: E402

# Register: IDR, USD. IATI SSC transactions: AUD CAD CHF COP DKK EUR GBP KRW NOK SEK XDR.
# AidData: CNY (GCOF's main stated currency), QAR (TUFF Qatar). USD is 1 by definition.
FX_CURRENCIES = sorted(
    ["IDR", "AUD", "CAD", "CHF", "COP", "DKK", "EUR", "GBP", "KRW", "NOK", "SEK", "XDR", "CNY", "QAR"]
)
DEFLATOR_COUNTRIES = ["IDN", "USA"]
SELECTIONS = {
    FX_SOURCE_ID: (FX_FILE, "Currency", FX_CURRENCIES),
    DEFLATOR_SOURCE_ID: (DEFLATOR_FILE, "Country Code", DEFLATOR_COUNTRIES),
}


def extract_lines(path: Path, column: str, values: list[str]) -> bytes:
    """The header and every line whose ``column`` is one of ``values``, bytes unchanged."""
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    position = header.index(column)
    kept = [lines[0]] + [line for line in lines[1:] if next(csv.reader([line]))[position] in values]
    return "".join(kept).encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default=str(ROOT / "data" / "raw"), help="raw folder holding the fetched files")
    parser.add_argument("--out", default=str(REFERENCE_DIR), help="folder to write the extract into")
    args = parser.parse_args(argv)
    raw, out = Path(args.raw), Path(args.out)
    sources = load_sources()
    metadata = {}
    for source_id, (upstream, column, values) in SELECTIONS.items():
        path = raw / source_id / upstream
        if not path.is_file():
            print(f"{path}: not found; run `kss fetch {source_id}` first", file=sys.stderr)
            return 2
        upstream_sha = hashlib.sha256(path.read_bytes()).hexdigest()
        pinned = sources[source_id].files[upstream]
        if upstream_sha != pinned:
            print(f"{path}: sha256 {upstream_sha} is not the pinned {pinned}", file=sys.stderr)
            return 2
        data = extract_lines(path, column, values)
        name = EXTRACT_FILES[source_id]
        (out / name).write_bytes(data)
        metadata[name] = {
            "source": source_id,
            "title": sources[source_id].title,
            "upstream_url": sources[source_id].url_of(upstream),
            "upstream_file": f"{source_id}/{upstream}",
            "upstream_sha256": upstream_sha,
            "commit": _commit_of(source_id),
            "licence": sources[source_id].licence,
            "citation": sources[source_id].citation,
            "selection": {"column": column, "values": values},
            "rows": data.count(b"\n") - 1,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        print(f"{name}: {metadata[name]['rows']} rows from {path}")
    body = json.dumps(metadata, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out / EXTRACT_METADATA).write_text(body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
