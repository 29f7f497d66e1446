"""The API carries what the charts count: every register chart's numbers, again from
``kss.programmes()`` and ``kss.partners()`` with plain pandas.

The embedded register is built into a temporary folder and its charts exported; each chart
CSV is then recomputed from the API frames (no package function counts anything here) and
compared number by number. Every chart spec is regenerated; a new chart must be added to
FROM_THE_API or COMPARISONS_FROM_THE_API (or, with its reason, to NOT_FROM_THE_API). The
comparison charts (``COMPARISON_SPECS``: region_shares_by_source, gcof_usd_by_year) are drawn
only when the other sources are fetched: they are regenerated, with ``sources=`` and
``providers='all'``, from the build of the offline mirror, and skipped without KSS_MIRROR.

Money: ``amount_counted`` is the amount totals use. A part whose own amount counts (its
parent states no amount in that currency, or a smaller one) is not a programme: it comes
with ``counted_only=False``, and the amount charts are sums of ``amount_counted`` over those
rows; the constant-price funding charts (build/money.py ``funding_by_year``) add up the same
rows, in constant prices.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import kss_analysis as kss
from kss_analysis.build.pipeline import build_all
from kss_analysis.outputs.charts.caveats import is_open_intake
from kss_analysis.outputs.charts.export import export_charts
from kss_analysis.outputs.charts.standard import COMPARISON_SPECS, REGISTER_SPECS
from tests.conftest import needs_mirror
from tests.paths import ROOT

NOT_STATED = "not_stated"
# amount_basis -> the stacked segment of an amount chart (missing basis: stated), as the charts' legend
SEGMENTS = {
    "stated": "stated",
    "sum_of_stated": "stated",
    "reported": "stated",
    "approximate": "approximate_or_unverified",
    "unverified": "approximate_or_unverified",
    "in_kind": "in_kind",
}
# Register charts whose numbers the API cannot give, with why (none today: add a chart here only
# with a reason, and better give the API what it lacks).
NOT_FROM_THE_API: dict[str, str] = {}


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> tuple[Path, Path]:
    data = tmp_path_factory.mktemp("money")
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    build_all(data)
    out = data / "charts"
    export_charts(data / "processed", out, ["en"], ["svg"], echo=lambda _: None)
    return data / "processed", out / "en"


@pytest.fixture(scope="module")
def api(build) -> dict[str, pd.DataFrame]:
    processed, _ = build
    return {
        "programmes": kss.programmes(processed=processed, lang="en"),
        "rows": kss.programmes(processed=processed, lang="en", counted_only=False),
        "partners": kss.partners(processed=processed, lang="en"),
        "organisations": kss.organisations(processed=processed, lang="en"),
        "official": kss.official_counts(processed=processed),
    }


def period(year: pd.Series) -> pd.Series:
    start = year.astype(int) - year.astype(int) % 5
    return start.astype(str) + "-" + (start + 4).astype(str)


def count(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Distinct programmes per key (undated rows kept: totals count them)."""
    return frame.groupby(keys, dropna=False)["activity_id"].nunique()


def by_dimension(column: str, *, dated: bool = False, per_period: bool = False) -> Callable:
    def numbers(api: dict[str, pd.DataFrame]) -> pd.Series:
        frame = api["partners"] if column == "region" else api["programmes"]
        frame = frame.assign(**{column: frame[column].fillna(NOT_STATED)})
        if dated or per_period:
            frame = frame[frame["year"].notna()]
        if per_period:
            return count(frame.assign(period=period(frame["year"])), ["period", column])
        return count(frame, [column])

    return numbers


def programmes_by_year(api):
    frame = api["programmes"].dropna(subset=["year"])
    return count(
        frame.assign(cooperation_type=frame["cooperation_type"].fillna(NOT_STATED)), ["year", "cooperation_type"]
    )


def implementer_types(api):
    return count(api["programmes"].dropna(subset=["implementer_type"]), ["implementer_type"])


def focus_regions(api):
    frame = api["partners"]
    return count(frame[frame["region"].isin(["pacific", "africa"]) & frame["year"].notna()], ["year", "region"])


def participants(api):
    frame = api["programmes"]
    frame = frame[frame["participants"].notna() & (frame["participants_qualifier"] != "cumulative")]
    frame = frame[frame["year"].notna()]
    series = is_open_intake(frame).map({True: "open_intake", False: "partner_programmes"})
    return frame.assign(series=series).groupby(["year", "series"])["participants"].sum().astype(float)


def amount(currency: str) -> Callable:
    def numbers(api):
        rows = api["rows"]
        rows = rows[(rows["currency"] == currency) & rows["amount_counted"].notna() & rows["year"].notna()]
        segment = rows["amount_basis"].map(SEGMENTS).fillna("stated")
        return rows.assign(amount_segment=segment).groupby(["year", "amount_segment"])["amount_counted"].sum()

    return numbers


