"""The reader registry: one entry per sources.yml reader, used by `kss build` and `kss ingest --as`."""

from __future__ import annotations

import json
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO

import pandas as pd
import pytest

from kss_analysis import cli
from kss_analysis.acquire.registry import load_sources
from kss_analysis.core.validate import check_tables
from kss_analysis.ingest.readers import INGEST_FORMATS, READERS, admit, find_inputs, place_file
from tests.conftest import write_csv
from tests.ingest.undp.test_placing_undp import undp_csv, undp_row
from tests.paths import ROOT


def kss(*args: str) -> subprocess.CompletedProcess:
    """`kss ARGS` run in this process, a second faster than a new one (test_cli runs the real command)."""
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(args))
    return subprocess.CompletedProcess(["kss", *args], code, out.getvalue(), err.getvalue())


def test_every_reader_named_in_sources_yml_is_registered():
    named = {s.reader for s in load_sources().values()} | {
        r for s in load_sources().values() for r in s.file_readers.values()
    }
    assert named <= set(READERS)
    assert set(INGEST_FORMATS) == {
        "register",
        "aiddata",
        "undp",
        "undp-engagements",
        "iati-json",
        "iati-xml",
        "tossd",
        "crs",
    }


def test_build_finds_the_embedded_register_first_and_user_registers_by_file(tmp_path, indonesian_rows):
    shutil.copytree(ROOT / "data" / "raw" / "kss", tmp_path / "kss")
    (tmp_path / "registers").mkdir()
    write_csv(tmp_path / "registers" / "mine.csv", indonesian_rows)
    found = [(i.source, i.reader, i.path.relative_to(tmp_path).as_posix()) for i in find_inputs(admit(tmp_path))]
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


def test_a_profile_is_for_registers_only(tmp_path):
    path = undp_csv(tmp_path / "u.csv", [undp_row("1", "FJI", "IDN")])
    profile = tmp_path / "p.profile.yml"
    profile.write_text("columns: {}\n", encoding="utf-8")
    result = kss("ingest", str(path), "--as", "undp", "--profile", str(profile), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "--profile applies to --as register only" in result.stderr
    with pytest.raises(ValueError, match="reader undp takes no profile"):
        place_file(path, reader="undp", source="undp", file_label="u.csv", profile=profile)


def test_a_profile_beside_a_user_register_is_read_and_checksummed(tmp_path):
    """``<stem>.profile.yml`` beside a register maps its headers (here Spanish, INVENTED rows)."""
    from kss_analysis.build.pipeline import build_activities

    registers = tmp_path / "registers"
    registers.mkdir()
    (registers / "agci.csv").write_text("Nombre,Año,País\nCurso de riego,2019,Perú\n", encoding="utf-8")
    (registers / "agci.profile.yml").write_text(
        "columns:\n  Nombre: title\n  Año: year\n  País: partner_countries\ndefaults:\n  provider: CHL\n",
        encoding="utf-8",
    )
    tables, inputs, _ = build_activities(admit(tmp_path))
    acts = tables.activities
    assert acts[["title", "year", "provider_iso3"]].values.tolist() == [["Curso de riego", 2019, "CHL"]]
    assert set(inputs) == {"registers/agci.csv", "registers/agci.profile.yml"}
