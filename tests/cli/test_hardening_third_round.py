"""Issue 30, the third round of hostile inputs: links and lock files that would turn the tool
against its user, one bad row that would stop a build, formula cells in the build's own
reports, `kss ingest --out` over a published build, mirror files that are links, mojibake.
Every file here is SYNTHETIC test data written by the test (or kept in
tests/bad_inputs/third_round/)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kss_analysis.acquire import fetch
from kss_analysis.acquire.registry import Source
from tests.cli.hostile import one_line_error, pattern_source, run
from tests.conftest import mirror_dir, needs_mirror
from tests.paths import ROOT, TESTS

CORPUS = TESTS / "bad_inputs" / "third_round"
SECRET = "private content that must stay as it is\n"
# A CRS bulk file's header (the columns the CRS reader needs) and one row.
CRS_TEXT = "Year|DonorCode|RecipientCode|PurposeCode|USD_Commitment|USD_Disbursement\n2019|1|738|11110|1.5|0.5\n"


def data_folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    return data


def victim(tmp_path: Path) -> Path:
    """A file outside the data folder that a planted link points at."""
    path = tmp_path / "outside" / "victim.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SECRET, encoding="utf-8")
    return path


# 1. Lock files ---------------------------------------------------------------------------


def test_a_build_lock_that_is_a_link_is_refused_and_its_target_kept(tmp_path, capsys):
    data = data_folder(tmp_path)
    target = victim(tmp_path)
    (data / ".build.lock").symlink_to(target)
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    one_line_error(code, err, ".build.lock", "symbolic link")
    assert target.read_text(encoding="utf-8") == SECRET
    assert not (data / "processed").exists()


def test_a_build_lock_that_is_a_hard_link_or_a_fifo_is_refused(tmp_path, capsys):
    data = data_folder(tmp_path)
    target = victim(tmp_path)
    os.link(target, data / ".build.lock")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    one_line_error(code, err, ".build.lock", "hard link")
    assert target.read_text(encoding="utf-8") == SECRET
    (data / ".build.lock").unlink()
    os.mkfifo(data / ".build.lock")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    one_line_error(code, err, ".build.lock", "not a regular file")


def test_a_fetch_lock_that_is_a_link_is_refused_and_its_target_kept(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    raw, mirror = data / "raw", tmp_path / "mirror"
    raw.mkdir(parents=True)
    (mirror / "tossd").mkdir(parents=True)
    (mirror / "tossd" / "CRS 2019.csv").write_text(CRS_TEXT, encoding="utf-8")
    target = victim(tmp_path)
    (raw / fetch.FETCH_LOCK).symlink_to(target)
    monkeypatch.setenv("KSS_DATA_DIR", str(data))
    monkeypatch.setattr("kss_analysis.acquire.registry.load_sources", lambda: {"tossd": pattern_source("tossd")})
    code, _, err = run(["fetch", "tossd", "--years", "2019", "--mirror", str(mirror)], capsys)
    one_line_error(code, err, ".fetch.lock", "symbolic link")
    assert target.read_text(encoding="utf-8") == SECRET
    assert not (raw / "tossd").exists()


# 2. One bad row never stops a build --------------------------------------------------------

CONTROL = "\x00\x07\x1b"


def tossd_control_rows(tmp_path: Path) -> Path:
    """Three rows of the TOSSD fixture: a title of NULs, every text cell BEL ESC, one good row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(ROOT / "tests" / "fixtures" / "tossd_2024_fixture.parquet").slice(0, 3)
    rows = table.to_pylist()
    rows[0]["ProjectTitle"] = "\x00\x00"
    rows[1] = {k: "\x07\x1b" if isinstance(v, str) else v for k, v in rows[1].items()}
    path = tmp_path / "control_rows_tossd.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    return path


