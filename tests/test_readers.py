"""Readers of the Southern-provider and IATI formats, on small files written in the real
layouts (the quirks each encodes are named in the test), plus the real mirrored files
when ../shared/mirror is present."""

from __future__ import annotations

import io
import json
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from kss_analysis.errors import InputError
from kss_analysis.pipeline import build_all, build_file_tables
from kss_analysis.sources.iati import read_iati_xml
from kss_analysis.validate import check_tables

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "mirror"
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
        hospital.amount_usd_constant,
        hospital.price_base_year,
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
    assert (row.title, row.provider_iso3, row.amount_usd_constant) == ("Café training", "IND", 1234567.0)
    assert pd.isna(row.amount_usd)  # the TUFF layout has no current-USD column


def test_aiddata_archive_without_one_data_file_is_refused(tmp_path):
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__MACOSX/._x.xlsx", b"junk")
    with pytest.raises(InputError, match="expected one .xlsx or .csv"):
        build_file_tables(path, reader="aiddata", source="x", file_label="empty.zip")


UNDP_HEADER = [
    "Number",
    "Project Name",
    "Links",
    "Description",
    "Host/Recipient Country/ies",
    "Provider Country/ies",
    "Regions Involved",
    "Entity/ies Supporting and/or Implementing",
    "Is the private sector involved?",
    "Does it involve LDCs?",
    "UNDP as Implementor",
    "UNDP as Donor",
    "Start year",
    "End year",
    "Thematic Areas",
    "Primary SDG Contribution",
    "Secondary SDG Contribution",
]


def undp_csv(path: Path, rows: list[list[str]], header=UNDP_HEADER) -> Path:
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


def undp_row(number, hosts, providers, themes="Governance", start="2018", end="Present"):
    return [
        number,
        f"Project {number}",
        "https://example.org/p",
        "d",
        hosts,
        providers,
        "Asia Pacific",
        "UNDP",
        "",
        "",
        "",
        "",
        start,
        end,
        themes,
        "SDG1",
        "SDG1,SDG17",
    ]


@pytest.mark.parametrize("layout", ["current", "earlier (no Secondary SDG column)"])
def test_undp_list_in_both_layouts(tmp_path, layout):
    rows = [
        undp_row("1", "FJI,TON", "IDN"),
        undp_row("2", "", "IDN.JPN", "Environment,Energy"),
        undp_row("3", "KEN", "ROK"),
        undp_row("4", "KEN", "BGG"),
    ]
    header = UNDP_HEADER
    if layout != "current":
        header = UNDP_HEADER[:-1]
        rows = [r[:-1] for r in rows]
    tables = build_file_tables(
        undp_csv(tmp_path / "data.csv", rows, header), reader="undp", source="undp", file_label="data.csv"
    )
    assert check_tables(tables) == []
    acts = tables.activities.set_index("activity_id")
    assert acts.loc["undp:2", "provider_iso3"] == "IDN;JPN" and "providers_separator" in acts.loc["undp:2", "fixes"]
    assert acts.loc["undp:3", "provider_iso3"] == "KOR"
    assert acts.loc["undp:2", "sector_themes"] == "environment_climate;infrastructure_energy"
    global_row = tables.activity_recipients.set_index("activity_id").loc["undp:2"]
    assert (global_row.allocation, global_row.region) == ("unallocated", "multi_region")  # empty host = global
    # an unknown provider code is a descriptive miss: row kept, flagged, code reported (issue 18)
    assert tables.quarantine.empty and pd.isna(acts.loc["undp:4", "provider_iso3"])
    assert '"BGG"' in acts.loc["undp:4", "unclassified"] and tables.ledger.iloc[0].rows_flagged == 1


