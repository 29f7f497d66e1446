"""AidData GCOF and TUFF files, written in the real layouts (the quirks each encodes are named in the test)."""

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from kss_analysis.core.errors import InputError
from kss_analysis.core.validate import check_tables
from kss_analysis.ingest.readers import place_file as build_file_tables

GCOF_COLUMNS = [
    "project_id",
    "umbrella",
    "year",
    "donor",
    "title",
    "status",
    "flow_class",
    "amount",
    "currency",
    "usd_defl_2014",
    "usd_current",
    "crs_sector_code",
    "crs_sector_name",
    "recipient_iso3",
    "recipient_region",
    "start_actual",
    "end_actual",
    "implementing_agency",
]


def gcof_zip(path: Path, rows: list[list]) -> Path:
    """A GCOF-layout XLSX inside a zip, with the __MACOSX junk entries of the real archive."""
    wb = Workbook()
    ws = wb.active
    ws.append(GCOF_COLUMNS)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("GCOF/GCOF.xlsx", buffer.getvalue())
        archive.writestr("__MACOSX/GCOF/._GCOF.xlsx", b"\x00\x05\x16\x07junk")
        archive.writestr("GCOF/Readme.pdf", b"%PDF-1.4")
    return path


def test_aiddata_gcof_zip_places_rows_and_counts_exclusions(tmp_path):
    path = gcof_zip(
        tmp_path / "gcof.zip",
        [
            [
                "1",
                "0",
                "2010",
                "China",
                "Hospital",
                "Completion",
                "ODA-like",
                "10000000",
                "CNY",
                "1700000.5",
                "1500000",
                "120",
                "Health",
                "KEN",
                "Africa",
                "2010-03-01",
                "",
                "MOH",
            ],
            [
                "2",
                "0",
                "2011",
                "China",
                "Regional training",
                "Implementation",
                "Vague (Official Finance)",
                "",
                "",
                "",
                "",
                "150",
                "Gov",
                "RWA; Africa, regional; AGO",
                "Africa",
                "",
                "",
                "",
            ],
            [
                "3",
                "1",
                "2012",
                "China",
                "Umbrella loan",
                "Completion",
                "OOF-like",
                "",
                "",
                "",
                "",
                "210",
                "Transport",
                "ZMB",
                "Africa",
                "",
                "",
                "",
            ],
            [
                "4",
                "0",
                "2012",
                "China",
                "Odd sector",
                "Completion",
                "ODA-like",
                "",
                "",
                "",
                "",
                "777",
                "?",
                "ZMB",
                "Africa",
                "",
                "",
                "",
            ],
        ],
    )
    tables = build_file_tables(path, reader="aiddata", source="gcof", file_label="gcof.zip")
    assert check_tables(tables) == []
    ledger = tables.ledger.iloc[0]
    assert (ledger.rows_read, ledger.rows_kept, ledger.rows_quarantined, ledger.rows_excluded) == (4, 3, 0, 1)
    assert ledger.excluded_by_rule == "umbrella=1"
    # an unknown sector code keeps the row, flagged (issue 18), instead of quarantining it
    assert ledger.rows_flagged == 1
    odd = tables.activities.set_index("activity_id").loc["gcof:4"]
    assert (odd.sector_theme, odd.source_locator) == ("unclassified", "GCOF/GCOF.xlsx row 5")
    assert '"777 ?"' in odd.unclassified
    hospital = tables.activities.set_index("activity_id").loc["gcof:1"]
    # three measures kept apart: reported currency, USD current, USD constant 2014
    assert (
        hospital.amount,
        hospital.currency,
        hospital.amount_usd,
        hospital.amount_usd_constant_stated,
        hospital.price_base_year_stated,
    ) == (1e7, "CNY", 1.5e6, 1700000.5, 2014)
    assert (hospital.flow_type, hospital.sector_theme, hospital.provider_iso3) == (
        "oda_like",
        "health_population",
        "CHN",
    )
    regional = tables.activity_recipients[tables.activity_recipients["activity_id"] == "gcof:2"]
    assert sorted(regional["recipient_iso3"].fillna("-")) == ["-", "AGO", "RWA"]
    assert regional["share"].tolist() == pytest.approx([1 / 3] * 3)


def test_aiddata_tuff_csv_in_zip_any_donor(tmp_path):
    """TUFF layout: cp1252 CSV in a zip, usd_defl with thousands commas, is_official_finance."""
    header = "project_id,donor,title,year,crs_sector_code,crs_sector_name,status,flow_class,amount,currency,usd_defl,recipient_iso3,is_official_finance\n"
    body = (
        '1,India,Caf\xe9 training,2012,310,Agriculture,Completion,ODA-like,5000000,INR,"1,234,567",NPL,1\n'
        "2,India,Charity school,2013,110,Education,Completion,ODA-like,,,,NPL,0\n"
    )
    path = tmp_path / "India_TUFF.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("India_TUFF.csv", (header + body).encode("cp1252"))
    tables = build_file_tables(path, reader="aiddata", source="tuff-india", file_label=path.name)
    assert tables.ledger.iloc[0].excluded_by_rule == "non_official=1"
    row = tables.activities.iloc[0]
    assert (row.title, row.provider_iso3, row.amount_usd_constant_stated) == ("Café training", "IND", 1234567.0)
    assert pd.isna(row.amount_usd)  # the TUFF layout has no current-USD column


def test_aiddata_archive_without_one_data_file_is_refused(tmp_path):
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__MACOSX/._x.xlsx", b"junk")
    with pytest.raises(InputError, match="expected one .xlsx or .csv"):
        build_file_tables(path, reader="aiddata", source="x", file_label="empty.zip")
