"""A misspelt field fails loudly, and a chart draws the measure its spec names or refuses.

Rows built as plain dicts used to lose a misspelt column silently (``pa.Table.from_pylist``
drops unknown keys); a chart spec's ``measure`` used to be ignored by the count shapes.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from kss_analysis.core import schema
from kss_analysis.core.errors import KssError, RecordError
from kss_analysis.core.model import frame_from_records
from kss_analysis.ingest.placing import TableBuilder
from kss_analysis.outputs.charts import standard


def test_a_misspelt_activity_field_raises_naming_it_and_the_column_meant():
    builder = TableBuilder("register.csv")
    builder.add({"activity_id": "A-1", "source": "kss", "title": "Course", "sector_thme": "health"}, [])
    with pytest.raises(RecordError, match=r"activities: no column 'sector_thme' \(did you mean 'sector_theme'\?\)"):
        builder.tables()


def test_a_misspelt_recipient_field_raises_too():
    builder = TableBuilder("register.csv")
    builder.add({"activity_id": "A-1", "source": "kss", "title": "Course"}, [{"activity_id": "A-1", "recipent": "EGY"}])
    with pytest.raises(RecordError, match="activity_recipients: no column 'recipent'"):
        builder.tables()


def test_known_fields_build_the_table_and_the_error_is_one_of_ours():
    frame = frame_from_records([{"activity_id": "A-1", "title": "Course"}], schema.ACTIVITIES, "activities")
    assert list(frame.columns) == schema.ACTIVITIES.names and frame.loc[0, "title"] == "Course"
    assert issubclass(RecordError, KssError)


def _aggregate_tables() -> dict[str, pd.DataFrame]:
    """Two sectors over two years; participants differ from programme counts on purpose."""
    table = pd.DataFrame(
        {
            "sector_theme": ["health_population", "health_population", "fisheries_marine"],
            "year": [2018, 2019, 2019],
            "programmes": [1, 2, 4],
            "participants": [30, 50, 12],
        }
    )
    return {"programmes_by_sector_year": table}


def _spec(name: str, **changes) -> standard.ChartSpec:
    spec = next(s for s in standard.REGISTER_SPECS if s.name == name)
    return dataclasses.replace(spec, **changes)


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ("programmes", {"fisheries_marine": 4, "health_population": 3}),
        ("participants", {"health_population": 80, "fisheries_marine": 12}),
    ],
)
def test_a_totals_chart_adds_up_the_measure_its_spec_names(measure, expected):
    spec = _spec("programmes_by_sector", measure=measure)
    data = standard.SHAPES[spec.shape](_aggregate_tables(), spec)
    assert dict(zip(data["sector_theme"], data[measure], strict=True)) == expected


def test_a_period_chart_adds_up_participants_when_asked():
    spec = _spec("sector_by_period", measure="participants")
    data = standard.SHAPES[spec.shape](_aggregate_tables(), spec)
    assert data["participants"].sum() == 92 and "programmes" not in data.columns


def test_a_measure_the_data_cannot_give_is_refused_not_replaced_by_counts():
    spec = _spec("programmes_by_sector", measure="amount_eur")
    with pytest.raises(ValueError, match="cannot draw measure 'amount_eur'.*measures there: programmes, participants"):
        standard.SHAPES[spec.shape](_aggregate_tables(), spec)
