"""Source comparison: like with like, shares that add up, labels in the chart's language.

The frames here are small synthetic tables in the canonical shape, written for these tests.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from kss_analysis.outputs.charts.standard import chart_region_shares_by_source
from kss_analysis.outputs.comparison import compare_region_shares, compare_sources, usd_by_year

ACTIVITIES = pd.DataFrame(
    {
        "activity_id": ["k1", "k2", "k2a", "g1", "g2", "u1"],
        "source": ["kss", "kss", "kss", "aiddata-gcof-china-1.0", "aiddata-gcof-china-1.0", "undp-ssc-projects"],
        "parent_activity_id": [None, None, "k2", None, None, None],
        "year": [2015, 2019, 2019, 2010, 2010, None],
        "provider_iso3": ["IDN", "IDN", "IDN", "CHN", "CHN", "IDN"],
        "amount_usd": [None, None, None, 1_000_000.0, 2_500_000.0, None],
        # columns the counting rule reads (counting.py)
        "amount": [None, None, None, 1_000_000.0, 2_500_000.0, None],
        "currency": [None, None, None, "USD", "USD", None],
        "amount_basis": [None, None, None, "reported", "reported", None],
        "participants": [None] * 6,
        "participants_qualifier": [None] * 6,
        "start_date": [None] * 6,
        "source_file": ["kss/kss_programmes.csv"] * 3 + ["aiddata-gcof-china-1.0/gcof.zip"] * 2 + ["undp/data.csv"],
    }
)
RECIPIENTS = pd.DataFrame(
    {
        "activity_id": ["k1", "k1", "k2", "k2a", "g1", "g2", "u1"],
        "recipient_iso3": ["FJI", "KEN", "PNG", "PNG", "AGO", "LAO", "TLS"],
        "region": ["pacific", "africa", "pacific", "pacific", "africa", "asia", None],
        "share": [0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0],
    }
)


def test_region_shares_add_up_to_100_within_each_source_and_skip_child_records():
    shares = compare_region_shares(ACTIVITIES, RECIPIENTS)
    assert shares.groupby("source_id")["share_pct"].sum().round(6).eq(100).all()
    kss = shares[shares["source_id"] == "kss"].set_index("region")["share_pct"]
    # k1 is half Pacific, half Africa; k2 is Pacific; the child k2a is not counted again.
    assert kss.to_dict() == {"africa": 25.0, "pacific": 75.0}
    assert shares.loc[shares["source_id"] == "undp-ssc-projects", "region"].tolist() == ["not_stated"]


def test_compare_sources_counts_top_level_records_and_their_years():
    table = compare_sources(ACTIVITIES).set_index("source")
    assert table.loc["Indonesia: KSS register", "records"] == 2
    assert table.loc["Indonesia: KSS register", ["first year", "last year"]].tolist() == [2015, 2019]
    assert pd.isna(table.loc["UNDP South-South list", "first year"])


def test_usd_by_year_sums_one_source_only():
    gcof = usd_by_year(ACTIVITIES, "aiddata-gcof-china-1.0")
    assert gcof.to_dict("records") == [{"year": 2010, "amount_usd": 3_500_000.0, "records_with_usd": 2}]
    assert usd_by_year(ACTIVITIES, "kss").empty


@pytest.mark.parametrize(
    ("lang", "kss_label", "china_label"),
    [
        ("en", "Indonesia: KSS register", "China: AidData GCOF 1.0"),
        ("id", "Indonesia: register KSS", "Tiongkok: AidData GCOF 1.0"),
    ],
)
def test_region_share_chart_names_sources_in_the_chart_language(lang, kss_label, china_label):
    tables = {"activities": ACTIVITIES, "activity_recipients": RECIPIENTS}
    output = chart_region_shares_by_source(tables, lang)
    ticks = [tick.get_text() for tick in output.figure.axes[0].get_xticklabels()]
    plt.close(output.figure)
    assert kss_label in ticks and china_label in ticks
    assert set(output.data["source"]) == set(ticks)


def test_undp_inventory_by_host_region_counts_engagements_and_those_engaging_indonesia():
    """Synthetic inventory rows: two in Africa (one engaging Indonesia), one split over two regions."""
    import pandas as pd

    from kss_analysis.outputs import comparison
    from kss_analysis.outputs.notebooks import reading

    acts = pd.DataFrame(
        {
            "activity_id": ["u1", "u2", "u3", "k1"],
            "source": ["undp-ssc-engagements"] * 3 + ["kss"],
            "provider_iso3": ["IDN;BRA", "CHN", "IND", "IDN"],
        }
    )
    recips = pd.DataFrame(
        {
            "activity_id": ["u1", "u2", "u3", "u3", "k1"],
            "region": ["africa", "africa", "asia", "pacific", "asia"],
            "share": [1.0, 1.0, 0.5, 0.5, 1.0],
        }
    )
    table = comparison.undp_engagements(acts, recips).set_index("region")
    assert table.loc["africa"].tolist() == [2.0, 1.0]
    assert table.loc["asia"].tolist() == [0.5, 0.0] and table.loc["pacific"].tolist() == [0.5, 0.0]
    assert reading.undp_engagements(table.reset_index()).startswith("UNDP's current inventory lists 3 engagements")
    assert comparison.undp_engagements(acts[acts["source"] == "kss"], recips).empty
