"""Write the hostile-input cases of issue 20 into the corpus (run once; files are committed).

Synthetic test inputs in the real formats. Their expected outcomes are the rows of
cases.csv after the original cases. Cases too large to commit (zip bombs, 10,001-member
archives) are generated on the fly by tests/cli/test_hardening.py.
"""

from __future__ import annotations

import io
import json
import zipfile

from make_cases import GOOD, HEADER, HERE, raw, text, workbook
from openpyxl import Workbook

AIDDATA_HEADER = "project_id,donor,year,recipient_iso3,crs_sector_code,flow_class,amount,currency,usd_defl\n"
UNDP_HEADER = "Number,Project Name,Host/Recipient Country/ies,Provider Country/ies,Start year,End year,Thematic Areas\n"


def iati(identifier: str, **extra) -> dict:
    return {
        "iati_identifier": identifier,
        "title_narrative": ["Synthetic activity"],
        "default_currency": "USD",
        "recipient_country_code": ["FJ"],
        **extra,
    }


def zip_bytes(members: dict[str, bytes], encrypted: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    data = bytearray(buffer.getvalue())
    if encrypted:  # zipfile cannot write encrypted members: set the flag as a password-protected one has
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = data.find(signature)
            while start != -1:
                data[start + offset] |= 0x1
                start = data.find(signature, start + 4)
    return bytes(data)


def declared_size(data: bytes, size: int) -> bytes:
    """The archive with every member's declared uncompressed size replaced by ``size`` (a lying header)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = out.find(signature)
        while start != -1:
            out[start + offset : start + offset + 4] = size.to_bytes(4, "little")
            start = out.find(signature, start + 4)
    return bytes(out)


def workbook_bytes(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def replace_part(xlsx: bytes, part: str, body: bytes) -> bytes:
    """The workbook with one of its XML parts replaced (to break it)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members[part] = body
    return zip_bytes(members)


def main() -> None:
    # IATI JSON of unexpected shapes
    text("iati_json_number.json", "5")
    text("iati_json_null.json", "null")
    text("iati_json_response_list.json", json.dumps({"response": []}))
    text("iati_json_docs_null.json", json.dumps({"response": {"docs": None}}))
    text("iati_json_deep_nesting.json", "[" * 100_000 + "]" * 100_000)
    text("iati_json_docs_empty.json", json.dumps({"response": {"docs": []}}))
    text("iati_json_list_of_numbers.json", "[1, 2, 3]")
    text("iati_json_empty_file.json", "")
    text(
        "iati_json_amount_overflow.json",
        json.dumps(
            [
                iati("XI-1", transaction_value=["1" + "0" * 400], transaction_transaction_type_code=["3"]),
                iati("XI-2", transaction_value=[100], transaction_transaction_type_code=["3"]),
            ]
        ),
    )
    text("iati_json_nul_in_title.json", json.dumps(iati("XI-3", title_narrative=["Pelatihan\u0000 nelayan\u0007"])))
    text("iati_json_duplicate_ids.json", json.dumps([iati("XI-4"), iati("XI-4")]))
    raw("iati_json_undecodable.json", b'{"iati_identifier": "\xff\xfe\x81"}')
    # IATI XML with odd nesting, overflow and control characters
    activity = (
        '<iati-activity default-currency="USD"><iati-identifier>{id}</iati-identifier>'
        '<recipient-country code="FJ"/><transaction><transaction-type code="3"/><value>{value}</value>'
        "</transaction></iati-activity>"
    )
    root = '<?xml version="1.0"?><iati-activities version="2.03">{}</iati-activities>'
    text(
        "iati_xml_nested_activity.xml",
        root.format("<wrapper><group>" + activity.format(id="XX-1", value=5) + "</group></wrapper>"),
    )
    text(
        "iati_xml_deep_nesting.xml",
        root.format(
            activity.format(id="XX-2", value=5).replace(
                "</iati-activity>", "<a>" * 5000 + "</a>" * 5000 + "</iati-activity>"
            )
        ),
    )
    text("iati_xml_amount_overflow.xml", root.format(activity.format(id="XX-3", value="1" + "0" * 400)))
    text("iati_xml_control_character.xml", root.format(activity.format(id="XX-\x01", value=5)))
    text("iati_xml_empty_file.xml", "")
    # registers
    text("register_nul_in_title.csv", HEADER + GOOD.replace("Pelatihan budidaya", "Pelatihan\x00 budidaya\x1b"))
    text("register_cr_only.csv", (HEADER + GOOD + GOOD.replace("budidaya ikan", "budidaya udang")).replace("\n", "\r"))
    text(
        "register_mixed_line_endings.csv",
        HEADER.replace("\n", "\r\n")
        + GOOD.replace("\n", "\r")
        + GOOD.replace("budidaya ikan", "budidaya udang").replace("\n", "\n"),
    )
    text(
        "register_rp_400_zeros.csv",
        HEADER
        + GOOD.replace(",,,https", ',"Rp 1' + "0" * 400 + '",,https')
        + GOOD.replace("budidaya ikan", "budidaya udang"),
    )
    text("register_participants_overflow.csv", HEADER + GOOD.replace(",20,", ",1" + "0" * 30 + ","))
    text(
        "register_formula_cells.csv",
        "judul,tahun,negara_mitra,mitra_triangular\n"
        '"=HYPERLINK(""http://x"",""y"")",2019,Fiji,@cmd\n+SUM(1;1),2019,Kenya,=1+1\n',
    )
    text("register_only_header.csv", HEADER)
    text(
        "register_country_count_overflow.csv",
        "judul,tahun,jumlah_negara\nA,2019,99999999999999\nB,2019,3\nC,2019,2.5\n",
    )
    text("register_amount_infinity.csv", HEADER + GOOD.replace(",,,https", ",inf,USD,https"))
    raw("register_nul_bytes_everywhere.csv", (HEADER + GOOD).encode().replace(b",", b"\x00,", 3))
    workbook(
        "xlsx_two_sheets.xlsx",
        [
            ("2019", [["Judul", "Tahun", "Negara Mitra"], ["A", 2019, "Fiji"], ["B", 2019, "Tonga"]], "visible"),
            ("2020", [["Judul", "Tahun", "Negara Mitra"], ["C", 2020, "Samoa"]], "visible"),
        ],
    )
    workbook(
        "xlsx_sheet_without_header.xlsx",
        [
            ("Data", [["Judul", "Tahun"], ["A", 2019]], "visible"),
            ("Catatan", [["Sumber: laporan tahunan"], ["Disusun 2020"]], "visible"),
        ],
    )
    workbook(
        "xlsx_hidden_and_visible.xlsx",
        [
            ("Data", [["Judul", "Tahun"], ["A", 2019]], "visible"),
            ("Lama", [["Judul", "Tahun"], ["Lama 1", 2001], ["Lama 2", 2002]], "hidden"),
        ],
    )
    wb = Workbook()
    wb.active.append(["Judul", "Tahun", "Negara Mitra"])
    wb.active.append(["A", 2019, "Fiji"])
    wb.active["XFD1048576"] = "stray"
    wb.save(HERE / "xlsx_stray_far_cell.xlsx")
    wb = Workbook()
    wb.active.append(["Judul", "Tahun", "Negara Mitra"])
    wb.active.append(["A", 2019, "Fiji"])
    wb.active["A1048576"] = " "
    wb.save(HERE / "xlsx_stray_blank_last_row.xlsx")
    good = workbook_bytes([["Judul", "Tahun"], ["A", 2019]])
    raw(
        "xlsx_malformed_sheet_xml.xlsx",
        replace_part(good, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'><c r='A1'"),
    )
    raw("xlsx_malformed_styles.xlsx", replace_part(good, "xl/styles.xml", b"<styleSheet><numFmts count='1'><numFmt"))
    raw("xlsx_encrypted_member.xlsx", zip_bytes({"xl/workbook.xml": b"<workbook/>"}, encrypted=True))
    raw("xlsx_not_a_zip.xlsx", b"PK\x03\x04 this is not a workbook")
    # AidData
    row = "1,Qatar,2012,SOM,700,ODA-like,100,USD,100\n"
    raw("aiddata_encrypted_member.zip", zip_bytes({"donor.csv": (AIDDATA_HEADER + row).encode()}, encrypted=True))
    raw(
        "aiddata_duplicate_ids.zip",
        zip_bytes({"donor.csv": (AIDDATA_HEADER + row + row + row.replace("1,", "2,", 1)).encode()}),
    )
    raw("aiddata_undecodable.csv", AIDDATA_HEADER.encode() + b"1,Qatar,2012,SOM,700,ODA-like,100,USD,\x81\x8d\x90\n")
    text(
        "aiddata_amount_overflow.csv",
        AIDDATA_HEADER + row.replace(",100\n", ",1" + "0" * 400 + "\n") + row.replace("1,", "2,", 1),
    )
    text("aiddata_cr_only.csv", (AIDDATA_HEADER + row + row.replace("1,", "2,", 1)).replace("\n", "\r"))
    raw("aiddata_lying_size.zip", declared_size(zip_bytes({"donor.csv": (AIDDATA_HEADER + row * 3000).encode()}), 1000))
    raw(
        "aiddata_declared_4gib.zip",
        declared_size(zip_bytes({"donor.csv": (AIDDATA_HEADER + row).encode()}), 0xFFFFFFFE),
    )
    raw("aiddata_two_data_files.zip", zip_bytes({"a.csv": AIDDATA_HEADER.encode(), "b.csv": AIDDATA_HEADER.encode()}))
    raw("aiddata_xlsx_malformed.zip", zip_bytes({"data.xlsx": replace_part(good, "xl/worksheets/sheet1.xml", b"<x")}))
    text("aiddata_nul_in_title.csv", "title," + AIDDATA_HEADER + "Jalan\x00 raya," + row)
    # UNDP
    undp_row = "1,Synthetic,FJI,IDN,2019,2021,Governance\n"
    text(
        "undp_duplicate_ids.csv",
        UNDP_HEADER + undp_row + undp_row.replace("Synthetic", "Other") + undp_row.replace("1,", "2,", 1),
    )
    raw("undp_undecodable.csv", UNDP_HEADER.encode() + b"1,Synth\x81\x8d\x90,FJI,IDN,2019,2021,Governance\n")
    text("undp_cr_only.csv", (UNDP_HEADER + undp_row + undp_row.replace("1,", "2,", 1)).replace("\n", "\r"))
    text("undp_nul_in_title.csv", UNDP_HEADER + undp_row.replace("Synthetic", "Syn\x00thetic\x08"))
    text("undp_missing_title.csv", UNDP_HEADER + undp_row.replace("Synthetic", "") + undp_row.replace("1,", "2,", 1))
    text("undp_year_overflow.csv", UNDP_HEADER + undp_row.replace("2019", "9" * 40))


if __name__ == "__main__":
    main()
