"""Register profiles and national-list layouts (issue 18): section rows, repeated headers,
TOTAL rows with formulas, several sheets, Portuguese headers. Fixtures are INVENTED data in
the layout of an agency export (tests/sectioned_register.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from kss_analysis import cli
from kss_analysis.build.pipeline import build_all
from kss_analysis.core.errors import InputError
from kss_analysis.core.validate import check_tables
from kss_analysis.ingest.readers import place_file
from kss_analysis.ingest.register.profile import load_profile
from kss_analysis.ingest.register.read import read_register
from tests.sectioned_register import PROFILE, write_profile, write_sectioned_register

AFRICA = "sheet 'Projetos África e Ásia'"
LATAM = "sheet 'América Latina'"


def build_register_tables(path, *, source, file_label, profile=None):
    return place_file(path, reader="register", source=source, file_label=file_label, profile=profile)


@pytest.fixture
def sectioned(tmp_path):
    register = write_sectioned_register(tmp_path / "agencia_projetos.xlsx")
    profile = write_profile(tmp_path / "perfil.yml")
    tables = build_register_tables(
        register, source="register:agencia_projetos", file_label="agencia_projetos.xlsx", profile=profile
    )
    return tables


def test_without_a_profile_the_portuguese_export_is_refused_with_a_hint(tmp_path):
    register = write_sectioned_register(tmp_path / "agencia.xlsx")
    with pytest.raises(InputError, match="no header row found.*profile"):
        read_register(register)


def test_sectioned_xlsx_ledger_balances_with_named_rules(sectioned):
    assert check_tables(sectioned) == []
    ledger = sectioned.ledger.iloc[0]
    # counted by hand from the fixture: 19 rows below the first header on sheet 1, 8 on sheet 2,
    # less the 4 blank rows an XLSX does not store (the sparse reader sees stored rows only)
    assert ledger.rows_read == 23
    assert ledger.rows_excluded == 13
    assert ledger.excluded_by_rule == "profile_exclude=1;repeated_header=3;section_row=4;total_row=5"
    assert ledger.rows_kept + ledger.rows_fixed + ledger.rows_quarantined == 10  # the ten projects


def test_each_project_takes_its_country_from_the_section_row_above(sectioned):
    countries = (
        sectioned.activities[["activity_id", "source_locator"]]
        .merge(sectioned.activity_recipients, on="activity_id")
        .set_index("source_locator")["recipient_iso3"]
    )
    assert countries[f"{AFRICA} row 11"] == "AGO"
    assert countries[f"{AFRICA} row 17"] == "TLS"
    assert countries[f"{LATAM} row 3"] == "PER"  # 'Perú', a section row above the sheet's header
    assert countries[f"{LATAM} row 4"] == "PER"
    assert countries[f"{LATAM} row 8"] == "BOL"  # 'Bolivia', a section row without a header after it
    assert countries[f"{LATAM} row 9"] == "BOL"


def test_portuguese_country_names_in_section_rows_are_placed(sectioned):
    countries = (
        sectioned.activities[["activity_id", "source_locator"]]
        .merge(sectioned.activity_recipients, on="activity_id")
        .set_index("source_locator")["recipient_iso3"]
    )
    assert (countries.get(f"{AFRICA} row 5"), countries.get(f"{AFRICA} row 22")) == ("MOZ", "GNB")


def test_total_rows_never_become_projects_and_amounts_are_the_projects_own(sectioned):
    acts = sectioned.activities
    assert not acts["title"].str.casefold().str.startswith("total").any()
    by_locator = acts.set_index("source_locator")
    assert by_locator.loc[f"{LATAM} row 4", "amount"] == 300000  # a formula read as its saved value
    # placed Latin American budgets: 210000 + 300000 + 90000 + 120000 (the totals' 720000 not added)
    assert acts.loc[acts["source_locator"].str.startswith(LATAM), "amount"].sum() == 720000
    assert set(acts["currency"]) == {"BRL"} and set(acts["provider_iso3"]) == {"BRA"}  # profile defaults
    assert by_locator.loc[f"{AFRICA} row 11", "status"] == "Concluído"


def test_a_formula_without_a_saved_value_is_reported_with_its_cell(sectioned):
    row = sectioned.quarantine.set_index("locator").loc[f"{AFRICA} row 16"]
    assert row.reason_code == "formula_without_value"
    assert "F16" in row.message and "=300000*2" in row.message


def test_profile_beside_a_register_is_used_by_build(tmp_path, capsys):
    registers = tmp_path / "raw" / "registers"
    registers.mkdir(parents=True)
    write_sectioned_register(registers / "abc.xlsx")
    write_profile(registers / "abc.profile.yml")
    result = build_all(tmp_path)
    acts = result.tables.activities
    assert set(acts["source"]) == {"register:abc"} and len(acts) >= 6
    assert "registers/abc.profile.yml" in result.inputs  # the profile is part of the provenance
    # Brazil's projects are not Indonesia's KSS: they stay out of the standard aggregates
    assert pd.read_parquet(tmp_path / "processed" / "programmes_by_sector_year.parquet").empty


def test_ingest_takes_a_profile_option(tmp_path, capsys):
    register = write_sectioned_register(tmp_path / "x.xlsx")
    profile = write_profile(tmp_path / "other_name.yml")
    code = cli.main(
        ["ingest", str(register), "--as", "register", "--profile", str(profile), "--out", str(tmp_path / "o")]
    )
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_parquet(tmp_path / "o" / "activities.parquet")) >= 6


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (PROFILE + "colums: {}\n", "unknown key 'colums'"),
        (PROFILE.replace("Ano: year", "Ano: ano"), "key 'columns.Ano': 'ano' is not a register column"),
        (PROFILE.replace("provider: BRA", "donor_country: BRA"), "key 'defaults.donor_country'"),
        (PROFILE.replace("section_rows: partner_countries", "section_rows: country"), "key 'section_rows'"),
        (PROFILE.replace('"^Fonte:"', '"(unclosed"'), "key 'exclude_rows_matching[0]'"),
        ("- just a list\n", "a profile is a mapping"),
    ],
)
def test_a_wrong_profile_names_the_file_and_the_key(tmp_path, capsys, text, named):
    profile = write_profile(tmp_path / "bad.profile.yml", text)
    with pytest.raises(InputError) as error:
        load_profile(profile)
    assert named in str(error.value) and "bad.profile.yml" in str(error.value)
    register = write_sectioned_register(tmp_path / "x.xlsx")
    code = cli.main(["ingest", str(register), "--as", "register", "--profile", str(profile), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and named in err


def test_without_a_profile_unambiguous_sections_and_repeated_headers_are_detected(tmp_path):
    """English headers, no profile: a lone country name is a section; a lone title is a project."""
    path = tmp_path / "sections.csv"
    path.write_text(
        "Programme list (invented)\n"
        "Kenya\n"
        "title,year,sector\n"
        "Dairy training,2019,agriculture\n"
        "Clinic support,2020,health\n"
        "\n"
        "Viet Nam\n"
        "title,year,sector\n"
        "Rice seed exchange,2021,agriculture\n"
        "Workshop on statistics only a title\n"
        "Jumlah,,\n",
        encoding="utf-8",
    )
    tables = build_register_tables(path, source="register:sections", file_label="sections.csv")
    assert check_tables(tables) == []
    ledger = tables.ledger.iloc[0]
    assert ledger.excluded_by_rule == "blank_row=1;repeated_header=1;section_row=1;total_row=1"
    joined = tables.activities.merge(tables.activity_recipients, on="activity_id").set_index("title")
    assert joined.loc["Dairy training", "recipient_iso3"] == "KEN"  # section above the first header
    assert joined.loc["Rice seed exchange", "recipient_iso3"] == "VNM"
    # a row holding only a title is not a section (the title names no country): it stays a project
    assert "Workshop on statistics only a title" in joined.index


def test_a_lone_country_in_the_partner_column_is_a_project_row_not_a_section(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("title,year,partner_countries\nA,2019,Fiji\n,,Kenya\nB,2020,\n", encoding="utf-8")
    tables = build_register_tables(path, source="register:r", file_label="r.csv")
    assert tables.quarantine["reason_code"].tolist() == ["missing_title"]  # reported, not a section
    joined = tables.activities.merge(tables.activity_recipients, on="activity_id").set_index("title")
    assert pd.isna(joined.loc["B", "recipient_iso3"])  # Kenya did not leak into B


def test_profile_sheets_key_reads_only_the_sheets_named(tmp_path):
    register = write_sectioned_register(tmp_path / "x.xlsx")
    profile = write_profile(tmp_path / "p.yml", PROFILE + "sheets: [América Latina]\n")
    tables = build_register_tables(register, source="register:x", file_label="x.xlsx", profile=profile)
    assert tables.ledger.iloc[0].rows_read == 7  # rows 3-10 of the Latin American sheet only, less its blank row
    assert tables.activities["source_locator"].str.startswith(LATAM).all()
    wrong = write_profile(tmp_path / "q.yml", PROFILE + "sheets: [Asia]\n")
    with pytest.raises(InputError, match="key 'sheets': no visible sheet named Asia"):
        build_register_tables(register, source="register:x", file_label="x.xlsx", profile=wrong)


def test_a_profile_of_yaml_aliases_or_of_megabytes_is_refused_before_it_is_expanded(tmp_path):
    """'Billion laughs' in YAML: nine aliases of nine aliases ... would expand to gigabytes."""
    from kss_analysis.ingest.register.profile import MAX_PROFILE_BYTES

    bomb = tmp_path / "bomb.profile.yml"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    bomb.write_text("\n".join(lines) + "\ncolumns: {Judul: title}\n", encoding="utf-8")
    with pytest.raises(InputError, match="aliases"):
        load_profile(bomb)
    big = tmp_path / "big.profile.yml"
    big.write_text("note: " + "x" * (MAX_PROFILE_BYTES + 1) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="short YAML file"):
        load_profile(big)
