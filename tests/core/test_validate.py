"""Build invariants: closed columns hold only their vocabulary."""

from __future__ import annotations

import subprocess
import sys

from kss_analysis.core.validate import check_vocabularies
from kss_analysis.ingest.readers import place_file
from tests.conftest import write_csv


def test_a_value_outside_the_vocabulary_is_reported(tmp_path, indonesian_rows):
    tables = place_file(write_csv(tmp_path / "r.csv", indonesian_rows), reader="register", source="r", file_label="r")
    assert check_vocabularies(tables) == []
    tables.activities.loc[0, "cooperation_type"] = "bilateral"
    tables.activity_recipients.loc[0, "region"] = "atlantis"
    assert check_vocabularies(tables) == [
        "activities.cooperation_type: values outside the vocabulary: bilateral",
        "activity_recipients.region: values outside the vocabulary: atlantis",
    ]


def test_spreadsheet_export_does_not_import_matplotlib():
    code = "import sys, kss_analysis.outputs.tables.export; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
