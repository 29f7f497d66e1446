"""Place AidData project rows (GCOF China, TUFF donor files) in the canonical model.

Named exclusion rules, counted in the ledger:
- ``umbrella``: umbrella projects (umbrella = 1) whose components are separate rows;
- ``non_official``: rows flagged is_official_finance = 0 (TUFF files), not official finance.
Flow classes follow the TUFF/GCOF codebooks (reference/aiddata_flow_classes.csv); a class,
sector code or donor outside our tables keeps the row, flagged (see unmapped.py).
Amounts keep their basis: amount/currency as reported, amount_usd = usd_current,
amount_usd_constant_stated = usd_defl_2014 (GCOF) or usd_defl (TUFF, base year per the file's
methodology; price_base_year_stated left empty when the file does not name it). The
common-base amount_usd_constant is added by money.py from usd_current.
"""

from __future__ import annotations

import re
from pathlib import Path

from kss_analysis.core.errors import RowProblem
from kss_analysis.core.model import SourceTables
from kss_analysis.core.reference import aiddata_donors, iso_codes, normalise_name, read_reference, region_lookup
from kss_analysis.ingest.aiddata.read import read_aiddata
from kss_analysis.ingest.classify import classify_country, classify_dac_sector, classify_sector
from kss_analysis.ingest.clean import clean_text, parse_date, parse_number
from kss_analysis.ingest.placing import TableBuilder, activity_row, equal_split, year_cell
from kss_analysis.ingest.unmapped import UNCLASSIFIED, Unmapped

REQUIRED = ("project_id", "donor", "year", "recipient_iso3", "crs_sector_code", "flow_class")
FLOW_CLASSES_FILE = "reference/aiddata_flow_classes.csv"


def flow_classes() -> dict[str, str]:
    """flow_class as written (casefolded) -> flow_type, from the TUFF/GCOF codebooks."""
    return {row["value"].casefold(): row["flow_type"] for row in read_reference("aiddata_flow_classes")}


def _amount(record: dict, column: str) -> float | None:
    try:
        return parse_number(record.get(column), decimal=".").value
    except RowProblem as exc:
        raise RowProblem(
            exc.reason if exc.reason == "amount_out_of_range" else "bad_amount", f"{column}: {exc}"
        ) from None


def _recipients(text: str) -> tuple[list[str], list[str]]:
    """'RWA; Africa, regional; AGO' -> (['RWA', 'AGO'], ['africa'])."""
    codes, regions = [], []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        if part in iso_codes():
            codes.append(iso_codes()[part])
            continue
        name = re.sub(r",?\s*regional$", "", part, flags=re.IGNORECASE)
        region = region_lookup().get(normalise_name(name))
        if region is None:
            raise RowProblem("unknown_country", f"recipient '{part}' is neither an ISO3 code nor a known region")
        regions.append(region)
    return list(dict.fromkeys(codes)), list(dict.fromkeys(regions))


