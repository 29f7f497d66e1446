"""DAC/CRS and IATI code lists: read, and covered by the package's theme table."""

from tests.conftest import mirror_dir, needs_mirror


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
    from kss_analysis.ingest.codelists import read_codelists

    table = read_codelists(tmp_path).set_index("codelist")
    assert table.loc["dac_recipients", ["code", "name", "income_group", "geography"]].tolist() == [
        "738",
        "Indonesia",
        "LMICs",
        "Far East Asia",
    ]
    assert table.loc["iati_CollaborationType", "name"] == "Bilateral, triangular co-operation"


@needs_mirror
def test_every_fetched_dac_sector_code_has_a_theme():
    """The package's own theme table must cover the official DAC and IATI sector lists."""
    from kss_analysis.ingest.classify import classify_dac_sector
    from kss_analysis.ingest.codelists import read_dac_codelist, read_iati_codelist

    dac = read_dac_codelist(mirror_dir() / "dac-crs-codes" / "sectors.csv")
    iati = read_iati_codelist(mirror_dir() / "iati-codelists" / "Sector.xml")
    codes = set(dac["code"]) | set(iati["code"])
    assert len(codes) > 300
    assert sorted(c for c in codes if classify_dac_sector(c) is None) == []
