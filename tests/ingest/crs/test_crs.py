"""The CRS reader and streaming build on small files in the bulk format ("CRS <year>
data.txt": pipe-delimited, quoted, header row), in UTF-8, UTF-16 with BOM, zip (Deflate
and Deflate64), with a quoted line break, leading-zero codes and a Namibia row; plus the
synthetic generator ../shared/tools/gen_crs.py when present."""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest

from kss_analysis.build.aggregate import aggregate_crs
from kss_analysis.build.pipeline import build_crs, crs_ledger
from kss_analysis.core.errors import InputError
from kss_analysis.core.validate import check_ledger
from tests.paths import FIXTURES

GENERATOR = next(
    (
        p / "shared" / "tools" / "gen_crs.py"
        for p in Path(__file__).resolve().parents
        if (p / "shared" / "tools").is_dir()
    ),
    Path("../shared/tools/gen_crs.py"),
)
HEADER = [
    "Year",
    "DonorCode",
    "DonorName",
    "AgencyName",
    "CrsID",
    "ProjectNumber",
    "RecipientCode",
    "DERecipientcode",
    "RecipientName",
    "RegionCode",
    "IncomegroupName",
    "FlowCode",
    "FlowName",
    "Bi_Multi",
    "Finance_t",
    "Aid_t",
    "USD_Commitment",
    "USD_Disbursement",
    "USD_Commitment_Defl",
    "USD_Disbursement_Defl",
    "PurposeCode",
    "PurposeName",
    "ChannelCode",
    "ChannelName",
    "ProjectTitle",
]
ROWS = [
    [
        "2019",
        "701",
        "Japan",
        "JICA",
        "2019000123",
        "0042-A",
        "738",
        "ID",
        "Indonesia",
        "10009",
        "LMICs",
        "11",
        "ODA Grants",
        "8",
        "110",
        "C01",
        "1.5",
        "0.75",
        "1.4",
        "0.7",
        "31120",
        "Agricultural development",
        "11000",
        "Donor Government",
        "Third-country training\nin Indonesia",
    ],  # quoted line break, triangular (Bi_Multi 8)
    [
        "2019",
        "801",
        "Australia",
        "DFAT",
        "2019000124",
        "0007",
        "275",
        "NA",
        "Namibia",
        "10004",
        "UMICs",
        "11",
        "ODA Grants",
        "1",
        "110",
        "C01",
        "2.0",
        "",
        "1.9",
        "",
        "12220",
        "Basic health care",
        "21000",
        "NGO",
        "Clinics",
    ],
    [
        "2020",
        "701",
        "Japan",
        "JICA",
        "2020000001",
        "0100",
        "298",
        "",
        "Africa, regional",
        "10002",
        "Unallocated",
        "11",
        "ODA Grants",
        "1",
        "110",
        "C01",
        "3.0",
        "3.0",
        "2.9",
        "2.9",
        "99999",
        "Unknown purpose",
        "",
        "",
        "Regional study",
    ],
    [
        "2020",
        "302",
        "United States",
        "USAID",
        "2020000002",
        "X-9",
        "738",
        "ID",
        "Indonesia",
        "10009",
        "LMICs",
        "11",
        "ODA Grants",
        "1",
        "110",
        "C01",
        "",
        "4.25",
        "",
        "4.0",
        "74020",
        "Multi-hazard response",
        "",
        "",
        "Flood relief",
    ],
]


def bulk_text(rows=ROWS) -> str:
    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    lines = ["|".join(quote(h) for h in HEADER)] + ["|".join(quote(v) for v in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def deflate64_zip(path: Path, name: str, data: bytes) -> Path:
    """A zip whose one member uses Deflate64 (method 9), as some OECD archives do."""
    import inflate64

    deflater = inflate64.Deflater()
    compressed = deflater.deflate(data) + deflater.flush()
    crc = zlib.crc32(data)
    name_bytes = name.encode()
    local = (
        struct.pack("<IHHHHHIIIHH", 0x04034B50, 21, 0, 9, 0, 0, crc, len(compressed), len(data), len(name_bytes), 0)
        + name_bytes
    )
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            21,
            21,
            0,
            9,
            0,
            0,
            crc,
            len(compressed),
            len(data),
            len(name_bytes),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        + name_bytes
    )
    offset = len(local) + len(compressed)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), offset, 0)
    return write(path, local + compressed + central + end)


