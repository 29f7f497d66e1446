"""Small read-only helpers that keep the notebooks thin (no cleaning here)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from kss_analysis.build.aggregate import top_level
from kss_analysis.core.config import processed_dir
from kss_analysis.outputs.charts.export import load_chart_tables as _load
from kss_analysis.rules import scope


def load_chart_tables(
    processed: Path | None = None, *, registers_only: bool = True
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The processed tables the charts use (KSS registers only unless asked), and the raw inputs' sha256."""
    return _load(processed or processed_dir(), registers_only=registers_only)


def has_sources(activities: pd.DataFrame, sources: tuple[str, ...]) -> bool:
    return set(sources) <= set(activities["source"])


def coverage_summary(activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """One row per coverage fact: programmes, years, countries, regions, themes, modalities."""
    top = top_level(activities)
    years = top["year"].dropna()
    facts = [
        ("programmes in the register", len(activities)),
        ("programmes counted (overlaps once)", len(top)),
        ("first year", int(years.min()) if len(years) else None),
        ("last year", int(years.max()) if len(years) else None),
        ("programmes without a year", int(top["year"].isna().sum())),
        ("partner countries named", recipients["recipient_iso3"].nunique()),
        ("regions", recipients["region"].dropna().nunique()),
        ("sector themes", top["sector_theme"].dropna().nunique()),
        ("modalities", top["modality"].dropna().nunique()),
        ("triangular programmes", int((top["cooperation_type"] == "triangular").sum())),
    ]
    return pd.DataFrame(facts, columns=["fact", "value"])


def quarantine_summary(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows per file and reason code (empty table when nothing was quarantined)."""
    if quarantine.empty:
        return pd.DataFrame({"file": [], "reason_code": [], "rows": []})
    return quarantine.groupby(["file", "reason_code"], as_index=False).size().rename(columns={"size": "rows"})


def register_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Ledger or quarantine rows of the KSS registers (embedded and the user's own), whatever else was built."""
    return table[table["file"].map(scope.is_register_input)].reset_index(drop=True)


def data_vintage(notebook: str, processed: Path | None = None) -> str:
    """Markdown naming what this run read: the inputs and their sha256, and the package version.

    Reads the notebook's own metadata (``kss.needs_sources``); when some of the sources it
    needs are absent from the build, the text says so first.
    """
    import json
    from pathlib import Path

    from kss_analysis.core.io import read_metadata
    from kss_analysis.core.version import package_version
    from kss_analysis.outputs.notebooks.runner import notebook_needs, present_sources

    processed = processed or processed_dir()
    needs = notebook_needs(Path(notebook))
    present = present_sources(processed)
    inputs = read_metadata(processed / "activities.parquet").get("inputs", {})
    lines = []
    if missing := [s for s in needs if s not in present]:
        lines.append(f"**Partial data:** {', '.join(missing)} absent from this build; figures below omit them.")
    shown = {k: v for k, v in inputs.items() if scope.is_register_input(k) or k.split("/", 1)[0] in needs}
    per_source: dict[str, list[str]] = {}
    for name in sorted(shown):
        per_source.setdefault(name.split("/", 1)[0], []).append(name)
    for source, names in per_source.items():
        if len(names) <= 3:
            lines += [f"- `{n}` sha256 `{shown[n][:12]}`" for n in names]
        else:
            combined = hashlib.sha256(json.dumps({n: shown[n] for n in names}, sort_keys=True).encode()).hexdigest()
            lines.append(f"- `{source}/` {len(names)} files, combined sha256 `{combined[:12]}`")
    lines.append(f"\nBuilt by kss-analysis {package_version()}.")
    return "\n".join(lines)


def say(text: str) -> None:
    """Show a sentence written from the data as Markdown in the notebook."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def load_tossd_beside_register(processed: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """(register programmes, Indonesia's TOSSD activities, recipient rows of both, where TOSSD came from).

    Reads only the processed build: without a built TOSSD file (``kss fetch tossd``, then
    ``kss build``) it raises, never standing anything in for Indonesia's reports (notebook 08
    needs the ``tossd`` source and is skipped without it).
    """
    tables, _ = load_chart_tables(processed, registers_only=False)
    acts, recips = tables["activities"], tables["activity_recipients"]
    register = acts[scope.in_scope(acts)].reset_index(drop=True)
    tossd = acts[(acts["source"] == "tossd") & (acts["provider_iso3"] == "IDN")].reset_index(drop=True)
    if tossd.empty:
        raise FileNotFoundError(
            "no TOSSD activities of Indonesia in this build: run `kss fetch tossd --years 2019-2024` "
            "where tossd.online can be reached (or `kss fetch --all --mirror DIR`), then `kss build`"
        )
    files = ", ".join(sorted(set(tossd["source_file"])))
    return register, tossd, recips, f"TOSSD: {len(tossd)} activities of Indonesia (provider 738) from {files}."
