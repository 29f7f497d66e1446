"""The package's shape: stages as folders, imports running down the stages only, no circles.

Stages, lowest first: core -> acquire -> ingest -> rules -> build -> outputs -> the top
(``cli``, ``__init__``, ``__main__``). A module may import its own stage or a lower one.
Every import counts, also those inside functions or under ``TYPE_CHECKING``: a circle
hidden in a function is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "kss_analysis"
STAGES = ("core", "acquire", "ingest", "rules", "build", "outputs")
TOP = len(STAGES)  # modules at the package top rank above every stage
MAX_TOP_MODULES = 6


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = ("kss_analysis", *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that ``name`` imports (``from x import module`` names the module)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                child = f"{target}.{alias.name}"
                found.add(child if child in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def stage_rank(module: str) -> int:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in STAGES:
        return STAGES.index(parts[1])
    return TOP


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a module to a stage above its own (a stage's package __init__ counts as its stage)."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if stage_rank(target) > stage_rank(module)
        and target != "kss_analysis"
        or (target == "kss_analysis" and module != "kss_analysis.__main__" and stage_rank(module) < TOP)
    )


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    modules = package_modules(root)
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def test_no_import_circles():
    assert import_cycles(import_graph()) == []


def test_no_import_runs_up_the_stages():
    assert upward_imports(import_graph()) == []


def test_at_most_six_modules_at_the_package_top():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_every_stage_is_a_package_that_says_what_enters_and_leaves():
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "Enters" in doc and "Leaves" in doc, stage


# The checker itself, on small packages written here: it must find what it is there to find.


def _write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "kss_analysis"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_checker_finds_a_circle_hidden_in_a_function(tmp_path):
    package = _write_package(
        tmp_path,
        {
            "__init__.py": "",
            "build/__init__.py": "",
            "build/a.py": "from kss_analysis.build import b\n",
            "build/b.py": "def f():\n    from kss_analysis.build.a import x\n",
        },
    )
    assert import_cycles(import_graph(package)) == [["kss_analysis.build.a", "kss_analysis.build.b"]]


def test_checker_finds_an_upward_import(tmp_path):
    package = _write_package(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/io.py": "from kss_analysis.outputs.charts import style\n",
            "outputs/__init__.py": "",
            "outputs/charts/__init__.py": "",
            "outputs/charts/style.py": "from kss_analysis.core import io\n",
        },
    )
    graph = import_graph(package)
    assert upward_imports(graph) == ["kss_analysis.core.io -> kss_analysis.outputs.charts.style"]
    assert import_cycles(graph) == [["kss_analysis.core.io", "kss_analysis.outputs.charts.style"]]


@pytest.mark.parametrize("line", ["from kss_analysis import __version__\n", "import kss_analysis\n"])
def test_checker_counts_the_package_top_as_above_every_stage(tmp_path, line):
    package = _write_package(tmp_path, {"__init__.py": "", "core/__init__.py": "", "core/io.py": line})
    assert upward_imports(import_graph(package)) == ["kss_analysis.core.io -> kss_analysis"]
