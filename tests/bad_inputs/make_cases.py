"""Write the bad-input corpus: one small file per failure mode (run once; files are committed).

Each case and its expected outcome is listed in cases.csv beside the files. Files are
synthetic test inputs in the real formats, never data behind a chart.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = "judul,tahun,negara_mitra,sektor,bentuk_kegiatan,jumlah_peserta,nilai,mata_uang,sumber\n"
GOOD = "Pelatihan budidaya ikan,2019,Fiji,perikanan,pelatihan,20,,,https://example.org\n"


def text(name: str, body: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(body.encode(encoding))


def raw(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def workbook(name: str, sheets: list[tuple[str, list[list], str]], merges: dict[str, list[str]] | None = None) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        for row in rows:
            ws.append(row)
        for cell_range in (merges or {}).get(title, []):
            ws.merge_cells(cell_range)
    wb.save(HERE / name)


def main() -> None:
    text(
        "encoding_latin1.csv",
        HEADER
        + "Kursus caf\xe9 untuk C\xf4te d'Ivoire,2018,Pantai Gading,pertanian,pelatihan,12,,,https://example.org\n",
        "latin-1",
    )
    text(
        "encoding_cp1252.csv",
        HEADER + "Pelatihan \u2013 UMKM,2018,Kenya,UMKM,pelatihan,12,,,https://example.org\n",
        "cp1252",
    )
    raw("encoding_utf16_bom.csv", (HEADER + GOOD).encode("utf-16"))
    raw(
        "encoding_invalid_bytes.csv",
        (HEADER + "Pelatihan ").encode() + b"\x81\x8d\x90 rusak,2019,Fiji,perikanan,pelatihan,5,,,u\n",
    )
    text("delimiter_semicolon.csv", (HEADER + GOOD).replace(",", ";"))
    text("delimiter_tab.tsv", (HEADER + GOOD).replace(",", "\t"))
    text(
        "decimal_comma_thousand_dot.csv",
        HEADER + 'Hibah alat,2021,Vanuatu,pertanian,hibah,"1.234","Rp 1.234.567,89",,u\n',
    )
    text(
        "rupiah_miliar.csv",
        HEADER
        + 'Hibah kesehatan,2022,Papua Nugini,kesehatan,hibah,,"Rp 2,5 miliar",,u\nHibah USD,2022,Fiji,kesehatan,hibah,,"USD 1.2 million",,u\n',
    )
    text(
        "missing_sentinels.csv",
        HEADER
        + "A,2019,Fiji,perikanan,pelatihan,..,,,u\nB,2019,Fiji,perikanan,pelatihan,-,n/a,,u\nC,2019,Fiji,perikanan,pelatihan,,,,u\n",
    )
    text("namibia_iso2.csv", HEADER + "Pelatihan Namibia,2016,NA,perikanan,pelatihan,7,,,u\n")
    text("short_rows.csv", HEADER + "Baris pendek,2019,Fiji\n")
    text(
        "long_rows.csv",
        HEADER + GOOD.rstrip("\n") + ",extra,cells\n" + GOOD.replace("budidaya ikan", "budidaya rumput laut"),
    )
    text("repeated_header.csv", HEADER + GOOD + HEADER + GOOD.replace("2019", "2020"))
    text(
        "country_variants.csv",
        HEADER
        + 'Kursus,2019,"Viet Nam; Côte d\'Ivoire; Türkiye; Timor Leste; Mesir; Afrika Selatan; Pantai Gading; Papua Nugini",pertanian,pelatihan,30,,,u\n',
    )
    text("unknown_country.csv", HEADER + GOOD + "Kursus,2019,Atlantis,perikanan,pelatihan,5,,,u\n")
    text("unknown_sector.csv", HEADER + "Kursus bintang,2019,Fiji,astrologi,pelatihan,5,,,u\n")
    text(
        "negative_values.csv",
        HEADER
        + "Pengembalian dana,2020,Fiji,kesehatan,hibah,,-500000,USD,u\nPeserta negatif,2020,Fiji,kesehatan,pelatihan,-4,,,u\n",
    )
    text("missing_year.csv", "judul,negara_mitra,sektor,sumber\nTanpa tahun,Fiji,perikanan,u\n")
    text("missing_currency.csv", HEADER + "Hibah,2021,Fiji,kesehatan,hibah,,5000000,,u\n")
    text("currency_conflict.csv", HEADER + "Hibah,2021,Fiji,kesehatan,hibah,,Rp 5 juta,USD,u\n")
    text("bad_date.csv", "judul,tanggal_mulai,sumber\nKursus,31 Februari 2017,u\n")
    text("end_before_start.csv", "judul,tanggal_mulai,tanggal_selesai,sumber\nKursus,2019-05-10,2019-04-01,u\n")
    text("duplicate_ids.csv", "programme_id,judul,tahun\nP-1,A,2019\nP-1,B,2020\n")
    text("truncated.csv", HEADER + GOOD + 'Baris terpotong,2019,"Fiji; Ton')
    text("no_header.csv", "1,2,3\n4,5,6\n")
    workbook(
        "xlsx_title_rows.xlsx",
        [
            (
                "Data",
                [["Register KSS 2023"], [None], ["Judul", "Tahun", "Negara Mitra"], ["Pelatihan", 2023, "Tonga"]],
                "visible",
            )
        ],
    )
    workbook(
        "xlsx_merged_cells.xlsx",
        [("Data", [["Judul", "Tahun", "Negara Mitra"], ["A", 2023, "Fiji"], ["B", None, "Samoa"]], "visible")],
        {"Data": ["B2:B3"]},
    )
    workbook(
        "xlsx_hidden_sheet_only.xlsx",
        [("Visible", [], "visible"), ("Hidden", [["Judul", "Tahun"], ["A", 2020]], "hidden")],
    )
    workbook("xlsx_empty_sheet.xlsx", [("Empty", [], "visible")])
    good_xlsx = io.BytesIO()
    wb = Workbook()
    wb.active.append(["judul", "tahun"])
    wb.save(good_xlsx)
    raw("xlsx_truncated.xlsx", good_xlsx.getvalue()[:400])

    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as archive:
        archive.writestr(
            "donor.csv",
            "project_id,donor,year,recipient_iso3,crs_sector_code,flow_class\n1,Qatar,2012,SOM,700,ODA-like\n" * 20,
        )
    raw("aiddata_truncated.zip", zbuf.getvalue()[:150])
    with zipfile.ZipFile(HERE / "aiddata_macosx_junk.zip", "w") as archive:
        archive.writestr(
            "d/donor.csv",
            'project_id,donor,year,recipient_iso3,crs_sector_code,flow_class,usd_defl\n1,Qatar,2012,SOM,700,ODA-like,"1,000"\n2,Qatar,2013,XXX,700,ODA-like,5\n',
        )
        archive.writestr("__MACOSX/d/._donor.csv", b"\x00\x05junk")

    text("undp_missing_columns.csv", "Number,Project Name\n1,A\n")
    text(
        "undp_unknown_theme.csv",
        "Number,Project Name,Host/Recipient Country/ies,Provider Country/ies,Start year,End year,Thematic Areas\n1,A,FJI,IDN,2019,Present,Astrology\n2,B,,IDN,2019,2021,Governance\n",
    )

    activity = {
        "iati_identifier": "XM-1",
        "title_narrative": ["A"],
        "default_currency": "USD",
        "recipient_country_code": ["NA"],
        "transaction_value": [100.0, 200.0],
        "transaction_transaction_type_code": ["3"],
    }
    text("iati_misaligned_lists.json", json.dumps(activity))
    text("iati_not_iati.json", json.dumps({"hello": "world"}))
    text("iati_truncated.json", json.dumps(activity)[:60])
    xml = (
        '<?xml version="1.0"?><iati-activities version="2.03"><iati-activity default-currency="USD"><iati-identifier>X-1</iati-identifier>'
        '<recipient-country code="ZZ"/><transaction><transaction-type code="3"/><value>5</value></transaction></iati-activity></iati-activities>'
    )
    text("iati_unknown_country.xml", xml)
    text("iati_truncated.xml", xml[:120])
    text(
        "iati_billion_laughs.xml",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><iati-activities version="2.03"><iati-activity>'
        "<iati-identifier>&lol3;</iati-identifier></iati-activity></iati-activities>",
    )
    text("iati_not_iati_root.xml", '<?xml version="1.0"?><rss><channel/></rss>')


if __name__ == "__main__":
    main()