def read(out: Path) -> pd.DataFrame:
    frame = pd.read_parquet(out)
    frame["year"] = frame["year"].astype(int)
    return frame.sort_values("crs_id").reset_index(drop=True)


@pytest.fixture
def utf8_file(tmp_path) -> Path:
    return write(tmp_path / "CRS 2019 data.txt", bulk_text().encode("utf-8"))


def test_bulk_file_maps_to_the_canonical_model(utf8_file, tmp_path):
    frame = read(build_crs([utf8_file], tmp_path / "crs").out)
    assert len(frame) == 4
    first = frame.iloc[0]
    assert first.title == "Third-country training\nin Indonesia"  # quoted line break kept inside the field
    assert (first.recipient_iso3, first.region, first.cooperation_type, first.sector_theme) == (
        "IDN",
        "asia",
        "triangular",
        "agriculture_food",
    )
    assert (first.crs_id, first.project_number) == ("2019000123", "0042-A")
    namibia = frame.set_index("recipient_name").loc["Namibia"]
    assert (namibia.recipient_de_code, namibia.recipient_iso3, namibia.region) == (
        "NA",
        "NAM",
        "africa",
    )  # 'NA' is data
    assert pd.isna(namibia.disbursement_usd_mn) and namibia.commitment_usd_mn == 2.0
    assert namibia.cooperation_type == "north_south"  # Bi_Multi 1 from Australia, a DAC member
    regional = frame.set_index("crs_id").loc["2020000001"]
    assert (regional.region, regional.quarantine_reason) == ("africa", "unknown_sector") and pd.isna(
        regional.recipient_iso3
    )
    assert frame.set_index("crs_id").loc["2020000002", "sector_theme"] == "disaster_humanitarian"
    assert sorted(p.parent.name for p in (tmp_path / "crs").rglob("part-*.parquet")) == ["year=2019", "year=2020"]


