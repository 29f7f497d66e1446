"""Write charts and their numbers to files for reports.

Per chart and language: the image in each format asked for, a CSV of exactly the plotted
numbers and a JSON sidecar (dataset, filters, input sha256s). Same data, same bytes:
no dates in SVG/PDF metadata, a fixed SVG hash salt, sorted data.

An export whose inputs did not change is skipped: out/.export-key.json stores a key (the
processed tables' sha256s, the package version and its own source files, matplotlib's
version, languages, formats, chart names) and the sha256 of every file written. When the
key matches and every file is still there with those bytes, nothing is redrawn (same bytes
anyway). matplotlib and the chart code are imported only when something is drawn, so the
skip itself takes about a second.
"""

from __future__ import annotations

import hashlib
import io as _io
import json
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from kss_analysis import __version__, io

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

FORMATS = ("png", "svg", "pdf")
SAVE_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    import matplotlib.pyplot as plt

    from kss_analysis.charts import STYLE

    buffer = _io.BytesIO()
    with plt.style.context(STYLE):
        fig.savefig(buffer, format=fmt, metadata=SAVE_METADATA[fmt])
    return buffer.getvalue()


def is_register(source: pd.Series) -> pd.Series:
    """Rows from the KSS programme registers (embedded or the user's own)."""
    return source.str.match(r"^(kss$|register:)")


def load_chart_tables(processed: Path, *, registers_only: bool = True) -> tuple[dict, dict[str, str]]:
    """Processed tables the charts read; by default only the KSS registers' activities.

    Returns (tables by name, sha256 of the raw inputs they were built from).
    """
    from kss_analysis.standard_charts import CHART_TABLES

    tables = {name: io.read_table(processed / f"{name}.parquet") for name in CHART_TABLES}  # InputError when unreadable
    if registers_only:
        acts = tables["activities"]
        tables["activities"] = acts[is_register(acts["source"])].reset_index(drop=True)
        ids = set(tables["activities"]["activity_id"])
        recips = tables["activity_recipients"]
        tables["activity_recipients"] = recips[recips["activity_id"].isin(ids)].reset_index(drop=True)
    inputs = io.read_metadata(processed / "activities.parquet").get("inputs", {})
    if registers_only:
        inputs = {k: v for k, v in inputs.items() if k.startswith(("kss/", "registers/"))}
    return tables, inputs


KEY_FILE = ".export-key.json"
PACKAGE = Path(__file__).resolve().parent


def export_key(processed: Path, langs: list[str], formats: list[str], names: list[str] | None) -> str:
    """Changes when a processed table, the package (version or code), matplotlib or the options change."""
    digest = hashlib.sha256(json.dumps([__version__, version("matplotlib"), langs, formats, names]).encode())
    # Every processed table, not only those the charts read: knowing which needs the chart code.
    for table in sorted(processed.glob("*.parquet")):
        digest.update(f"{table.name} {io.sha256_file(table)}\n".encode())
    # The version stays 0.1.0 while the code changes in development: hash the code too.
    for path in sorted([*PACKAGE.rglob("*.py"), *PACKAGE.glob("styles/*.mplstyle")]):
        digest.update(f"{path.relative_to(PACKAGE)} {io.sha256_file(path)}\n".encode())
    return digest.hexdigest()


def _unchanged(out: Path, key: str) -> list[Path] | None:
    """The files of the last export when its key is ``key`` and they are all there, unaltered."""
    try:
        stored = json.loads((out / KEY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("key") != key:
        return None
    files = stored.get("files", {})
    for relative, sha in files.items():
        path = out / relative
        if not path.is_file() or io.sha256_file(path) != sha:
            return None
    return [out / relative for relative in files]


def export_charts(
    processed: Path,
    out: Path,
    langs: list[str],
    formats: list[str],
    names: list[str] | None = None,
    *,
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """Write every standard chart (or ``names``) into out/<lang>/; returns the files written or checked.

    Skipped, with one line saying so, when the last export into ``out`` had the same key and
    its files are intact.
    """
    key = export_key(processed, langs, formats, names)
    if (previous := _unchanged(out, key)) is not None:
        echo(f"unchanged {len(previous)} chart files in {out}: data, package and options as in the last export")
        return previous
    (out / KEY_FILE).unlink(missing_ok=True)  # an interrupted export leaves no stale key behind
    paths = _draw_charts(processed, out, langs, formats, names)
    files = {str(path.relative_to(out)): io.sha256_file(path) for path in paths}
    io.write_bytes_atomic(out / KEY_FILE, (json.dumps({"key": key, "files": files}, indent=1) + "\n").encode())
    return paths


def _draw_charts(
    processed: Path, out: Path, langs: list[str], formats: list[str], names: list[str] | None
) -> list[Path]:
    import matplotlib.pyplot as plt

    from kss_analysis.standard_charts import STANDARD_CHARTS

    tables, inputs = load_chart_tables(processed)
    paths = []
    for lang in langs:
        for name, make in STANDARD_CHARTS.items():
            if names and name not in names:
                continue
            chart = make(tables, lang)
            folder = out / lang
            for fmt in formats:
                path = folder / f"{name}.{fmt}"
                io.write_bytes_atomic(path, figure_bytes(chart.figure, fmt))
                paths.append(path)
            csv = chart.data.to_csv(index=False, lineterminator="\n").encode()
            io.write_bytes_atomic(folder / f"{name}.csv", csv)
            sidecar = {
                "chart": name,
                "lang": lang,
                "dataset": chart.dataset,
                "filters": chart.filters,
                "columns": list(chart.data.columns),
                "inputs": inputs,
                "package_version": __version__,
            }
            io.write_bytes_atomic(
                folder / f"{name}.json",
                (json.dumps(sidecar, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(),
            )
            paths += [folder / f"{name}.csv", folder / f"{name}.json"]
            plt.close(chart.figure)
    return paths
