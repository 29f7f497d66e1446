"""Write charts and their numbers to files for reports.

Per chart and language: the image in each format asked for, a CSV of exactly the plotted
numbers and a JSON sidecar (dataset, filters, input sha256s). Same data, same bytes:
no dates in SVG/PDF metadata, a fixed SVG hash salt, sorted data.
"""

from __future__ import annotations

import io as _io
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from kss_analysis import __version__, io
from kss_analysis.charts import STYLE
from kss_analysis.standard_charts import CHART_TABLES, STANDARD_CHARTS

FORMATS = ("png", "svg", "pdf")
SAVE_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def figure_bytes(fig: Figure, fmt: str) -> bytes:
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


def export_charts(
    processed: Path, out: Path, langs: list[str], formats: list[str], names: list[str] | None = None
) -> list[Path]:
    """Write every standard chart (or ``names``) into out/<lang>/; returns the files written or checked."""
    from kss_analysis.tables_export import escape_frame

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
            csv = escape_frame(chart.data).to_csv(index=False, lineterminator="\n").encode()  # as tables export
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
