"""Place IATI activities (JSON or XML records from sources.iati) in the canonical model.

The provider is the funder, not the publisher: an aid management system or a research
release reports other governments' activities. Funders are the participating
organisations with role 1 (Funding; 1.0x files write role="Funding"), resolved by name
through reference/organisations.csv (core/organisations.py: an agency or ministry ->
its country, a multilateral or foundation -> its type; a government written as a country;
a country's name or adjective inside the name -> that country, marked as inferred with the
fix ``funder_country_from_name``). Several funders: the first that resolves to a country
is the provider (IATI lists give no shares; the first listed is the lead), else the first
multilateral; all of them are kept in ``funders``. A funder that resolves to nothing
leaves the provider empty, flagged and listed in unmapped_values.csv. Only an activity
that names no funder falls back to the reporting organisation (identifier prefix, ISO2).

Cooperation type, by documented rules applied in order:
1. collaboration type 8 (bilateral, triangular co-operation) -> triangular;
2. a tag, title or description naming triangular / South-South cooperation -> that type;
3. collaboration type 2 or 4, a multilateral funder, or (no funder named) a multilateral
   reporting organisation (type 40, or an identifier starting XM-) -> multilateral;
4. the provider is an OECD DAC member -> north_south; another country -> south_south;
5. otherwise left empty (not stated).
Recipient countries (ISO2; 'NA' is Namibia) and regions carry their stated percentages,
normalised to shares summing to 1; without percentages they share equally.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from kss_analysis.core.errors import RowProblem
from kss_analysis.core.model import SourceTables
from kss_analysis.core.organisations import Funder, resolve_funder
from kss_analysis.core.reference import (
    collaboration_types,
    dac_members,
    dac_region_codes,
    iso_codes,
    normalise_name,
    read_reference,
    region_lookup,
)
from kss_analysis.ingest.classify import classify_dac_sector, classify_region
from kss_analysis.ingest.clean import parse_date, parse_number
from kss_analysis.ingest.placing import TableBuilder, activity_row
from kss_analysis.ingest.unmapped import UNCLASSIFIED, Unmapped

K = TypeVar("K")  # a recipient key in _shares
TRANSACTION_TYPES = {
    "1": "incoming_funds",
    "2": "commitment",
    "3": "disbursement",
    "4": "expenditure",
    "5": "interest_repayment",
    "6": "loan_repayment",
    "7": "reimbursement",
    "8": "purchase_of_equity",
    "9": "sale_of_equity",
    "10": "credit_guarantee",
    "11": "incoming_commitment",
    "12": "outgoing_pledge",
    "13": "incoming_pledge",
}
DAC_SECTOR_VOCABULARIES = ("1", "2")


def _number(text: object, what: str) -> float | None:
    if text is None:
        return None
    try:
        return parse_number(text, decimal=".").value
    except RowProblem as exc:
        raise RowProblem(
            exc.reason if exc.reason == "amount_out_of_range" else "bad_number", f"{what}: {exc}"
        ) from None


def _shares(entries: Sequence[tuple[K, float | None]]) -> tuple[list[tuple[K, float]], str]:
    """Stated percentages -> shares summing to 1; equal split when none is stated."""
    if not entries:
        return [], "unallocated"
    stated = [p for _, p in entries if p is not None]
    if len(stated) == len(entries) and sum(stated) > 0:
        total = sum(stated)
        return [(k, p / total) for k, p in entries if p is not None], "stated_percentage"  # all are
    return [(k, 1.0 / len(entries)) for k, _ in entries], "equal_split"


def _region_of(code: str, vocabulary: str | None) -> tuple[str | None, bool]:
    """(KSS region, known) of a recipient-region code in its vocabulary.

    Vocabulary 1 is the OECD DAC list, 2 is UN M49. Publisher-defined vocabularies (99)
    are read only when the code is a DAC region code or a region name; otherwise the
    entry is kept unallocated (known=False), never guessed.
    """
    code = str(code).strip()
    if vocabulary in (None, "", "1"):
        return dac_region_codes().get(code), code in dac_region_codes()
    if vocabulary == "2":
        region = {r["code"]: r["region"] for r in read_reference("un_m49_regions")}.get(code.lstrip("0") or "0")
        return region, region is not None
    if code in dac_region_codes():
        return dac_region_codes()[code], True
    name = re.sub(r"\s*[-,]\s*regional$", "", code, flags=re.IGNORECASE)
    region = region_lookup().get(normalise_name(name))
    return region, region is not None


def _provider(reporting_ref: str | None) -> str | None:
    prefix = (reporting_ref or "").split("-", 1)[0]
    if len(prefix) == 2 and prefix.isalpha() and prefix != "XM":
        return iso_codes().get(prefix.upper())
    return None


FUNDING_ROLE = "1"


def funders_of(record: dict) -> list[Funder]:
    """The funding organisations (role 1) as the activity lists them, each resolved."""
    found = []
    for org in record["participating_orgs"]:
        if str(org.get("role") or "") != FUNDING_ROLE:
            continue
        name, ref = (org.get("name") or "").strip(), (org.get("ref") or "").strip()
        if name:
            funder = resolve_funder(name)
            if not funder.known and (country := _provider(ref)):
                funder = Funder(name, None, country, "government")
            found.append(funder)
        elif ref:
            country = _provider(ref)
            multilateral = ref.upper().startswith("XM-")
            found.append(
                Funder(ref, None, country, "government" if country else ("intergovernmental" if multilateral else None))
            )
    return found


def lead_funder(funders: Sequence[Funder]) -> Funder | None:
    """The first funder that is a country's, else the first multilateral, else None."""
    return next((f for f in funders if f.country_iso3), None) or next((f for f in funders if f.known), None)


