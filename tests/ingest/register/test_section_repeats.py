"""A Southern agency's sectioned export: one project under each partner country's section.

INVENTED rows in the layout of such exports (Portuguese headers, a country name alone on a
row above each section, a budget sheet repeating the projects with their values). The same
project id and title under several sections is ONE programme with every partner country;
a value on one copy fills the others; differing values are flagged, never dropped; the
ledger counts each repeat under ``merged_section_repeat``. A section named after the
provider itself, or a regional one, never makes the provider its own recipient.
"""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook

from kss_analysis.ingest.readers import place_file

PROFILE = """\
note: INVENTED agency export used in tests
columns:
  Código: programme_id
  Título: title
  Ano: year
  Orçamento: funding_value
defaults:
  provider: BRA
  funding_currency: BRL
section_rows: partner_countries
"""


@pytest.fixture
def tables(tmp_path):
    book = Workbook()
    projects = book.active
    projects.title = "Projetos por país"
    for row in [
        ["Moçambique"],
        ["Código", "Título", "Ano"],
        ["P-1", "Apoio ao cultivo de algodão", 2015],
        ["P-2", "Banco de leite humano", 2016],
        [],
        ["Angola"],
        ["Código", "Título", "Ano"],
        ["P-1", "Apoio ao cultivo de algodão", 2015],  # the same project, second partner
        [],
        ["Brasil"],  # the provider's own country
        ["Código", "Título", "Ano"],
        ["P-3", "Seminário nacional de cooperação", 2017],
        [],
        ["Regionais"],
        ["Código", "Título", "Ano"],
        ["P-4", "Rede regional de bancos de leite", 2018],
    ]:
        projects.append(row)
    budget = book.create_sheet("Orçamento")
    for row in [
        ["Código", "Título", "Ano", "Orçamento"],
        ["P-1", "Apoio ao cultivo de algodão", 2015, 1200000],  # fills the amount
        ["P-2", "Banco de leite humano", 2017, 800000],  # a year that differs: flagged
    ]:
        budget.append(row)
    path = tmp_path / "agencia.xlsx"
    book.save(path)
    (tmp_path / "agencia.profile.yml").write_text(PROFILE, encoding="utf-8")
    return place_file(path, reader="register", source="register:agencia", file_label="agencia.xlsx")


def test_one_programme_with_every_partner_and_the_value_of_any_copy(tables):
    acts = tables.activities.set_index("activity_id")
    assert sorted(acts.index) == ["agencia:P-1", "agencia:P-2", "agencia:P-3", "agencia:P-4"]
    partners = tables.activity_recipients.groupby("activity_id")["recipient_iso3"].apply(
        lambda s: sorted(x for x in s if isinstance(x, str))
    )
    assert partners["agencia:P-1"] == ["AGO", "MOZ"]
    assert acts.loc["agencia:P-1", "amount"] == 1200000 and acts.loc["agencia:P-1", "currency"] == "BRL"
    assert "merged_section_repeat" in acts.loc["agencia:P-1", "fixes"]


def test_a_differing_value_is_kept_first_and_flagged_with_the_other(tables):
    row = tables.activities.set_index("activity_id").loc["agencia:P-2"]
    assert row["year"] == 2016
    assert "section_repeat_conflict:year=2017" in row["fixes"]
    assert row["amount"] == 800000  # a value only the repeat states fills the programme


def test_the_providers_own_section_and_a_regional_one_are_never_provider_as_recipient(tables):
    recips = tables.activity_recipients.set_index("activity_id")
    acts = tables.activities.set_index("activity_id")
    assert "BRA" not in set(tables.activity_recipients["recipient_iso3"].dropna())
    assert "recipient_is_provider" in acts.loc["agencia:P-3", "fixes"]
    assert recips.loc["agencia:P-4", "region"] == "multi_region"
    assert "region_in_partner_column" in acts.loc["agencia:P-4", "fixes"]


def test_the_ledger_counts_every_repeat_and_still_balances(tables):
    ledger = tables.ledger.iloc[0]
    assert (
        ledger["rows_read"]
        == ledger["rows_kept"] + ledger["rows_fixed"] + ledger["rows_quarantined"] + ledger["rows_excluded"]
    )
    assert "merged_section_repeat=3" in ledger["excluded_by_rule"]
    assert ledger["rows_quarantined"] == 0
    amounts = json.loads(ledger["amounts"])["amount BRL"]
    assert amounts["raw"] == pytest.approx(amounts["processed"] + amounts.get("excluded", 0.0))