def constant_funding(value: str, currency: str | None) -> Callable:
    def numbers(api):
        rows = api["rows"]  # every amount the counting rule counts, parts' own amounts included
        rows = rows[rows["amount_counted"].notna() & rows[value].notna() & rows["year"].notna()]
        if currency:
            rows = rows[rows["currency"] == currency]
        return rows.groupby(["year", "amount_basis"])[value].sum()

    return numbers


def partner_countries(api):
    return count(api["partners"].dropna(subset=["partner_iso3"]), ["partner_iso3"])


def partner_countries_by_period(api):
    frame = api["partners"].dropna(subset=["partner_iso3", "year"])
    return count(frame.assign(period=period(frame["year"])), ["period", "partner_iso3"])


def triangular_partners(api):
    """Counted triangular programmes per organisation named (a name the table does not know: as written)."""
    named = api["organisations"]
    named = named[(named["role"] == "triangular_partner") & (named["cooperation_type"] == "triangular")]
    named = named[named["counted"].astype(bool)]
    return count(named.assign(organisation=named["organisation"].fillna(named["name_as_written"])), ["organisation"])


def register_coverage(api):
    """Register programmes (counted, with a year) in each official count's years, per official count."""
    years = api["programmes"]["year"].dropna().astype(int)
    official = api["official"]
    register = [
        int(years.between(a, b).sum()) for a, b in zip(official["first_year"], official["last_year"], strict=True)
    ]
    return pd.Series(register, index=pd.Index(official["figure_id"], name="figure_id"), dtype=float)


def coverage_official(api):
    return api["official"].set_index("figure_id")["official_programmes"].astype(float)


def coverage_ratio(api):
    return (register_coverage(api) / coverage_official(api)).round(4)


# chart -> (its CSV's key columns, value column, the numbers from the API)
FROM_THE_API: dict[str, tuple[list[str], str, Callable]] = {
    "programmes_by_year": (["year", "cooperation_type"], "programmes", programmes_by_year),
    "programmes_by_region": (["region"], "programmes", by_dimension("region")),
    "region_by_period": (["period", "region"], "programmes", by_dimension("region", per_period=True)),
    "programmes_by_sector": (["sector_theme"], "programmes", by_dimension("sector_theme")),
    "sector_by_period": (["period", "sector_theme"], "programmes", by_dimension("sector_theme", per_period=True)),
    "programmes_by_modality": (["modality"], "programmes", by_dimension("modality")),
    "modality_by_period": (["period", "modality"], "programmes", by_dimension("modality", per_period=True)),
    "programmes_by_implementer_type": (["implementer_type"], "programmes", implementer_types),
    "participants_by_year": (["year", "series"], "participants", participants),
    "amount_idr_by_year": (["year", "amount_segment"], "amount_idr", amount("IDR")),
    "amount_usd_by_year": (["year", "amount_segment"], "amount_usd", amount("USD")),
    "top_partner_countries": (["recipient_iso3"], "programmes", partner_countries),
    "focus_regions_by_year": (["year", "region"], "programmes", focus_regions),
    "funding_usd_constant_by_year": (
        ["year", "amount_basis"],
        "amount_usd_constant",
        constant_funding("amount_usd_constant", None),
    ),
    "funding_idr_constant_by_year": (
        ["year", "amount_basis"],
        "amount_idr_constant",
        constant_funding("amount_idr_constant", "IDR"),
    ),
    "partner_map": (["iso3"], "value", partner_countries),
    "partner_map_by_period": (["period", "iso3"], "value", partner_countries_by_period),
    "triangular_partners": (["triangular_partner"], "programmes", triangular_partners),
    "register_coverage": (["figure_id"], "register_programmes", register_coverage),
}
# Further columns of a chart, each again from the API: chart -> [(value column, numbers)].
MORE_COLUMNS: dict[str, list[tuple[str, Callable]]] = {
    "register_coverage": [("official_programmes", coverage_official), ("ratio", coverage_ratio)],
}


