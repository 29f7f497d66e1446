"""Read code lists: OECD DAC/CRS tidy CSVs (dac-crs-codes) and IATI codelist XML.

Output grain: one row per codelist x code, with its English name and, where the list has
them, a category and extra attributes (income group and geography for DAC recipients).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kss_analysis.core.errors import InputError
from kss_analysis.ingest.entry import Reader

DAC_LISTS = {
    "sectors.csv": ("dac_sectors", "code", "category"),
    "sector_categories.csv": ("dac_sector_categories", "code", None),
    "recipients.csv": ("dac_recipients", "code", None),
    "collaboration_types.csv": ("dac_collaboration_types", "code", None),
    "flow_types.csv": ("dac_flow_types", "code", None),
    "aid_types.csv": ("dac_aid_types", "code", None),
    "finance_types.csv": ("dac_finance_types", "code", None),
    "channel_codes.csv": ("dac_channels", "code", None),
}
COLUMNS = ["codelist", "code", "name", "category", "income_group", "geography"]


def read_dac_codelist(path: Path) -> pd.DataFrame:
    if path.name not in DAC_LISTS:
        raise InputError(str(path), f"not a known DAC code list ({', '.join(DAC_LISTS)})")
    name, code_column, category = DAC_LISTS[path.name]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in (code_column, "name_en") if c not in frame.columns]
    if missing:
        raise InputError(str(path), f"missing columns {', '.join(missing)}")
    out = pd.DataFrame(
        {
            "codelist": name,
            "code": frame[code_column].str.strip(),
            "name": frame["name_en"].str.strip(),
            "category": frame[category] if category else None,
            "income_group": frame.get("income_group"),
            "geography": frame.get("geography"),
        }
    )
    return out[COLUMNS]


def read_iati_codelist(path: Path) -> pd.DataFrame:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import parse

    try:
        root = parse(str(path)).getroot()
    except (ParseError, DefusedXmlException) as exc:
        raise InputError(str(path), f"not a readable IATI codelist ({exc})") from None
    name = root.get("name") or path.stem
    rows = []
    for item in root.iter("codelist-item"):
        narrative = item.find("name/narrative")
        rows.append(
            {
                "codelist": f"iati_{name}",
                "code": (item.findtext("code") or "").strip(),
                "name": narrative.text.strip() if narrative is not None and narrative.text else None,
                "category": item.findtext("category"),
                "income_group": None,
                "geography": None,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def read_codelists(raw: Path, files: list[Path] | None = None) -> pd.DataFrame:
    """Every code list present under raw/dac-crs-codes and raw/iati-codelists (only ``files``
    of them when given: a build passes the verified ones)."""
    dac = sorted((raw / "dac-crs-codes").glob("*.csv")) if files is None else sorted(files)
    iati = sorted((raw / "iati-codelists").glob("*.xml")) if files is None else sorted(files)
    frames = [read_dac_codelist(p) for p in dac if p.parent.name == "dac-crs-codes" and p.name in DAC_LISTS]
    frames += [read_iati_codelist(p) for p in iati if p.parent.name == "iati-codelists" and p.suffix == ".xml"]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["codelist", "code"], kind="stable").reset_index(drop=True)


READERS = (Reader("dac-codelists", ("codelists",)), Reader("iati-codelists", ("codelists",)))
