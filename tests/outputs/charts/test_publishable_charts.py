"""Charts a policy writer can publish as they are (issue 12): labels that never collide,
'no data' that is not zero, caveats and sources that travel with the chart, top-N without
hidden ties, one counting rule for charts and notebooks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from kss_analysis.build.pipeline import build_all
from kss_analysis.core import io
from kss_analysis.outputs import comparison
from kss_analysis.outputs.charts import caveats
from kss_analysis.outputs.charts import style as charts
from kss_analysis.outputs.charts.export import export_charts, load_chart_tables
from kss_analysis.outputs.charts.layout import fit_x_labels, overlapping_labels, tick_label_boxes
from kss_analysis.outputs.charts.standard import REGISTER_SPECS, SPECS, STANDARD_SPECS, draw, period_of, top_with_ties
from tests.paths import ROOT

TIME_SPECS = [s for s in STANDARD_SPECS if s.shape in ("by_period", "by_year", "yearly")]
EXPORT_DPI = {"png": 200, "svg": 72, "pdf": 72}  # savefig.dpi of the house style; vector formats in points


@pytest.fixture(scope="module")
def processed(built_data) -> Path:
    return built_data / "processed"  # the session build (root conftest.py)


def _register_activities(processed: Path) -> pd.DataFrame:
    """The KSS registers' rows (the standard charts' scope; other sources are there with the mirror)."""
    acts = io.read_table(processed / "activities.parquet")
    return acts[acts["source"].str.match(r"^(kss$|register:)")]


@pytest.fixture(scope="module")
def tables(processed):
    return load_chart_tables(processed)[0]


@pytest.fixture(scope="module")
def drawn(tables):
    """draw(SPECS[name], tables, lang), drawn once per module: the tests below read the charts and
    only the overlap test sets their resolution, which changes no label, datum or note."""
    cache = {}

    def chart(name: str, lang: str):
        if (name, lang) not in cache:
            cache[name, lang] = draw(SPECS[name], tables, lang)
        return cache[name, lang]

    yield chart
    for output in cache.values():
        plt.close(output.figure)


# --- 1. layout ---------------------------------------------------------------------------------


# Indonesian labels in the fast suite, English ones too in the full suite (about 0.5 s a chart).
@pytest.mark.parametrize("lang", [pytest.param("en", marks=pytest.mark.slow), "id"])
@pytest.mark.parametrize("spec", TIME_SPECS, ids=lambda s: s.name)
def test_rendered_x_labels_never_overlap_at_any_export_size(drawn, spec, lang):
    chart = drawn(spec.name, lang)
    with plt.style.context(charts.STYLE):
        assert tick_label_boxes(chart.figure), "no tick labels measured"  # they are there at every resolution
        for fmt, dpi in EXPORT_DPI.items():
            chart.figure.set_dpi(dpi)
            assert overlapping_labels(chart.figure) == [], f"{spec.name} {lang} {fmt}: tick labels overlap"


def _crowded_periods(width: float) -> plt.Figure:
    frame = pd.DataFrame({"period": [period_of(y) for y in range(1970, 2030, 5)], "region": "asia", "programmes": 3})
    footer = charts.Footer("synthetic", "programmes")
    fig = charts.plot_stacked_by_period(
        frame, period="period", category="region", value="programmes", kind="region", lang="id",
        titles=charts.Titles("t", "s", footer), y_label="Program", partial_year=2025,
    )  # fmt: skip
    fig.set_size_inches(width, 4.8)
    return fig


def test_the_overlap_measure_sees_crowded_labels_and_fitting_clears_them():
    with plt.style.context(charts.STYLE):
        fig = _crowded_periods(4.5)  # 12 two-line periods on a 4.5-inch figure (synthetic)
        for ax in fig.axes:
            ax.tick_params(axis="x", labelrotation=0, labelsize=9)
        assert overlapping_labels(fig), "the measure must find overlapping labels"
        fit_x_labels(fig)
        for dpi in EXPORT_DPI.values():
            fig.set_dpi(dpi)
            assert overlapping_labels(fig) == []


def test_periods_are_two_line_labels_and_the_partial_last_one_says_to_date(drawn):
    for lang, to_date in (("en", "to date"), ("id", "s.d. kini")):
        chart = drawn("region_by_period", lang)
        labels = [t.get_text() for t in chart.figure.axes[0].get_xticklabels()]
        assert "2015–\n2019" in labels
        assert labels[-1] == f"2025–\n{to_date}"
        assert any(line.startswith(f"2025: {to_date}") for line in chart.meta["notes"])


def test_partial_year_follows_the_newest_date():
    frame = pd.DataFrame({"start_date": ["2024-03-01", "2024-12-31"], "year": [2024, 2024]})
    assert caveats.partial_year(frame) is None  # data to the last day of the year
    assert caveats.partial_year(frame.assign(start_date=["2024-03-01", "2024-06-30"])) == 2024
    assert caveats.partial_year(frame.assign(start_date=[None, None])) is None  # only the year: not known


def test_by_period_charts_show_only_periods_with_data(tables, drawn):
    acts = tables["activities"]
    dated_years = acts.loc[acts["parent_activity_id"].isna() & acts["year"].notna(), "year"].astype(int)
    for name in ("region_by_period", "sector_by_period", "modality_by_period"):
        chart = drawn(name, "en")
        assert set(chart.data["period"]) <= {period_of(y) for y in dated_years}
        assert (chart.data.groupby("period")["programmes"].sum() > 0).all()
        assert len(chart.figure.axes[0].get_xticks()) == chart.data["period"].nunique()


# --- 2. no data is not zero ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "stated"),
    [("participants_by_year", "participants", None), ("amount_idr_by_year", "amount_idr", "IDR")],
)
def test_years_without_a_stated_figure_are_no_data_not_zero(processed, tmp_path, name, value, stated):
    export_charts(processed, tmp_path, ["en"], ["svg"], names=[name])
    csv = pd.read_csv(tmp_path / "en" / f"{name}.csv")
    acts = _register_activities(processed)
    acts = acts[acts["parent_activity_id"].isna()]  # parts count through their parent
    if stated is None:
        having = acts[acts["participants"].notna() & (acts["participants_qualifier"] != "cumulative")]
    else:
        having = acts[(acts["currency"] == stated) & ~acts["amount_basis"].isin(["planned", "cumulative"])]
    years_with = set(having["year"].dropna().astype(int))
    gaps = csv[csv["no_data"]]
    assert len(gaps) > 0
    assert gaps[value].isna().all()
    assert not (set(gaps["year"]) & years_with)
    assert set(range(csv["year"].min(), csv["year"].max() + 1)) - years_with == set(gaps["year"])
    assert not (csv[value] == 0).any(), "a zero where no programme states the figure"
    svg = (tmp_path / "en" / f"{name}.svg").read_text()
    assert "No data" in svg


# --- 3. caveats and open intakes ------------------------------------------------------------------


def test_participants_footer_counts_programmes_and_open_intakes(tables, drawn):
    chart = drawn("participants_by_year", "en")
    acts = tables["activities"]
    start = acts["start_date"].astype("string")
    plan = (acts["amount_basis"] == "planned") & acts["participants"].isna() & (start.isna() | (start.str.len() <= 4))
    top = acts[acts["parent_activity_id"].isna() & ~plan.astype(bool)]
    stating = top[top["participants"].notna() & (top["participants_qualifier"] != "cumulative") & top["year"].notna()]
    open_rows = stating[stating["title"].str.contains("Darmasiswa|BSBI", case=False)]
    darmasiswa = stating[stating["title"].str.contains("Darmasiswa")]
    assert int(darmasiswa["participants"].sum()) == 3267  # the intakes named in issue 12
    expected = (
        f"{len(stating)} of {len(top)} programmes state participants; "
        f"{int(open_rows['participants'].sum()):,} participants are in {len(open_rows)} open scholarship intakes"
    )
    assert any(line.startswith(expected) for line in chart.meta["notes"])
    by_series = chart.data.groupby("series")["participants"].sum()
    assert by_series["open_intake"] == open_rows["participants"].sum()
    assert by_series.sum() == stating["participants"].sum()
    legend = [t.get_text() for t in chart.figure.axes[0].get_legend().get_texts()]
    assert {"Open scholarship intakes", "Other programmes", "No data"} <= set(legend)


def test_every_register_chart_carries_the_coverage_caveat(drawn):
    for spec in STANDARD_SPECS:
        chart = drawn(spec.name, "id")
        assert any("jumlah mencerminkan sumber publik, bukan seluruh kegiatan KSS" in n for n in chart.meta["notes"])


def test_thin_years_are_found_from_the_counts():
    years = [1990, 1995, 2008, 2008, 2008, 2009, 2009, 2009, 2010, 2010, 2010]  # synthetic
    frame = pd.DataFrame({"year": years, "parent_activity_id": None})
    assert caveats.thin_before(frame) == (2008, 2, 1990, 1995)
    assert caveats.thin_before(frame[frame["year"] >= 2008]) is None


# --- 4. top-N without hidden ties ----------------------------------------------------------------


def test_a_top_n_keeps_a_small_tie_whole_and_names_a_large_one():
    base = pd.DataFrame({"code": list("abcde"), "programmes": [9, 8, 7, 7, 7]})  # synthetic
    kept = top_with_ties(base, "programmes", 3)
    assert list(kept["code"]) == list("abcde")
    assert kept.attrs["ties_shown"] == (3, 7)
    assert list(kept["tied_at_cut"]) == [False, False, True, True, True]
    many = pd.DataFrame({"code": [f"c{i:02d}" for i in range(12)], "programmes": [9, 8] + [1] * 10})
    cut = top_with_ties(many, "programmes", 3)
    assert list(cut["code"].iloc[:2]) == ["c00", "c01"]
    assert cut["code"].iloc[-1] is None or pd.isna(cut["code"].iloc[-1])
    assert cut["also_tied"].iloc[-1] == 10 and cut["programmes"].iloc[-1] == 1
    assert cut.attrs["more_tied"] == (10, 1)


def test_top_partner_countries_cuts_through_no_tie(processed, tmp_path):
    export_charts(processed, tmp_path, ["en"], [], names=["top_partner_countries"])  # the CSV only
    csv = pd.read_csv(tmp_path / "en" / "top_partner_countries.csv")
    acts = _register_activities(processed)
    recips = io.read_table(processed / "activity_recipients.parquet")
    counted_ids = set(acts.loc[acts["counted"] & acts["parent_activity_id"].isna(), "activity_id"])
    counts = recips[recips["activity_id"].isin(counted_ids)].groupby("recipient_iso3")["activity_id"].nunique()
    shown = csv.dropna(subset=["recipient_iso3"])
    lowest = shown["programmes"].min()
    assert set(counts[counts >= lowest].index) <= set(shown["recipient_iso3"]) | set(counts[counts == lowest].index)
    assert len(shown) >= 15
    if "also_tied" not in csv.columns or csv["also_tied"].isna().all():
        assert set(counts[counts >= lowest].index) == set(shown["recipient_iso3"])


# --- 5. sources name the actual inputs --------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(
            ["programmes_by_sector", "funding_usd_constant_by_year", "register_coverage", "partner_map"],
            id="one-chart-of-each-kind",
        ),
        pytest.param(None, id="every-chart", marks=pytest.mark.slow),  # about 10 s
    ],
)
def test_a_user_register_is_named_in_every_chart_and_sidecar(register_build, tmp_path, names):
    before = tmp_path / "before"
    export_charts(register_build / "processed", before, ["en"], ["svg"], names)  # the embedded register alone
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    (data / "raw" / "registers").mkdir()
    (data / "raw" / "registers" / "daftar_kami.csv").write_text(  # synthetic register
        "judul,tahun,negara_mitra,peserta\nPelatihan irigasi,2021,Fiji,30\nPelatihan benih,2022,Kenya,25\n",
        encoding="utf-8",
    )
    build_all(data)
    after = tmp_path / "after"
    export_charts(data / "processed", after, ["en"], ["svg"], names)
    sidecars = sorted((after / "en").glob("*.json"))
    # every chart: the standard specs, constant USD and IDR, coverage, two maps
    assert len(sidecars) == (len(REGISTER_SPECS) if names is None else len(names))
    for path in sidecars:
        old, new = json.loads((before / "en" / path.name).read_text()), json.loads(path.read_text())
        assert [s["id"] for s in old["sources"]] == ["kss"]
        assert [s.get("file") for s in new["sources"]] == [None, "daftar_kami.csv"]
        assert {"title", "subtitle", "units", "notes", "licence", "data_date", "package_version"} <= set(new)
        svg = path.with_suffix(".svg").read_text()
        assert "your register daftar_kami.csv" in svg
        assert "daftar_kami.csv" not in (before / "en" / path.with_suffix(".svg").name).read_text()


def test_charts_of_an_ingested_file_name_that_file(tmp_path):
    from kss_analysis.cli import main

    register = tmp_path / "mitra_2024.csv"  # synthetic register
    register.write_text("judul,tahun,negara_mitra\nPelatihan irigasi,2024,Fiji\n", encoding="utf-8")
    assert main(["ingest", str(register), "--as", "register", "--out", str(tmp_path / "out")]) == 0
    export_charts(tmp_path / "out", tmp_path / "charts", ["id"], ["svg"], names=["programmes_by_year"])
    sidecar = json.loads((tmp_path / "charts" / "id" / "programmes_by_year.json").read_text())
    assert [s["file"] for s in sidecar["sources"]] == ["mitra_2024.csv"]
    assert "register Anda mitra_2024.csv" in (tmp_path / "charts" / "id" / "programmes_by_year.svg").read_text()


def test_fetched_sources_are_cited_by_their_registry_citation():
    frame = pd.DataFrame({"source": ["aiddata-gcof-china-1.0"], "source_file": ["aiddata-gcof-china-1.0/x.zip"]})
    (entry,) = caveats.chart_sources(frame, "en")
    assert entry["name"].startswith("Dreher, A., Fuchs, A.")
    assert entry["licence"] == "AidData research release; attribution required"


# --- 6. one counting rule -----------------------------------------------------------------------------


def test_notebook_05_register_usd_total_equals_the_chart_csv(processed, tmp_path):
    # the calls notebook 05 makes (cell 12) and the exported chart CSV
    from kss_analysis.outputs.notebooks.loaders import load_chart_tables as notebook_tables

    all_tables, _ = notebook_tables(registers_only=False)
    kss_usd = comparison.usd_by_year(all_tables["activities"], "kss")
    export_charts(processed, tmp_path, ["en"], [], names=["amount_usd_by_year"])  # the CSV only
    csv = pd.read_csv(tmp_path / "en" / "amount_usd_by_year.csv")
    assert kss_usd["amount_usd"].sum() == pytest.approx(csv["amount_usd"].sum())


def test_amount_segments_show_the_basis(tables, drawn):
    chart = drawn("amount_usd_by_year", "en")
    segments = chart.data.dropna(subset=["amount_usd"]).groupby("amount_segment")["amount_usd"].sum()
    acts = tables["activities"]
    usd = acts[(acts["currency"] == "USD") & acts["parent_activity_id"].isna()]
    assert segments["in_kind"] == usd.loc[usd["amount_basis"] == "in_kind", "amount"].sum()
    assert (
        segments["approximate_or_unverified"]
        == usd.loc[usd["amount_basis"].isin(["approximate", "unverified"]), "amount"].sum()
    )
    legend = [t.get_text() for t in chart.figure.axes[0].get_legend().get_texts()]
    assert "In kind (goods and services)" in legend and "Approximate or unverified" in legend


# --- 8. Indonesian wording ----------------------------------------------------------------------------


def test_indonesian_chart_text_uses_the_reviewed_wording(drawn):
    assert charts.text("measure", "id") == "Satuan"
    assert "rencana alokasi" in charts.text("basis_amounts", "id")
    assert charts.text("amount_usd", "id") == "USD (harga berlaku)"
    assert "harga berlaku" in charts.text("measure_usd", "id")
    chart = drawn("triangular_partners", "id")
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert "Norwegia" in labels and "Norway" not in labels
    footer = charts.Footer("a", "b", ("c",), "d", ("e",)).lines("id")
    assert all(line.endswith(".") for line in footer)


def test_a_parts_own_amount_counts_only_when_its_parent_cannot_include_it():
    from kss_analysis.rules.counting import amount_rows, is_counted

    frame = pd.DataFrame(  # synthetic: parents P1-P3 and their parts, plus a plan
        {
            "activity_id": ["P1", "C1", "P2", "C2", "P3", "C3", "PLAN"],
            "parent_activity_id": [None, "P1", None, "P2", None, "P3", None],
            "amount": [5e9, 2e9, 1e9, 2.7e9, 1e6, 3e9, 9e9],
            "currency": ["IDR", "IDR", "IDR", "IDR", "USD", "IDR", "IDR"],
            "amount_basis": ["stated", "stated", "unverified", "stated", "stated", "stated", "planned"],
            "participants": [None] * 7,
            "participants_qualifier": [None] * 7,
            "start_date": ["2023-01-02", None, "2023", "2024-10", None, None, "2024"],
        }
    )
    rows = amount_rows(frame, "IDR")
    # C1 fits inside P1's 5e9; C2 (2.7e9) is larger than P2's 1e9; P3 states USD only; a plan never counts
    assert list(rows["activity_id"]) == ["P1", "P2", "C2", "C3"]
    assert list(is_counted(frame)) == [True, False, True, False, True, False, False]
    assert amount_rows(frame.iloc[0:0], "IDR").empty
