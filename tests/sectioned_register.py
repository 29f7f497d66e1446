"""A Southern provider's project report as its agency's system exports it (INVENTED data).

The layout is the typical one of national lists: a title row, a country name alone on a
row, the header, that country's projects, a TOTAL row with a formula, blank rows, the same
header again for the next country; headers in Portuguese; two sheets with different
columns (the second with Spanish country names and no repeated header).

Cached formula values: openpyxl writes a formula without the value a spreadsheet program
would save beside it. ``write_sectioned_register`` therefore writes the workbook with
openpyxl, then adds ``<v>value</v>`` to chosen formula cells in the sheet XML, which is
exactly what Excel or LibreOffice store. Formula cells left without a value exercise the
"formula without a saved value" report.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

HEADER_PT = ["Ação/Projeto", "Título", "Objetivo", "Ano", "Situação", "Orçamento"]
HEADER_LATAM = ["Código", "Título do projeto", "Ano", "Instituição executora", "Valor"]

PROFILE = """\
note: INVENTED agency export used in tests
columns:
  Ação/Projeto: programme_id
  Código: programme_id
  Título: title
  Título do projeto: title
  Objetivo: notes
  Ano: year
  Situação: status
  Orçamento: funding_value
  Valor: funding_value
  Instituição executora: implementer
defaults:
  provider: BRA
  funding_currency: BRL
section_rows: partner_countries
exclude_rows_matching:
  - "^Fonte:"
"""

# sheet -> list of rows; None = blank row. Formula cells are strings starting with '='.
AFRICA_ASIA = [
    ["Agência de Cooperação - Relatório de projetos por país (DADOS INVENTADOS)"],  # row 1: title
    None,  # 2
    ["Moçambique"],  # 3: section above the first header
    HEADER_PT,  # 4
    ["BRA/MOZ/001", "Apoio ao cultivo de algodão", "Transferir técnicas de cultivo", 2015, "Concluído", 1200000],  # 5
    ["BRA/MOZ/002", "Banco de leite humano", "Saúde materno-infantil", 2016, "Em execução", 800000],  # 6
    ["TOTAL", None, None, None, None, "=SUM(F5:F6)"],  # 7: cached 2000000
    None,  # 8
    ["Angola"],  # 9
    HEADER_PT,  # 10
    ["BRA/AGO/001", "Formação profissional", "Centro de formação", 2017, "Concluído", 500000],  # 11
    ["Total geral", None, None, None, None, "=SUM(F11:F11)"],  # 12: no cached value (excluded anyway)
    None,  # 13
    ["Timor-Leste"],  # 14
    HEADER_PT,  # 15
    ["BRA/TLS/001", "Alfabetização de adultos", "Educação", 2018, "Concluído", "=300000*2"],  # 16: no cached value
    ["BRA/TLS/002", "Fortalecimento da justiça", "Governança", 2019, "Em execução", 450000],  # 17
    ["TOTAL", None, None, None, None, "=SUM(F16:F17)"],  # 18: cached 1050000
    None,  # 19
    ["Guiné-Bissau"],  # 20
    HEADER_PT,  # 21
    ["BRA/GNB/001", "Apoio à produção de arroz", "Segurança alimentar", 2020, "Em execução", 650000],  # 22
    ["Fonte: sistema interno de gestão (dados inventados)"],  # 23: excluded by the profile's regex
]
LATIN_AMERICA = [
    ["Perú"],  # 1: section above the header
    HEADER_LATAM,  # 2
    ["BRA/PER/001", "Manejo florestal comunitário", 2018, "Embrapa", 210000],  # 3
    ["BRA/PER/002", "Vigilância sanitária", 2019, "Fiocruz", "=2*150000"],  # 4: cached 300000
    ["Total", None, None, None, "=SUM(E3:E4)"],  # 5: cached 510000
    None,  # 6
    ["Bolivia"],  # 7: section, no repeated header below it
    ["BRA/BOL/001", "Cadastro rural", 2020, "INCRA", 90000],  # 8
    ["BRA/BOL/002", "Merenda escolar", 2021, "FNDE", 120000],  # 9
    ["TOTAL", None, None, None, "=SUM(E8:E9)"],  # 10: cached 210000
]
SHEETS = {"Projetos África e Ásia": AFRICA_ASIA, "América Latina": LATIN_AMERICA}
# (sheet index 1-based, cell) -> value a spreadsheet program would have saved
CACHED = {(1, "F7"): 2000000, (1, "F18"): 1050000, (2, "E4"): 300000, (2, "E5"): 510000, (2, "E10"): 210000}


def write_sectioned_register(path: Path, cached: dict[tuple[int, str], float] | None = None) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in SHEETS.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row or [])
    workbook.save(path)
    _add_cached_values(path, CACHED if cached is None else cached)
    return path


def _add_cached_values(path: Path, cached: dict[tuple[int, str], float]) -> None:
    """Put <v>value</v> after the <f> of each chosen formula cell, as Excel would save it."""
    temporary = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if match:
                xml = data.decode("utf-8")
                for (index, ref), value in cached.items():
                    if index != int(match.group(1)):
                        continue
                    pattern = rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v>\s*</v>)?'
                    xml, found = re.subn(pattern, lambda m, v=value: f"{m.group(1)}{m.group(2)}<v>{v}</v>", xml)
                    if found != 1:
                        raise AssertionError(f"formula cell {ref} not found in sheet {index}")
                data = xml.encode("utf-8")
            target.writestr(item, data)
    shutil.move(temporary, path)


def write_profile(path: Path, text: str = PROFILE) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
