"""The README and docs/ say only what is true of this repository.

- the README stays a user's page: short, the two commands first;
- every relative link, every file path and every module named points at something that exists;
- the README's notebook table lists every notebook, its sources table every source;
- every number about the data that the docs state is recomputed here from the raw files, and
  any other count of programmes, participants, countries ... typed into the docs fails.

Plain file reading only (csv, ast, pyarrow's schema reader): nothing is imported from the
package and nothing is built.
"""

from __future__ import annotations

import ast
import csv
import re
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PACKAGE = ROOT / "src" / "kss_analysis"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_LINES = 220
STAGES = ("core", "acquire", "ingest", "rules", "build", "outputs")

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
# Repository paths as the docs write them; a path in another repository is written with
# that repository's name in front (tossd-reader/src/...), which the look-behind leaves out.
REPO_PATH = re.compile(
    r"(?<![\w/.-])((?:src|tests|scripts|benchmarks|tools|notebooks|docs|\.ci)/[\w./<>{}*-]*"
    r"|data/raw/(?:kss|registers|reference)/[\w./<>{}*-]*)"
)
DOTTED = re.compile(r"(?<![\w.])(kss_analysis(?:\.\w+)+)")
STAGE_DOTTED = re.compile(rf"^((?:{'|'.join(STAGES)})(?:\.\w+)+)(?:\(.*\))?$")
PLACEHOLDER = re.compile(r"[<>{}*]")
# A count of things in the data, typed as a number: each must be one of CLAIMS below.
DATA_COUNT = re.compile(
    r"\b\d[\d,.]*\s+(?:[A-Za-z-]+\s+){0,2}"
    r"(?:programmes?|participants?|countries|country|activities|activity|projects?|figures?|partners?|territories)\b"
)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def prose(path: Path) -> str:
    """The file without its fenced code blocks."""
    return FENCE.sub("", text(path))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- numbers the docs state, recomputed from the raw files -------------------------------


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def register_size() -> tuple[str, ...]:
    """Programmes in the embedded register, first and last year."""
    rows = [r for r in read_rows(ROOT / "data" / "raw" / "kss" / "kss_programmes.csv") if r["programme_id"].strip()]
    years = [int(r["year"]) for r in rows if r["year"].strip()]
    return str(len(rows)), str(min(years)), str(max(years))


def figures_count() -> tuple[str, ...]:
    rows = read_rows(ROOT / "data" / "raw" / "kss" / "kss_figures.csv")
    return (str(sum(1 for r in rows if r["figure_id"].strip())),)


def iati_activities() -> tuple[str, ...]:
    """One activity per file of the pinned IATI list."""
    return (str(len(read_rows(PACKAGE / "manifests" / "iati-ssc-activities.csv"))),)


def money_base_years() -> tuple[str, ...]:
    """Latest year with a deflator in the embedded extract: US dollars, then rupiah."""
    latest: dict[str, int] = {}
    for row in read_rows(PACKAGE / "reference" / "deflators.csv"):
        if row["Inflation"].strip():
            code, year = row["Country Code"], int(row["Year"])
            latest[code] = max(year, latest.get(code, year))
    return str(latest["USA"]), str(latest["IDN"])


def tossd_fixture_layout() -> tuple[str, ...]:
    schema = pq.read_schema(ROOT / "tests" / "fixtures" / "tossd_2024_fixture.parquet")
    types = [str(t) for t in schema.types]
    usd = sum(name.startswith("USD_") for name in schema.names)
    return str(len(schema.names)), str(types.count("string")), str(types.count("double")), str(usd)


# pattern (its groups are the numbers) -> the same numbers computed from the files
CLAIMS: dict[str, Callable[[], tuple[str, ...]]] = {
    r"\b(\d+) programmes, (\d{4})[–-](\d{4})": register_size,
    r"\b(\d+) headline figures": figures_count,
    r"\b(\d+) IATI activities": iati_activities,
    r"embedded extract:\s+US dollars (\d{4}), rupiah (\d{4})": money_base_years,
    r"(\d+) columns, (\d+) text and (\d+) double, (\d+) of them `USD_\*`": tossd_fixture_layout,
}


def claims_found(pattern: str) -> list[tuple[str, re.Match[str]]]:
    return [(rel(doc), m) for doc in DOCS for m in re.finditer(pattern, text(doc))]


@pytest.mark.parametrize("pattern", list(CLAIMS))
def test_numbers_about_the_data_match_the_files(pattern):
    found = claims_found(pattern)
    assert found, f"no doc states /{pattern}/ any more: drop it from CLAIMS in tests/test_docs.py"
    expected = CLAIMS[pattern]()
    wrong = [f"{doc}: '{m.group(0)}', the files say {expected}" for doc, m in found if m.groups() != expected]
    assert not wrong, "numbers in the docs differ from the data:\n" + "\n".join(wrong)


def test_no_other_count_of_the_data_is_typed_into_the_docs():
    """A count of programmes, participants, countries ... must be a checked claim, or not be there."""
    loose = []
    for doc in DOCS:
        body = text(doc)
        checked = [m.span() for pattern in CLAIMS for m in re.finditer(pattern, body)]
        for m in DATA_COUNT.finditer(body):
            if not any(start <= m.start() < end for start, end in checked):
                line = body.count("\n", 0, m.start()) + 1
                loose.append(f"{rel(doc)}:{line}: '{m.group(0)}'")
    assert not loose, "counts typed by hand (remove them, or add a check to CLAIMS):\n" + "\n".join(loose)