@pytest.mark.parametrize(
    ("reader", "name", "placed", "reasons"),
    [
        ("register", "control_rows_register.csv", 1, {"missing_title"}),
        ("aiddata", "control_rows_aiddata.csv", 1, {"missing_title", "bad_year"}),
        ("undp", "control_rows_undp.csv", 1, {"missing_title", "unknown_country"}),
        ("iati-json", "control_rows_iati.json", 1, {"missing_title", "unknown_country"}),
        ("tossd", "control_rows_tossd.parquet", 1, {"missing_title"}),
    ],
)
def test_rows_of_control_characters_are_quarantined_by_every_reader(tmp_path, capsys, reader, name, placed, reasons):
    import pandas as pd

    path = tossd_control_rows(tmp_path) if reader == "tossd" else CORPUS / name
    code, out, err = run(["ingest", str(path), "--as", reader, "--out", str(tmp_path / "out")], capsys)
    assert code == 0 and "Traceback" not in err, err
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    ledger = pd.read_parquet(tmp_path / "out" / "ledger.parquet")
    assert set(quarantine["reason_code"]) == reasons
    assert (
        len(pd.read_parquet(tmp_path / "out" / ("activities" if reader == "tossd" else "activities.parquet"))) == placed
    )
    assert (
        ledger["rows_read"] == ledger[["rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded"]].sum(axis=1)
    ).all()
    shown = "".join(quarantine["message"].fillna("")) + "".join(quarantine["value"].fillna("")) + out
    assert not any(c in shown for c in CONTROL)  # quoted cells show escapes, never a raw NUL or ESC


def test_a_register_row_of_control_characters_never_stops_a_build(tmp_path, capsys):
    from kss_analysis.core import io

    data = data_folder(tmp_path)
    (data / "raw" / "registers").mkdir()
    shutil.copy(CORPUS / "control_rows_register.csv", data / "raw" / "registers" / "mine.csv")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    assert code == 0 and "Traceback" not in err, err
    quarantine = io.read_table(data / "processed" / "quarantine.parquet").query("file == 'registers/mine.csv'")
    assert quarantine["reason_code"].tolist() == ["missing_title"] * 3
    assert "only control characters" in quarantine["message"].iloc[0]
    titles = io.read_table(data / "processed" / "activities.parquet").query("source == 'register:mine'")["title"]
    assert titles.tolist() == ["Kursus nelayan"]
    report = (data / "processed" / "quarantine_report.csv").read_bytes()
    assert b"\x00" not in report and b"\x1b" not in report


# 3. The build's own reports escape formula cells ----------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_the_builds_own_reports_escape_formula_cells(tmp_path, capsys):
    import csv

    data = data_folder(tmp_path)
    (data / "raw" / "registers").mkdir()
    shutil.copy(CORPUS / "formula_cells_in_reports.csv", data / "raw" / "registers" / "formulas.csv")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    assert code == 0, err
    processed = data / "processed"
    seen = {}
    for name in ("quarantine_report.csv", "duplicates_report.csv", "unmapped_values.csv"):
        rows = list(csv.reader(open(processed / name, encoding="utf-8", newline="")))
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if c.startswith(FORMULA_STARTS)], name
        seen[name] = cells
    assert "'=cmd|' /C calc'!A0" in seen["quarantine_report.csv"]  # the bad year cell, escaped
    assert "'-2+3" in seen["quarantine_report.csv"]
    assert any(c.startswith("'=HYPERLINK(") for c in seen["duplicates_report.csv"])
    assert any(c.startswith("'=HYPERLINK(") for c in seen["unmapped_values.csv"])
    assert "'@SUM(A1)" in seen["unmapped_values.csv"]


def test_formula_escaping_lives_in_core_and_outputs_reuse_it():
    from kss_analysis.core import csv_safety
    from kss_analysis.outputs.tables import export

    assert export.escape_formula is csv_safety.escape_formula
    assert csv_safety.escape_formula("@cmd") == "'@cmd" and csv_safety.escape_formula(-1) == -1


# 4. `kss ingest --out` never writes into a published build, and writes all tables or none --


