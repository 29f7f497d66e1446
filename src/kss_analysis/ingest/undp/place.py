"""Place UNDP South-South projects in the canonical model.

Providers and hosts are comma-separated ISO3 lists; an empty host list means a global /
unallocated project. Thematic areas map to sector themes through
reference/undp_themes.csv, then the keyword classifier; an area or provider code outside
our tables keeps the row, flagged (unmapped.py); an unknown host code quarantines it.
Several providers are kept ';'-joined in provider_iso3.
"""

from __future__ import annotations

import re
from pathlib import Path

from kss_analysis.core.errors import RowProblem
from kss_analysis.core.model import SourceTables
from kss_analysis.core.reference import iso_codes, read_reference
from kss_analysis.ingest.classify import classify_sector
from kss_analysis.ingest.clean import clean_text, parse_year
from kss_analysis.ingest.placing import TableBuilder, activity_row, equal_split
from kss_analysis.ingest.undp.read import read_undp
from kss_analysis.ingest.unmapped import UNCLASSIFIED, Unmapped


def _iso3_list(text: str | None, column: str, fixes: list[str]) -> tuple[list[str], list[str]]:
    """'IDN,JPN' -> (['IDN', 'JPN'], unknown tokens); also splits on ';' or '.' and maps known
    variant codes (reference/code_aliases.csv, e.g. ROK -> KOR), recording each as a fix."""
    raw = (text or "").strip()
    tokens = [t for t in re.split(r"[,;.\s]+", raw) if t]
    if re.search(r"[;.]", raw):
        fixes.append(f"{column}_separator")
    aliases = {row["code"]: row["iso3"] for row in read_reference("code_aliases")}
    codes, unknown = [], []
    for token in tokens:
        if token in aliases:
            codes.append(aliases[token])
            fixes.append(f"{column}_code_alias")
        elif token in iso_codes():
            codes.append(iso_codes()[token])
            if len(token) == 2:
                fixes.append(f"{column}_iso2")
        else:
            unknown.append(token)
    return list(dict.fromkeys(codes)), unknown


def _themes(text: str | None, subthemes: str | None, unmapped: Unmapped) -> list[str]:
    """Thematic areas -> themes: reference/undp_themes.csv, then the keyword classifier
    (sector_keywords.csv) on the area, then on the sub-thematic areas; else unclassified."""
    table = {row["area"].casefold(): row["theme"] for row in read_reference("undp_themes")}
    themes, unknown = [], []
    for area in (a.strip() for a in (text or "").split(",")):
        if not area:
            continue
        theme = table.get(area.casefold()) or classify_sector(area)[0]
        (themes.append(theme) if theme else unknown.append(area))
    if unknown and not themes and subthemes:
        themes = classify_sector(subthemes)[1]
    for area in unknown:
        unmapped.add("sector_theme", "Thematic Areas", area, "reference/undp_themes.csv")
    if unknown and not themes:
        themes = [UNCLASSIFIED]
    return list(dict.fromkeys(themes))


def place_row(record: dict, *, source: str, file_label: str, locator: str) -> tuple[dict, list[dict]]:
    title = clean_text(record.get("title"))
    if not title:
        raise RowProblem("missing_title", "Project Name is empty")
    fixes: list[str] = []
    unmapped = Unmapped()
    hosts, unknown_hosts = _iso3_list(record.get("hosts"), "hosts", fixes)
    if unknown_hosts:  # the place of the project: a row without it cannot be placed
        raise RowProblem(
            "unknown_country",
            f"hosts: not country codes: {', '.join(unknown_hosts)} (add a variant code to reference/code_aliases.csv)",
        )
    providers, unknown_providers = _iso3_list(record.get("providers"), "providers", fixes)
    for code in unknown_providers:  # a descriptive attribute: the row is kept, flagged
        unmapped.add("provider_iso3", "Provider Country/ies", code, "reference/code_aliases.csv")
    try:
        start, _ = parse_year(record.get("start_year"))
    except RowProblem as exc:
        raise RowProblem("bad_year", f"Start year: {exc}") from None
    end_text = clean_text(record.get("end_year"))
    try:
        end = None if (end_text or "").casefold() in ("present", "ongoing") else parse_year(end_text)[0]
    except RowProblem as exc:
        raise RowProblem("bad_year", f"End year: {exc}") from None
    themes = _themes(record.get("themes"), clean_text(record.get("subthemes")), unmapped)
    number = clean_text(record.get("number")) or str(record["row"])
    activity_id = f"{source}:{number}"  # the source name keeps two UNDP files' ids apart
    if hosts:
        recipients = equal_split(activity_id, hosts, [])
    else:
        recipients = [
            {
                "activity_id": activity_id,
                "recipient_iso3": None,
                "region": "multi_region",
                "share": 1.0,
                "allocation": "unallocated",
            }
        ]
    activity = activity_row(
        source,
        file_label,
        locator,
        activity_id,
        title=title,
        year=start,
        start_date=str(start) if start else None,
        end_date=str(end) if end else None,
        provider_iso3=";".join(providers) or None,
        implementer=clean_text(record.get("implementers")),
        sector_text=clean_text(record.get("themes")),
        sector_theme=themes[0] if themes else None,
        sector_themes=";".join(themes) or None,
        cooperation_type="south_south",
        source_url=(clean_text(record.get("links")) or "").split(",")[0] or None,
        fixes=";".join(dict.fromkeys(fixes)) or None,
        unclassified=unmapped.to_json(),
    )
    return activity, recipients


def place_undp(path: Path, *, source: str, file_label: str) -> SourceTables:
    frame = read_undp(path)
    builder = TableBuilder(file_label)
    for record in frame.to_dict("records"):
        locator = f"record {record['row']}"
        try:
            activity, recipients = place_row(record, source=source, file_label=file_label, locator=locator)
            builder.claim_id(activity["activity_id"], locator, "Number")
        except RowProblem as problem:
            builder.quarantine(locator, problem.reason, str(problem), record)
            continue
        builder.add(activity, recipients)
    return builder.tables()
