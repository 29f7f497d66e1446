"""Money equivalents: rate choice, deflator chaining, the money step, and checks against the mirror.

Unit tests use small synthetic tables in the upstream layouts (labelled synthetic). The
mirror tests recompute the build's conversions from the upstream files with plain pandas;
they skip when KSS_MIRROR is unset.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kss_analysis.acquire.registry import load_sources
from kss_analysis.build import money
from kss_analysis.build.money import (
    AMBIGUOUS_RATE,
    NO_DEFLATOR_FOR_YEAR,
    NO_IDR_DEFLATOR_FOR_YEAR,
    NO_RATE_FOR_YEAR,
    NO_YEAR,
    SOURCE_USD,
    STATED_USD,
    UNKNOWN_CURRENCY,
    MoneyTables,
    add_money_equivalents,
    add_transaction_equivalents,
    deflator_index,
    figure_series,
    select_rates,
    to_constant,
    to_usd,
)
from kss_analysis.core.config import REFERENCE_DIR
from kss_analysis.core.errors import InputError
from kss_analysis.core.io import read_metadata, sha256_file
from kss_analysis.ingest.money_tables import read_gdp_deflator, read_imf_rates
from tests.paths import ROOT

MIRROR = Path(os.environ["KSS_MIRROR"]).resolve() if os.environ.get("KSS_MIRROR", "").strip() else None
needs_mirror = pytest.mark.skipif(
    MIRROR is None or not MIRROR.is_dir(), reason="needs the offline mirror: set KSS_MIRROR=../shared/mirror"
)

# Synthetic (not real) rates in the IMF file layout: Haiti mislabelled USD as upstream does,
# a currency union, a currency only in countries that agree, one where they disagree.
SYNTHETIC_IMF = """Date,Rate,Currency,Frequency,Source,Country code,Country
2019-12-31,1,USD,A,IMF,US,United States
2019-12-31,80,USD,A,IMF,HT,Haiti
2019-12-31,14000,IDR,A,IMF,ID,Indonesia
2020-12-31,15000,IDR,A,IMF,ID,Indonesia
2020-12-31,0.9,EUR,A,IMF,U2,Euro Area (EA)
2020-12-31,0.91,EUR,A,IMF,ME,Montenegro
2020-12-31,600,XOF,A,IMF,SN,Senegal
2020-12-31,600,XOF,A,IMF,ML,Mali
2020-12-31,0.3,YDD,A,IMF,1C_459,"Yemen, People's Democratic Republic of"
2020-12-31,9.7,YDD,A,IMF,1C_473,Yemen Arab Republic
2020-12-31,14,NAD,A,IMF,NA,Namibia
"""
# Synthetic deflator growth (percent), World Bank layout, with a gap in 2016 for ZZZ.
SYNTHETIC_WB = """Country,Country Code,Year,Inflation
United States,USA,2018,2
United States,USA,2019,10
United States,USA,2020,5
Indonesia,IDN,2019,4
Indonesia,IDN,2020,-2
Nowhere,ZZZ,2015,3
Nowhere,ZZZ,2016,
Nowhere,ZZZ,2017,3
Nowhere,ZZZ,2018,3
"""


@pytest.fixture
def synthetic(tmp_path) -> MoneyTables:
    (tmp_path / "fx.csv").write_text(SYNTHETIC_IMF, encoding="utf-8")
    (tmp_path / "wb.csv").write_text(SYNTHETIC_WB, encoding="utf-8")
    rates, ambiguous = select_rates(read_imf_rates(tmp_path / "fx.csv"))
    return MoneyTables(rates, ambiguous, read_gdp_deflator(tmp_path / "wb.csv"), "FX test", "DEFL test")


def test_rate_of_the_issuing_country_wins(synthetic):
    assert synthetic.rate("USD", 2019) == 1.0  # not Haiti's gourde mislabelled USD
    assert synthetic.rate("EUR", 2020) == 0.9  # the euro area's row, not Montenegro's
    assert synthetic.rate("XOF", 2020) == 600  # no issuer row, every country agrees
    assert synthetic.rate("YDD", 2020) is None and ("YDD", 2020) in synthetic.ambiguous
    assert synthetic.rate("NAD", 2020) == 14  # 'NA' is Namibia, not a missing value


def test_deflator_index_chains_growth_both_ways_and_stops_at_a_gap(synthetic):
    usa = deflator_index(synthetic.growth, "USA")  # default base: latest year, 2020
    assert usa[2020] == 1.0
    assert usa[2019] == pytest.approx(1 / 1.05)
    assert usa[2018] == pytest.approx(1 / (1.05 * 1.10))
    assert usa[2017] == pytest.approx(1 / (1.05 * 1.10 * 1.02))
    assert deflator_index(synthetic.growth, "USA", 2018)[2020] == pytest.approx(1.10 * 1.05)
    zzz = deflator_index(synthetic.growth, "ZZZ")
    assert sorted(zzz.index) == [2016, 2017, 2018]  # 2015 would need the missing 2016 growth
    with pytest.raises(ValueError, match="base year 2030"):
        deflator_index(synthetic.growth, "USA", 2030)


def test_to_usd_and_to_constant(synthetic):
    assert to_usd(30_000.0, "IDR", 2020, synthetic) == pytest.approx(2.0)
    assert to_usd(5.0, "USD", 2031, synthetic) == 5.0
    assert to_usd(1.0, "IDR", 2025, synthetic) is None
    assert to_constant(100.0, 2019, tables=synthetic) == pytest.approx(105.0)
    assert to_constant(100.0, 2019, iso3="IDN", tables=synthetic) == pytest.approx(100 * 0.98)
    assert to_constant(100.0, 2010, tables=synthetic) is None


def activities(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["source", "activity_id", "year", "amount", "currency", "amount_usd"])
    return frame.astype({"year": "Int16", "amount": "float64", "amount_usd": "float64"})


def test_money_equivalents_keep_the_stated_amount_and_say_why_one_is_missing(synthetic):
    frame = activities(
        [
            ("kss", "idr-2020", 2020, 30_000.0, "IDR", None),
            ("kss", "idr-2019", 2019, 28_000.0, "IDR", None),
            ("kss", "usd-2019", 2019, 10.0, "USD", 10.0),
            ("kss", "idr-2025", 2025, 1.0, "IDR", None),
            ("kss", "usd-2025", 2025, 7.0, "USD", 7.0),
            ("kss", "no-year", None, 1.0, "IDR", None),
            ("kss", "usd-no-year", None, 3.0, "USD", 3.0),
            ("aid", "xyz", 2020, 5.0, "XYZ", None),
            ("aid", "yemen", 2020, 5.0, "YDD", None),
            ("aid", "cny-usd-stated", 2019, 70.0, "CNY", 10.0),
            ("kss", "no-amount", 2020, None, None, None),
        ]
    )
    out = add_money_equivalents(frame, tables=synthetic).set_index("activity_id")
    assert out["amount"].tolist()[:3] == [30_000.0, 28_000.0, 10.0]
    assert out.loc["idr-2020", ["amount_usd", "fx_rate", "fx_source"]].tolist() == [2.0, 15000.0, "FX test"]
    assert out.loc["idr-2019", "amount_usd"] == pytest.approx(2.0)
    assert out.loc["idr-2019", "amount_usd_constant"] == pytest.approx(2.0 * 1.05)
    assert out.loc["idr-2019", "amount_idr_constant"] == pytest.approx(28_000.0 * 0.98)
    assert out.loc["idr-2020", "price_base_year"] == 2020 and out.loc["idr-2020", "idr_price_base_year"] == 2020
    assert out.loc["usd-2019", ["amount_usd", "fx_rate", "fx_source"]].tolist() == [10.0, 1.0, STATED_USD]
    assert out.loc["cny-usd-stated", "fx_source"] == SOURCE_USD and pd.isna(out.loc["cny-usd-stated", "fx_rate"])
    # a source's own current USD (AidData) is re-based through the same US deflator
    assert out.loc["cny-usd-stated", "amount_usd_constant"] == pytest.approx(10.0 * 1.05)
    notes = out["conversion_note"].to_dict()
    assert notes["idr-2025"] == f"{NO_RATE_FOR_YEAR}; {NO_IDR_DEFLATOR_FOR_YEAR}"
    assert notes["usd-2025"] == NO_DEFLATOR_FOR_YEAR
    assert out.loc["usd-2025", "amount_usd"] == 7.0 and pd.isna(out.loc["usd-2025", "amount_usd_constant"])
    assert notes["no-year"] == NO_YEAR and notes["usd-no-year"] == NO_YEAR  # one reason, said once
    assert out.loc["usd-no-year", "amount_usd"] == 3.0  # a stated USD amount needs no rate
    assert notes["xyz"] == UNKNOWN_CURRENCY and notes["yemen"] == AMBIGUOUS_RATE
    assert pd.isna(notes["no-amount"]) and pd.isna(notes["idr-2020"]) and pd.isna(out.loc["no-amount", "fx_source"])
    assert pd.isna(out.loc["xyz", "amount_usd"]) and pd.isna(out.loc["xyz", "price_base_year"])


def test_base_year_is_configurable(synthetic):
    frame = activities([("kss", "idr-2020", 2020, 30_000.0, "IDR", None)])
    out = add_money_equivalents(frame, tables=synthetic, base_year=2019, idr_base_year=2019).iloc[0]
    assert out.price_base_year == 2019 and out.amount_usd_constant == pytest.approx(2.0 / 1.05)
    assert out.amount_idr_constant == pytest.approx(30_000.0 / 0.98)


def test_transactions_get_usd_at_their_year(synthetic):
    tx = pd.DataFrame(
        {
            "activity_id": ["a", "a", "b"],
            "year": [2019, 2020, 2020],
            "value": [14e3, 15e3, 9.0],
            "currency": ["IDR", "IDR", "EUR"],
        }
    )
    out = add_transaction_equivalents(tx, tables=synthetic)
    assert out["value_usd"].tolist() == pytest.approx([1.0, 1.0, 10.0])
    assert out["value_usd_constant"].tolist() == pytest.approx([1.05, 1.0, 10.0])
    assert out["value"].tolist() == [14e3, 15e3, 9.0]


def test_unreadable_rate_names_file_and_row(tmp_path):
    bad = tmp_path / "fx.csv"
    bad.write_text("Date,Rate,Currency,Frequency,Source,Country code,Country\n2020-12-31,abc,IDR,A,IMF,ID,Indonesia\n")
    with pytest.raises(InputError, match=r"fx.csv, row 2: rate 'abc' is not a number"):
        read_imf_rates(bad)
    bad.write_text("Year,Value\n2020,1\n")
    with pytest.raises(InputError, match="lacks the columns"):
        read_gdp_deflator(bad)


def test_embedded_extract_is_what_its_metadata_says():
    meta = json.loads((REFERENCE_DIR / "money_extract.json").read_text(encoding="utf-8"))
    sources = load_sources()
    for name, entry in meta.items():
        assert sha256_file(REFERENCE_DIR / name) == entry["sha256"], f"{name} changed without regenerating"
        upstream = entry["upstream_file"].split("/", 1)[1]
        assert sources[entry["source"]].files[upstream] == entry["upstream_sha256"]
        assert entry["commit"] in sources[entry["source"]].base_url
    offline = money.load_money_tables(None)
    assert offline.provenance["fx"]["origin"] == "embedded extract"
    # the vintage named in the issue: IDR to 2024, US deflator to 2024, Indonesia's to 2023
    assert offline.rates.loc[offline.rates["currency"] == "IDR", "year"].max() == 2024
    assert (offline.latest_year("USA"), offline.latest_year("IDN")) == (2024, 2023)


def test_build_without_fetched_files_converts_from_the_extract(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    from kss_analysis.build.pipeline import build_all

    result = build_all(data)
    acts = result.tables.activities
    register = acts[acts["source"] == "kss"]
    with_amount = register[register["amount"].notna()]
    assert with_amount["amount_usd"].notna().sum() + with_amount["conversion_note"].notna().sum() >= len(with_amount)
    assert (with_amount["amount_usd"].isna() <= with_amount["conversion_note"].notna()).all()  # no silent gaps
    provenance = read_metadata(data / "processed" / "activities.parquet")["money"]
    assert provenance["fx"]["origin"] == "embedded extract" and provenance["fx"]["commit"].startswith("89e77b6")
    assert provenance["deflator"]["commit"].startswith("fc1dbea")


# --- against the mirror -------------------------------------------------------------------

MIRROR_SOURCES = ("imf-exchangerates", "wb-inflation", "iati-ssc-activities", "aiddata-tuff-qatar-1.0")


@pytest.fixture(scope="module")
def mirror_build(tmp_path_factory):
    if MIRROR is None or not MIRROR.is_dir():
        pytest.skip("needs the offline mirror: set KSS_MIRROR=../shared/mirror")
    from kss_analysis.acquire.fetch import fetch_source
    from kss_analysis.build.pipeline import build_all

    data = tmp_path_factory.mktemp("money-build")
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    for source_id in MIRROR_SOURCES:
        report = fetch_source(load_sources()[source_id], data / "raw", mirror=MIRROR)
        assert not report.errors, report.errors
    build_all(data)
    return data / "processed"


@needs_mirror
def test_build_uses_the_fetched_files_when_present(mirror_build):
    provenance = read_metadata(mirror_build / "activities.parquet")["money"]
    pins = load_sources()
    assert provenance["fx"]["origin"] == "fetched"
    assert provenance["fx"]["sha256"] == pins["imf-exchangerates"].files["imf_exchangerates_A_ENDA_USD.csv"]
    assert provenance["deflator"]["sha256"] == pins["wb-inflation"].files["data/inflation-gdp.csv"]


def mirror_rates(currency: str, country: str) -> pd.Series:
    imf = pd.read_csv(MIRROR / "imf-exchangerates" / "imf_exchangerates_A_ENDA_USD.csv", keep_default_na=False)
    rows = imf[(imf["Currency"] == currency) & (imf["Country code"] == country)]
    return pd.Series(rows["Rate"].astype(float).to_numpy(), index=rows["Date"].str[:4].astype(int))


@needs_mirror
def test_extract_equals_the_mirror_rows():
    meta = json.loads((REFERENCE_DIR / "money_extract.json").read_text(encoding="utf-8"))
    for name, entry in meta.items():
        upstream = MIRROR / entry["upstream_file"]
        assert sha256_file(upstream) == entry["upstream_sha256"]
        full = pd.read_csv(upstream, dtype=str, keep_default_na=False)
        selection = entry["selection"]
        expected = full[full[selection["column"]].isin(selection["values"])].reset_index(drop=True)
        extract = pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(extract, expected)
        assert set(expected[selection["column"]]) == set(selection["values"])  # every selected value present


@needs_mirror
def test_register_amount_usd_recomputed_from_the_mirror(mirror_build):
    acts = pd.read_parquet(mirror_build / "activities.parquet")
    register = acts[(acts["source"] == "kss") & acts["amount_usd"].notna()]
    idr = mirror_rates("IDR", "ID")
    expected = np.where(
        register["currency"] == "USD",
        register["amount"],
        register["amount"] / register["year"].map(idr).astype(float),
    )
    assert (register["currency"].isin(["IDR", "USD"])).all()
    assert len(register) >= 50
    np.testing.assert_allclose(register["amount_usd"].to_numpy(), expected, rtol=1e-9)
    # three rows of different years in constant 2024 USD: the US deflator growth compounded by hand
    wb = pd.read_csv(MIRROR / "wb-inflation" / "data" / "inflation-gdp.csv")
    growth = wb[wb["Country Code"] == "USA"].set_index("Year")["Inflation"]
    chosen = register.set_index("activity_id").loc[["KSS-0134", "KSS-0184", "KSS-0011"]]
    assert chosen["year"].nunique() == 3
    for activity_id, row in chosen.iterrows():
        factor = float(np.prod([1 + growth[y] / 100 for y in range(int(row.year) + 1, 2025)]))
        assert row.amount_usd_constant == pytest.approx(row.amount_usd * factor, rel=1e-9), activity_id
        assert row.price_base_year == 2024


@needs_mirror
def test_unconverted_register_amounts_carry_a_note(mirror_build):
    acts = pd.read_parquet(mirror_build / "activities.parquet")
    register = acts[(acts["source"] == "kss") & acts["amount"].notna()]
    late = register[register["year"] == 2025]
    assert len(late) >= 1 and late["amount_usd_constant"].isna().all()
    assert late["conversion_note"].notna().all()
    idr_2025 = late[late["currency"] == "IDR"]
    assert idr_2025["amount_usd"].isna().all() and idr_2025["conversion_note"].str.contains(NO_RATE_FOR_YEAR).all()
    assert (register["amount_usd"].notna() | register["conversion_note"].notna()).all()


@needs_mirror
def test_iati_transactions_converted_in_several_currencies(mirror_build):
    tx = pd.read_parquet(mirror_build / "activity_transactions.parquet")
    converted = tx[tx["value_usd"].notna() & (tx["currency"] != "USD")]
    assert converted["currency"].nunique() >= 3
    for currency, country in (("EUR", "U2"), ("GBP", "GB"), ("SEK", "SE")):
        rows = converted[converted["currency"] == currency]
        assert len(rows), currency
        rates = rows["year"].map(mirror_rates(currency, country)).astype(float)
        np.testing.assert_allclose(rows["value_usd"], rows["value"] / rates, rtol=1e-9)
    missing = tx[tx["value_usd"].isna()]
    assert missing["conversion_note"].notna().all()


# --- totals, charts, figures and exports (offline build from the embedded extract) --------


@pytest.fixture(scope="module")
def offline_build(register_build):
    return register_build / "processed"


def test_aggregates_carry_constant_usd_summed_from_the_rows(offline_build):
    acts = pd.read_parquet(offline_build / "activities.parquet")
    acts = acts[acts["source"] == "kss"]
    top = acts[acts["parent_activity_id"].isna()]
    # the counting rule written out: a part's own amount counts when its parent cannot include it
    parts = acts[acts["parent_activity_id"].notna()]
    parent = acts.set_index("activity_id")
    includable = (parts["parent_activity_id"].map(parent["currency"]) == parts["currency"]) & (
        parts["parent_activity_id"].map(parent["amount"]) >= parts["amount"]
    )
    countable = pd.concat([top, parts[~includable]])
    countable = countable[countable["amount"].notna() & ~countable["amount_basis"].isin(["planned", "cumulative"])]
    by_sector = pd.read_parquet(offline_build / "programmes_by_sector_year.parquet")
    assert by_sector["amount_usd_constant"].sum() == pytest.approx(countable["amount_usd_constant"].sum(), rel=1e-12)
    assert by_sector["programmes_with_amount_usd_constant"].sum() == countable["amount_usd_constant"].notna().sum()
    assert set(by_sector["price_base_year"].dropna()) == {2024}
    by_region = pd.read_parquet(offline_build / "programmes_by_region_year.parquet")  # split by share: same total
    assert by_region["amount_usd_constant"].sum() == pytest.approx(countable["amount_usd_constant"].sum(), rel=1e-9)


def test_table_export_has_the_converted_columns(offline_build, tmp_path):
    from kss_analysis.outputs.tables.export import export_tables

    export_tables(offline_build, tmp_path, ["csv"])
    header = " | ".join(pd.read_csv(tmp_path / "programmes_by_sector_year.csv", nrows=0).columns)
    for written in ("Amount (USD, constant prices", "Programmes with a constant-USD amount", "Price base year"):
        assert written in header
    # the stated measures stay, named as stated
    assert "Amount (IDR, as stated, not converted)" in header and "Amount (USD, current prices, as stated)" in header


def test_constant_usd_chart_footer_names_the_unconverted_amounts(offline_build):
    from kss_analysis.outputs.charts.standard import (
        chart_funding_idr_constant_by_year,
        chart_funding_usd_constant_by_year,
    )
    from kss_analysis.outputs.notebooks.loaders import load_chart_tables

    tables, _ = load_chart_tables(offline_build)
    acts = tables["activities"]
    top = acts[acts["parent_activity_id"].isna() & acts["amount"].notna()]
    # a part counts its own amount when its parent states none in that currency, or a smaller one
    parts = acts[acts["parent_activity_id"].notna() & acts["amount"].notna()]
    parent_amount = acts.set_index(["activity_id", "currency"])["amount"]
    keys = list(zip(parts["parent_activity_id"], parts["currency"], strict=True))
    covered = [
        parent_amount.get(key, float("nan")) >= amount for key, amount in zip(keys, parts["amount"], strict=True)
    ]
    own = parts[[not c for c in covered]]
    both = pd.concat([top, own])
    in_scope = both[~both["amount_basis"].isin(["planned", "cumulative"])]
    missing = in_scope[in_scope["amount_usd_constant"].isna()]
    for lang in ("en", "id"):
        chart = chart_funding_usd_constant_by_year(tables, lang)
        footer = chart.figure.texts[-1].get_text().replace("\n", " ")
        assert ("not converted" if lang == "en" else "tidak dikonversi") in footer
        assert chart.filters["not_converted"] == len(missing)
        assert chart.data["amount_usd_constant"].sum() == pytest.approx(in_scope["amount_usd_constant"].sum())
        assert "2024" in chart.figure._suptitle.get_text()
    en = chart_funding_usd_constant_by_year(tables, "en").figure.texts[-1].get_text().replace("\n", " ")
    no_rate = missing["conversion_note"].str.startswith(NO_RATE_FOR_YEAR)
    years = ", ".join(str(y) for y in sorted(set(missing.loc[no_rate, "year"])))
    expected = "1 amount" if no_rate.sum() == 1 else f"{no_rate.sum()} amounts"
    assert f"{expected} from {years} not converted: no annual rate yet." in en
    idr = chart_funding_idr_constant_by_year(tables, "en")
    assert idr.filters["price_base_year"] == 2023 and "no Indonesian deflator" in idr.figure.texts[-1].get_text()


def test_figure_series_keeps_whole_years_and_labels_plans():
    figures = pd.DataFrame(
        {  # synthetic figures in the register's layout
            "figure_id": ["F1", "F2", "F3", "F4", "F5"],
            "indicator": [
                "grants_disbursed",
                "grants_disbursed",
                "grants_target",
                "grants_disbursed",
                "grants_disbursed",
            ],
            "breakdown_dimension": ["total", "total", "total", "region", "total"],
            "period_type": ["period"] * 5,
            "period_start": ["2020", "2023-01", "2024", "2020", "2019"],
            "period_end": ["2020", "2023-10", "2024", "2020", "2021"],
            "unit": ["IDR billion"] * 5,
            "value": [29.41, 140.45, 413.28, 5.0, 10.0],
        }
    )
    series = figure_series(figures, ("grants_disbursed", "grants_target"), range(2019, 2025))
    assert series["figure_id"].tolist() == ["F1", "F3"]  # part-year, breakdown and multi-year rows left out
    assert series["basis"].tolist() == ["disbursed", "plan"]
    offline = money.load_money_tables(None)
    assert series.loc[0, "amount_usd"] == pytest.approx(29.41e9 / offline.rate("IDR", 2020))


def test_build_summary_counts_unconverted_amounts(tmp_path, capsys):
    from kss_analysis import cli

    shutil.copytree(ROOT / "data" / "raw" / "kss", tmp_path / "raw" / "kss")
    assert cli.main(["build", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    acts = pd.read_parquet(tmp_path / "processed" / "activities.parquet")
    no_rate = int(acts["conversion_note"].fillna("").str.contains(NO_RATE_FOR_YEAR).sum())
    assert no_rate >= 1
    assert f"kss: {no_rate} {NO_RATE_FOR_YEAR}" in out
