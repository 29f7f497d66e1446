"""Issue 20 at the level of a whole build or fetch: only verified inputs, special files,
resource limits on archives and workbooks, one error path, fetch keeping good copies and
text hygiene. Every file here is SYNTHETIC test data written by the test."""

from __future__ import annotations

import errno
import hashlib
import io as stdio
import json
import os
import shutil
import threading
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from kss_analysis import cli
from kss_analysis.acquire import fetch, safe_archive
from kss_analysis.acquire.registry import Source
from kss_analysis.core import io
from kss_analysis.core.errors import InputError
from kss_analysis.ingest.aiddata.read import read_aiddata
from kss_analysis.ingest.register.read import read_register
from tests.cli.hostile import pattern_source
from tests.paths import ROOT

PLANTED = 999_999_999


def activity_json(identifier: str, value: float) -> bytes:
    return json.dumps(
        [
            {
                "iati_identifier": identifier,
                "title_narrative": ["Synthetic"],
                "default_currency": "USD",
                "recipient_country_code": ["FJ"],
                "transaction_value": [value],
                "transaction_transaction_type_code": ["3"],
            }
        ]
    ).encode()


def pinned_source(source_id: str, files: dict[str, bytes], *, reader: str = "undp", fmt: str = "csv") -> Source:
    """A fetched source whose files are pinned by the sha256 of ``files`` (test data)."""
    return Source(
        id=source_id,
        title="test",
        publisher="test",
        kind="fetched",
        format=fmt,
        reader=reader,
        licence="test",
        citation="test",
        files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    )


def iati_source(files: dict[str, bytes]) -> Source:
    return pinned_source("iati-ssc-activities", files, reader="iati-json", fmt="json")


def data_folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    return data


