"""What a TOSSD row means in the canonical model: the rules per value, and one row placed.

place.py applies these rules to whole columns (each function once per distinct value) and
places a row one at a time with ``place_row`` only where a cell needs it (control
characters, a bad year or amount, an unknown code). One activity per ``tossdid`` within a year's file (activity_id ``tossd:<year>:<tossdid>``:
the same id can recur in other years' files, each reporting that year's flows).

- Provider and recipient DAC codes -> ISO3 through reference/countries.csv (``dac_code``;
  275 is Namibia there, whatever UN M49 says), regional codes through
  reference/dac_region_codes.csv (998 and 999 -> an unallocated multi-region row, 298 ->
  Africa ...). An unknown recipient code is quarantined (``unknown_country``).
- FrameworkOfCollaboration (may be packed, "FC01|FC02"): FC02 -> triangular with
  otherPartners as the triangular partner; FC01 -> south_south; FC03 ("multilateral
  support for South-South co-operation") -> multilateral, the vocabulary's closest
  value; empty -> not stated (None).
- Sector theme from the purpose code (reference/dac_sector_themes.csv; an unknown code
  goes through the keyword classifier on the purpose name); modality from the aid-type
  description, else its code (reference/tossd_modalities.csv). A sector or modality still
  unknown keeps the row as ``unclassified``, flagged with its raw text (unmapped.py).
- Money: the file's thousands of USD x 1000. The activity carries gross disbursements:
  amount_usd (current USD) and the publisher's own constant-price figure,
  amount_usd_constant_stated (the ``_defl`` column x 1000, price_base_year_stated 2024);
  the money step (build/money.py) adds our amount_usd_constant beside it, with its method,
  and never overwrites the stated one. Commitments and disbursements at current prices
  are transactions.
- Named exclusion rules (ledger): ``aggregate_row_provider_0`` (publisher's aggregate
  rows) and ``provider_not_selected`` (rows of providers not asked for); a second row
  with a ``tossdid`` already seen in the file is quarantined (``duplicate_id``): the file
  states no rule to split or add its amounts.
"""

from __future__ import annotations

import math
from functools import cache

from kss_analysis.core.errors import RowProblem
from kss_analysis.core.reference import (
    countries,
    country_lookup,
    dac_region_codes,
    iso_codes,
    normalise_name,
    read_reference,
)
from kss_analysis.ingest.classify import classify_dac_sector, classify_sector
from kss_analysis.ingest.clean import clean_text
from kss_analysis.ingest.placing import equal_split
from kss_analysis.ingest.tossd.read import MEASURES, THOUSANDS
from kss_analysis.ingest.unmapped import UNCLASSIFIED, Unmapped

SOURCE = "tossd"
PRICE_BASE_YEAR = 2024
FRAMEWORKS = {"FC01": "south_south", "FC02": "triangular", "FC03": "multilateral"}
FRAMEWORK_ORDER = ("triangular", "south_south", "multilateral")  # a packed cell takes the first found


@cache
def dac_code_iso3() -> dict[str, str]:
    """DAC recipient/provider code -> ISO3 (countries.csv ``dac_code``)."""
    return {row["dac_code"]: iso3 for iso3, row in countries().items() if row["dac_code"]}


@cache
def modality_table() -> tuple[dict[str, str], dict[str, str]]:
    """(normalised aid-type description -> modality, upper-case code -> modality)."""
    rows = read_reference("tossd_modalities")
    return (
        {normalise_name(r["description"]): r["modality"] for r in rows},
        {r["code"].upper(): r["modality"] for r in rows},
    )


def code_text(value: object) -> str:
    """A code cell as text: '275', also from 275 or 275.0 should a vintage type it as a number."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def usd_units(value: float | None) -> float | None:
    """Thousands of USD -> USD; None (or NaN, how a data frame writes an empty cell) stays None.
    An infinite amount is no amount: its row is quarantined (``bad_amount``), the file read on."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if math.isinf(float(value)):
        raise RowProblem("bad_amount", f"amount {value} is not a finite number")
    return float(value) * THOUSANDS


def recipients_of(activity_id: str, code: str) -> list[dict]:
    if code in dac_code_iso3():
        return equal_split(activity_id, [dac_code_iso3()[code]], [])
    region = dac_region_codes().get(code)
    if region == "multi_region":  # 998 developing countries unspecified, 999 global
        return [
            {
                "activity_id": activity_id,
                "recipient_iso3": None,
                "region": region,
                "share": 1.0,
                "allocation": "unallocated",
            }
        ]
    if region:
        return equal_split(activity_id, [], [region])
    raise RowProblem(
        "unknown_country",
        f"recipientcode '{code}' is not a DAC recipient code in reference/countries.csv (dac_code) "
        "or reference/dac_region_codes.csv",
    )


def sector_theme(purpose: str, purpose_name: str | None, unmapped: Unmapped) -> str | None:
    """The purpose code's sector theme; an unknown code goes through the keyword classifier on
    the purpose name before the row is flagged ``unclassified`` (noted in ``unmapped``)."""
    theme = classify_dac_sector(purpose) if purpose else None
    if purpose and theme is None:
        theme = (classify_sector(purpose_name)[0] if purpose_name else None) or UNCLASSIFIED
        if theme == UNCLASSIFIED:
            unmapped.add(
                "sector_theme",
                "purposecode",
                f"{purpose} {purpose_name or ''}".strip(),
                "reference/dac_sector_themes.csv",
            )
    return theme


