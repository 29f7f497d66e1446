"""Execute the notebooks on this machine's data, and render the executed copies to HTML.

A notebook names the fetched sources it needs in its metadata
(``"kss": {"needs_sources": [...]}``). It runs when they are all in the processed build,
runs and says "partial data" at its top when some are, and is skipped with one line saying
what it needs when none are. ``reports/notebooks/`` then holds only notebooks executed on
this data: a copy left by an earlier run on other data is removed.

A notebook is re-executed only when what it reads changed: the run key (notebook file,
processed-data checksums, package version, parameters) is stored in the executed copy's metadata.

HTML pages rendered from the executed copies (``kss notebooks report``, ``make report``) carry
the run key of the copy they show, and the executed folder records where they were written
(``.html-folder``). A run (``make run``) therefore never leaves a page of an earlier run in
place: a page whose notebook ran again is rendered again, a page whose notebook is skipped or
gone is removed, and so is the front page (index.html) made from the earlier data, each with
one line saying so. Rendering removes pages of notebooks no longer executed as well.

Parameters (``kss notebooks run -p LANG=id``) set variables of the cell tagged ``parameters``
the way papermill does: a cell tagged ``injected-parameters`` is put right after it (one left
by an earlier run is replaced), so the notebook's own defaults stay visible and are overridden.
Values are read as papermill reads ``-p``: ``True``/``False``/``None``, integers and decimals
as such, anything else as text.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kss_analysis.core import progress
from kss_analysis.core.io import package_fingerprint, read_metadata, sha256_file, write_bytes_atomic
from kss_analysis.core.version import package_version

METADATA_KEY = "kss"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
FETCH_HINT = "`kss fetch --all` where there is a network, or `kss fetch --all --mirror DIR`"


@dataclass(frozen=True)
class NotebookPlan:
    path: Path
    needs: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def action(self) -> str:
        """``run`` (all inputs present), ``partial`` (some) or ``skip`` (none of the sources it needs)."""
        if not self.missing:
            return "run"
        return "skip" if set(self.missing) == set(self.needs) else "partial"


def notebook_needs(path: Path) -> tuple[str, ...]:
    """Source ids the notebook needs besides the embedded registers (from its metadata)."""
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return tuple(meta.get(METADATA_KEY, {}).get("needs_sources", ()))


def present_sources(processed: Path) -> set[str]:
    """Source ids whose raw files went into the processed build (from the Parquet provenance)."""
    present: set[str] = set()
    for table in sorted(processed.glob("*.parquet")):
        for name in read_metadata(table).get("inputs", {}):
            present.add(name.split("/", 1)[0])
    return present


def plan_notebooks(notebooks: Iterable[Path], processed: Path) -> list[NotebookPlan]:
    present = present_sources(processed)
    plans = []
    for path in sorted(notebooks):
        needs = notebook_needs(path)
        plans.append(NotebookPlan(path, needs, tuple(s for s in needs if s not in present)))
    return plans


def parameter_value(text: str) -> object:
    """A ``-p`` value as papermill reads it: True, False, None, an int, a float, else the text."""
    if text in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_parameters(items: Iterable[str]) -> dict[str, object]:
    """``["LANG=id", "TOP=10"]`` -> ``{"LANG": "id", "TOP": 10}``; ValueError names a malformed item."""
    parameters: dict[str, object] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"-p {item}: write NAME=VALUE, e.g. -p LANG=id")
        parameters[name.strip()] = parameter_value(value)
    return parameters


def _tagged(cell, tag: str) -> bool:
    return tag in cell.get("metadata", {}).get("tags", [])


def parameter_names(path: Path) -> set[str] | None:
    """Variables assigned in the notebook's ``parameters`` cell (None when it has no such cell)."""
    import ast

    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    found = [c for c in cells if c.get("cell_type") == "code" and _tagged(c, PARAMETERS_TAG)]
    if not found:
        return None
    source = found[0]["source"]
    tree = ast.parse("".join(source) if isinstance(source, list) else source)
    names = set()
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def parameter_problems(notebooks: Iterable[Path], parameters: dict[str, object]) -> list[str]:
    """One line per parameter that none of ``notebooks`` has in its ``parameters`` cell.

    A notebook takes the parameters its cell defines and runs without the others (notebook 08
    has no LANG): one run sets LANG wherever there is one."""
    known: set[str] = set()
    for path in notebooks:
        known |= parameter_names(path) or set()
    return [
        f"no notebook has a parameter {name} (their parameters: {', '.join(sorted(known)) or 'none'})"
        for name in parameters
        if name not in known
    ]


