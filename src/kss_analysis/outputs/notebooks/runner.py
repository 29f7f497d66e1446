"""Execute the notebooks on this machine's data, and render the executed copies to HTML.

A notebook names the fetched sources it needs in its metadata
(``"kss": {"needs_sources": [...]}``). It runs when they are all in the processed build,
runs and says "partial data" at its top when some are, and is skipped with one line saying
what it needs when none are. ``reports/notebooks/`` then holds only notebooks executed on
this data: a copy left by an earlier run on other data is removed.

A notebook is re-executed only when what it reads changed: the run key (notebook file,
processed-data checksums, package version, parameters) is stored in the executed copy's metadata.

Parameters (``kss notebooks run -p LANG=id``) set variables of the cell tagged ``parameters``
the way papermill does: a cell tagged ``injected-parameters`` is put right after it (one left
by an earlier run is replaced), so the notebook's own defaults stay visible and are overridden.
Values are read as papermill reads ``-p``: ``True``/``False``/``None``, integers and decimals
as such, anything else as text.
"""

from __future__ import annotations

import hashlib
import json
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


def render_html(
    executed: Iterable[Path], out: Path, processed: Path, *, echo: Callable[[str], None] = print
) -> list[Path]:
    """Render executed notebooks to standalone HTML (opens without Jupyter), with the data vintage on top."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(embed_images=True)
    banner = vintage_banner(processed)
    written = []
    paths = sorted(executed)
    with progress.steps("html", total=len(paths), unit="notebook", lines=False) as step:
        for path in paths:
            step.at(path.name)
            body, _ = exporter.from_filename(str(path))
            body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, body, count=1)
            target = out / f"{path.stem}.html"
            write_bytes_atomic(target, body.encode("utf-8"))
            echo(f"wrote {target}")
            written.append(target)
            step.advance(path.name)
    return written