def iati_json(folder: Path, name: str, **fields) -> Path:
    record = {
        "iati_identifier": name,
        "dataset_version": "2.03",
        "default_currency": "USD",
        "title_narrative": [f"Activity {name}"],
        "reporting_org_ref": "GB-GOV-1",
        "reporting_org_type": "10",
        "reporting_org_narrative": ["UK"],
    }
    record.update(fields)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def test_iati_json_zips_parallel_lists(tmp_path):
    iati_json(
        tmp_path,
        "A-1",
        recipient_country_code=["NA", "KE"],
        recipient_country_percentage=[60.0, 40.0],
        sector_code=["31120", "12220", "X1"],
        sector_vocabulary=["1", "1", "99"],
        sector_percentage=[30.0, 70.0, 100.0],
        transaction_transaction_type_code=["2", "3", "3"],
        transaction_value=[1000.0, 400.0, -50.0],
        transaction_transaction_date_iso_date=["2019-01-05T00:00:00Z", "2019-06-01T00:00:00Z", "2020-02-01T00:00:00Z"],
        collaboration_type_code="8",
        activity_date_type=["2"],
        activity_date_iso_date=["2019-01-01T00:00:00Z"],
    )
    iati_json(
        tmp_path,
        "A-2",
        recipient_country_code=["TL"],
        transaction_value=[5.0, 6.0],
        transaction_transaction_type_code=["3"],
    )
    iati_json(
        tmp_path,
        "A-3",
        recipient_region_code=["298", "AA"],
        recipient_region_vocabulary=["1", "99"],
        collaboration_type_code="1",
    )
    tables = build_file_tables(tmp_path, reader="iati-json", source="iati", file_label="iati")
    assert check_tables(tables) == []
    acts = tables.activities.set_index("activity_id")
    a1 = acts.loc["iati:A-1"]
    assert (a1.cooperation_type, a1.year, a1.sector_code, a1.sector_theme) == (
        "triangular",
        2019,
        "12220",
        "health_population",
    )
    recips = tables.activity_recipients.set_index("recipient_iso3")
    assert recips.loc["NAM", "share"] == pytest.approx(0.6)  # 'NA' is Namibia
    tx = tables.activity_transactions
    assert tx[["transaction_type", "year", "value"]].values.tolist() == [
        ["commitment", 2019, 1000.0],
        ["disbursement", 2019, 400.0],
        ["disbursement", 2020, -50.0],
    ]
    assert tables.quarantine.set_index("locator").loc["A-2.json", "reason_code"] == "misaligned_lists"
    a3 = acts.loc["iati:A-3"]
    assert a3.cooperation_type == "north_south"  # GB is a DAC member
    assert "region_code_unplaced:AA" in a3.fixes
    assert sorted(tables.ledger["file"]) == ["iati/A-1.json", "iati/A-2.json", "iati/A-3.json"]


IATI_203 = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity default-currency="USD">
  <iati-identifier>XX-1</iati-identifier>
  <reporting-org ref="BR-1" type="10"><narrative>ABC Brazil</narrative></reporting-org>
  <title><narrative>Rice training</narrative></title>
  <participating-org role="1" ref="BR-1"><narrative>ABC</narrative></participating-org>
  <participating-org role="4"><narrative>Embrapa</narrative></participating-org>
  <activity-date type="2" iso-date="2016-04-01"/>
  <recipient-country code="MZ" percentage="100"/>
  <sector vocabulary="1" code="31161" percentage="100"/>
  <collaboration-type code="1"/>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2016-04-02"/><value currency="BRL">2500</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2017-01-10"/><value>900</value></transaction>
 </iati-activity>
</iati-activities>"""

IATI_105 = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="1.05">
 <iati-activity default-currency="EUR">
  <iati-identifier>YY-1</iati-identifier>
  <reporting-org ref="DE-1" type="10">Germany</reporting-org>
  <title>Water project</title>
  <participating-org role="Funding">BMZ</participating-org>
  <activity-date type="start-actual" iso-date="2012-02-01"/>
  <recipient-region code="289" percentage="100"/>
  <sector vocabulary="DAC" code="14020"/>
  <transaction><transaction-type code="C"/><transaction-date iso-date="2012-02-01"/><value>100</value></transaction>
  <transaction><transaction-type code="D"/><value value-date="2013-05-05">40</value></transaction>
 </iati-activity>
</iati-activities>"""


