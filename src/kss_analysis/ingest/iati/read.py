"""Read IATI activities: Datastore JSON (flat, parallel lists) and activity XML (1.0x, 2.0x).

Both readers yield the same plain record per activity, so one placer serves both:
identifier, version, default_currency, reporting_org {ref, type, name},
participating_orgs [{role, name, ref}] (or unpaired lists when the JSON lists do not
align), title, description, dates {type: iso date}, collaboration_type,
countries [(code, percentage)], regions [(code, vocabulary, percentage)],
sectors [(code, vocabulary, percentage)], transactions [(type, date, value, currency)],
tags [(vocabulary, code, narrative)], misaligned [names of JSON lists that do not pair].

XML is parsed with defusedxml (entity declarations refused: an entity-expansion
"billion laughs" file fails at once) and incrementally with iterparse, each activity
cleared after use, so memory stays bounded on large files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kss_analysis.core.errors import InputError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

# IATI 1.0x wrote codes as words; these are their 2.0x codes.
TRANSACTION_TYPES_V1 = {
    "IF": "1",
    "C": "2",
    "D": "3",
    "E": "4",
    "IR": "5",
    "LR": "6",
    "R": "7",
    "QP": "8",
    "QS": "9",
    "CG": "10",
}
ORG_ROLES_V1 = {"funding": "1", "accountable": "2", "extending": "3", "implementing": "4"}
DATE_TYPES_V1 = {"start-planned": "1", "start-actual": "2", "end-planned": "3", "end-actual": "4"}
SECTOR_VOCABULARIES_V1 = {"DAC": "1", "DAC-3": "2"}
REGION_VOCABULARIES_V1 = {"DAC": "1", "UN": "2"}


def _list(record: dict, key: str) -> list:
    value = record.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _zip_lists(record: dict, anchor: str, others: list[str], misaligned: list[str]) -> list[tuple]:
    """Pair parallel lists; a list of another length cannot be paired and reads as absent."""
    base = _list(record, anchor)
    columns = []
    for key in others:
        values = _list(record, key)
        if values and len(values) != len(base):
            misaligned.append(key)
            values = []
        columns.append(values or [None] * len(base))
    return list(zip(base, *columns, strict=True))


def activity_from_json(record: dict) -> dict:
    """One flat Datastore activity -> the common record."""
    misaligned: list[str] = []
    fixes: list[str] = []
    default_currency = record.get("default_currency")
    currencies = _list(record, "transaction_value_currency")
    if (
        currencies
        and len(currencies) != len(_list(record, "transaction_value"))
        and set(currencies) == {default_currency}
    ):
        # Some transactions omit the currency attribute; every one given is the default,
        # so each transaction is in the default currency whichever ones omitted it.
        record = {k: v for k, v in record.items() if k != "transaction_value_currency"}
        fixes.append("transaction_currency_from_default")
    transactions = _zip_lists(
        record,
        "transaction_value",
        [
            "transaction_transaction_type_code",
            "transaction_transaction_date_iso_date",
            "transaction_value_value_date",
            "transaction_value_currency",
        ],
        misaligned,
    )
    org_pairs = _zip_lists(
        record, "participating_org_role", ["participating_org_narrative", "participating_org_ref"], []
    )
    title = _list(record, "title_narrative")
    description = _list(record, "description_narrative")
    reporting_name = _list(record, "reporting_org_narrative")
    return {
        "identifier": record.get("iati_identifier"),
        "version": str(record.get("dataset_version") or ""),
        "default_currency": default_currency,
        "reporting_org": {
            "ref": record.get("reporting_org_ref"),
            "type": record.get("reporting_org_type"),
            "name": reporting_name[0] if reporting_name else None,
        },
        "participating_orgs": [{"role": r, "name": n, "ref": f} for r, n, f in org_pairs],
        "title": title[0] if title else None,
        "description": description[0] if description else None,
        "dates": dict(zip(_list(record, "activity_date_type"), _list(record, "activity_date_iso_date"), strict=False)),
        "collaboration_type": record.get("collaboration_type_code"),
        "countries": _zip_lists(record, "recipient_country_code", ["recipient_country_percentage"], misaligned),
        "regions": _zip_lists(
            record, "recipient_region_code", ["recipient_region_vocabulary", "recipient_region_percentage"], misaligned
        ),
        "sectors": _zip_lists(record, "sector_code", ["sector_vocabulary", "sector_percentage"], misaligned),
        "transactions": [(t, d or vd, v, c) for v, t, d, vd, c in transactions],
        "tags": _zip_lists(record, "tag_vocabulary", ["tag_code", "tag_narrative"], []),
        "misaligned": misaligned,
        "fixes": fixes,
    }


def _json_records(data: object, file: str) -> list:
    """The activity list of a Datastore response, a bare list, or one bare activity."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        shown = "null" if data is None else type(data).__name__
        raise InputError(file, f"top-level JSON is {shown}, not an activity, a list or a Datastore response")
    if "response" not in data:
        return [data]
    response = data["response"]
    docs = response.get("docs") if isinstance(response, dict) else None
    if not isinstance(docs, list):
        raise InputError(file, "'response' holds no 'docs' list: not a Datastore response", locator="response")
    return docs