def classify_iati_cooperation(record: dict, provider: str | None, funder: Funder | None = None) -> str | None:
    """The rules of the module docstring, in order."""
    by_code = collaboration_types().get(record["collaboration_type"] or "")
    if by_code == "triangular":
        return "triangular"
    text = " ".join(
        filter(None, [record["title"], record["description"], *(t[2] for t in record["tags"] if t[2])])
    ).casefold()
    if "triangular" in text:
        return "triangular"
    if re.search(r"south[\s-]+south", text):
        return "south_south"
    reporting = record["reporting_org"]
    if by_code == "multilateral" or (funder is not None and funder.multilateral):
        return "multilateral"
    if funder is None and (reporting.get("type") == "40" or (reporting.get("ref") or "").upper().startswith("XM-")):
        return "multilateral"
    if provider:
        return "north_south" if provider in dac_members() else "south_south"
    return None


def place_activity(record: dict, *, source: str, file_label: str, locator: str) -> tuple[dict, list[dict], list[dict]]:
    identifier = (record["identifier"] or "").strip()
    if not identifier:
        raise RowProblem("missing_id", "iati-identifier is empty")
    if record["misaligned"]:
        raise RowProblem(
            "misaligned_lists",
            f"parallel lists of different length cannot be paired: {', '.join(record['misaligned'])}",
        )
    activity_id = f"{source}:{identifier}"  # one activity may appear in several datasets

    fixes: list[str] = list(record.get("fixes", []))
    countries: list[tuple[str, float | None]] = []
    regions: list[tuple[str | None, float | None]] = []  # None: a region code no table places
    unknown: list[str] = []
    for code, percentage in record["countries"]:
        text = str(code or "").strip()
        iso3 = iso_codes().get(text.upper())
        pct = _number(percentage, "recipient-country percentage")
        if iso3:
            countries.append((iso3, pct))
        elif text.casefold() in ("global", "world"):
            regions.append(("multi_region", pct))
            fixes.append("recipient_country_global")
        else:
            unknown.append(text)
    if unknown:
        raise RowProblem("unknown_country", f"recipient-country codes not recognised: {', '.join(unknown)}")
    for code, vocabulary, percentage in record["regions"]:
        region, known = _region_of(code, vocabulary)
        if not known and vocabulary in (None, "", "1", "2"):
            raise RowProblem(
                "unknown_region", f"recipient-region code {code} is not in the vocabulary {vocabulary or '1'} table"
            )
        if not known:
            fixes.append(f"region_code_unplaced:{code}")
        regions.append((region, _number(percentage, "recipient-region percentage")))
    keyed: list[tuple[tuple[str | None, str | None], float | None]] = [((iso3, None), p) for iso3, p in countries]
    keyed += [((None, region), p) for region, p in regions]
    shares, allocation = _shares(keyed)  # keys: (country, None) or (None, region)
    recipients = [
        {
            "activity_id": activity_id,
            "recipient_iso3": iso3,
            "region": classify_region(iso3) if iso3 else region,
            "share": share,
            "allocation": allocation if iso3 else ("stated_region" if region else "unallocated"),
        }
        for (iso3, region), share in shares
    ] or [
        {"activity_id": activity_id, "recipient_iso3": None, "region": None, "share": 1.0, "allocation": "unallocated"}
    ]

    dac_sectors = [
        (code, _number(pct, "sector percentage") or 0.0)
        for code, vocab, pct in record["sectors"]
        if (vocab or "1") in DAC_SECTOR_VOCABULARIES and code
    ]
    sector_code = theme = None
    themes: list[str] = []
    unmapped = Unmapped()
    if dac_sectors:
        for code, _ in dac_sectors:
            found = classify_dac_sector(code)
            if found is None:  # kept, flagged: the sector is descriptive, not a key
                unmapped.add("sector_theme", "sector code", code, "reference/dac_sector_themes.csv")
                found = UNCLASSIFIED
            themes.append(found)
        sector_code = max(dac_sectors, key=lambda s: s[1])[0]
        theme = classify_dac_sector(sector_code) or UNCLASSIFIED

    transactions = []
    for kind, date, value, currency in record["transactions"]:
        amount = _number(value, "transaction value")
        if amount is None:
            continue
        currency = currency or record["default_currency"]
        if not currency:
            raise RowProblem(
                "missing_currency", f"transaction of {value} has no currency and the activity no default-currency"
            )
        try:
            iso_date, _ = parse_date((date or "")[:10] or None)
        except RowProblem:
            raise RowProblem("bad_date", f"transaction date '{date}' cannot be read") from None
        transactions.append(
            {
                "activity_id": activity_id,
                "transaction_type": TRANSACTION_TYPES.get(str(kind), f"type_{kind}"),
                "date": iso_date,
                "year": int(iso_date[:4]) if iso_date else None,
                "value": amount,
                "currency": currency,
            }
        )

    dates = record["dates"]
    start = next((dates[k] for k in ("2", "1") if dates.get(k)), None)
    end = next((dates[k] for k in ("4", "3") if dates.get(k)), None)
    try:
        start_iso = parse_date(start[:10])[0] if start else None
        end_iso = parse_date(end[:10])[0] if end else None
    except RowProblem:
        raise RowProblem("bad_date", f"activity dates cannot be read: {start}, {end}") from None
    year = int(start_iso[:4]) if start_iso else min((t["year"] for t in transactions if t["year"]), default=None)

    reporting = record["reporting_org"]
    funders = funders_of(record)
    lead = lead_funder(funders)
    if funders:
        provider = lead.country_iso3 if lead else None
        provider_name = lead.written if lead else funders[0].written
        for funder in funders:
            if not funder.known:
                unmapped.add(
                    "provider_iso3", "participating-org (funding)", funder.written, "reference/organisations.csv"
                )
        if lead is not None and lead.inferred:
            fixes.append("funder_country_from_name")
    else:  # no funder named: the reporting organisation is taken to fund its own activity
        provider = _provider(reporting.get("ref"))
        provider_name = reporting.get("name")
    activity = activity_row(
        source,
        file_label,
        locator,
        activity_id,
        title=record["title"],
        year=year,
        start_date=start_iso,
        end_date=end_iso,
        provider_iso3=provider,
        provider_name=provider_name,
        funders="; ".join(dict.fromkeys(f.written for f in funders)) or None,
        sector_code=sector_code,
        sector_theme=theme,
        sector_themes=";".join(dict.fromkeys(themes)) or None,
        cooperation_type=classify_iati_cooperation(record, provider, (lead or Funder("")) if funders else None),
        reporting_org=reporting.get("name") or reporting.get("ref"),
        participating_orgs=json.dumps(record["participating_orgs"], ensure_ascii=False, sort_keys=True)
        if record["participating_orgs"]
        else None,
        fixes=";".join(dict.fromkeys(fixes)) or None,
        unclassified=unmapped.to_json(),
    )
    return activity, recipients, transactions


