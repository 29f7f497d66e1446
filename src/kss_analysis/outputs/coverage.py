"""How much of Indonesia's South-South cooperation the programme register covers.

For every official programme count in the figures register (kss_figures.csv) that states a
period (both start and end), the register's programmes in the same years are divided by the
official count. Official counts that give no start ("400 programmes so far", "over two
decades") cannot be matched to register years and are left out; so are planned counts and
counts for one ministry, region or partner (breakdowns), which the register cannot match
like for like.

The register counts every modality (training, grants, humanitarian aid ...) at year
precision, so a ratio is an upper estimate of how much of the official count the register
names; it is never a claim that the register's programmes are those the officials counted.
"""

from __future__ import annotations

import pandas as pd

# Units that count programmes or activities (never money, people or countries).
PROGRAMME_UNITS = {"programmes", "activities", "trainings"}
# The figures-register columns read here; an empty frame of them means "no official counts".
FIGURE_COLUMNS = [
    "figure_id",
    "indicator",
    "scope",
    "period_start",
    "period_end",
    "breakdown_dimension",
    "value",
    "value_qualifier",
    "unit",
    "source_url",
]
NO_FIGURES = pd.DataFrame(columns=FIGURE_COLUMNS)
COLUMNS = [
    "period_start",
    "period_end",
    "register_programmes",
    "official_programmes",
    "official_qualifier",
    "ratio",
    "figure_id",
    "indicator",
    "source_url",
]


def official_programme_counts(figures: pd.DataFrame) -> pd.DataFrame:
    """Figures that are Indonesia-wide programme counts over a stated period."""
    text = figures.fillna("").astype(str)
    keep = (
        (text["scope"] == "indonesia")
        & text["unit"].isin(PROGRAMME_UNITS)
        & text["breakdown_dimension"].isin(["total", ""])
        & ~text["indicator"].str.contains("planned|target")
        & (text["period_start"] != "")
        & (text["period_end"] != "")
    )
    return figures[keep]


def coverage_table(activities: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """One row per official programme count: register programmes in its years / official count.

    ``activities`` are register activities (canonical columns ``parent_activity_id`` and
    ``year``); only programmes without a parent count, as in every programme chart.
    ``figures`` is the figures register as read by ``figures.read_figures``.
    """
    top = activities[activities["parent_activity_id"].isna() & activities["year"].notna()]
    years = top["year"].astype(int)
    rows = []
    for _, figure in official_programme_counts(figures).iterrows():
        first, last = int(str(figure["period_start"])[:4]), int(str(figure["period_end"])[:4])
        official = int(figure["value"])  # programme counts are whole numbers
        register = int(years.between(first, last).sum())
        rows.append(
            {
                "period_start": str(figure["period_start"]),
                "period_end": str(figure["period_end"]),
                "register_programmes": register,
                "official_programmes": official,
                "official_qualifier": figure["value_qualifier"],
                "ratio": round(register / official, 4),
                "figure_id": figure["figure_id"],
                "indicator": figure["indicator"],
                "source_url": figure["source_url"],
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["period_start", "period_end", "figure_id"]).reset_index(drop=True)
