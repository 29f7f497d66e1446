"""The reader registry: one entry per sources.yml reader, used by `kss build` and `kss ingest --as`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from kss_analysis.readers import INGEST_FORMATS, READERS, find_inputs, place_file
from kss_analysis.registry import load_sources
from kss_analysis.validate import check_tables
from tests.conftest import write_csv
from tests.test_cli import kss
from tests.test_placing_undp import undp_csv, undp_row

ROOT = Path(__file__).resolve().parents[1]


def test_every_reader_named_in_sources_yml_is_registered():
    named = {s.reader for s in load_sources().values()} | {
        r for s in load_sources().values() for r in s.file_readers.values()
    }
    assert named <= set(READERS)
    assert set(INGEST_FORMATS) == {"register", "aiddata", "undp", "iati-json", "iati-xml", "tossd", "crs"}


def test_build_finds_the_embedded_register_first_and_user_registers_by_file(tmp_path, indonesian_rows):
    shutil.copytree(ROOT / "data" / "raw" / "kss", tmp_path / "kss")
    (tmp_path / "registers").mkdir()
    write_csv(tmp_path / "registers" / "mine.csv", indonesian_rows)
    found = [(i.source, i.reader, i.path.relative_to(tmp_path).as_posix()) for i in find_inputs(tmp_path)]
    assert found == [("kss", "register", "kss/kss_programmes.csv"), ("register:mine", "register", "registers/mine.csv")]


def test_register_amounts_enter_the_ledger_check(tmp_path, indonesian_rows):
    path = write_csv(tmp_path / "mine.csv", indonesian_rows)
    tables = place_file(path, reader="register", source="register:mine", file_label="mine.csv")
    amounts = json.loads(tables.ledger.iloc[0]["amounts"])
    assert amounts == {"amount IDR": {"processed": 2.5e9, "raw": 2.5e9}}  # "Rp 2,5 miliar" in the fixture
    broken = tables.ledger.assign(amounts=json.dumps({"amount IDR": {"processed": 2.0e9, "raw": 2.5e9}}))
    tables.ledger = broken
    assert any("amount IDR" in problem for problem in check_tables(tables))


def test_ingest_as_undp_names_the_source_and_two_files_keep_their_ids_apart(tmp_path):
    ids = []
    for name in ("first", "second"):
        path = undp_csv(tmp_path / f"{name}.csv", [undp_row("1", "FJI", "IDN"), undp_row("2", "KEN", "IDN")])
        result = kss("ingest", str(path), "--as", "undp", "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        acts = pd.read_parquet(tmp_path / name / "activities.parquet")
        assert set(acts["source"]) == {f"undp:{name}"}
        ids += acts["activity_id"].tolist()
    assert ids == ["undp:first:1", "undp:first:2", "undp:second:1", "undp:second:2"]


def test_ingest_refuses_a_folder_for_a_file_reader(tmp_path):
    result = kss("ingest", str(tmp_path), "--as", "undp", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "only --as iati-json reads a folder" in result.stderr