def small_register(tmp_path: Path) -> Path:
    path = tmp_path / "kecil.csv"
    path.write_text("judul,tahun,negara mitra\nKursus nelayan,2019,Fiji\nKursus tani,2020,Tonga\n", encoding="utf-8")
    return path


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ingest_refuses_to_write_into_a_published_build(tmp_path, capsys):
    data = data_folder(tmp_path)
    assert run(["build", "--data-dir", str(data)], capsys)[0] == 0
    before = folder_bytes(data / "builds")
    build_dir = next(p for p in (data / "builds").iterdir() if not p.name.startswith("."))
    copy = tmp_path / "copy_of_a_build"
    shutil.copytree(data / "processed", copy)
    for out in (data / "processed", build_dir, build_dir / "sub", copy):
        code, _, err = run(["ingest", str(small_register(tmp_path)), "--as", "register", "--out", str(out)], capsys)
        one_line_error(code, err, str(out), "give --out a folder of its own")
    assert folder_bytes(data / "builds") == before
    assert not (build_dir / "sub").exists()


def test_ingest_writes_every_table_or_none(tmp_path, monkeypatch, capsys):
    from kss_analysis.core import io

    register = small_register(tmp_path)
    out = tmp_path / "out"
    assert run(["ingest", str(register), "--as", "register", "--out", str(out)], capsys)[0] == 0
    first = folder_bytes(out)
    assert "activities.parquet" in first and "unmapped_values.csv" in first
    register.write_text("judul,tahun,negara mitra\nKursus lain,2021,Samoa\n", encoding="utf-8")
    real, calls = io.write_table, []

    def full_disk_on_the_third_table(frame, path, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return real(frame, path, **kwargs)

    monkeypatch.setattr(io, "write_table", full_disk_on_the_third_table)
    code, _, err = run(["ingest", str(register), "--as", "register", "--out", str(out)], capsys)
    assert code == 2 and "No space left" in err and len(err.strip().splitlines()) == 1, err
    assert folder_bytes(out) == first  # the earlier tables, none of the new ones
    assert sorted(p.name for p in out.iterdir()) == sorted(first)  # no staging left behind
    calls.clear()
    code, _, err = run(["ingest", str(register), "--as", "register", "--out", str(tmp_path / "new")], capsys)
    assert code == 2 and not (tmp_path / "new").exists()


# 5. Planted links never steer what is published or read ----------------------------------


def failing_register(data: Path) -> Path:
    """A user register without a header: `kss build` stops on it (exit 2)."""
    path = data / "raw" / "registers" / "rusak.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("nothing,here\n1,2\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("processed", ["kept", "removed"])
def test_a_link_planted_as_the_newest_build_is_never_published(tmp_path, capsys, processed):
    data = data_folder(tmp_path)
    assert run(["build", "--data-dir", str(data)], capsys)[0] == 0
    first = (data / "processed").resolve()
    outside = tmp_path / "outside"
    shutil.copytree(first, outside)
    (data / "builds" / "99999999T999999-1").symlink_to(outside)
    if processed == "removed":
        (data / "processed").unlink()
    failing_register(data).touch()
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert (data / "processed").resolve() == first  # inside the data folder, the last real build
    failing_register(data).unlink()
    assert run(["build", "--data-dir", str(data)], capsys)[0] == 0
    assert (data / "processed").resolve().is_relative_to((data / "builds").resolve())
    assert first.is_dir()  # the planted link took no place among the builds kept
    assert sorted(p.name for p in outside.iterdir()) == sorted(p.name for p in first.iterdir())


def test_a_processed_link_planted_out_of_the_data_folder_is_not_kept(tmp_path, capsys):
    data = data_folder(tmp_path)
    assert run(["build", "--data-dir", str(data)], capsys)[0] == 0
    first = (data / "processed").resolve()
    outside = tmp_path / "outside"
    outside.mkdir()
    (data / "processed").unlink()
    (data / "processed").symlink_to(outside)
    failing_register(data)
    assert run(["build", "--data-dir", str(data)], capsys)[0] == 2
    assert (data / "processed").resolve() == first
    assert list(outside.iterdir()) == []


def test_a_profile_linked_out_of_the_data_folder_is_refused_with_its_register(tmp_path, capsys):
    from kss_analysis.core import io

    data = data_folder(tmp_path)
    registers = data / "raw" / "registers"
    registers.mkdir()
    (registers / "agci.csv").write_text("Nombre,Año,País\nCurso de riego,2019,Perú\n", encoding="utf-8")
    profile = tmp_path / "outside" / "agci.profile.yml"
    profile.parent.mkdir()
    profile.write_text("columns:\n  Nombre: title\n  Año: year\n  País: partner_countries\n", encoding="utf-8")
    (registers / "agci.profile.yml").symlink_to(profile)
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    assert code == 0, err
    assert "registers/agci.profile.yml is a link out of the data folder" in err and "registers/agci.csv" in err
    activities = io.read_table(data / "processed" / "activities.parquet")
    assert "register:agci" not in set(activities["source"])
    assert not any("agci" in k for k in io.read_metadata(data / "processed" / "activities.parquet")["inputs"])


def test_a_reference_table_linked_out_of_the_data_folder_is_refused(tmp_path, capsys):
    from kss_analysis.core import io

    data = data_folder(tmp_path)
    aliases = tmp_path / "outside" / "country_aliases.csv"
    aliases.parent.mkdir()
    aliases.write_text("alias,iso3,lang,note\nAtlantis,FJI,en,planted\n", encoding="utf-8")
    (data / "raw" / "reference").mkdir(parents=True)
    (data / "raw" / "reference" / "country_aliases.csv").symlink_to(aliases)
    (data / "raw" / "registers").mkdir()
    (data / "raw" / "registers" / "mine.csv").write_text("judul,tahun,negara mitra\nKursus,2019,Atlantis\n")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    assert code == 0, err
    assert "reference/country_aliases.csv is a link out of the data folder" in err
    quarantine = io.read_table(data / "processed" / "quarantine.parquet").query("file == 'registers/mine.csv'")
    assert quarantine["reason_code"].tolist() == ["unknown_country"]  # the planted alias was not used
    assert "reference/country_aliases.csv" not in io.read_metadata(data / "processed" / "activities.parquet")["inputs"]


# 8. A `processed` link loop or a 0-byte Parquet: one line --------------------------------


@pytest.mark.parametrize(
    "command",
    [["sources"], ["charts", "export", "--format", "svg"], ["tables", "export"], ["notebooks", "run"]],
    ids=lambda c: "-".join(c),
)
def test_a_processed_link_loop_gives_one_line(tmp_path, monkeypatch, capsys, command):
    data = data_folder(tmp_path)
    (data / "processed").symlink_to("processed")
    monkeypatch.setenv("KSS_DATA_DIR", str(data))
    code, _, err = run([*command, "--out", str(tmp_path / "out")] if command[0] != "sources" else command, capsys)
    one_line_error(code, err, "processed", "loop")


def test_a_build_replaces_a_processed_link_loop(tmp_path, capsys):
    data = data_folder(tmp_path)
    (data / "processed").symlink_to("processed")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    assert code == 0, err
    assert (data / "processed" / "activities.parquet").is_file()


def test_a_zero_byte_parquet_in_processed_gives_one_line(tmp_path, monkeypatch, capsys):
    data = data_folder(tmp_path)
    assert run(["build", "--data-dir", str(data)], capsys)[0] == 0
    (data / "processed" / "ledger.parquet").resolve().write_bytes(b"")
    monkeypatch.setenv("KSS_DATA_DIR", str(data))
    for command in (["notebooks", "run", "--out", str(tmp_path / "nb")], ["sources"]):
        code, _, err = run(command, capsys)
        one_line_error(code, err, "ledger.parquet", "not a readable Parquet file")


# 6. Mirror files: links and special files never followed, modes never widened -------------


def fetch_from_mirror(tmp_path: Path, plant) -> tuple[Path, fetch.FetchReport]:
    """`kss fetch tossd --years 2019` from a mirror whose file ``plant(path)`` puts in place."""
    raw, mirror = tmp_path / "raw", tmp_path / "mirror"
    raw.mkdir()
    (mirror / "tossd").mkdir(parents=True)
    plant(mirror / "tossd" / "CRS 2019.csv")
    report = fetch.fetch_source(pattern_source("tossd"), raw, mirror=mirror, years=[2019], progress=False)
    return raw, report


def test_a_mirror_file_that_is_a_link_is_never_followed(tmp_path):
    private = tmp_path / "outside" / "private.csv"
    private.parent.mkdir()
    private.write_text(CRS_TEXT, encoding="utf-8")
    private.chmod(0o600)
    raw, report = fetch_from_mirror(tmp_path, lambda path: path.symlink_to(private))
    assert not report.fetched and "a link in the mirror, not followed" in str(report.errors[0])
    assert not (raw / "tossd" / "CRS 2019.csv").exists()
    assert fetch.read_manifest(raw) == {}
    assert not list((raw / "tossd").glob(".*.part"))


def test_a_mirror_file_under_a_linked_folder_out_of_the_mirror_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "CRS 2019.csv").write_text(CRS_TEXT, encoding="utf-8")
    raw, mirror = tmp_path / "raw", tmp_path / "mirror"
    raw.mkdir()
    mirror.mkdir()
    (mirror / "tossd").symlink_to(elsewhere)
    report = fetch.fetch_source(pattern_source("tossd"), raw, mirror=mirror, years=[2019], progress=False)
    assert not report.fetched and "outside the mirror folder" in str(report.errors[0])