def test_iati_xml_2_03_and_1_05_read_the_same_way(tmp_path):
    (tmp_path / "a203.xml").write_text(IATI_203)
    (tmp_path / "a105.xml").write_text(IATI_105)
    new = build_file_tables(tmp_path / "a203.xml", reader="iati-xml", source="x", file_label="a203.xml")
    old = build_file_tables(tmp_path / "a105.xml", reader="iati-xml", source="y", file_label="a105.xml")
    a = new.activities.iloc[0]
    assert (a.year, a.provider_iso3, a.cooperation_type, a.sector_theme) == (
        2016,
        "BRA",
        "south_south",
        "agriculture_food",
    )
    assert json.loads(a.participating_orgs)[1] == {"name": "Embrapa", "ref": None, "role": "4"}
    assert new.activity_transactions[["transaction_type", "currency", "year"]].values.tolist() == [
        ["commitment", "BRL", 2016],
        ["disbursement", "USD", 2017],
    ]
    b = old.activities.iloc[0]
    assert (b.year, b.provider_iso3, b.cooperation_type, b.sector_theme) == (
        2012,
        "DEU",
        "north_south",
        "infrastructure_energy",
    )
    assert json.loads(b.participating_orgs)[0]["role"] == "1"  # 'Funding' in 1.0x
    assert old.activity_transactions[["transaction_type", "currency", "year"]].values.tolist() == [
        ["commitment", "EUR", 2012],
        ["disbursement", "EUR", 2013],
    ]
    assert old.activity_recipients.iloc[0][["region", "allocation"]].tolist() == ["africa", "stated_region"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&lol3;</iati-identifier></iati-activity></iati-activities>"""


def test_billion_laughs_fails_with_a_clear_error(tmp_path):
    path = tmp_path / "lol.xml"
    path.write_text(BILLION_LAUGHS)
    with pytest.raises(InputError, match="entity"):
        list(read_iati_xml(path))


def test_truncated_xml_fails_naming_the_file(tmp_path):
    path = tmp_path / "cut.xml"
    path.write_text(IATI_203[: len(IATI_203) // 2])
    with pytest.raises(InputError, match="cut.xml.*not well formed"):
        build_file_tables(path, reader="iati-xml", source="x", file_label="cut.xml")


def test_large_xml_streams_in_bounded_memory(tmp_path):
    """20,000 activities (about 9 MB): peak Python memory stays far below the file size."""
    activity = IATI_203.split('<iati-activities version="2.03">')[1].split("</iati-activities>")[0]
    path = tmp_path / "big.xml"
    with open(path, "w") as handle:
        handle.write('<?xml version="1.0"?>\n<iati-activities version="2.03">')
        for i in range(20000):
            handle.write(activity.replace("XX-1", f"XX-{i}"))
        handle.write("</iati-activities>")
    size = path.stat().st_size
    tracemalloc.start()
    count = sum(1 for _ in read_iati_xml(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 20000
    assert peak < size / 4, f"peak {peak} bytes for a {size}-byte file"


@pytest.mark.skipif(not MIRROR.is_dir(), reason="needs the offline mirror at ../shared/mirror (CI has it)")
def test_all_mirrored_sources_build_and_every_ledger_balances(tmp_path):
    raw = tmp_path / "raw"
    for source in (
        "aiddata-gcof-china-1.0",
        "aiddata-tuff-qatar-1.0",
        "undp-ssc-projects",
        "iati-ssc-activities",
        "iati-xml-timor-leste",
    ):
        shutil.copytree(MIRROR / source, raw / source)
    result = build_all(tmp_path)
    ledger = result.tables.ledger
    assert (
        ledger["rows_read"] == ledger[["rows_kept", "rows_fixed", "rows_quarantined", "rows_excluded"]].sum(axis=1)
    ).all()
    by_source = result.tables.activities.groupby("source").size().to_dict()
    assert set(by_source) == {
        "aiddata-gcof-china-1.0",
        "aiddata-tuff-qatar-1.0",
        "undp-ssc-projects",
        "iati-ssc-activities",
        "iati-xml-timor-leste",
    }
    assert ledger[ledger["file"].str.startswith("iati-ssc-activities/")]["rows_read"].sum() == 632
    assert (
        ledger.set_index("file").loc["aiddata-gcof-china-1.0/GlobalChineseOfficialFinanceDataset_v1.0.zip", "rows_read"]
        == 5466
    )


def test_codelists_read_dac_csv_and_iati_xml(tmp_path):
    (tmp_path / "dac-crs-codes").mkdir()
    (tmp_path / "iati-codelists").mkdir()
    (tmp_path / "dac-crs-codes" / "recipients.csv").write_text(
        '"code","name_en","name_fr","income_group","geography"\n"738","Indonesia","Indonésie","LMICs","Far East Asia"\n'
    )
    (tmp_path / "iati-codelists" / "CollaborationType.xml").write_text(
        '<codelist name="CollaborationType"><codelist-items><codelist-item><code>8</code>'
        "<name><narrative>Bilateral, triangular co-operation</narrative></name></codelist-item></codelist-items></codelist>"
    )
    from kss_analysis.sources.codelists import read_codelists

    table = read_codelists(tmp_path).set_index("codelist")
    assert table.loc["dac_recipients", ["code", "name", "income_group", "geography"]].tolist() == [
        "738",
        "Indonesia",
        "LMICs",
        "Far East Asia",
    ]
    assert table.loc["iati_CollaborationType", "name"] == "Bilateral, triangular co-operation"


@pytest.mark.skipif(not MIRROR.is_dir(), reason="needs the offline mirror at ../shared/mirror (CI has it)")
def test_every_fetched_dac_sector_code_has_a_theme():
    """The package's own theme table must cover the official DAC and IATI sector lists."""
    from kss_analysis.classify import classify_dac_sector
    from kss_analysis.sources.codelists import read_dac_codelist, read_iati_codelist

    dac = read_dac_codelist(MIRROR / "dac-crs-codes" / "sectors.csv")
    iati = read_iati_codelist(MIRROR / "iati-codelists" / "Sector.xml")
    codes = set(dac["code"]) | set(iati["code"])
    assert len(codes) > 300
    assert sorted(c for c in codes if classify_dac_sector(c) is None) == []
