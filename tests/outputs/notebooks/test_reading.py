"""Notebook sentences (reading.py): written from the frame they describe, so they change with it."""

from __future__ import annotations

import pandas as pd

from kss_analysis.outputs.notebooks import reading


def _coverage_rows(*rows) -> pd.DataFrame:
    # Synthetic coverage rows (test data), in the columns the register_coverage chart plots.
    columns = ["period_start", "period_end", "register_programmes", "official_programmes", "official_qualifier"]
    frame = pd.DataFrame(rows, columns=[*columns, "figure_id"])
    return frame.assign(ratio=(frame["register_programmes"] / frame["official_programmes"]).round(4))


def test_coverage_names_every_official_count_and_the_lowest_share():
    data = _coverage_rows(
        ("2000", "2013", 70, 700, "exact", "FIG-A"),
        ("1999", "2016-05", 107, 460, "lower_bound", "FIG-B"),
        ("2014", "2014", 10, 26, "exact", "FIG-C"),
    )
    text = reading.coverage(data)
    assert "70 of 700 for 2000–2013 (10.0%, FIG-A)" in text
    assert "107 of over 460 for 1999–2016 (23.3%, FIG-B)" in text
    assert "10 of 26 for 2014 (38.5%, FIG-C)" in text
    assert "At its lowest it names 10.0% of what officials counted" in text


def test_coverage_follows_the_data_and_says_when_there_is_none():
    fewer = reading.coverage(_coverage_rows(("2014", "2014", 13, 26, "exact", "FIG-C")))
    assert "13 of 26 for 2014 (50.0%, FIG-C)" in fewer and "lowest it names 50.0%" in fewer
    assert "coverage is unknown" in reading.coverage(_coverage_rows())