def test_a_fifo_in_the_mirror_is_not_read(tmp_path):
    raw, report = fetch_from_mirror(tmp_path, os.mkfifo)  # reading it would never end
    assert not report.fetched and "not a regular file" in str(report.errors[0])


def test_a_copy_from_the_mirror_is_never_more_readable_than_its_source(tmp_path):
    def private(path: Path) -> None:
        path.write_text(CRS_TEXT, encoding="utf-8")
        path.chmod(0o600)

    old = os.umask(0o022)
    try:
        raw, report = fetch_from_mirror(tmp_path, private)
    finally:
        os.umask(old)
    assert report.fetched == ["CRS 2019.csv"], report.errors
    assert (raw / "tossd" / "CRS 2019.csv").stat().st_mode & 0o777 == 0o600


# 7. One stray Windows-1252 byte never re-decodes a UTF-8 file ------------------------------


def test_one_stray_byte_in_a_utf8_register_quarantines_its_row_only(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "out"
    path = CORPUS / "mojibake_one_stray_byte.csv"
    code, stdout, err = run(["ingest", str(path), "--as", "register", "--out", str(out)], capsys)
    assert code == 0, err
    titles = pd.read_parquet(out / "activities.parquet")["title"].tolist()
    assert titles == [
        "Pelatihan ‘Nelayan’ Pasifik",
        "Kursus kopi Timor-Leste – tahap 2",
        "Beasiswa KNB untuk Côte d’Ivoire",
    ]
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert quarantine["reason_code"].tolist() == ["encoding_error"]
    assert quarantine["locator"].tolist() == ["row 4"] and quarantine["column"].tolist() == ["judul"]
    assert quarantine["value"].tolist() == ["Bimtek nelayan \\x92Samoa\\x92"]
    assert "0x92 is not UTF-8" in quarantine["message"].iloc[0] and "0x92" in stdout


def test_a_stray_byte_reaches_the_builds_reports_as_an_escape(tmp_path, capsys):
    data = data_folder(tmp_path)
    (data / "raw" / "registers").mkdir()
    shutil.copy(CORPUS / "mojibake_one_stray_byte.csv", data / "raw" / "registers" / "campur.csv")
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    assert code == 0, err
    report = (data / "processed" / "quarantine_report.csv").read_text(encoding="utf-8")
    assert "registers/campur.csv,row 4,judul,Bimtek nelayan \\x92Samoa\\x92,encoding_error" in report


def test_a_whole_windows_1252_file_is_still_read_as_windows_1252(tmp_path, capsys):
    import pandas as pd

    path = tmp_path / "ansi.csv"
    path.write_bytes("judul,tahun,negara mitra\nKursus kopi – tahap 2,2020,Côte d'Ivoire\n".encode("cp1252"))
    assert run(["ingest", str(path), "--as", "register", "--out", str(tmp_path / "out")], capsys)[0] == 0
    assert pd.read_parquet(tmp_path / "out" / "activities.parquet")["title"].tolist() == ["Kursus kopi – tahap 2"]


def test_other_csv_readers_keep_utf8_when_one_byte_is_not(tmp_path, capsys):
    import pandas as pd

    path = CORPUS / "mojibake_aiddata.csv"
    assert run(["ingest", str(path), "--as", "aiddata", "--out", str(tmp_path / "out")], capsys)[0] == 0
    titles = pd.read_parquet(tmp_path / "out" / "activities.parquet")["title"].tolist()
    assert titles == ["Café training", "Road \ufffd phase 2"]  # not 'CafÃ© training'


# 8. A build parses the very bytes it verified ---------------------------------------------

PLANTED = "KSS-9999,,Planted programme that was never verified,,2020"


def swap_bytes(path: Path) -> None:
    """The swap an attacker (or a careless sync) makes: same name, other bytes."""
    path.write_text(path.read_text(encoding="utf-8") + PLANTED + "\n", encoding="utf-8")


def swap_for_link(path: Path) -> None:
    target = path.parent.parent.parent.parent / "outside" / path.name
    target.parent.mkdir(exist_ok=True)
    shutil.copy(path, target)
    swap_bytes(target)
    path.unlink()
    path.symlink_to(target)


@pytest.mark.parametrize("swap", [swap_bytes, swap_for_link], ids=["bytes", "link"])
def test_an_input_swapped_after_its_check_is_refused_and_never_built(tmp_path, monkeypatch, capsys, swap):
    from kss_analysis.build import pipeline

    data = data_folder(tmp_path)
    register = data / "raw" / "kss" / "kss_programmes.csv"
    admit = pipeline.admit

    def admit_then_swap(raw: Path):
        admitted = admit(raw)  # checksummed here ...
        swap(register)  # ... and swapped before the build reads it
        return admitted

    monkeypatch.setattr(pipeline, "admit", admit_then_swap)
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    one_line_error(code, err, str(register), "after it was verified")
    assert ".inputs" not in err  # the user is told of the file in raw/, not of a private copy
    assert not (data / "processed").exists()
    assert not list((data / "builds").iterdir())  # the staging folder and its copies are gone


def test_a_build_parses_the_bytes_it_checksummed_even_if_the_file_changes_while_it_reads(tmp_path, monkeypatch, capsys):
    import hashlib

    from kss_analysis.build import pipeline
    from kss_analysis.core import io

    data = data_folder(tmp_path)
    register = data / "raw" / "kss" / "kss_programmes.csv"
    verified_sha = hashlib.sha256(register.read_bytes()).hexdigest()
    place_file = pipeline.place_file

    def swap_then_place(path: Path, **kwargs):
        if register.read_text(encoding="utf-8").count(PLANTED) == 0:
            swap_bytes(register)  # while the build is reading its inputs
        return place_file(path, **kwargs)

    monkeypatch.setattr(pipeline, "place_file", swap_then_place)
    code, _, err = run(["build", "--data-dir", str(data)], capsys)
    assert code == 0, err
    assert PLANTED in register.read_text(encoding="utf-8")  # the swap did happen
    activities = io.read_table(data / "processed" / "activities.parquet")
    assert "Planted programme that was never verified" not in set(activities["title"])
    provenance = io.read_metadata(data / "processed" / "activities.parquet")["inputs"]
    assert provenance["kss/kss_programmes.csv"] == verified_sha  # the sha256 of the bytes parsed


# 9. A fetched CRS file must start with a CRS header -----------------------------------------


def zip_holding(name: str, text: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


def fetch_crs_copy(tmp_path: Path, name: str, content: bytes) -> tuple[Path, fetch.FetchReport]:
    """`kss fetch oecd-crs --years 2019` from a mirror holding ``content`` under ``name``."""
    source = Source(**{**pattern_source("oecd-crs").__dict__, "file_pattern": name})
    raw, mirror = tmp_path / "raw", tmp_path / "mirror"
    raw.mkdir()
    (mirror / source.id).mkdir(parents=True)
    (mirror / source.id / name).write_bytes(content)
    return raw, fetch.fetch_source(source, raw, mirror=mirror, years=[2019], progress=False)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("CRS 2019 data.txt", CRS_TEXT.encode()),
        (
            "CRS 2019 data.txt",
            b'"Year"|"DonorCode"|"RecipientCode"|"PurposeCode"|"USD_Commitment"|"USD_Disbursement"\n',
        ),
        ("CRS 2019 data.txt", CRS_TEXT.encode("utf-16")),  # bulk files come as UTF-16 too
        ("CRS_2019.csv", (ROOT / "tests" / "fixtures" / "crs_explorer_export.csv").read_bytes()),
        ("CRS 2019.zip", zip_holding("CRS 2019 data.txt", CRS_TEXT.encode())),
    ],
    ids=["bulk", "bulk-quoted", "bulk-utf16", "explorer-export", "zipped-bulk"],
)
def test_a_crs_copy_with_a_crs_header_is_recorded(tmp_path, name, content):
    raw, report = fetch_crs_copy(tmp_path, name, content)
    assert report.fetched == [name], report.errors
    assert fetch.read_manifest(raw)[f"oecd-crs/{name}"]["sha256"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("CRS_2019.csv", b"<html><body>Service unavailable</body></html>\n", "not a CRS header"),
        ("CRS_2019.csv", b"year,value\n2019,1\n", "no Year, DonorCode"),
        ("CRS 2019 data.txt", b"Year|DonorCode|RecipientCode\n2019|1|738\n", "no PurposeCode, USD_Commitment"),
        ("CRS 2019 data.txt", b"Year|" * 20_000 + b"\n", "over 65,536 characters"),
        ("CRS 2019.zip", zip_holding("readme.txt", b"see the OECD site\n"), "not a CRS header"),
    ],
    ids=["html-error-page", "other-csv", "missing-columns", "endless-header-line", "zip-of-other-text"],
)
def test_a_crs_copy_without_a_crs_header_is_refused_and_not_recorded(tmp_path, name, content, reason):
    raw, report = fetch_crs_copy(tmp_path, name, content)
    assert not report.fetched
    (error,) = report.errors
    message = str(error)
    assert message.startswith(f"oecd-crs/{name}: ") and reason in message and "\n" not in message
    assert fetch.read_manifest(raw) == {}
    assert not (raw / "oecd-crs" / name).exists()