def _key(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _as_dict(series: pd.Series) -> dict[tuple, float]:
    return {
        tuple(_key(k) for k in (key if isinstance(key, tuple) else (key,))): float(v)
        for key, v in series.items()
        if pd.notna(v) and v != 0
    }


@pytest.mark.parametrize("name", sorted(FROM_THE_API))
def test_a_charts_numbers_come_again_from_the_api(build, api, name):
    _, charts = build
    keys, value, numbers = FROM_THE_API[name]
    chart = pd.read_csv(charts / f"{name}.csv", keep_default_na=False, na_values=[""])
    if "no_data" in chart.columns:  # years inside the range with no figure: empty, never zero
        gaps = chart[chart["no_data"].astype(bool)]
        assert gaps[value].isna().all()
        chart = chart[~chart["no_data"].astype(bool)]
    if "also_tied" in chart.columns:  # a top-n chart's "and K more" line
        chart = chart[chart[keys[0]].notna()]
    drawn = _as_dict(chart.groupby(keys, dropna=False)[value].sum())
    expected = _as_dict(numbers(api))
    assert drawn, name
    if name == "top_partner_countries":  # the first countries only: theirs equal, the rest no more
        cut = min(drawn.values())
        assert all(v <= cut for k, v in expected.items() if k not in drawn)
        expected = {k: v for k, v in expected.items() if k in drawn}
    assert drawn.keys() == expected.keys()
    assert drawn == pytest.approx(expected, rel=1e-9)
    for column, more in MORE_COLUMNS.get(name, []):
        assert _as_dict(chart.groupby(keys)[column].sum()) == pytest.approx(_as_dict(more(api)), rel=1e-9), column


def test_the_2024_rupiah_of_the_api_is_the_charts(build, api):
    _, charts = build
    chart = pd.read_csv(charts / "amount_idr_by_year.csv")
    drawn = chart.loc[chart["year"] == 2024, "amount_idr"].sum()
    rows = api["rows"]
    summed = rows.loc[(rows["year"] == 2024) & (rows["currency"] == "IDR"), "amount_counted"].sum()
    assert summed == pytest.approx(drawn, rel=1e-12)
    counted = api["programmes"]
    assert counted.loc[(counted["year"] == 2024) & (counted["currency"] == "IDR"), "amount_counted"].sum() < drawn
    parts = rows[~rows["counted"] & rows["amount_counted"].notna()]
    assert len(parts) and parts["parent_activity_id"].notna().all()  # the parts whose own amount counts


def test_partners_share_out_the_counted_amount(api):
    partners, programmes = api["partners"], api["programmes"]
    shared = partners.groupby(["currency"])["amount_share"].sum()
    assert shared.to_dict() == pytest.approx(programmes.groupby("currency")["amount_counted"].sum().to_dict())
    money = ["amount_counted", "amount_usd", "amount_usd_constant", "price_base_year"]
    merged = partners.merge(programmes[["activity_id", *money]], on="activity_id", suffixes=("", "_programme"))
    for column in money:
        pd.testing.assert_series_equal(
            merged[column], merged[f"{column}_programme"], check_names=False, check_dtype=False
        )


# fx_source of a USD figure the source itself states (in USD, or beside its own currency)
SOURCE_STATES_USD = ["stated in USD", "source's own current-USD figure"]


def region_shares(processed: Path, sources: list[str]) -> pd.DataFrame:
    """Each source's counted records split between their partners by ``share``, summed per region,
    in percent of the source's counted records (a record naming no partner counts in no region)."""
    query = {"sources": sources, "providers": "all", "processed": processed, "lang": "en"}
    records = kss.programmes(**query).groupby("source").size()
    rows = kss.partners(**query)
    rows = rows.assign(source_id=rows["source"], region=rows["region"].fillna(NOT_STATED))
    shares = rows.groupby(["source_id", "region"])["share"].sum()
    per_source = records.reindex(shares.index.get_level_values("source_id")).to_numpy()
    return (100 * shares / per_source).round(1).to_frame("share_pct")


def source_usd_by_year(processed: Path, sources: list[str]) -> pd.DataFrame:
    """Counted amounts in the USD the source states (no converted figure), summed per year."""
    query = {"providers": "all", "counted_only": False, "with_conversion": True, "processed": processed}
    rows = kss.programmes(sources=sources, **query)
    rows = rows[rows["amount_counted"].notna() & rows["fx_source"].isin(SOURCE_STATES_USD) & rows["year"].notna()]
    return rows.groupby("year").agg(amount_usd=("amount_usd", "sum"), records_with_usd=("activity_id", "nunique"))


# comparison chart -> (its CSV's key columns, the numbers from the API for its sources: one column per CSV value)
COMPARISONS_FROM_THE_API: dict[str, tuple[list[str], Callable[[Path, list[str]], pd.DataFrame]]] = {
    "region_shares_by_source": (["source_id", "region"], region_shares),
    "gcof_usd_by_year": (["year"], source_usd_by_year),
}
COMPARED = {spec.name: spec for spec in COMPARISON_SPECS}


def test_every_chart_is_regenerated_from_the_api_or_says_why_not():
    names = {spec.name for spec in (*REGISTER_SPECS, *COMPARISON_SPECS)}
    assert names == set(FROM_THE_API) | set(COMPARISONS_FROM_THE_API) | set(NOT_FROM_THE_API)
    assert not set(FROM_THE_API) & set(NOT_FROM_THE_API)
    assert not set(COMPARISONS_FROM_THE_API) & (set(FROM_THE_API) | set(NOT_FROM_THE_API))
    assert set(COMPARISONS_FROM_THE_API) == set(COMPARED)


@pytest.fixture(scope="module")
def comparison_charts(built_data, tmp_path_factory) -> tuple[Path, Path]:
    """The mirror build (every fetched source) and its comparison charts, exported in English."""
    processed = built_data / "processed"
    out = tmp_path_factory.mktemp("comparison-charts")
    export_charts(processed, out, ["en"], ["svg"], names=sorted(COMPARED), echo=lambda _: None)
    return processed, out / "en"


@needs_mirror
@pytest.mark.parametrize("name", sorted(COMPARISONS_FROM_THE_API))
def test_a_comparison_charts_numbers_come_again_from_the_api(comparison_charts, name):
    processed, charts = comparison_charts
    keys, numbers = COMPARISONS_FROM_THE_API[name]
    sources = list(COMPARED[name].needs_sources)
    path = charts / f"{name}.csv"
    assert path.exists(), f"{name} not drawn: the mirror build lacks one of {', '.join(sources)}"
    chart = pd.read_csv(path, keep_default_na=False, na_values=[""])
    expected = numbers(processed, sources)
    assert list(expected.columns) == [c for c in chart.columns if c in expected.columns]
    for column in expected.columns:
        drawn = _as_dict(chart.groupby(keys)[column].sum())
        again = _as_dict(expected[column])
        assert drawn, (name, column)
        assert drawn.keys() == again.keys(), (name, column)
        assert drawn == pytest.approx(again, rel=1e-9), (name, column)


@needs_mirror
def test_each_sources_region_shares_from_the_api_add_up_to_its_records(comparison_charts):
    processed, _ = comparison_charts
    sources = list(COMPARED["region_shares_by_source"].needs_sources)
    shares = region_shares(processed, sources)["share_pct"].groupby(level="source_id").agg(["sum", "size"])
    assert set(shares.index) == set(sources)
    # every record is split wholly between its regions (not_stated included); each share rounded to 0.1
    assert ((shares["sum"] - 100).abs() <= 0.05 * shares["size"] + 1e-9).all(), shares


@needs_mirror
def test_the_api_says_the_gcof_usd_is_aiddatas_own(comparison_charts):
    processed, _ = comparison_charts
    query = {"providers": "all", "counted_only": False, "with_conversion": True, "processed": processed}
    rows = kss.programmes(sources="aiddata-gcof-china-1.0", **query)
    usd = rows[rows["amount_usd"].notna()]
    assert usd["fx_source"].isin(SOURCE_STATES_USD).all()  # AidData's usd_current, never an IMF conversion
    stated = usd["fx_source"] == "stated in USD"
    assert stated.any() and (~stated).any()
    assert usd.loc[stated, "currency"].eq("USD").all() and usd.loc[~stated, "currency"].ne("USD").all()
    assert rows.loc[rows["amount_usd"].isna(), "fx_source"].isna().all()


def test_the_api_asks_for_sources_the_build_holds(build):
    processed, _ = build
    with pytest.raises(ValueError, match=r"^sources not in this build: aiddata-gcof-china-1\.0 \(built: kss;"):
        kss.programmes(sources="aiddata-gcof-china-1.0", processed=processed)
    kss_rows = kss.programmes(sources="kss", processed=processed, lang="en")
    assert kss_rows["activity_id"].tolist() == kss.programmes(processed=processed, lang="en")["activity_id"].tolist()


def test_the_api_says_where_each_usd_amount_comes_from_when_asked(build, api):
    processed, _ = build
    conversion = ["fx_rate", "fx_source", "deflator_source", "conversion_note"]
    rows = kss.programmes(processed=processed, lang="en", counted_only=False, with_conversion=True)
    assert not set(conversion) & set(api["rows"].columns)  # the default frame (and the table exports) as before
    pd.testing.assert_frame_equal(rows.drop(columns=conversion), api["rows"])
    usd = rows[rows["amount_usd"].notna()]
    assert usd.loc[usd["currency"] == "USD", "fx_source"].eq("stated in USD").all()
    converted = usd.loc[usd["currency"] == "IDR"]
    assert len(converted) and converted["fx_source"].str.startswith("IMF IFS ENDA annual average").all()
    assert (converted["amount"] / converted["fx_rate"]).to_numpy() == pytest.approx(converted["amount_usd"].to_numpy())
    assert rows.loc[rows["amount_usd"].isna(), "fx_source"].isna().all()
    partners = kss.partners(processed=processed, lang="en", with_conversion=True)
    assert set(conversion) <= set(partners.columns)