def read_iati_json(path: str | Path, files: list[Path] | None = None) -> Iterator[tuple[str, dict]]:
    """(file name, common record) for a Datastore JSON file, or the .json files of a folder
    (``files`` when given: a build passes only the verified ones)."""
    path = Path(path)
    files = sorted(files) if files is not None else sorted(path.rglob("*.json")) if path.is_dir() else [path]
    if not files:
        raise InputError(str(path), "no .json files found")
    for file in files:
        label = str(file.relative_to(path)) if path.is_dir() else file.name
        try:
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(str(file), f"not valid JSON ({exc})") from None
        except RecursionError:
            raise InputError(str(file), "JSON nested too deeply to be IATI Datastore JSON") from None
        records = _json_records(data, str(file))
        for index, record in enumerate(records):
            if not isinstance(record, dict) or "iati_identifier" not in record:
                raise InputError(str(file), f"activity {index + 1} has no iati_identifier: not IATI Datastore JSON")
            activity = activity_from_json(record)
            if path.is_dir():
                activity["file"] = label
            yield (label if len(records) == 1 else f"{label} activity {index + 1}"), activity


def _text(element) -> str | None:
    """Narrative text of an element: 2.0x <narrative> child, else the element's own text (1.0x)."""
    if element is None:
        return None
    narrative = element.find("narrative")
    text = narrative.text if narrative is not None else element.text
    return text.strip() if text and text.strip() else None


def _coded_shares(element, tag: str, v1_vocabularies: dict[str, str]) -> list[tuple]:
    """(code, vocabulary, percentage) of each ``tag`` child; 1.0x vocabulary names map to 2.0x codes."""
    shares = []
    for child in element.findall(tag):
        vocabulary = child.get("vocabulary") or "1"
        shares.append((child.get("code"), v1_vocabularies.get(vocabulary, vocabulary), child.get("percentage")))
    return shares


def activity_from_xml(element: Element, version: str) -> dict:
    v1 = version.startswith("1.")
    default_currency = element.get("default-currency")
    reporting = element.find("reporting-org")
    orgs = []
    for org in element.findall("participating-org"):
        role = org.get("role") or ""
        orgs.append(
            {"role": ORG_ROLES_V1.get(role.casefold(), role) if v1 else role, "name": _text(org), "ref": org.get("ref")}
        )
    dates = {}
    for date_el in element.findall("activity-date"):
        kind = date_el.get("type") or ""
        dates[DATE_TYPES_V1.get(kind, kind) if v1 else kind] = (
            date_el.get("iso-date") or (date_el.text or "").strip() or None
        )
    transactions = []
    for tx in element.findall("transaction"):
        type_el, value_el, tx_date_el = tx.find("transaction-type"), tx.find("value"), tx.find("transaction-date")
        code = type_el.get("code") if type_el is not None else None
        if v1 and code:
            code = TRANSACTION_TYPES_V1.get(code.upper(), code)
        value = value_el.text.strip() if value_el is not None and value_el.text else None
        date = tx_date_el.get("iso-date") if tx_date_el is not None else None
        date = date or (value_el.get("value-date") if value_el is not None else None)
        currency = (value_el.get("currency") if value_el is not None else None) or default_currency
        transactions.append((code, date, value, currency))
    sectors = _coded_shares(element, "sector", SECTOR_VOCABULARIES_V1 if v1 else {})
    regions = _coded_shares(element, "recipient-region", REGION_VOCABULARIES_V1 if v1 else {})
    collaboration = element.find("collaboration-type")
    return {
        "identifier": (element.findtext("iati-identifier") or "").strip() or None,
        "version": version,
        "default_currency": default_currency,
        "reporting_org": {
            "ref": reporting.get("ref") if reporting is not None else None,
            "type": reporting.get("type") if reporting is not None else None,
            "name": _text(reporting),
        },
        "participating_orgs": orgs,
        "title": _text(element.find("title")),
        "description": _text(element.find("description")),
        "dates": dates,
        "collaboration_type": collaboration.get("code") if collaboration is not None else None,
        "countries": [(c.get("code"), c.get("percentage")) for c in element.findall("recipient-country")],
        "regions": regions,
        "sectors": sectors,
        "transactions": transactions,
        "tags": [(t.get("vocabulary"), t.get("code"), _text(t)) for t in element.findall("tag")],
        "misaligned": [],
    }


def read_iati_xml(path: str | Path) -> Iterator[tuple[str, dict]]:
    """(locator, common record) per <iati-activity>, streamed."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    path = Path(path)
    version = ""
    index = 0
    root = None
    try:
        for event, element in iterparse(
            str(path), events=("start", "end"), forbid_dtd=False, forbid_entities=True, forbid_external=True
        ):
            if event == "start":
                if root is None:
                    root = element
                    if element.tag != "iati-activities":
                        raise InputError(str(path), f"root element is <{element.tag}>, not <iati-activities>")
                    version = element.get("version") or "1.0"
                continue
            if element.tag == "iati-activity":
                index += 1
                yield f"iati-activity {index}", activity_from_xml(element, element.get("version") or version)
                element.clear()
                if root is not None and element in root:  # keep memory bounded; a nested activity is cleared only
                    root.remove(element)
    except DefusedXmlException as exc:
        raise InputError(
            str(path),
            f"XML entity or DTD declarations are not allowed ({exc.__class__.__name__}); refusing a possible entity-expansion attack",
        ) from None
    except ParseError as exc:
        raise InputError(str(path), f"XML is not well formed (truncated or corrupt): {exc}") from None
    if root is None:
        raise InputError(str(path), "empty XML file")