def place_row(record: dict, *, source: str, file_label: str, locator: str) -> tuple[dict, list[dict]]:
    project_id = clean_text(record.get("project_id"))
    if not project_id:
        raise RowProblem("missing_id", "project_id is empty")
    year, _ = year_cell(record, "year")
    unmapped = Unmapped()
    donor = clean_text(record.get("donor")) or ""
    # Donors are countries: the AidData donor table, then the country tables, so any TUFF
    # donor file reads without a code change; an unknown donor keeps the row, flagged.
    provider = (aiddata_donors().get(donor.casefold()) or classify_country(donor)) if donor else None
    if donor and provider is None:
        unmapped.add("provider_iso3", "donor", donor, "reference/aiddata_donors.csv")
    codes, regions = _recipients(clean_text(record.get("recipient_iso3")) or "")
    if not codes and not regions and (region_text := clean_text(record.get("recipient_region"))):
        regions = _recipients(region_text)[1]
    sector_code = clean_text(record.get("crs_sector_code"))
    sector_name = clean_text(record.get("crs_sector_name"))
    theme = classify_dac_sector(sector_code) if sector_code else None
    if sector_code and theme is None:
        # An unknown code: the sector name through the keyword classifier before giving up.
        theme = classify_sector(sector_name)[0] if sector_name else None
        if theme is None:
            theme = UNCLASSIFIED
            unmapped.add(
                "sector_theme",
                "crs_sector_code",
                f"{sector_code} {sector_name or ''}".strip(),
                "reference/dac_sector_themes.csv",
            )
    flow_text = clean_text(record.get("flow_class"))
    flow_type = flow_classes().get(flow_text.casefold()) if flow_text else None
    if flow_text and flow_type is None:
        flow_type = UNCLASSIFIED  # not defined by the codebooks: raw text kept, never guessed
        unmapped.add("flow_type", "flow_class", flow_text, FLOW_CLASSES_FILE)
    amount = _amount(record, "amount")
    currency = clean_text(record.get("currency"))
    if amount is not None and not currency:
        raise RowProblem("missing_currency", f"amount '{record.get('amount')}' has no currency")
    constant_column = "usd_defl_2014" if "usd_defl_2014" in record else "usd_defl"
    fixes = []
    dates = {}
    for column in ("start_actual", "end_actual"):
        try:
            dates[column], _ = parse_date(record.get(column))
        except RowProblem:
            # Dates are optional detail in AidData: an unreadable one is left empty and noted.
            dates[column] = None
            fixes.append(f"{column}_unreadable")
    activity_id = f"{source}:{project_id}"
    activity = activity_row(
        source,
        file_label,
        locator,
        activity_id,
        title=clean_text(record.get("title")),
        year=year,
        start_date=dates["start_actual"],
        end_date=dates["end_actual"],
        provider_iso3=provider,
        provider_name=donor,
        implementer=clean_text(record.get("implementing_agency")),
        sector_text=sector_name,
        sector_code=sector_code,
        sector_theme=theme,
        sector_themes=theme,
        modality=None,
        cooperation_type="south_south",
        amount=amount,
        currency=currency if amount is not None else None,
        amount_usd=_amount(record, "usd_current") if "usd_current" in record else None,
        amount_basis="reported",
        amount_usd_constant_stated=_amount(record, constant_column),
        price_base_year_stated=2014 if constant_column == "usd_defl_2014" else None,
        flow_type=flow_type,
        status=clean_text(record.get("status")),
        fixes=";".join(fixes) or None,
        unclassified=unmapped.to_json(),
    )
    return activity, equal_split(activity_id, codes, regions)


def raw_amounts(record: dict, constant_column: str) -> dict[str, float | None]:
    """A row's amounts read straight from the raw text (commas dropped), independently of
    the placer: the amount ledger checks that placing lost or changed nothing."""

    def number(column: str) -> float | None:
        text = str(record.get(column) or "").replace(",", "").strip()
        try:
            return float(text) if text else None
        except ValueError:
            return None

    currency = clean_text(record.get("currency")) or "no currency"
    return {
        "usd_current": number("usd_current"),
        "usd_constant": number(constant_column),
        f"reported {currency}": number("amount"),
    }


def placed_amounts(activity: dict) -> dict[str, float | None]:
    return {
        "usd_current": activity["amount_usd"],
        "usd_constant": activity["amount_usd_constant_stated"],
        f"reported {activity['currency'] or 'no currency'}": activity["amount"],
    }


def place_aiddata(path: Path, *, source: str, file_label: str) -> SourceTables:
    """One AidData file -> canonical tables; any TUFF donor file of this layout works."""
    name, frame = read_aiddata(path)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        from kss_analysis.core.errors import InputError

        raise InputError(str(path), f"{name} lacks AidData columns: {', '.join(missing)}")
    builder = TableBuilder(file_label)
    constant_column = "usd_defl_2014" if "usd_defl_2014" in frame.columns else "usd_defl"
    for index, record in enumerate(frame.to_dict("records")):
        locator = f"{name} row {index + 2}"
        amounts = raw_amounts(record, constant_column)
        builder.count_amounts("raw", amounts)
        if clean_text(record.get("umbrella")) in ("1", "TRUE", "True"):
            builder.exclude("umbrella", amounts)
            continue
        if clean_text(record.get("is_official_finance")) == "0":
            builder.exclude("non_official", amounts)
            continue
        try:
            activity, recipients = place_row(record, source=source, file_label=file_label, locator=locator)
            builder.claim_id(activity["activity_id"], locator, "project_id")
        except RowProblem as problem:
            builder.quarantine(locator, problem.reason, str(problem), record, amounts)
            continue
        builder.add(activity, recipients, amounts=placed_amounts(activity))
    return builder.tables()
