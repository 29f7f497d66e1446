"""Small read-only helpers that keep the notebooks thin (no cleaning here)."""

from __future__ import annotations

import pandas as pd

from kss_analysis.aggregate import top_level
from kss_analysis.chart_export import load_chart_tables as _load
from kss_analysis.config import processed_dir


def load_chart_tables(processed=None, *, registers_only: bool = True) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
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
