"""A workbook whose layout the reader cannot place is refused with a message that helps:
the sheets it found and the one that most likely holds the rows, with that sheet's header."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from kss_analysis.core.errors import InputError
from kss_analysis.ingest.register.read import read_register


def test_the_refusal_names_the_sheets_and_the_one_holding_the_rows(tmp_path):
    """INVENTED agency workbook: a cover sheet, the projects under Portuguese headers, a short budget sheet."""
    book = Workbook()
    cover = book.active
    cover.title = "Capa"
    cover.append(["Relatório de cooperação técnica 2020"])
    projects = book.create_sheet("Projetos")
    projects.append(["Código", "Título", "Ano", "País"])
    for n in range(5):
        projects.append([f"P{n}", f"Curso {n}", 2019, "Angola"])
    budget = book.create_sheet("Orçamento")
    budget.append(["Código", "Valor"])
    budget.append(["P1", 100])
    path = tmp_path / "agencia.xlsx"
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_register(path)
    message = str(caught.value)
    assert "sheets found: 'Capa' (0 rows of 2+ cells), 'Projetos' (6 rows of 2+ cells), 'Orçamento' (2 rows" in message
    assert "most likely on 'Projetos' (header row: Código, Título, Ano, País)" in message


def test_a_csv_has_no_sheets_to_name(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Kolom A,Kolom B\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_register(path)
    assert "sheets found" not in str(caught.value)
