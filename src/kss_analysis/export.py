"""Write charts and their numbers to files for reports.

Per chart and language: the image in each format asked for, a CSV of exactly the plotted
numbers (names beside codes; headers in Bahasa Indonesia for 'id', the sidecar's
``columns`` gives the canonical names in the same order) and a JSON sidecar (dataset, filters, input sha256s, and what a reader needs to
cite it: title, subtitle, units, notes, sources, licence, data date, package version). Same data, same bytes:
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
from kss_analysis.charts import STYLE, label, text
from kss_analysis.spreadsheet import localised
from kss_analysis.standard_charts import CHART_TABLES, COMPARISON_SPECS, STANDARD_SPECS, ChartSpec, draw

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


def _chart_sets(processed: Path) -> list[tuple[tuple[ChartSpec, ...], dict, dict[str, str]]]:
    """(specs, tables, inputs): register charts, then comparison charts whose sources were built."""
    sets = [(STANDARD_SPECS, *load_chart_tables(processed))]
    tables, inputs = load_chart_tables(processed, registers_only=False)
    present = set(tables["activities"]["source"])
    comparable = tuple(spec for spec in COMPARISON_SPECS if set(spec.needs_sources) <= present)
    if comparable:
        sets.append((comparable, tables, inputs))
    return sets


def export_charts(
    processed: Path, out: Path, langs: list[str], formats: list[str], names: list[str] | None = None
) -> list[Path]:
    """Write every standard chart (or ``names``) into out/<lang>/; returns the files written or checked.

    Comparison charts are written too when every source they need is in the processed tables.
    """
    paths = []
    for specs, tables, inputs in _chart_sets(processed):
        for lang in langs:
            for spec in specs:
                if not names or spec.name in names:
                    paths += _write_chart(spec, draw(spec, tables, lang), out / lang, formats, lang, inputs)
    return paths


def _label_of(column: str, code: object, lang: str) -> str | None:
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return None
    if column == "series":
        return text(f"series_{code}", lang)
    if column == "amount_segment":
        return text(f"segment_{code}", lang)
    return label(column, code, lang)


def chart_table(spec: ChartSpec, data: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The chart's numbers with a name column in ``lang`` beside each code column."""
    out = data.copy()
    for column in (spec.dimension, "series", "amount_segment"):
        if column and column in out.columns and f"{column}_label" not in out.columns:
            names = [_label_of(column, code, lang) for code in out[column]]
            out.insert(out.columns.get_loc(column) + 1, f"{column}_label", names)
    return out


def _write_chart(spec: ChartSpec, chart, folder: Path, formats: list[str], lang: str, inputs: dict) -> list[Path]:
    """The chart's images, the CSV of its numbers and its JSON sidecar."""
    paths = []
    for fmt in formats:
        path = folder / f"{spec.name}.{fmt}"
        io.write_bytes_atomic(path, figure_bytes(chart.figure, fmt))
        paths.append(path)
    plt.close(chart.figure)
    table = chart_table(spec, chart.data, lang)
    written = localised(table, lang) if lang != "en" else table
    io.write_bytes_atomic(folder / f"{spec.name}.csv", written.to_csv(index=False, lineterminator="\n").encode())
    sidecar = {
        "chart": spec.name,
        "lang": lang,
        "dataset": chart.dataset,
        "filters": chart.filters,
        "columns": list(table.columns),
        "headers": list(written.columns),  # as written in the CSV (in the chart's language)
        "inputs": inputs,
        "package_version": __version__,
        **chart.meta,  # title, subtitle, units, notes, sources, licence, data_date (standard_charts.draw)
    }
    text = json.dumps(sidecar, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    io.write_bytes_atomic(folder / f"{spec.name}.json", text.encode())
    return [*paths, folder / f"{spec.name}.csv", folder / f"{spec.name}.json"]
