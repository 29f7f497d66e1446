"""IATI activities: Datastore JSON and activity XML (2.03 and 1.05), hostile and large files."""

import json
import tracemalloc
from pathlib import Path

import pytest

from kss_analysis.core.errors import InputError
from kss_analysis.core.validate import check_tables
from kss_analysis.ingest.iati.read import read_iati_xml
from kss_analysis.ingest.readers import place_file as build_file_tables


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


@pytest.mark.slow
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


def test_iati_unknown_dac_sector_code_keeps_the_activity_flagged(tmp_path):
    iati_json(
        tmp_path,
        "S-1",
        recipient_country_code=["KE"],
        sector_code=["99999", "12220"],  # 99999 is no DAC purpose code; 12220 is basic health care
        sector_vocabulary=["1", "1"],
        sector_percentage=[80.0, 20.0],
    )
    tables = build_file_tables(tmp_path, reader="iati-json", source="iati", file_label="iati")
    assert check_tables(tables) == [] and tables.quarantine.empty
    activity = tables.activities.iloc[0]
    assert (activity.sector_code, activity.sector_theme) == ("99999", "unclassified")  # the larger share
    assert activity.sector_themes == "unclassified;health_population"
    assert tables.ledger["rows_flagged"].sum() == 1