def raw_amounts(record: dict) -> dict[str, float]:
    """Transaction values per currency, summed from the raw record independently of the placer."""
    sums: dict[str, float] = {}
    for _, _, value, currency in record["transactions"]:
        try:
            number = float(str(value).replace(",", "")) if value not in (None, "") else None
        except ValueError:
            number = None
        if number is not None:
            key = f"transactions {currency or record['default_currency'] or 'no currency'}"
            sums[key] = sums.get(key, 0.0) + number
    return sums


def place_iati(records: Iterator[tuple[str, dict]], *, source: str, file_label: str) -> SourceTables:
    """IATI records (from read_iati_json or read_iati_xml) -> canonical tables."""
    builder = TableBuilder(file_label)
    seen: set[str] = set()
    for locator, record in records:
        # A folder of JSON files keeps one ledger row per file.
        builder.file_label = f"{file_label}/{record['file']}" if record.get("file") else file_label
        amounts = raw_amounts(record)
        builder.count_amounts("raw", amounts)
        try:
            activity, recipients, transactions = place_activity(
                record, source=source, file_label=builder.file_label, locator=locator
            )
            if activity["activity_id"] in seen:
                raise RowProblem("duplicate_id", f"iati-identifier {activity['activity_id']} already read in this file")
        except RowProblem as problem:
            builder.quarantine(
                locator, problem.reason, str(problem), {k: record[k] for k in ("identifier", "title")}, amounts
            )
            continue
        seen.add(activity["activity_id"])
        placed: dict[str, float] = {}
        for tx in transactions:
            placed[f"transactions {tx['currency']}"] = placed.get(f"transactions {tx['currency']}", 0.0) + tx["value"]
        builder.add(activity, recipients, transactions, amounts=placed)
    return builder.tables()


def place_iati_path(
    path: Path, *, kind: str, source: str, file_label: str, files: list[Path] | None = None
) -> SourceTables:
    """``files``: the verified files of a JSON folder to read (default: every .json in it)."""
    from kss_analysis.ingest.iati.read import read_iati_json, read_iati_xml

    records = read_iati_json(path, files=files) if kind == "iati-json" else read_iati_xml(path)
    return place_iati(records, source=source, file_label=file_label)