def test_derived_code_columns_are_stored_as_dictionary_text(utf8_file, tmp_path):
    """The columns the build derives from small code lists are dictionary-encoded text: pandas
    reads them as categories, DuckDB and polars SQL as text; the source's own columns stay plain."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = build_crs([utf8_file], tmp_path / "crs").out
    schema = pq.read_schema(sorted(out.rglob("*.parquet"))[0])
    derived = ("recipient_iso3", "region", "sector_theme", "cooperation_type", "quarantine_reason", "source_file")
    for name in derived:
        assert schema.field(name).type == pa.dictionary(pa.uint32(), pa.string()), name
    assert schema.field("recipient_code").type in (pa.string(), pa.large_string(), pa.string_view())
    frame = read(out)
    assert isinstance(frame["region"].dtype, pd.CategoricalDtype)
    assert set(frame["region"].astype("string")) == {"asia", "africa"}
    glob = f"{out}/**/*.parquet"
    regions = duckdb.sql(f"SELECT DISTINCT region FROM read_parquet('{glob}') ORDER BY 1").fetchall()
    assert regions == [("africa",), ("asia",)]


def test_records_are_counted_once_over_many_batches_and_an_empty_year(tmp_path):
    """The ledger's records read are counted as the rows stream past the reader: over a file of
    many batches each record counts once, and a record with an empty Year is one record (the
    earlier count added one more for it)."""
    template = ROWS[0]
    rows = [[str(2010 + i % 12), *template[1:4], f"{i:08d}", *template[5:]] for i in range(150_000)]
    rows[7][0] = ""  # no year: kept, quarantined as bad_year
    src = write(tmp_path / "CRS many data.txt", bulk_text(rows).encode("utf-8"))
    built = build_crs([src], tmp_path / "crs", labels=["many.txt"])
    ledger = built.ledger.iloc[0]
    assert ledger["rows_read"] == 150_000 == ledger["rows_kept"] + ledger["rows_quarantined"]
    assert "bad_year=1" in ledger["quarantined_by_reason"]
    assert len(pd.read_parquet(built.out, columns=["crs_id"])) == 150_000


def test_a_file_with_a_header_and_no_records_is_refused_in_one_line(tmp_path, capsys):
    from kss_analysis import cli

    src = write(tmp_path / "CRS 2030 data.txt", bulk_text([]).encode("utf-8"))
    with pytest.raises(InputError, match="a header but no records"):
        build_crs([src], tmp_path / "crs", labels=["CRS 2030 data.txt"])
    assert cli.main(["ingest", str(src), "--as", "crs", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "CRS 2030 data.txt" in err and "no records" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_utf16_zip_and_deflate64_read_the_same_rows(utf8_file, tmp_path):
    expected = read(build_crs([utf8_file], tmp_path / "a", labels=[utf8_file.name]).out)
    utf16 = write(tmp_path / "CRS 2019 data utf16.txt", bulk_text().encode("utf-16"))
    zipped = tmp_path / "CRS 2019 data.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("CRS 2019 data.txt", bulk_text().encode("utf-16"))
    d64 = deflate64_zip(tmp_path / "CRS 2019 d64.zip", "CRS 2019 data.txt", bulk_text().encode("utf-8"))
    with zipfile.ZipFile(d64) as archive:
        assert archive.infolist()[0].compress_type == 9  # really Deflate64
    for path, name in ((utf16, "b"), (zipped, "c"), (d64, "d")):
        built = build_crs([path], tmp_path / name, labels=[utf8_file.name])
        pd.testing.assert_frame_equal(read(built.out), expected)


def test_deflate64_without_the_library_names_the_remedy(tmp_path, monkeypatch):
    from kss_analysis.ingest.crs import read as crs

    d64 = deflate64_zip(tmp_path / "d64.zip", "CRS 2019 data.txt", bulk_text().encode("utf-8"))
    monkeypatch.setattr(crs, "_enable_deflate64", lambda: False)
    with pytest.raises(InputError, match="Deflate64.*zipfile-deflate64"):
        build_crs([d64], tmp_path / "out")


def test_aggregation_leaves_out_quarantined_rows_and_keeps_measures_apart(utf8_file, tmp_path):
    out = build_crs([utf8_file], tmp_path / "crs").out
    table = aggregate_crs(out, ("year", "region")).to_pandas()
    rows = read(out)
    clean = rows[rows["quarantine_reason"].isna()]
    assert table["records"].sum() == len(clean) == 3
    assert table["commitment_usd_mn"].sum() == pytest.approx(clean["commitment_usd_mn"].sum())
    assert table["disbursement_usd_mn"].sum() == pytest.approx(clean["disbursement_usd_mn"].sum())


def test_not_a_crs_file_and_a_failed_build_keep_the_previous_dataset(utf8_file, tmp_path):
    out = build_crs([utf8_file], tmp_path / "crs").out
    before = sorted(p.name for p in out.rglob("*.parquet"))
    other = write(tmp_path / "other.txt", b"a|b\n1|2\n")
    with pytest.raises(InputError, match="missing columns"):
        build_crs([other], out)
    assert sorted(p.name for p in out.rglob("*.parquet")) == before
    assert len(read(out)) == 4


@pytest.mark.slow
@pytest.mark.skipif(not GENERATOR.exists(), reason="needs ../shared/tools/gen_crs.py")
def test_synthetic_generator_file_builds_completely(tmp_path):
    src = tmp_path / "synthetic.txt"
    subprocess.run([sys.executable, str(GENERATOR), "3000", str(src)], check=True, capture_output=True)
    out = build_crs([src], tmp_path / "crs").out
    frame = pd.read_parquet(out)
    assert len(frame) == 3000  # every row kept (some flagged in quarantine_reason, none dropped)
    assert set(frame["year"].astype(int)) <= set(range(2010, 2024))
    assert frame["quarantine_reason"].notna().any() and frame["quarantine_reason"].isna().any()


def test_crs_build_is_byte_identical_and_part_of_kss_build(utf8_file, tmp_path):
    from kss_analysis.build.pipeline import build_all
    from kss_analysis.core import io

    hashes = []
    for name in ("one", "two"):
        out = build_crs([utf8_file], tmp_path / name).out
        hashes.append({str(p.relative_to(out)): io.sha256_file(p) for p in sorted(out.rglob("*.parquet"))})
    assert hashes[0] == hashes[1]
    data = tmp_path / "data"
    (data / "raw" / "oecd-crs").mkdir(parents=True)
    utf8_file.rename(data / "raw" / "oecd-crs" / utf8_file.name)
    build_all(data)
    assert len(pd.read_parquet(data / "processed" / "crs")) == 4
    ledger = pd.read_parquet(data / "processed" / "crs_ledger.parquet")
    assert ledger[["file", "rows_read", "rows_kept", "rows_quarantined"]].values.tolist() == [
        ["oecd-crs/CRS 2019 data.txt", len(ROWS), 3, 1]
    ]
    assert "oecd-crs/CRS 2019 data.txt" in io.read_metadata(data / "processed" / "crs_ledger.parquet")["inputs"]


EXPLORER_EXPORT = FIXTURES / "crs_explorer_export.csv"


def test_data_explorer_export_becomes_one_row_per_key_in_usd_millions(tmp_path):
    out = build_crs([EXPLORER_EXPORT], tmp_path / "crs").out
    frame = read(out).set_index("recipient_de_code")
    indonesia = frame.loc["IDN"]
    indonesia = indonesia[indonesia["quarantine_reason"].isna()].iloc[0]
    # The four USD observations of Japan -> Indonesia 2021 share one row.
    assert [indonesia[c] for c in ("commitment_usd_mn", "disbursement_usd_mn")] == [1.5, 0.8]
    assert [indonesia[c] for c in ("commitment_constant_usd_mn", "disbursement_constant_usd_mn")] == [1.6, 0.85]
    assert (indonesia["recipient_iso3"], indonesia["recipient_code"]) == ("IDN", "738")
    assert indonesia["sector_theme"] == "governance_diplomacy"
    assert indonesia["donor_name"] == "Japan"
    assert pd.isna(indonesia["cooperation_type"])  # no BIMULTI_CODE in the export: unknown, not bilateral
    # 250 with UNIT_MULT 3 is USD 250 thousand = 0.25 million, the bulk files' unit.
    assert frame.loc["NAM", "commitment_usd_mn"] == pytest.approx(0.25)
    assert frame.loc["NAM", "recipient_iso3"] == "NAM"


def test_data_explorer_rows_that_cannot_be_placed_are_counted_with_a_reason(tmp_path):
    import csv

    with EXPLORER_EXPORT.open(encoding="utf-8-sig", newline="") as handle:
        observations = list(csv.DictReader(handle))
    usd = [o for o in observations if o["UNIT_MEASURE"] == "USD"]
    keys = {(o["DONOR"], o["RECIPIENT"], o["SECTOR"], o["TIME_PERIOD"]) for o in usd}
    out = build_crs([EXPLORER_EXPORT], tmp_path / "crs").out
    frame = read(out)
    reasons = frame["quarantine_reason"].astype("string").fillna("kept").value_counts().to_dict()
    # One row per USD key, plus one per observation in another unit: nothing dropped.
    assert len(frame) == len(keys) + len(observations) - len(usd)
    assert reasons == {"kept": 2, "unknown_recipient": 1, "unsupported_measure": 1}
    ledger = build_crs([EXPLORER_EXPORT], tmp_path / "again", labels=["export.csv"]).ledger.iloc[0]
    # Observations counted with the csv module above, not by the build: 2 + 1 + 1 rows hold them all.
    assert ledger["rows_read"] == len(observations) == ledger["rows_kept"] + ledger["rows_quarantined"]
    assert ledger["quarantined_by_reason"] == "unknown_recipient=1;unsupported_measure=1"


def test_data_explorer_export_without_unit_multiplier_is_refused(tmp_path):
    text = EXPLORER_EXPORT.read_text(encoding="utf-8-sig").replace("UNIT_MULT", "UNIT_X")
    path = write(tmp_path / "export.csv", text.encode())
    with pytest.raises(InputError, match="UNIT_MULT"):
        build_crs([path], tmp_path / "crs")


def test_bilateral_from_a_donor_outside_the_dac_has_no_cooperation_type(tmp_path):
    turkey = [dict(zip(HEADER, row, strict=True)) for row in ROWS]
    turkey[1].update({"DonorCode": "55", "DonorName": "Turkey"})
    path = write(tmp_path / "CRS 2019 data.txt", bulk_text([[r[h] for h in HEADER] for r in turkey]).encode())
    frame = read(build_crs([path], tmp_path / "crs").out).set_index("crs_id")
    assert pd.isna(frame.loc["2019000124", "cooperation_type"])  # not guessed: neither bilateral nor South-South
    assert set(frame["cooperation_type"].dropna()) <= {"triangular", "north_south", "multilateral"}


def test_a_lost_row_breaks_the_crs_ledger():
    written = pd.DataFrame({"source_file": ["f", "f"], "quarantine_reason": [None, "unknown_sector"], "rows": [3, 1]})
    assert check_ledger(crs_ledger({"f": 4}, written)) == []
    assert check_ledger(crs_ledger({"f": 5}, written)) == [
        "ledger of f: read 5 != kept 3 + fixed 0 + quarantined 1 + excluded 0"
    ]


NUMERIC = {
    "Year",
    "DonorCode",
    "CrsID",
    "RecipientCode",
    "RegionCode",
    "FlowCode",
    "Bi_Multi",
    "Finance_t",
    "PurposeCode",
}


def bulk_parquet(path: Path, *, snake_case: bool) -> Path:
    """The rows above as the OECD's bulk CRS Parquet file: codes stored as numbers (channel codes
    as floats, as a writer with gaps stores them), amounts as doubles, empty numbers null; with
    ``snake_case`` the columns are named donor_code ... in another order, plus a column the
    reader does not use."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {}
    for i, name in enumerate(HEADER):
        cells = [row[i] for row in ROWS]
        if name in NUMERIC:
            values = pa.array([int(c) if c else None for c in cells], pa.int64())
        elif name == "ChannelCode":
            values = pa.array([float(c) if c else None for c in cells], pa.float64())
        elif name.startswith("USD_"):
            values = pa.array([float(c) if c else None for c in cells], pa.float64())
        else:
            values = pa.array(cells, pa.string())
        snake = "".join(
            f"_{ch.lower()}" if ch.isupper() and k and not name[k - 1].isupper() else ch.lower()
            for k, ch in enumerate(name)
        )
        columns[snake.replace("__", "_") if snake_case else name] = values
    if snake_case:
        columns = dict(reversed(list(columns.items())))
        columns["usd_grant_equiv"] = pa.array([None] * len(ROWS), pa.float64())
    pq.write_table(pa.table(columns), path)
    return path


@pytest.mark.parametrize("snake_case", [False, True])
def test_bulk_parquet_reads_the_same_rows_as_the_text_file(utf8_file, tmp_path, snake_case):
    expected = read(build_crs([utf8_file], tmp_path / "a", labels=[utf8_file.name]).out)
    parquet = bulk_parquet(tmp_path / "CRS.parquet", snake_case=snake_case)
    if snake_case:
        import pyarrow.parquet as pq

        assert "donor_code" in pq.read_schema(parquet).names  # really the other naming
    built = build_crs([parquet], tmp_path / "b", labels=[utf8_file.name])
    # A number column has no empty text: the text file's '' is the Parquet file's null there.
    expected["channel_code"] = expected["channel_code"].mask(expected["channel_code"] == "")
    pd.testing.assert_frame_equal(read(built.out), expected)
    assert built.ledger.iloc[0]["rows_read"] == len(ROWS)


def test_a_parquet_file_without_crs_columns_is_refused_by_name(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"Year": [2019], "DonorCode": [701]}), path)
    with pytest.raises(InputError, match="missing columns RecipientCode"):
        build_crs([path], tmp_path / "out")
