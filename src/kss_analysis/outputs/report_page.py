"""The front page of a report: ``reports/index.html``, one static page that opens from disk.

It ties a run together: the headline numbers written from the processed data, every exported
chart in English and Indonesian with its CSV and JSON, the XLSX and CSV tables, each executed
notebook's HTML, the data vintage (inputs and their sha256, package version, build date), the
coverage caveats (the register_coverage chart's footer) and how to cite. No script, no
stylesheet or font from the network; every link is relative, so the folder can be moved or
zipped as it is. The same inputs give the same bytes: nothing is read from the clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd

from kss_analysis.acquire.registry import load_sources
from kss_analysis.core import io
from kss_analysis.core.version import __version__
from kss_analysis.outputs.query import programmes

INDEX = "index.html"
LANG_NAMES = {"en": "English", "id": "Bahasa Indonesia"}
IMAGE_FORMATS = ("svg", "png")  # shown on the page, first found first; every one present is linked
LINKED_FORMATS = ("svg", "png", "pdf")
TABLE_FORMATS = ("xlsx", "csv")
COVERAGE_CHART = "register_coverage"

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:76em;margin:0 auto;padding:1em 2em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.lead{color:#555;margin-top:0}
.numbers{display:flex;flex-wrap:wrap;gap:1em;padding:0;list-style:none}
.numbers li{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:10em}
.numbers b{display:block;font-size:1.8em}
.chart{margin:1.5em 0;padding-bottom:1em;border-bottom:1px dotted #ddd}
.chart h3{margin-bottom:.3em}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(22em,1fr));gap:1.5em}
figure{margin:0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left}
code{font-size:.9em;word-break:break-all}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _href(target: Path, base: Path) -> str:
    """A relative URL from ``base`` (a folder) to ``target``, percent-escaped where needed."""
    from urllib.parse import quote

    relative = Path(_relpath(target, base)).as_posix()
    return _e(quote(relative))


def _relpath(target: Path, base: Path) -> str:
    import os

    return os.path.relpath(target.resolve(), base.resolve())


def _link(target: Path, base: Path, text: str) -> str:
    return f'<a href="{_href(target, base)}">{_e(text)}</a>'


def headline(processed: Path) -> dict[str, object]:
    """Programme count, the years they cover and the partner countries, as the charts count them."""
    frame = programmes(processed=processed, lang="en")
    years = pd.to_numeric(frame["year"], errors="coerce").dropna().astype(int)
    partners = {code for codes in frame["partner_iso3"].dropna() for code in str(codes).split(";") if code}
    return {
        "programmes": len(frame),
        "first_year": int(years.min()) if len(years) else None,
        "last_year": int(years.max()) if len(years) else None,
        "undated": int(frame["year"].isna().sum()),
        "partner_countries": len(partners),
    }


def vintage(processed: Path) -> dict[str, object]:
    """What the data were built from: inputs with sha256, the package version, the build date."""
    table = processed / "activities.parquet"
    meta = io.read_metadata(table)
    built = datetime.fromtimestamp(table.stat().st_mtime, tz=UTC)
    return {
        "inputs": dict(sorted(meta.get("inputs", {}).items())),
        "package_version": meta.get("package_version", __version__),
        "built": f"{built:%Y-%m-%d %H:%M} UTC",
    }


def _sidecar(path: Path) -> dict:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _charts(figures: Path) -> dict[str, dict[str, dict]]:
    """Chart name -> language -> its sidecar, for every chart exported under figures/<lang>/."""
    found: dict[str, dict[str, dict]] = {}
    for lang in LANG_NAMES:
        for path in sorted((figures / lang).glob("*.json")) if (figures / lang).is_dir() else []:
            found.setdefault(path.stem, {})[lang] = _sidecar(path)
    return dict(sorted(found.items()))


def _numbers_section(numbers: dict[str, object]) -> str:
    first, last = numbers["first_year"], numbers["last_year"]
    years = "none dated" if first is None else (f"{first}" if first == last else f"{first}–{last}")
    items = [
        (f"{numbers['programmes']:,}", "programmes (Indonesia's KSS, counted once)"),
        (years, "years covered" + (f" ({numbers['undated']:,} undated)" if numbers["undated"] else "")),
        (f"{numbers['partner_countries']:,}", "partner countries named"),
    ]
    cells = "".join(f"<li><b>{_e(value)}</b>{_e(label)}</li>" for value, label in items)
    return f'<h2 id="numbers">This run in numbers</h2>\n<ul class="numbers">{cells}</ul>\n'


def _chart_section(figures: Path, base: Path) -> str:
    charts = _charts(figures)
    if not charts:
        return (
            '<h2 id="charts">Charts</h2>\n<p>No chart was exported: run '
            "<code>kss charts export --lang en,id</code>, then write this page again.</p>\n"
        )
    toc = "".join(f'<li><a href="#chart-{_e(name)}">{_e(name)}</a></li>' for name in charts)
    parts = [f'<h2 id="charts">Charts ({len(charts)})</h2>\n<details><summary>List</summary><ul>{toc}</ul></details>\n']
    for name, by_lang in charts.items():
        title = next((s.get("title") for s in by_lang.values() if s.get("title")), name)
        figures_html = []
        for lang, sidecar in by_lang.items():
            folder = figures / lang
            image = next(
                (folder / f"{name}.{fmt}" for fmt in IMAGE_FORMATS if (folder / f"{name}.{fmt}").is_file()), None
            )
            caption = sidecar.get("title") or name
            img = (
                f'<img src="{_href(image, base)}" alt="{_e(caption)}" loading="eager">'
                if image
                else "<p>(no image exported)</p>"
            )
            files = [folder / f"{name}.{fmt}" for fmt in (*LINKED_FORMATS, "csv", "json")]
            links = " · ".join(_link(p, base, p.suffix[1:].upper()) for p in files if p.is_file())
            figures_html.append(
                f"<figure>{img}<figcaption>{_e(LANG_NAMES[lang])}: {_e(caption)}<br>{links}</figcaption></figure>"
            )
        parts.append(
            f'<section class="chart" id="chart-{_e(name)}"><h3>{_e(title)}</h3>'
            f'<div class="pair">{"".join(figures_html)}</div></section>\n'
        )
    return "".join(parts)


def _tables_section(tables: Path, base: Path) -> str:
    files = sorted(p for fmt in TABLE_FORMATS for p in tables.glob(f"*.{fmt}")) if tables.is_dir() else []
    if not files:
        return ""
    stems = sorted({p.stem for p in files})
    rows = []
    for stem in stems:
        links = " · ".join(
            _link(tables / f"{stem}.{fmt}", base, fmt.upper())
            for fmt in TABLE_FORMATS
            if (tables / f"{stem}.{fmt}").is_file()
        )
        rows.append(f"<tr><td>{_e(stem)}</td><td>{links}</td></tr>")
    return f'<h2 id="tables">Tables</h2>\n<table><tr><th>Table</th><th>Files</th></tr>{"".join(rows)}</table>\n'


def _notebooks_section(notebooks: list[Path], base: Path) -> str:
    if not notebooks:
        return (
            '<h2 id="notebooks">Notebooks</h2>\n<p>No executed notebook was rendered: run '
            "<code>make report</code>.</p>\n"
        )
    items = "".join(f"<li>{_link(p, base, p.stem)}</li>" for p in notebooks)
    return f'<h2 id="notebooks">Notebooks, executed on this data</h2>\n<ul>{items}</ul>\n'


def _vintage_section(info: dict) -> str:
    rows = "".join(
        f"<tr><td>{_e(path)}</td><td><code>{_e(sha)}</code></td></tr>" for path, sha in info["inputs"].items()
    )
    return (
        '<h2 id="vintage">Data vintage</h2>\n'
        f"<p>Built {_e(info['built'])} by kss-analysis {_e(info['package_version'])}; "
        f"this page written by kss-analysis {_e(__version__)}.</p>\n"
        f"<table><tr><th>Input (under data/raw)</th><th>sha256</th></tr>{rows}</table>\n"
    )


def _caveats_section(figures: Path) -> str:
    blocks = []
    for lang in LANG_NAMES:
        sidecar = _sidecar(figures / lang / f"{COVERAGE_CHART}.json")
        notes = [str(n) for n in sidecar.get("notes", []) if str(n).strip()]
        if notes:
            items = "".join(f"<li>{_e(n)}</li>" for n in notes)
            blocks.append(f'<p lang="{_e(lang)}">{_e(LANG_NAMES[lang])}:</p><ul lang="{_e(lang)}">{items}</ul>')
    body = "".join(blocks) or (
        f"<p>The {_e(COVERAGE_CHART)} chart was not exported, so its coverage notes are not shown here.</p>"
    )
    return f'<h2 id="caveats">Coverage caveats</h2>\n{body}\n'


def _cite_section(info: dict) -> str:
    sources = load_sources()
    used = sorted({path.split("/", 1)[0] for path in info["inputs"]})
    cited = "".join(
        f"<li>{_e(sources[s].citation)} <small>(licence: {_e(sources[s].licence)})</small></li>"
        for s in used
        if s in sources and sources[s].citation
    )
    built = str(info["built"])[:10]
    own = (
        f"kss-analysis {info['package_version']}: statistics on Indonesia's South-South and triangular "
        f"cooperation, data built {built}."
    )
    return (
        '<h2 id="cite">How to cite</h2>\n'
        f"<p>Cite the package and the version that built these numbers:</p><blockquote>{_e(own)}</blockquote>\n"
        + (f"<p>and the sources they were built from:</p><ul>{cited}</ul>\n" if cited else "")
        + "<p>Each chart's JSON lists the sources and licence of the data it shows.</p>\n"
    )


def render_index(processed: Path, out: Path, *, figures: Path | None = None, tables: Path | None = None) -> str:
    """The page's HTML for a report folder ``out`` (index.html is written there)."""
    figures = figures if figures is not None else out / "figures"
    tables = tables if tables is not None else out / "tables"
    info = vintage(processed)
    notebooks = sorted(p for p in out.glob("*.html") if p.name != INDEX)
    sections = [
        _numbers_section(headline(processed)),
        _chart_section(figures, out),
        _tables_section(tables, out),
        _notebooks_section(notebooks, out),
        _vintage_section(info),
        _caveats_section(figures),
        _cite_section(info),
    ]
    nav = " · ".join(
        f'<a href="#{anchor}">{_e(label)}</a>'
        for anchor, label in [
            ("numbers", "Numbers"),
            ("charts", "Charts"),
            ("tables", "Tables"),
            ("notebooks", "Notebooks"),
            ("vintage", "Data vintage"),
            ("caveats", "Caveats"),
            ("cite", "How to cite"),
        ]
        if f'id="{anchor}"' in "".join(sections)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Indonesia's South-South cooperation: report</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        "<h1>Indonesia's South-South and triangular cooperation</h1>\n"
        f'<p class="lead">Report of one run of kss-analysis {_e(__version__)} on data built '
        f"{_e(info['built'])}.</p>\n<nav>{nav}</nav>\n" + "".join(sections) + "</body>\n</html>\n"
    )


def write_index(
    processed: Path,
    out: Path,
    *,
    figures: Path | None = None,
    tables: Path | None = None,
    echo: Callable[[str], None] = print,
) -> Path:
    """Write ``out/index.html``; unchanged bytes leave the file as it was."""
    target = out / INDEX
    io.write_bytes_atomic(target, render_index(processed, out, figures=figures, tables=tables).encode("utf-8"))
    echo(f"wrote {target}")
    return target