def build(data: Path, capsys) -> tuple[int, str, str]:
    code = cli.main(["build", "--data-dir", str(data)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_planted_unlisted_file_never_reaches_the_outputs(tmp_path, monkeypatch, capsys):
    data = data_folder(tmp_path)
    listed = {"a.json": activity_json("XI-A", 100), "b.json": activity_json("XI-B", 200)}
    folder = data / "raw" / "iati-ssc-activities"
    folder.mkdir(parents=True)
    for name, payload in listed.items():
        (folder / name).write_bytes(payload)
    (folder / "extra.json").write_bytes(activity_json("XI-PLANTED", PLANTED))
    monkeypatch.setattr(
        "kss_analysis.ingest.readers.load_sources", lambda: {"iati-ssc-activities": iati_source(listed)}
    )
    code, _, err = build(data, capsys)
    assert code == 0, err
    transactions = io.read_table(data / "processed" / "activity_transactions.parquet")
    assert sorted(transactions["value"]) == [100, 200]
    ledger_files = set(io.read_table(data / "processed" / "ledger.parquet")["file"])
    assert not any("extra.json" in f for f in ledger_files)
    inputs = io.read_metadata(data / "processed" / "activities.parquet")["inputs"]
    assert "iati-ssc-activities/a.json" in inputs and not any("extra" in k for k in inputs)
    assert "iati-ssc-activities/extra.json: not listed" in err


def test_a_listed_file_changed_after_the_fetch_is_refused(tmp_path, monkeypatch, capsys):
    data = data_folder(tmp_path)
    listed = {"a.json": activity_json("XI-A", 100)}
    folder = data / "raw" / "iati-ssc-activities"
    folder.mkdir(parents=True)
    (folder / "a.json").write_bytes(activity_json("XI-A", PLANTED))  # same name, other bytes
    monkeypatch.setattr(
        "kss_analysis.ingest.readers.load_sources", lambda: {"iati-ssc-activities": iati_source(listed)}
    )
    code, _, err = build(data, capsys)
    assert code == 0
    assert len(io.read_table(data / "processed" / "activity_transactions.parquet")) == 0
    assert "a.json: sha256" in err and "not built" in err


def test_fifos_devices_and_links_out_are_skipped_not_read(tmp_path, capsys):
    data = data_folder(tmp_path)
    registers = data / "raw" / "registers"
    registers.mkdir()
    os.mkfifo(registers / "pipe.csv")
    (registers / "zero.csv").symlink_to("/dev/zero")
    outside = tmp_path / "outside.csv"
    outside.write_text("judul,tahun\nLuar,2019\n", encoding="utf-8")
    (registers / "outside.csv").symlink_to(outside)
    # Reading the FIFO (or /dev/zero) would never end. To see that nothing opened the FIFO, without
    # timing the build: a writer waits on it from the start (opening a FIFO to write returns once a
    # reader opens it; a build reading it would then get an empty file, not hang), and the test opens
    # it to read only after the build returned. The FIFO must have met its first reader after that.
    events: list[str] = []

    def writer() -> None:
        with open(registers / "pipe.csv", "wb"):
            events.append("the FIFO met a reader")

    waiting = threading.Thread(target=writer, daemon=True)
    waiting.start()
    try:
        code, _, err = build(data, capsys)
        events.append("build returned")
    finally:
        reader = os.open(registers / "pipe.csv", os.O_RDONLY | os.O_NONBLOCK)  # lets the writer go
        waiting.join()
        os.close(reader)
    assert code == 0
    assert events == ["build returned", "the FIFO met a reader"]  # the build never opened it
    assert "pipe.csv is a FIFO" in err
    assert "zero.csv is a link out of the data folder" in err
    assert "outside.csv is a link out of the data folder" in err
    assert "Luar" not in set(io.read_table(data / "processed" / "activities.parquet")["title"])


def test_a_register_given_as_csv_and_xlsx_is_built_once_and_reported(tmp_path, capsys):
    data = data_folder(tmp_path)
    registers = data / "raw" / "registers"
    registers.mkdir()
    (registers / "mitra.csv").write_text("judul,tahun\nA,2019\n", encoding="utf-8")
    wb = Workbook()
    wb.active.append(["Judul", "Tahun"])
    wb.active.append(["A", 2019])
    wb.save(registers / "mitra.xlsx")
    code, _, err = build(data, capsys)
    assert code == 0, err
    assert "registers/mitra.xlsx: same register name as registers/mitra.csv" in err
    assert (io.read_table(data / "processed" / "activities.parquet")["source"] == "register:mitra").sum() == 1


def test_every_sheet_of_a_two_sheet_register_is_counted(tmp_path, capsys):
    data = data_folder(tmp_path)
    registers = data / "raw" / "registers"
    registers.mkdir()
    wb = Workbook()
    wb.active.title = "2019"
    for row in (["Judul", "Tahun", "Negara Mitra"], ["A", 2019, "Fiji"], ["B", 2019, "Tonga"]):
        wb.active.append(row)
    other = wb.create_sheet("2020")
    for row in (["Judul", "Tahun", "Negara Mitra"], ["C", 2020, "Samoa"], ["D", 2020, "Kenya"], ["E", 2020, "Fiji"]):
        other.append(row)
    wb.save(registers / "dua.xlsx")
    assert build(data, capsys)[0] == 0
    ledger = io.read_table(data / "processed" / "ledger.parquet").set_index("file")
    assert ledger.loc["registers/dua.xlsx", "rows_read"] == 5
    titles = io.read_table(data / "processed" / "activities.parquet").query("source == 'register:dua'")["title"]
    assert sorted(titles) == ["A", "B", "C", "D", "E"]


def zip_of(name: str, data: bytes) -> bytes:
    buffer = stdio.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_extraction(tmp_path, capsys):
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(zip_of("donor.csv", b"0" * (64 << 20)))  # 64 MiB of zeros in about 64 KB
    assert bomb.stat().st_size < 1 << 20
    tracemalloc.start()
    code = cli.main(["ingest", str(bomb), "--as", "aiddata", "--out", str(tmp_path / "out")])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2 and "zip bomb" in err and "donor.csv" in err and len(err.strip().splitlines()) == 1
    assert peak < 16 << 20  # nothing was expanded


def test_a_member_larger_than_the_cap_is_refused_with_the_setting_named(tmp_path, monkeypatch):
    rows = b"project_id,donor\n" + b"".join(b"%d,Qatar\n" % i for i in range(200_000))
    path = tmp_path / "big.zip"
    path.write_bytes(zip_of("donor.csv", rows))
    monkeypatch.setenv("KSS_MAX_UNZIPPED_BYTES", str(1 << 20))
    with pytest.raises(InputError) as info:
        read_aiddata(path)
    assert "KSS_MAX_UNZIPPED_BYTES" in str(info.value) and "donor.csv" in str(info.value)
    monkeypatch.setenv("KSS_MAX_UNZIPPED_BYTES", str(1 << 30))
    assert len(read_aiddata(path)[1]) == 200_000  # the same file reads under a raised cap


def test_an_archive_of_too_many_members_is_refused(tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(safe_archive.MAX_MEMBERS + 1):
            archive.writestr(f"f{i}.txt", b"")
    with pytest.raises(InputError, match="members"):
        read_aiddata(path)


def test_a_stray_far_cell_costs_one_row_not_gigabytes(tmp_path):
    wb = Workbook()
    wb.active.append(["Judul", "Tahun"])
    wb.active.append(["A", 2019])
    wb.active["XFD1048576"] = "stray"
    wb.save(tmp_path / "stray.xlsx")
    tracemalloc.start()
    rows = read_register(tmp_path / "stray.xlsx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 << 20  # the time it takes: benchmarks/bench_hardening.py
    assert [locator for locator, _ in rows.rows] == ["sheet 'Sheet' row 2", "sheet 'Sheet' row 1048576"]


def test_full_disk_names_the_file(tmp_path, monkeypatch, capsys):
    data = data_folder(tmp_path)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.os, "fsync", full)
    code, _, err = build(data, capsys)
    assert code == 2 and "No space left on device" in err and ".parquet" in err
    assert len(err.strip().splitlines()) == 1


def test_a_folder_in_the_way_is_named(tmp_path, capsys):
    register = tmp_path / "r.csv"
    register.write_text("judul,tahun\nA,2019\n", encoding="utf-8")
    (tmp_path / "out" / "activities.parquet").mkdir(parents=True)
    code = cli.main(["ingest", str(register), "--as", "register", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / 'out' / 'activities.parquet'}: a folder is in the way" in err
    assert ".tmp" not in err


def test_a_corrupt_manifest_is_rebuilt_from_checksums_with_a_warning(tmp_path, monkeypatch, capsys):
    payload = b"Number,Project Name\n1,A\n"
    source = pinned_source("pinned", {"data.csv": payload})
    monkeypatch.setattr("kss_analysis.acquire.registry.load_sources", lambda: {"pinned": source})
    (tmp_path / "pinned").mkdir()
    (tmp_path / "pinned" / "data.csv").write_bytes(payload)
    for corrupt in ("{", '{"other": 1}', "[]", '{"files": {"x": 5}}'):
        (tmp_path / fetch.MANIFEST_NAME).write_text(corrupt, encoding="utf-8")
        manifest = fetch.read_manifest(tmp_path)
        assert manifest["pinned/data.csv"]["sha256"] == source.files["data.csv"]
        assert "is corrupt" in capsys.readouterr().err


@pytest.mark.parametrize(
    "bad",
    [b"", b"PK\x03\x04garbage", b"year,value\n2019,1\n"],
    ids=["empty", "not-a-zip-where-zip-expected", "truncated"],
)
def test_fetch_never_replaces_a_good_unpinned_copy_with_a_bad_one(tmp_path, bad):
    source = pattern_source()
    if bad.startswith(b"PK"):
        source = Source(**{**source.__dict__, "file_pattern": "CRS {year}.zip"})
    name = source.file_pattern.format(year=2019)
    good = zip_of("crs.txt", b"year|value\n" * 5000) if name.endswith(".zip") else b"year,value\n2019,1\n" * 5000
    raw, mirror = tmp_path / "raw", tmp_path / "mirror"
    (raw / source.id).mkdir(parents=True)
    (raw / source.id / name).write_bytes(good)
    (mirror / source.id).mkdir(parents=True)
    (mirror / source.id / name).write_bytes(bad)
    report = fetch.fetch_source(source, raw, mirror=mirror, force=True, years=[2019], progress=False)
    assert report.errors and "earlier copy" in str(report.errors[0])
    assert (raw / source.id / name).read_bytes() == good
    assert not list((raw / source.id).glob("*.part"))


def test_two_concurrent_fetches_keep_every_manifest_entry(tmp_path):
    raw, mirror = tmp_path / "raw", tmp_path / "mirror"
    sources = []
    for n in range(2):
        files = {f"f{i}.csv": f"a,b\n{n},{i}\n".encode() for i in range(30)}
        source = pinned_source(f"s{n}", files)
        (mirror / source.id).mkdir(parents=True)
        for name, payload in files.items():
            (mirror / source.id / name).write_bytes(payload)
        sources.append(source)
    threads = [
        threading.Thread(target=fetch.fetch_source, args=(s, raw), kwargs={"mirror": mirror, "progress": False})
        for s in sources
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fetch.read_manifest(raw)) == 60


def test_control_characters_are_stripped_and_counted_as_fixes(tmp_path, capsys):
    register = tmp_path / "r.csv"
    register.write_bytes(b"judul,tahun,negara_mitra\nKursus\x00 nelayan\x07,2019,Fiji\nBiasa,2019,Fiji\n")
    assert cli.main(["ingest", str(register), "--as", "register", "--out", str(tmp_path / "out")]) == 0
    activities = pd.read_parquet(tmp_path / "out" / "activities.parquet")
    assert sorted(activities["title"]) == ["Biasa", "Kursus nelayan"]
    ledger = pd.read_parquet(tmp_path / "out" / "ledger.parquet")
    assert ledger["rows_fixed"].sum() == 1 and ledger["rows_kept"].sum() == 1


def test_chart_csvs_escape_formula_cells_like_tables_export(tmp_path, capsys):
    from kss_analysis.outputs.charts.export import export_charts
    from kss_analysis.outputs.tables.export import escape_formula

    data = data_folder(tmp_path)
    (data / "raw" / "registers").mkdir()
    (data / "raw" / "registers" / "x.csv").write_text(
        "judul,tahun,negara_mitra,mitra_triangular,kerja_sama\n"
        '"Kursus A",2019,Fiji,"=HYPERLINK(""http://x"",""y"")",triangular\n'
        "Kursus B,2019,Fiji,+SUM(1;1),triangular\nKursus C,2019,Fiji,@cmd,triangular\n",
        encoding="utf-8",
    )
    assert build(data, capsys)[0] == 0
    export_charts(data / "processed", tmp_path / "figures", ["en"], [], names=["triangular_partners"])  # CSV only
    chart = pd.read_csv(tmp_path / "figures" / "en" / "triangular_partners.csv", dtype=str)
    cells = set(chart.iloc[:, 0])
    for formula in ('=HYPERLINK("http://x","y")', "+SUM(1;1)", "@cmd"):
        assert formula not in cells and escape_formula(formula) in cells


def test_kss_sources_does_not_call_a_folder_with_unlisted_files_just_verified(tmp_path):
    payload = b"Number,Project Name\n1,A\n"
    source = pinned_source("pinned", {"data.csv": payload})
    (tmp_path / "pinned").mkdir()
    (tmp_path / "pinned" / "data.csv").write_bytes(payload)
    assert fetch.source_status(source, tmp_path, {})[0] == "verified"
    (tmp_path / "pinned" / "extra.json").write_text("{}", encoding="utf-8")
    assert fetch.source_status(source, tmp_path, {})[0] == "verified + 1 unlisted (not built)"


def test_a_fifo_among_crs_files_is_skipped(tmp_path):
    from kss_analysis.ingest.readers import admit, source_files

    folder = tmp_path / "data" / "raw" / "oecd-crs"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "CRS 2019.txt")
    (folder / "CRS 2020.txt").write_text("x", encoding="utf-8")
    admitted = admit(tmp_path / "data" / "raw")
    assert source_files(admitted, "crs") == [folder / "CRS 2020.txt"]
    assert admitted.notices == ["oecd-crs/CRS 2019.txt is a FIFO (named pipe), not a file; skipped"]


def test_a_changed_or_special_money_file_is_not_used(tmp_path):
    """Rates are inputs too: a fetched FX file that differs from its pin, or a FIFO in its place,
    is refused and the embedded extract used, saying why."""
    from kss_analysis.build import money

    raw = tmp_path / "data" / "raw"
    folder = raw / money.FX_SOURCE_ID
    folder.mkdir(parents=True)
    planted = folder / money.FX_FILE
    planted.write_text("Date,Rate,Currency,Frequency,Source,Country code,Country\n2020,1,IDR,A,x,IDN,Indonesia\n")
    money.load_money_tables.cache_clear()
    provenance = money.load_money_tables(raw).provenance["fx"]
    assert provenance["origin"] == "embedded extract"
    assert "differs from the pinned" in provenance["refused"]
    planted.unlink()
    os.mkfifo(planted)
    money.load_money_tables.cache_clear()
    provenance = money.load_money_tables(raw).provenance["fx"]
    assert provenance["origin"] == "embedded extract" and "is a FIFO" in provenance["refused"]
    money.load_money_tables.cache_clear()


def test_special_files_in_embedded_and_pattern_sources_are_skipped_with_a_notice(tmp_path):
    """The build's admitted inputs (acquire.inputs.admit_inputs) hold only regular files, for every source kind."""
    from kss_analysis.ingest.readers import admit, find_inputs, source_files

    raw = tmp_path / "data" / "raw"
    (raw / "kss").mkdir(parents=True)
    os.mkfifo(raw / "kss" / "kss_programmes.csv")
    (raw / "kss" / "kss_figures.csv").symlink_to("/dev/zero")
    (raw / "tossd").mkdir()
    os.mkfifo(raw / "tossd" / "tossddata_2020.parquet")
    admitted = admit(raw)
    assert find_inputs(admitted) == []
    assert source_files(admitted, "figures") == []
    notices = admitted.notices
    assert "kss/kss_programmes.csv is a FIFO (named pipe), not a file; skipped" in notices
    assert "tossd/tossddata_2020.parquet is a FIFO (named pipe), not a file; skipped" in notices
    assert len(notices) == 3 and [n for n in notices if n.startswith("kss/kss_figures.csv is a link out")]
