"""Place UNDP's South-South and triangular cooperation inventory in the canonical model.

One activity per engagement (row); ``activity_id`` is ``<source>:<Obs ID>``. The rules:

- **Recipient** - the country whose UNDP office reports the engagement (``ISO-3 Code``); a
  code outside our tables quarantines the row (``unknown_country``). With no code, the
  country name is looked up (a fix, ``country_from_name``); a row reported by a regional or
  global bureau instead of a country office is placed on the bureau's region
  (reference/undp_bureaus.csv: ``stated_region``, or ``multi_region`` unallocated for a
  bureau spanning several of our regions); an unknown bureau is kept, flagged.
- **Provider** - the engaged countries (``ISO-3 of countries that are engaged``), the
  counterparts the host country exchanges with, ';'-joined in ``provider_iso3`` and named as
  written in ``provider_name``. The inventory states no direction of the exchange and no
  funder: UNDP supports every engagement and is recorded as ``reporting_org``, never as the
  provider. With no codes, the names are looked up (a fix, ``engaged_from_name``); "regional"
  means no country; an unknown code or name is kept, flagged.
- **Cooperation type** - ``Typology`` is read for a cooperation type (South-South,
  triangular, in English, French or Spanish). The current inventory writes the host's
  country group there (LDC, LLDC, SIDS), which is no cooperation type: such rows, like rows
  with an empty typology, are ``south_south`` (rule ``inventory_scope``: the inventory lists
  South-South and triangular cooperation without telling them apart, and UNDP's support does
  not make an engagement triangular). Any other typology value is kept, flagged.
- **Sector** - each thematic area through reference/undp_themes.csv, then the keyword
  classifier; an area in neither is kept, flagged (processed/unmapped_values.csv).
- **Partners, method, approach, SDGs** - the inventory has no titles, so ``title`` is
  composed from the row's own approach, thematic area, method and SDGs (nothing added);
  the partner types involved (Government, CSO/NGOs ...) are in ``participating_orgs``
  (role ``partner_type``).
- **Year** - rule ``no_year_in_source``: the inventory states no year or date, so ``year``,
  ``start_date`` and ``end_date`` stay empty. No row is excluded or quarantined for it, and
  none is given a year.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kss_analysis.core.errors import RowProblem
from kss_analysis.core.model import SourceTables
from kss_analysis.core.reference import iso_codes, normalise_name, read_reference
from kss_analysis.ingest.classify import classify_country, classify_country_list, classify_sector
from kss_analysis.ingest.clean import clean_text
from kss_analysis.ingest.placing import TableBuilder, activity_row, equal_split
from kss_analysis.ingest.undp_engagements.read import HEADERS, read_engagements
from kss_analysis.ingest.unmapped import UNCLASSIFIED, Unmapped

NO_YEAR_RULE = "no_year_in_source"
SCOPE_RULE = "inventory_scope"
PUBLISHER = "UNDP"

# Typology values that state a cooperation type (normalised, accents kept as written).
COOPERATION_TYPES = {
    "south-south": "south_south",
    "south south": "south_south",
    "ssc": "south_south",
    "sud-sud": "south_south",
    "sur-sur": "south_south",
    "triangular": "triangular",
    "trc": "triangular",
    "triangulaire": "triangular",
}
# Typology values that name the host's country group (EN, FR, ES): no cooperation type.
COUNTRY_GROUPS = frozenset({"ldc", "lldc", "sids", "pma", "pmsl", "pdsl", "peid", "psl", "paises menos adelantados"})
NO_COUNTRY = frozenset({"regional", "régional", "global", "mondial", "multiple", "varios", "plusieurs"})


def _split(text: object) -> list[str]:
    """'Gender Equality;Climate Action ' -> ['Gender Equality', 'Climate Action']."""
    return [part for part in (clean_text(p) for p in str(text or "").split(";")) if part]


def _header(frame_headers: dict[str, str], name: str) -> str:
    return frame_headers.get(name) or HEADERS[name][0]


def _codes(text: object, column: str, fixes: list[str]) -> tuple[list[str], list[str]]:
    """'CMR;BFA' -> (ISO3 codes, unknown tokens); variant codes through reference/code_aliases.csv."""
    aliases = {row["code"]: row["iso3"] for row in read_reference("code_aliases")}
    codes, unknown = [], []
    for token in re.split(r"[;,\s]+", str(text or "").strip()):
        if not token:
            continue
        key = token.upper()
        if key in aliases:
            codes.append(aliases[key])
            fixes.append(f"{column}_code_alias")
        elif key in iso_codes() and len(key) == 3:
            codes.append(iso_codes()[key])
        else:
            unknown.append(token)
    return list(dict.fromkeys(codes)), unknown


def _host(record: dict, headers: dict[str, str], fixes: list[str], unmapped: Unmapped) -> tuple[str | None, str | None]:
    """(recipient ISO3, region when the row is a bureau's); raises RowProblem when unplaceable."""
    code_text = clean_text(record.get("country_iso3"))
    if code_text:
        codes, unknown = _codes(code_text, "country_iso3", fixes)
        if unknown or len(codes) != 1:
            raise RowProblem(
                "unknown_country",
                f"{_header(headers, 'country_iso3')}: not one country code: {code_text}"
                " (add a variant code to reference/code_aliases.csv)",
            )
        return codes[0], None
    name = clean_text(record.get("country"))
    if name and (iso3 := classify_country(name)):
        fixes.append("country_from_name")
        return iso3, None
    bureau = (clean_text(record.get("bureau")) or "").upper()
    if not name and not bureau:
        raise RowProblem(
            "missing_country", f"{_header(headers, 'country')} and {_header(headers, 'country_iso3')} are empty"
        )
    regions = {row["code"].upper(): row["region"] for row in read_reference("undp_bureaus")}
    if bureau in regions:
        return None, regions[bureau]
    unmapped.add("region", _header(headers, "bureau"), bureau or name, "reference/undp_bureaus.csv")
    return None, "multi_region"


def _engaged(
    record: dict, headers: dict[str, str], fixes: list[str], unmapped: Unmapped
) -> tuple[list[str], str | None]:
    """(engaged ISO3 codes, their names as written)."""
    names = clean_text(record.get("engaged"))
    if names and names.casefold() in NO_COUNTRY:
        names = None
    code_text = clean_text(record.get("engaged_iso3"))
    if code_text:
        codes, unknown = _codes(code_text, "engaged_iso3", fixes)
        for token in unknown:  # a descriptive attribute: the row is kept, flagged
            unmapped.add("provider_iso3", _header(headers, "engaged_iso3"), token, "reference/code_aliases.csv")
        return codes, names
    if not names:
        return [], None
    codes, unknown = classify_country_list(names)
    if codes:
        fixes.append("engaged_from_name")
    for name in unknown:
        unmapped.add("provider_iso3", _header(headers, "engaged"), name, "reference/country_aliases.csv")
    return codes, names


def _cooperation_type(record: dict, headers: dict[str, str], unmapped: Unmapped) -> str:
    stated = []
    for value in _split(record.get("typology")):
        key = normalise_name(value)
        if key in COOPERATION_TYPES or value.casefold() in COOPERATION_TYPES:
            stated.append(COOPERATION_TYPES.get(key) or COOPERATION_TYPES[value.casefold()])
        elif key not in COUNTRY_GROUPS and value.casefold() not in COUNTRY_GROUPS:
            unmapped.add("cooperation_type", _header(headers, "typology"), value, "ingest/undp_engagements/place.py")
    if "triangular" in stated:
        return "triangular"
    return "south_south"  # SCOPE_RULE


def _themes(areas: list[str], headers: dict[str, str], unmapped: Unmapped) -> list[str]:
    table = {row["area"].casefold(): row["theme"] for row in read_reference("undp_themes")}
    themes, unknown = [], []
    for area in areas:
        theme = table.get(area.casefold()) or classify_sector(area)[0]
        (themes.append(theme) if theme else unknown.append(area))
    for area in unknown:
        unmapped.add("sector_theme", _header(headers, "theme"), area, "reference/undp_themes.csv")
    if unknown and not themes:
        themes = [UNCLASSIFIED]
    return list(dict.fromkeys(themes))


def _title(record: dict, obs_id: str) -> str:
    """The row's own approach, thematic area, method and SDGs: the inventory has no titles."""
    approach = "; ".join(_split(record.get("approach")))
    areas = "; ".join(_split(record.get("theme")))
    method = "; ".join(_split(record.get("method")))
    sdgs = ", ".join(_split(record.get("sdg")))
    head = ": ".join(part for part in (approach, areas) if part)
    tail = "; ".join(part for part in (method, f"SDG {sdgs}" if sdgs else "") if part)
    title = f"{head} ({tail})" if head and tail else head or tail
    return title or f"Engagement {obs_id}"


def place_row(
    record: dict, headers: dict[str, str], *, source: str, file_label: str, locator: str
) -> tuple[dict, list[dict]]:
    obs_id = clean_text(record.get("obs_id"))
    if not obs_id:
        raise RowProblem("missing_id", f"{_header(headers, 'obs_id')} is empty")
    fixes: list[str] = []
    unmapped = Unmapped()
    host, region = _host(record, headers, fixes, unmapped)
    engaged, engaged_names = _engaged(record, headers, fixes, unmapped)
    areas = _split(record.get("theme"))
    themes = _themes(areas, headers, unmapped)
    activity_id = f"{source}:{obs_id}"
    if host:
        recipients = equal_split(activity_id, [host], [])
    else:
        stated = region != "multi_region"
        recipients = [
            {
                "activity_id": activity_id,
                "recipient_iso3": None,
                "region": region,
                "share": 1.0,
                "allocation": "stated_region" if stated else "unallocated",
            }
        ]
    partners = [{"role": "partner_type", "name": name, "ref": None} for name in _split(record.get("partners"))]
    activity = activity_row(
        source,
        file_label,
        locator,
        activity_id,
        title=_title(record, obs_id),
        year=None,  # NO_YEAR_RULE
        provider_iso3=";".join(engaged) or None,
        provider_name=engaged_names,
        sector_text="; ".join(areas) or None,
        sector_theme=themes[0] if themes else None,
        sector_themes=";".join(themes) or None,
        cooperation_type=_cooperation_type(record, headers, unmapped),
        reporting_org=PUBLISHER,
        participating_orgs=json.dumps(partners, ensure_ascii=False) if partners else None,
        fixes=";".join(dict.fromkeys(fixes)) or None,
        unclassified=unmapped.to_json(),
    )
    return activity, recipients


def place_engagements(path: Path, *, source: str, file_label: str) -> SourceTables:
    frame = read_engagements(path)
    headers = frame.attrs["headers"]
    builder = TableBuilder(file_label)
    for record in frame.to_dict("records"):
        locator = f"record {record['row']}"
        try:
            activity, recipients = place_row(record, headers, source=source, file_label=file_label, locator=locator)
            builder.claim_id(activity["activity_id"], locator, _header(headers, "obs_id"))
        except RowProblem as problem:
            column = {"unknown_country": "country_iso3", "missing_id": "obs_id", "duplicate_id": "obs_id"}.get(
                problem.reason
            )
            builder.quarantine(
                locator,
                problem.reason,
                str(problem),
                record,
                column=_header(headers, column) if column else None,
                value=clean_text(record.get(column)) if column else None,
            )
            continue
        builder.add(activity, recipients)
    return builder.tables()