def test_programme_ids_named_in_the_docs_exist():
    ids = {r["programme_id"] for r in read_rows(ROOT / "data" / "raw" / "kss" / "kss_programmes.csv")}
    named = {(rel(doc), i) for doc in DOCS for i in re.findall(r"\bKSS-\d{4}\b", text(doc))}
    assert not {f"{doc}: {i}" for doc, i in named if i not in ids}


# --- the README is a user's page -----------------------------------------------------------


def test_readme_is_short_and_starts_with_the_two_commands():
    lines = text(README).splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines (at most {MAX_README_LINES})"
    first_section = next(i for i, line in enumerate(lines) if line.startswith("## "))
    assert lines[first_section] == "## Two commands"
    head = "\n".join(lines[: first_section + 8])
    assert "make run" in head and "make test" in head


def readme_table(heading: str) -> list[list[str]]:
    """Rows (cells stripped) of the first table under ``heading`` in the README, header and rule left out."""
    body = text(README).split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_readme_notebook_table_lists_every_notebook():
    listed = {row[0].strip("`") for row in readme_table("## Notebooks")}
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks and listed == notebooks


def test_readme_sources_table_lists_every_source():
    listed = {sid for row in readme_table("## Data sources and licences") for sid in re.findall(r"`([\w.-]+)`", row[0])}
    sources = set(yaml.safe_load(text(PACKAGE / "sources.yml")))
    assert listed == sources, f"missing: {sorted(sources - listed)}, unknown: {sorted(listed - sources)}"


# --- links, paths and module names ---------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(m) for m in re.findall(r"^#+ (.+)$", prose(path), re.M)}


def test_every_relative_link_points_at_a_file_that_exists():
    broken = []
    for doc in DOCS:
        for target in LINK.findall(prose(doc)):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path_part, _, anchor = target.partition("#")
            path = (doc.parent / path_part).resolve() if path_part else doc
            if not path.exists():
                broken.append(f"{rel(doc)}: {target}")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                broken.append(f"{rel(doc)}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_every_repository_path_named_exists():
    missing = []
    for doc in DOCS:
        for path in REPO_PATH.findall(text(doc)):
            path = path.rstrip(".,;:")
            if not PLACEHOLDER.search(path) and not (ROOT / path).exists():
                missing.append(f"{rel(doc)}: {path}")
    assert not missing, "paths that do not exist:\n" + "\n".join(missing)


def test_every_python_file_named_exists():
    """`x.py` names a file at the top or in tests/; `a/b.py` a path that ends so (`build/money.py`)."""
    files = [p for p in ROOT.rglob("*.py") if ".venv" not in p.parts]
    missing = []
    for doc in DOCS:
        for span in CODE_SPAN.findall(text(doc)):
            for name in re.findall(r"[\w./-]+\.py\b", span):
                if PLACEHOLDER.search(name):
                    continue
                if "/" in name:
                    ok = any(str(p.relative_to(ROOT)).endswith(name) for p in files)
                else:
                    ok = (ROOT / name).exists() or (ROOT / "tests" / name).exists()
                if not ok:
                    missing.append(f"{rel(doc)}: {name}")
    assert not missing, "Python files that do not exist (write the path, e.g. build/money.py):\n" + "\n".join(missing)


def defined_names(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(text(module)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def resolves(dotted: str) -> bool:
    """``kss_analysis.a.b[.name]``: a package or module of src/kss_analysis, then at most one name it defines."""
    parts = dotted.split(".")[1:]
    here = PACKAGE
    for i, part in enumerate(parts):
        if (here / part).is_dir():
            here = here / part
            continue
        module = here / f"{part}.py" if (here / f"{part}.py").is_file() else here / "__init__.py"
        rest = parts[i + 1 :] if module.name != "__init__.py" else parts[i:]
        return module.is_file() and (not rest or (len(rest) == 1 and rest[0] in defined_names(module)))
    return True


# The worked example of docs/adding-a-source.md: modules a contributor writes, not ours.
EXAMPLE_UNIT = "kss_analysis.ingest.agency."


def test_every_module_named_exists():
    named = set()
    for doc in DOCS:
        body = text(doc)
        named |= {(rel(doc), m) for m in DOTTED.findall(body)}
        for span in CODE_SPAN.findall(body):
            if m := STAGE_DOTTED.match(span):
                named.add((rel(doc), f"kss_analysis.{m.group(1)}"))
    missing = sorted(
        f"{doc}: {name}" for doc, name in named if not resolves(name) and not name.startswith(EXAMPLE_UNIT)
    )
    assert not missing, "modules or names that do not exist:\n" + "\n".join(missing)


def test_the_checkers_find_what_they_are_there_to_find():
    assert resolves("kss_analysis.build.money")
    assert resolves("kss_analysis.programmes")
    assert resolves("kss_analysis.build.aggregate.aggregate_crs")
    assert not resolves("kss_analysis.money")
    assert not resolves("kss_analysis.build.aggregate.no_such_function")
    assert DATA_COUNT.search("the register holds 203 Indonesian KSS programmes")
    assert not DATA_COUNT.search("one row per programme x partner")
    assert slug("OECD CRS at scale") == "oecd-crs-at-scale"
