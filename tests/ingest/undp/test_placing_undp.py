"""The UNDP South-South project list, in both layouts it has had."""

from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.core.validate import check_tables
from kss_analysis.ingest.readers import place_file as build_file_tables

UNDP_HEADER = [
    "Number",
    "Project Name",
    "Links",
    "Description",
    "Host/Recipient Country/ies",
    "Provider Country/ies",
    "Regions Involved",
    "Entity/ies Supporting and/or Implementing",
    "Is the private sector involved?",
    "Does it involve LDCs?",
    "UNDP as Implementor",
    "UNDP as Donor",
    "Start year",
    "End year",
    "Thematic Areas",
    "Primary SDG Contribution",
    "Secondary SDG Contribution",
]


def undp_csv(path: Path, rows: list[list[str]], header=UNDP_HEADER) -> Path:
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


def undp_row(number, hosts, providers, themes="Governance", start="2018", end="Present"):
    return [
        number,
        f"Project {number}",
        "https://example.org/p",
        "d",
        hosts,
        providers,
        "Asia Pacific",
        "UNDP",
        "",
        "",
        "",
        "",
        start,
        end,
        themes,
        "SDG1",
        "SDG1,SDG17",
    ]


@pytest.mark.parametrize("layout", ["current", "earlier (no Secondary SDG column)"])
def test_undp_list_in_both_layouts(tmp_path, layout):
    rows = [
        undp_row("1", "FJI,TON", "IDN"),
        undp_row("2", "", "IDN.JPN", "Environment,Energy"),
        undp_row("3", "KEN", "ROK"),
        undp_row("4", "KEN", "BGG"),
    ]
    header = UNDP_HEADER
    if layout != "current":
        header = UNDP_HEADER[:-1]
        rows = [r[:-1] for r in rows]
    tables = build_file_tables(
        undp_csv(tmp_path / "data.csv", rows, header), reader="undp", source="undp", file_label="data.csv"
    )
    assert check_tables(tables) == []
    acts = tables.activities.set_index("activity_id")
    assert acts.loc["undp:2", "provider_iso3"] == "IDN;JPN" and "providers_separator" in acts.loc["undp:2", "fixes"]
    assert acts.loc["undp:3", "provider_iso3"] == "KOR"
    assert acts.loc["undp:2", "sector_themes"] == "environment_climate;infrastructure_energy"
    global_row = tables.activity_recipients.set_index("activity_id").loc["undp:2"]
    assert (global_row.allocation, global_row.region) == ("unallocated", "multi_region")  # empty host = global
    # an unknown provider code is a descriptive miss: row kept, flagged, code reported (issue 18)
    assert tables.quarantine.empty and pd.isna(acts.loc["undp:4", "provider_iso3"])
    assert '"BGG"' in acts.loc["undp:4", "unclassified"] and tables.ledger.iloc[0].rows_flagged == 1