def provider_iso3(provider: str, provider_name: str | None) -> str | None:
    """The provider's ISO3 from its DAC code; a code missing from countries.csv (a DAC list
    change) is resolved from the provider's name instead. ``ProviderNameE`` is the English
    name, so only the English and Indonesian names and aliases are tried (not the index of
    names in every language, which costs a second to build); a multilateral provider stays None."""
    if provider in dac_code_iso3():
        return dac_code_iso3()[provider]
    name = (provider_name or "").strip()
    return iso_codes().get(name) or country_lookup().get(normalise_name(name)) if name else None


def cooperation_of(framework: str) -> str | None:
    found = {FRAMEWORKS.get(part.strip().upper()) for part in framework.split("|") if part.strip()}
    unknown = [p for p in framework.split("|") if p.strip() and p.strip().upper() not in FRAMEWORKS]
    if unknown:
        raise RowProblem("unknown_framework", f"FrameworkOfCollaboration '{framework}' is not FC01, FC02 or FC03")
    return next((kind for kind in FRAMEWORK_ORDER if kind in found), None)


def modality_of(description: str, code: str, fixes: list[str], unmapped: Unmapped) -> str | None:
    by_description, by_code = modality_table()
    if description and normalise_name(description) in by_description:
        return by_description[normalise_name(description)]
    if code and code.upper() in by_code:
        fixes.append("modality_from_code")
        return by_code[code.upper()]
    if not description and not code:
        return None
    unmapped.add("modality", "Aid_T_Description_E", f"{code} {description}".strip(), "reference/tossd_modalities.csv")
    return UNCLASSIFIED


def place_row(record: dict, *, file_label: str, locator: str) -> tuple[dict, list[dict], list[dict]]:
    """One TOSSD row -> (activity, recipient rows, transactions); RowProblem when it cannot be placed."""
    tossdid = clean_text(record.get("tossdid"))
    if not tossdid:
        raise RowProblem("missing_id", "tossdid is empty")
    year_text = code_text(record.get("Year"))
    if not (year_text.isdigit() and len(year_text) == 4):
        raise RowProblem("bad_year", f"Year '{record.get('Year')}' is not a year")
    year = int(year_text)
    activity_id = f"{SOURCE}:{year}:{tossdid}"
    recipients = recipients_of(activity_id, code_text(record.get("recipientcode")))
    unmapped = Unmapped()
    purpose = code_text(record.get("purposecode"))
    purpose_name = clean_text(record.get("purposename_e"))
    theme = sector_theme(purpose, purpose_name, unmapped)
    fixes: list[str] = []
    modality = modality_of(
        clean_text(record.get("Aid_T_Description_E")) or "", clean_text(record.get("modality")) or "", fixes, unmapped
    )
    cooperation = cooperation_of(clean_text(record.get("FrameworkOfCollaboration")) or "")
    provider = code_text(record.get("provider"))
    disbursement = usd_units(record.get("USD_disbursements"))
    activity = {
        "source": SOURCE,
        "source_file": file_label,
        "source_locator": locator,
        "activity_id": activity_id,
        "title": clean_text(record.get("ProjectTitle")),
        "year": year,
        # A provider code missing from countries.csv (a DAC list change) is resolved from its name instead.
        "provider_iso3": provider_iso3(provider, clean_text(record.get("ProviderNameE"))),
        "provider_name": clean_text(record.get("ProviderNameE")),
        "implementer": clean_text(record.get("agencyname_E")),
        "sector_text": purpose_name,
        "sector_code": purpose or None,
        "sector_theme": theme,
        "sector_themes": theme,
        "modality": modality,
        "cooperation_type": cooperation,
        "triangular_partner": clean_text(record.get("otherPartners")) if cooperation == "triangular" else None,
        "amount": disbursement,
        "currency": "USD" if disbursement is not None else None,
        "amount_usd": disbursement,
        "amount_basis": "reported",
        # the publisher's constant-price figure, kept as stated; the money step adds ours beside it
        "amount_usd_constant_stated": usd_units(record.get("USD_disbursement_defl")),
        "price_base_year_stated": PRICE_BASE_YEAR,
        "flow_type": "disbursement",
        "reporting_org": clean_text(record.get("ProviderNameE")),
        "fixes": ";".join(fixes) or None,
        "unclassified": unmapped.to_json(),
    }
    transactions = [
        {
            "activity_id": activity_id,
            "transaction_type": kind,
            "date": None,
            "year": year,
            "value": value,
            "currency": "USD",
        }
        for kind, value in (("commitment", usd_units(record.get("USD_Commitment"))), ("disbursement", disbursement))
        if value is not None
    ]
    return activity, recipients, transactions


def row_amounts(record: dict) -> dict[str, float | None]:
    """A row's ledger measures in USD, straight from its raw thousands (a non-finite amount is
    left out, as the raw sums leave it out: its row is quarantined)."""
    out: dict[str, float | None] = {}
    for column, measure in MEASURES.items():
        value = record.get(column)
        out[measure] = float(value) * THOUSANDS if value is not None and math.isfinite(float(value)) else None
    return out


def placed_amounts(activity: dict, transactions: list[dict]) -> dict[str, float | None]:
    commitment = next((t["value"] for t in transactions if t["transaction_type"] == "commitment"), None)
    return {
        "usd_disbursement_current": activity["amount_usd"],
        "usd_disbursement_constant_2024": activity["amount_usd_constant_stated"],
        "usd_commitment_current": commitment,
    }
