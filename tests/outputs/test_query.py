"""The query API: tidy frames with the counting rule built in, agreeing with the charts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kss_analysis as kss
from kss_analysis.outputs.charts.export import export_charts


@pytest.fixture(scope="module")
def processed(register_build) -> Path:
    return register_build / "processed"


def test_programmes_per_year_equal_the_programmes_by_year_chart(processed, tmp_path):
    export_charts(processed, tmp_path, ["en"], [], names=["programmes_by_year"])
    chart = pd.read_csv(tmp_path / "en" / "programmes_by_year.csv")
    chart = chart[chart["year"].between(2010, 2025)].groupby("year")["programmes"].sum()
    ours = kss.programmes(years=range(2010, 2026), processed=processed).groupby("year").size()
    assert len(ours) > 10
    assert ours.to_dict() == chart.to_dict()


def test_counted_only_leaves_out_the_parts_of_other_programmes_and_plans(processed):
    everything = kss.programmes(counted_only=False, processed=processed)
    counted = kss.programmes(processed=processed)
    children = everything[everything["parent_activity_id"].notna()]
    assert len(children) > 0
    # plans: a planned amount only, no participants, no date finer than the year (TIAS 2024 allocation ...)
    start = everything["start_date"].astype("string")
    plans = everything[
        (everything["amount_basis"] == "planned")
        & everything["participants"].isna()
        & (start.isna() | (start.str.len() <= 4)).astype(bool)
    ]
    assert {"KSS-0081", "KSS-0082"} <= set(plans["activity_id"])
    left_out = set(children["activity_id"]) | set(plans["activity_id"])
    assert set(counted["activity_id"]) == set(everything["activity_id"]) - left_out
    assert not counted["counted"].eq(False).any()


def test_names_follow_the_language_and_filters_accept_labels(processed):
    egypt_id = kss.programmes(regions="Afrika", processed=processed, lang="id")
    egypt_en = kss.programmes(regions="africa", processed=processed, lang="en")
    assert egypt_id["activity_id"].tolist() == egypt_en["activity_id"].tolist()
    mentions_egypt = egypt_id[egypt_id["partner_iso3"].str.contains("EGY", na=False)]
    assert mentions_egypt["partner_names"].str.contains("Mesir").all()
    assert mentions_egypt.shape[0] and egypt_en.loc[mentions_egypt.index, "partner_names"].str.contains("Egypt").all()
    triangular = kss.programmes(cooperation_type="triangular", sectors="Pertanian & pangan", processed=processed)
    assert set(triangular["cooperation_type"]) == {"triangular"}
    assert set(triangular["sector_theme"]) == {"agriculture_food"}
    with pytest.raises(ValueError, match="regions not known: Atlantis"):
        kss.programmes(regions="Atlantis", processed=processed)


def test_partner_shares_add_up_to_the_programme_totals(processed):
    rows = kss.partners(processed=processed, lang="en")
    progs = kss.programmes(processed=processed)
    assert rows.groupby("activity_id")["share"].sum().round(9).eq(1.0).all()
    stated = progs["participants"].notna() & progs["participants_qualifier"].ne("cumulative")
    assert rows["participants_share"].sum() == pytest.approx(progs.loc[stated, "participants"].sum())
    # "touching" counts: a programme in two regions is counted in both, so they exceed the total
    touching = rows.groupby("region")["activity_id"].nunique()
    assert touching.sum() > len(progs) and touching.max() <= len(progs)


def test_integer_columns_read_as_nullable_integers_with_plain_pandas(processed):
    acts = pd.read_parquet(processed / "activities.parquet")
    for column in ("year", "participants", "n_partner_countries"):
        assert pd.api.types.is_integer_dtype(acts[column]), column
    assert acts["counted"].dtype == bool
    recips = pd.read_parquet(processed / "activity_recipients.parquet")
    egypt = recips[recips["recipient_iso3"] == "EGY"].iloc[0]
    assert (egypt.recipient_name_en, egypt.recipient_name_id, egypt.region_name_id) == (
        "Egypt",
        "Mesir",
        "Afrika",
    )  # UN M49: Northern Africa


def test_both_functions_show_the_filters_as_their_arguments():
    import inspect

    expected = [
        "years",
        "regions",
        "sectors",
        "cooperation_type",
        "counted_only",
        "lang",
        "sources",
        "providers",
        "with_conversion",
        "processed",
    ]
    for function in (kss.programmes, kss.partners):
        parameters = inspect.signature(function).parameters
        assert list(parameters) == expected
        assert parameters["counted_only"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError):
        kss.programmes(None, None, None, None, False)  # counted_only is keyword-only
    with pytest.raises(ValueError, match="lang='fr'"):
        kss.partners(lang="fr")
