"""Register vs TOSSD matching: tiny frames whose expected pairs are written out, and the
real embedded register against the invented TOSSD fixtures."""

from __future__ import annotations

import pandas as pd

from kss_analysis.build import matching
from kss_analysis.core.model import SourceTables
from kss_analysis.ingest.readers import place_file
from kss_analysis.ingest.tossd.place import place_tossd
from kss_analysis.rules.scope import is_register
from tests.paths import ROOT


def frames(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(activity_id, year, title, sector_theme, [ISO3...], [region...]) -> activities, recipients."""
    acts = pd.DataFrame([{"activity_id": a, "year": y, "title": t, "sector_theme": s} for a, y, t, s, _, _ in rows])
    recips = [
        {"activity_id": a, "recipient_iso3": iso3, "region": region}
        for a, _, _, _, countries, regions in rows
        for iso3, region in [
            *((c, "pacific" if c in ("VUT", "FJI") else "africa") for c in countries),
            *((None, r) for r in regions),
        ]
    ]
    return acts, pd.DataFrame(recips, columns=["activity_id", "recipient_iso3", "region"])


REGISTER = [
    ("KSS-1", 2024, "Capacity building for nursing health workers in Vanuatu", "health_population", ["VUT"], []),
    ("KSS-2", 2024, "Disaster waste management support", "disaster_humanitarian", ["VUT"], []),
    ("KSS-3", 2024, "Tilapia aquaculture training for African countries", "fisheries_marine", ["KEN", "NGA"], []),
    ("KSS-4", 2019, "Nursing training in Vanuatu", "health_population", ["VUT"], []),
]
TOSSD = [
    ("T-1", 2024, "Nursing health workers capacity building, Vanuatu", "health_population", ["VUT"], []),
    ("T-2", 2024, "Nursing health workers, Vanuatu (second report)", "health_population", ["VUT"], []),
    ("T-3", 2024, "International training on tilapia aquaculture", "fisheries_marine", [], ["africa"]),
    ("T-4", 2024, "Budget line for general administration", "other_multisector", ["VUT"], []),
]


def report(register=REGISTER, tossd=TOSSD):
    reg_acts, reg_recips = frames(register)
    t_acts, t_recips = frames(tossd)
    return matching.match_register_tossd(reg_acts, t_acts, pd.concat([reg_recips, t_recips], ignore_index=True))


def test_pairs_carry_a_score_and_a_reason():
    pairs = report().pairs.set_index("register_id")
    assert pairs.loc["KSS-1", "tossd_id"] == "T-1"
    reason = pairs.loc["KSS-1", "reason"]
    assert "same year 2024" in reason and "recipients in common: VUT" in reason
    assert "same sector theme health_population" in reason and "nursing" in reason
    assert 0.5 <= pairs.loc["KSS-1", "score"] <= 1.0
    assert pairs.loc["KSS-3", "tossd_id"] == "T-3"
    assert "TOSSD region africa holds the register's countries" in pairs.loc["KSS-3", "reason"]


def test_one_to_one_and_the_rest_reported_on_each_side_with_its_best_candidate():
    result = report()
    assert sorted(result.pairs["tossd_id"]) == ["T-1", "T-3"]
    tossd_only = result.tossd_only.set_index("activity_id")
    assert sorted(tossd_only.index) == ["T-2", "T-4"]  # T-2 lost KSS-1 to the better T-1
    assert "best register candidate KSS-1" in tossd_only.loc["T-2", "reason"]
    # KSS-2 shares only the country with T-4: below the threshold, so register-only.
    assert result.register_only["activity_id"].tolist() == ["KSS-2"]
    assert "< 0.50" in result.register_only["reason"].iloc[0]


def test_years_without_tossd_are_left_out_not_called_register_only():
    result = report()
    assert result.years == [2024]
    assert "KSS-4" not in set(result.register_only["activity_id"])


def test_order_of_the_inputs_does_not_change_the_pairs():
    assert report().pairs.equals(report(REGISTER[::-1], TOSSD[::-1]).pairs)


def test_register_against_the_tossd_fixtures():
    """The embedded register and the invented fixtures: the rows written to resemble
    register programmes pair with them; the invented extras stay TOSSD-only."""
    programmes = ROOT / "data" / "raw" / "kss" / "kss_programmes.csv"
    register = place_file(programmes, reader="register", source="kss", file_label="kss/kss_programmes.csv")
    placed = SourceTables.concat(
        [
            place_tossd(ROOT / "tests" / "fixtures" / n, file_label=n)
            for n in ("tossd_2022_vintage_fixture.parquet", "tossd_2024_fixture.parquet")
        ]
    )
    recips = pd.concat([register.activity_recipients, placed.activity_recipients], ignore_index=True)
    acts = register.activities[is_register(register.activities["source"])]
    result = matching.match_register_tossd(acts, placed.activities, recips)
    pairs = dict(zip(result.pairs["tossd_id"], result.pairs["register_id"], strict=True))
    assert pairs["tossd:2024:ID-2024-0001"] == "KSS-0078"  # nursing, Vanuatu
    assert pairs["tossd:2022:ID-2022-0002"] == "KSS-0061"  # coconut replanting, Timor-Leste (triangular)
    assert "tossd:2024:ID-2024-0002" in set(result.tossd_only["activity_id"])  # invented JICA training, Namibia
    assert result.pairs["reason"].str.startswith("same year").all()
    assert (result.tossd_only["reason"].str.len() > 0).all() and (result.register_only["reason"].str.len() > 0).all()
    by_year = matching.summary_by(result, pd.concat([acts, placed.activities]), recips, "year")
    assert by_year.sum(axis=1).to_dict() == {
        y: len(result.pairs[result.pairs.year == y])
        + (result.tossd_only.year == y).sum()
        + (result.register_only.year == y).sum()
        for y in result.years
    }