def parameters_for(path: Path, parameters: dict[str, object] | None) -> dict[str, object]:
    """The parameters ``path``'s ``parameters`` cell defines, of those given."""
    if not parameters:
        return {}
    names = parameter_names(path) or set()
    return {name: value for name, value in parameters.items() if name in names}


def python_literal(value: object) -> str:
    """The value as Python source, strings in double quotes as papermill writes them."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def inject_parameters(nb, parameters: dict[str, object]) -> None:
    """Put a cell tagged ``injected-parameters`` after the ``parameters`` cell (papermill's layout)."""
    from nbformat.v4 import new_code_cell

    nb.cells = [cell for cell in nb.cells if not _tagged(cell, INJECTED_TAG)]
    at = next(i for i, cell in enumerate(nb.cells) if _tagged(cell, PARAMETERS_TAG))
    source = "# Parameters\n" + "".join(f"{name} = {python_literal(v)}\n" for name, v in parameters.items())
    cell = new_code_cell(source, metadata={"tags": [INJECTED_TAG]})
    cell.id = INJECTED_TAG  # fixed, not random: the same run gives the same bytes
    nb.cells.insert(at + 1, cell)


def run_key(notebook: Path, processed: Path, parameters: dict[str, object] | None = None) -> str:
    """Changes when the notebook, the processed data it reads, the package (version, code or
    reference data) or the parameters change."""
    content = json.loads(notebook.read_text(encoding="utf-8"))
    content.get("metadata", {}).get(METADATA_KEY, {}).pop("run_key", None)  # a copy refreshed in place
    digest = hashlib.sha256(
        f"{package_version()}\n{package_fingerprint()}\n{json.dumps(content, sort_keys=True)}\n".encode()
    )
    if parameters:  # a run without parameters keeps the key it always had
        digest.update(f"parameters {json.dumps(parameters, sort_keys=True)}\n".encode())
    for table in sorted(processed.glob("*.parquet")):
        digest.update(f"{table.name} {sha256_file(table)}\n".encode())
    return digest.hexdigest()


def _stored_key(executed: Path) -> str | None:
    try:
        meta = json.loads(executed.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return None
    return meta.get(METADATA_KEY, {}).get("run_key")


def execute_notebook(
    source: Path, target: Path, *, key: str, timeout: int = 900, parameters: dict[str, object] | None = None
) -> None:
    """Execute ``source`` in its own folder and write it to ``target`` (atomically, reproducibly),
    with ``parameters`` injected after its ``parameters`` cell.

    The kernel talks over IPC sockets, not TCP: nothing listens on the network and the
    kernel's "running over TCP without encryption" warning never appears.
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(source, as_version=4)
    if parameters:
        inject_parameters(nb, parameters)
    with tempfile.TemporaryDirectory(prefix="kss-kernel-") as sockets:
        # IPC socket paths must be absolute: the kernel runs in the notebook's folder.
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        client = NotebookClient(
            nb, km=kernel, timeout=timeout, record_timing=False, resources={"metadata": {"path": str(source.parent)}}
        )
        client.execute(cleanup_kc=True)  # we passed the kernel manager, so shut the kernel down ourselves
    # Same inputs, same bytes: no timestamps or kernel details beyond what the source had.
    nb.metadata[METADATA_KEY] = {**nb.metadata.get(METADATA_KEY, {}), "run_key": key}
    if parameters:
        nb.metadata[METADATA_KEY]["parameters"] = parameters
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    write_bytes_atomic(target, nbformat.writes(nb).encode("utf-8"))


def run_notebooks(
    notebooks: Iterable[Path],
    out: Path,
    processed: Path,
    *,
    echo: Callable[[str], None] = print,
    parameters: dict[str, object] | None = None,
) -> dict[str, list[Path]]:
    """Execute each notebook whose sources are present into ``out``; returns paths by action.

    ``parameters`` are injected into each notebook whose ``parameters`` cell defines them (see
    the module docstring); one line per notebook goes to ``echo``.
    """
    done: dict[str, list[Path]] = {"executed": [], "unchanged": [], "skipped": []}
    plans = plan_notebooks(notebooks, processed)
    with progress.steps("notebooks", total=len(plans), unit="notebook", lines=False) as step:
        for plan in plans:
            step.at(plan.path.name)
            _run_one(plan, out, processed, echo, parameters, done)
            step.advance(plan.path.name)
    refresh_html(out, processed, echo=echo)
    return done


def _run_one(plan: NotebookPlan, out: Path, processed: Path, echo, parameters, done: dict[str, list[Path]]) -> None:
    target = out / plan.path.name
    if plan.action == "skip":
        # never leave a copy made on other data, but never delete the notebook itself
        # (`make notebooks` runs them into their own folder)
        if target.resolve() != plan.path.resolve():
            target.unlink(missing_ok=True)
        echo(f"skipped {plan.path.name}: needs {', '.join(plan.needs)} ({FETCH_HINT})")
        done["skipped"].append(plan.path)
        return
    taken = parameters_for(plan.path, parameters)
    key = run_key(plan.path, processed, taken)
    if _stored_key(target) == key:
        echo(f"unchanged {plan.path.name}: notebook, data, package and parameters as in the last run")
        done["unchanged"].append(target)
        return
    partial = f" (partial data: {', '.join(plan.missing)} absent)" if plan.action == "partial" else ""
    given = f" with {', '.join(f'{k}={v}' for k, v in taken.items())}" if taken else ""
    if ignored := [name for name in parameters or {} if name not in taken]:
        given += f" (not a parameter here: {', '.join(ignored)})"
    echo(f"executing {plan.path.name}{given}{partial} ...")
    execute_notebook(plan.path, target, key=key, parameters=taken)
    done["executed"].append(target)


def vintage_banner(processed: Path) -> str:
    """HTML line naming when the data were built and by which package version."""
    built = datetime.fromtimestamp((processed / "activities.parquet").stat().st_mtime, tz=UTC)
    return (
        '<p style="font:0.9em sans-serif;color:#444;margin:1em 2em">'
        f"Executed on data built {built:%Y-%m-%d %H:%M} UTC by kss-analysis {package_version()}; "
        "the inputs and their sha256 are listed under the notebook's title.</p>"
    )


PAGE_KEY = "kss-run-key"  # <meta name="kss-run-key" content="..."> in every rendered page: the copy it shows
HTML_FOLDER_RECORD = ".html-folder"  # in an executed folder: where its pages were rendered (relative path)
FRONT_PAGE = "index.html"  # written from the processed data by report_page.py
_PAGE_KEY = re.compile(rf'<meta name="{PAGE_KEY}" content="([^"]*)">')
_LEGACY_BANNER = "Executed on data built "  # pages rendered before they carried a key


def _page_key(page: Path) -> str | None:
    """The run key a rendered page shows ('' for a page rendered before pages carried one);
    None when ``page`` is not a page rendered from an executed notebook."""
    try:
        head = page.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if found := _PAGE_KEY.search(head):
        return found[1]
    return "" if _LEGACY_BANNER in head and "by kss-analysis" in head else None


def rendered_pages(folder: Path) -> dict[str, Path]:
    """Notebook name (stem) -> its rendered page in ``folder``; other HTML files are not listed."""
    if not folder.is_dir():
        return {}
    return {
        page.stem: page
        for page in sorted(folder.glob("*.html"))
        if page.name != FRONT_PAGE and _page_key(page) is not None
    }


def render_html(
    executed: Iterable[Path], out: Path, processed: Path, *, echo: Callable[[str], None] = print
) -> list[Path]:
    """Render executed notebooks to standalone HTML (opens without Jupyter), with the data vintage on top.

    Each page names the run key of the copy it shows; pages in ``out`` of notebooks not among
    ``executed`` (skipped on this data, or gone) are removed; each executed folder records
    ``out`` so that the next run can refresh the pages (``refresh_html``).
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(embed_images=True)
    banner = vintage_banner(processed)
    written = []
    paths = sorted(executed)
    with progress.steps("html", total=len(paths), unit="notebook", lines=False) as step:
        for path in paths:
            step.at(path.name)
            written.append(_render_page(exporter, path, out, banner))
            echo(f"wrote {written[-1]}")
            step.advance(path.name)
    shown = {path.stem for path in paths}
    for stem, page in rendered_pages(out).items():
        if stem not in shown:
            page.unlink()
            echo(f"removed {page}: its notebook was not executed on this data")
    for folder in sorted({path.parent for path in paths}):
        record = Path(os.path.relpath(out.resolve(), folder.resolve())).as_posix()
        write_bytes_atomic(folder / HTML_FOLDER_RECORD, f"{record}\n".encode())
    return written


def _render_page(exporter, executed: Path, out: Path, banner: str) -> Path:
    body, _ = exporter.from_filename(str(executed))
    mark = f'<meta name="{PAGE_KEY}" content="{html.escape(_stored_key(executed) or "", quote=True)}">'
    body = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + "\n" + mark, body, count=1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, body, count=1)
    target = out / f"{executed.stem}.html"
    write_bytes_atomic(target, body.encode("utf-8"))
    return target


def html_folder(executed: Path) -> Path:
    """Where pages of the notebooks executed into ``executed`` are rendered: as recorded there by
    ``render_html``, else the folder above (``reports/notebooks`` -> ``reports``, as make report does)."""
    try:
        recorded = (executed / HTML_FOLDER_RECORD).read_text(encoding="utf-8").strip()
    except OSError:
        recorded = ""
    return (executed / recorded).resolve() if recorded else executed.resolve().parent


def refresh_html(executed: Path, processed: Path, *, echo: Callable[[str], None] = print) -> dict[str, list[Path]]:
    """After a run into ``executed``: no page of an earlier run is left as if it were this one's.

    A page whose executed copy changed is rendered again; a page whose copy is gone (the
    notebook was skipped on this data, or removed) is deleted; when any page was, the front page
    made from the earlier data is deleted too (``make report`` writes it again). Returns the
    pages by what happened: ``rendered``, ``removed``.
    """
    folder = html_folder(executed)
    done: dict[str, list[Path]] = {"rendered": [], "removed": []}
    stale = {}
    for stem, page in rendered_pages(folder).items():
        copy = executed / f"{stem}.ipynb"
        if not copy.is_file():
            page.unlink()
            echo(f"removed {page}: {stem} was not executed on this data")
            done["removed"].append(page)
        elif _page_key(page) != _stored_key(copy):
            stale[copy] = page
    if stale:
        from nbconvert import HTMLExporter

        exporter, banner = HTMLExporter(embed_images=True), vintage_banner(processed)
        for copy, page in sorted(stale.items()):
            done["rendered"].append(_render_page(exporter, copy, page.parent, banner))
            echo(f"rendered {page} again: {copy.stem} ran on this data")
    front = folder / FRONT_PAGE
    if (done["rendered"] or done["removed"]) and front.is_file():
        front.unlink()
        echo(f"removed {front}: written from earlier data; `make report` (or `kss report`) writes it again")
        done["removed"].append(front)
    return done