@pytest.mark.mirror
@needs_mirror
def test_every_file_of_the_real_mirror_passes_its_format_check():
    from kss_analysis.acquire.fetch_checks import format_problem
    from kss_analysis.acquire.registry import load_sources

    sources = load_sources()
    checked = 0
    for folder in sorted(p for p in mirror_dir().iterdir() if p.name in sources):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
            assert format_problem(path, sources[folder.name].reader) is None, path
            checked += 1
    assert checked >= 665


def test_a_fetched_copy_is_checked_as_the_kind_its_name_says_not_as_its_staging_file(tmp_path):
    """The copy is checked while it is a staging file (``.name.xxxx.part``): the check must go by
    the final name's kind, else a page of HTML saved as .parquet passed as an unknown kind."""
    source = Source(**{**pattern_source("tossd").__dict__, "reader": "tossd", "file_pattern": "t_{year}.parquet"})
    raw, mirror = tmp_path / "raw", tmp_path / "mirror"
    raw.mkdir()
    (mirror / "tossd").mkdir(parents=True)
    (mirror / "tossd" / "t_2019.parquet").write_text("<html>Service unavailable</html>", encoding="utf-8")
    report = fetch.fetch_source(source, raw, mirror=mirror, years=[2019], progress=False)
    assert not report.fetched and "not a Parquet file" in str(report.errors[0])
    assert fetch.read_manifest(raw) == {}


def test_a_crs_bulk_parquet_copy_is_checked_as_parquet_not_for_a_text_header(tmp_path):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    columns = CRS_TEXT.splitlines()[0].split("|")
    pq.write_table(pa.table({name: ["1"] for name in columns}), buffer)
    raw, report = fetch_crs_copy(tmp_path, "CRS 2019.parquet", buffer.getvalue())
    assert report.fetched == ["CRS 2019.parquet"], report.errors
    (tmp_path / "again").mkdir()
    raw, report = fetch_crs_copy(tmp_path / "again", "CRS 2019.parquet", CRS_TEXT.encode())
    assert not report.fetched and "not a Parquet file" in str(report.errors[0])
