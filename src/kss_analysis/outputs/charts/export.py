"""Write charts and their numbers to files for reports.

Per chart and language: the image in each format asked for, a CSV of exactly the plotted
numbers and a JSON sidecar (dataset, filters, input sha256s). Same data, same bytes:
no dates in SVG/PDF metadata, a fixed SVG hash salt, sorted data.
"""

from __future__ import annotations

import hashlib
import io as _io
import json
from collections.abc import Callable
from functools import partial
from importlib.metadata import version
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from kss_analysis.core import io, progress
from kss_analysis.core.csv_safety import escape_frame
from kss_analysis.core.labels import label, text
from kss_analysis.core.version import package_version
from kss_analysis.outputs.charts.standard import (
    CHART_TABLES,
    COMPARISON_SPECS,
    REGISTER_SPECS,
    SPECS,
    ChartOutput,
    draw,
)
from kss_analysis.outputs.charts.style import STYLE
from kss_analysis.outputs.tables.workbook import headers
from kss_analysis.rules import scope

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


def load_chart_tables(processed: Path, *, registers_only: bool = True) -> tuple[dict, dict[str, str]]:
    """Processed tables the charts read; by default only the KSS registers' activities.

    Returns (tables by name, sha256 of the raw inputs they were built from).
    """
    tables = {name: io.read_table(processed / f"{name}.parquet") for name in CHART_TABLES}  # InputError when unreadable
    if (processed / "kss_figures.parquet").exists():  # official counts for the coverage chart
        tables["kss_figures"] = io.read_table(processed / "kss_figures.parquet")
    if registers_only:
        tables["activities"], tables["activity_recipients"] = scope.scoped(
            tables["activities"], tables["activity_recipients"]
        )
    inputs = io.read_metadata(processed / "activities.parquet").get("inputs", {})
    if registers_only:
        inputs = scope.inputs_in_scope(inputs, tables["activities"])
    return tables, inputs


Drawer = Callable[[dict, str], ChartOutput]


def _chart_sets(processed: Path) -> list[tuple[dict[str, Drawer], dict, dict[str, str]]]:
    """(charts by name, tables, inputs): register charts, then comparison charts whose sources were built."""
    register_charts: dict[str, Drawer] = {spec.name: partial(draw, spec) for spec in REGISTER_SPECS}
    sets = [(register_charts, *load_chart_tables(processed))]
    tables, inputs = load_chart_tables(processed, registers_only=False)
    present = set(tables["activities"]["source"])
    comparable: dict[str, Drawer] = {
        spec.name: partial(draw, spec) for spec in COMPARISON_SPECS if set(spec.needs_sources) <= present
    }
    if comparable:
        sets.append((comparable, tables, inputs))
    return sets


KEY_FILE = ".export-key.json"


def export_key(processed: Path, langs: list[str], formats: list[str], names: list[str] | None) -> str:
    """Changes when a processed table, the package (version or code), matplotlib or the options change."""
    digest = hashlib.sha256(json.dumps([package_version(), version("matplotlib"), langs, formats, names]).encode())
    # Every processed table, not only those the charts read: knowing which needs the chart code.
    for table in sorted(processed.glob("*.parquet")):
        digest.update(f"{table.name} {io.sha256_file(table)}\n".encode())
    digest.update(io.package_fingerprint().encode())  # the version names the commit, not uncommitted code
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

    Skipped, with one line saying so, when the last export into ``out`` had the same key
    (out/.export-key.json: processed tables, package code, matplotlib, options) and its files
    are intact: the same bytes would be drawn again.
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
    processed: Path, out: Path, langs: list[str], formats: list[str], names: list[str] | None = None
) -> list[Path]:
    """Write every standard chart (or ``names``) into out/<lang>/; returns the files written or checked.

    Comparison charts are written too when every source they need is in the processed tables.
    """
    paths = []
    sets = _chart_sets(processed)
    total = sum(len(langs) * sum(1 for name in drawers if not names or name in names) for drawers, _, _ in sets)
    with progress.steps("charts", total=total, unit="chart") as step:
        for drawers, tables, inputs in sets:
            for lang in langs:
                for name, make in drawers.items():
                    if not names or name in names:
                        step.at(f"{name} ({lang})")
                        paths += _write_chart(name, make(tables, lang), out / lang, formats, lang, inputs)
                        step.advance(f"{name} ({lang})")
    return paths


def _label_of(column: str, code: str | None, lang: str) -> str | None:
    """The name of a code; None for a missing one (None, or NaN as pandas reads it)."""
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return None
    if column == "series":
        return text(f"series_{code}", lang)
    if column == "amount_segment":
        return text(f"segment_{code}", lang)
    if column == "price_status":
        return text(f"price_status_{code}", lang)
    return label(column, code, lang)


def chart_table(dimension: str | None, data: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The chart's numbers with a name column in ``lang`` beside each code column."""
    out = data.copy()
    for column in (dimension, "series", "amount_segment", "price_status"):
        if column and column in out.columns and f"{column}_label" not in out.columns:
            names = [_label_of(column, code, lang) for code in out[column]]
            out.insert(out.columns.get_loc(column) + 1, f"{column}_label", names)
    return out


def chart_headers(name: str, columns: list[str], lang: str) -> list[str]:
    """The CSV headers of a chart's columns in ``lang`` (reference/export_headers.csv): a row for
    this chart ('<chart>.<column>', where the column means something else elsewhere) comes first,
    then the column's own row; English keeps the canonical column names."""
    if lang == "en":
        return list(columns)
    rows = headers()
    return [(rows.get(f"{name}.{column}") or rows.get(column) or {}).get(lang, column) for column in columns]


def _write_chart(
    name: str, chart: ChartOutput, folder: Path, formats: list[str], lang: str, inputs: dict
) -> list[Path]:
    """The chart's images, the CSV of its numbers and its JSON sidecar."""
    paths = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        io.write_bytes_atomic(path, figure_bytes(chart.figure, fmt))
        paths.append(path)
    plt.close(chart.figure)
    spec = SPECS.get(name)
    table = chart_table(spec.dimension if spec else None, chart.data, lang)
    written = table.set_axis(chart_headers(name, list(table.columns), lang), axis="columns")
    csv = escape_frame(written).to_csv(index=False, lineterminator="\n").encode()  # formulas escaped, as tables export
    io.write_bytes_atomic(folder / f"{name}.csv", csv)
    sidecar = {
        "chart": name,
        "lang": lang,
        "dataset": chart.dataset,
        "filters": chart.filters,
        "columns": list(table.columns),
        "headers": list(written.columns),  # as written in the CSV (in the chart's language)
        "inputs": inputs,
        "package_version": package_version(),
        **chart.meta,  # title, subtitle, units, notes, sources, licence, data_date (standard_charts.draw)
    }
    body = json.dumps(sidecar, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    io.write_bytes_atomic(folder / f"{name}.json", body.encode())
    return [*paths, folder / f"{name}.csv", folder / f"{name}.json"]
