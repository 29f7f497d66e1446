"""The committed KSS registers: sourced, typed, and internally consistent."""

from __future__ import annotations

import pandas as pd

from kss_analysis.ingest.headline_figures import read_figures
from tests.paths import ROOT

KSS = ROOT / "data" / "raw" / "kss"
programmes = pd.read_csv(KSS / "kss_programmes.csv", dtype=str, keep_default_na=False)


def test_every_programme_has_a_source_url_and_evidence():
    assert (programmes["source_url"].str.match(r"https?://")).all()
    assert (programmes["evidence"].str.len() > 20).all()


def test_programme_ids_are_unique_and_parents_exist():
    assert programmes["programme_id"].is_unique
    parents = programmes.loc[programmes["parent_programme_id"] != "", "parent_programme_id"]
    assert set(parents) <= set(programmes["programme_id"])


def test_counts_and_amounts_are_plain_numbers():
    for column in ("participants", "n_partner_countries", "funding_value"):
        values = programmes.loc[programmes[column] != "", column]
        assert values.str.fullmatch(r"\d+").all(), values[~values.str.fullmatch(r"\d+")].tolist()


def test_a_funding_value_always_has_a_currency_and_basis():
    funded = programmes[programmes["funding_value"] != ""]
    assert funded["funding_currency"].isin(["IDR", "USD"]).all()
    assert (funded["funding_basis"] != "").all()


def test_undated_programmes_say_why():
    undated = programmes[programmes["year"] == ""]
    assert undated["notes"].str.contains("Undated:").all()


def test_no_duplicate_programme_title_year_host():
    key = programmes[["title", "year", "host_location"]]
    assert not key.duplicated().any()


def test_figures_register_reads_and_carries_the_seed_figure():
    figures = read_figures(KSS / "kss_figures.csv")
    seed = figures[figures["source_title"].str.contains("Kumparan", na=False)]
    assert sorted(seed["value"]) == [90, 780, 6200]
    assert figures["source_url"].notna().all()


def test_every_figure_says_when_and_what_the_page_states():
    figures = pd.read_csv(KSS / "kss_figures.csv", dtype=str, keep_default_na=False)
    undated = figures[figures["period_end"] == ""]
    assert undated["notes"].str.contains("Undated").all(), undated["figure_id"].tolist()
    assert (figures["quote_in_own_words"].str.strip() != "").all()
    assert (figures["unit"] != "").all()


def test_the_register_holds_at_least_200_distinct_programmes():
    # Issue 8's target; a duplicate title+year+host would not count twice.
    distinct = programmes.drop_duplicates(["title", "year", "host_location"])
    assert len(distinct) >= 200


def test_breakdowns_never_exceed_their_total_or_100_percent():
    # A region or sector split from one source must fit inside that source's total for the
    # same indicator, period and unit (a typo such as 540 for 54.0 would break it).
    figures = pd.read_csv(KSS / "kss_figures.csv", dtype=str, keep_default_na=False)
    figures["number"] = figures["value"].astype(float)
    key = ["indicator", "scope", "period_type", "period_start", "period_end", "unit", "source_url"]
    checked = 0
    for _, group in figures.groupby(key):
        totals = group.loc[group["breakdown_dimension"] == "total", "number"]
        ceiling = 100.0 if group["unit"].iloc[0] == "percent" else (totals.iloc[0] if len(totals) else None)
        if ceiling is None:
            continue
        for dimension, parts in group[group["breakdown_dimension"].isin(["region", "sector"])].groupby(
            "breakdown_dimension"
        ):
            assert parts["number"].sum() <= ceiling * 1.005, (group["figure_id"].tolist(), dimension)
            checked += 1
    assert checked >= 5
