"""Place the rows of a programme register in the canonical model.

One register row becomes one activity plus its recipient rows, or one quarantine row
with a reason code. Every row read is counted once in the ledger:
rows_read = rows_kept + rows_fixed + rows_quarantined + rows_excluded.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kss_analysis import schema
from kss_analysis.classify import (
    classify_cooperation_type,
    classify_country_list,
    classify_modality,
    classify_region_names,
    classify_sector,
)
from kss_analysis.clean import CleanError, clean_text, parse_date, parse_number, parse_year
from kss_analysis.placing.common import RowProblem, equal_split, raw_json
from kss_analysis.sources.register import EXTRA_CELLS, MAX_FIELD_CHARS, RegisterRows
from kss_analysis.tables import SourceTables, frame_from_records
from kss_analysis.text_hygiene import scrub_row

MAX_COUNTRIES = 1000  # more partner countries than exist is a typo (and would overflow int32)
PROVIDER_ISO3 = "IDN"
PROVIDER_NAME = "Indonesia"
PARTICIPANT_QUALIFIERS = {"exact", "lower_bound", "upper_bound", "approximate", "cumulative"}
AMOUNT_BASES = {"stated", "sum_of_stated", "approximate", "unverified", "planned", "in_kind", "cumulative"}
# The flow an amount describes follows from its basis; 'reported' leaves commitment vs
# disbursement open because registers built from news rarely say which.
FLOW_BY_BASIS = {"planned": "planned", "in_kind": "in_kind"}
CURRENCY_ALIASES = {"IDR": "IDR", "RP": "IDR", "RUPIAH": "IDR", "USD": "USD", "US$": "USD", "$": "USD"}


def _number(record: dict, column: str, fixes: list[str]):
    try:
        parsed = parse_number(record.get(column))
    except CleanError as exc:
        keep = exc.reason == "amount_out_of_range" and column != "participants"  # a count is not an amount
        raise RowProblem(
            f"bad_{column}" if column in ("participants", "funding_value") and not keep else exc.reason,
            f"{column}: {exc}",
        ) from None
    if parsed.fixed:
        fixes.append(column)
    return parsed


def _date(record: dict, column: str, fixes: list[str]) -> str | None:
    try:
        value, fixed = parse_date(record.get(column))
    except CleanError as exc:
        raise RowProblem(exc.reason, f"{column}: {exc}") from None
    if fixed:
        fixes.append(column)
    return value


def place_row(
    record: dict[str, object], *, locator: str, source: str, file_label: str, id_prefix: str = ""
) -> tuple[dict, list[dict]]:
    """One register row -> (activity record, recipient records); raises RowProblem."""
    if EXTRA_CELLS in record:
        raise RowProblem("too_many_cells", f"row has {len(record[EXTRA_CELLS])} more cells than the header")
    for column, value in record.items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise RowProblem("field_too_long", f"{column} has {len(value):,} characters (limit {MAX_FIELD_CHARS:,})")
    fixes: list[str] = []
    title = clean_text(record.get("title"))
    if not title:
        raise RowProblem("missing_title", "title is empty")

    try:
        year, year_fixed = parse_year(record.get("year"))
    except CleanError as exc:
        raise RowProblem(exc.reason, f"year: {exc}") from None
    if year_fixed:
        fixes.append("year")
    start_date = _date(record, "start_date", fixes)
    end_date = _date(record, "end_date", fixes)
    if year is None and start_date:
        year = int(start_date[:4])
        fixes.append("year_from_start_date")
    if start_date and end_date and end_date[: len(start_date)] < start_date[: len(end_date)]:
        raise RowProblem("end_before_start", f"end_date {end_date} is before start_date {start_date}")

    participants = _number(record, "participants", fixes)
    if participants.value is not None and (participants.value < 0 or not float(participants.value).is_integer()):
        raise RowProblem(
            "bad_participants", f"participants must be a whole number >= 0, got '{record.get('participants')}'"
        )
    qualifier = clean_text(record.get("participants_qualifier")) or (
        participants.qualifier if participants.value is not None else None
    )
    if qualifier and qualifier not in PARTICIPANT_QUALIFIERS:
        raise RowProblem(
            "bad_participants_qualifier",
            f"participants_qualifier '{qualifier}' is not one of {sorted(PARTICIPANT_QUALIFIERS)}",
        )

    amount = _number(record, "funding_value", fixes)
    currency_text = clean_text(record.get("funding_currency"))
    currency = CURRENCY_ALIASES.get(currency_text.upper(), currency_text.upper()) if currency_text else None
    if amount.currency and currency and amount.currency != currency:
        raise RowProblem(
            "currency_conflict", f"funding_value says {amount.currency} but funding_currency says {currency}"
        )
    currency = currency or amount.currency
    if amount.value is not None and not currency:
        raise RowProblem("missing_currency", f"funding_value '{record.get('funding_value')}' has no currency")
    if currency and len(currency) != 3:
        raise RowProblem("bad_currency", f"funding_currency '{currency_text}' is not a 3-letter currency code")
    basis = clean_text(record.get("funding_basis"))
    if amount.value is not None:
        basis = basis or ("approximate" if amount.qualifier == "approximate" else "stated")
        if basis not in AMOUNT_BASES:
            raise RowProblem("bad_funding_basis", f"funding_basis '{basis}' is not one of {sorted(AMOUNT_BASES)}")

    recipients, unknown = classify_country_list(record.get("partner_countries"))
    if unknown:
        raise RowProblem("unknown_country", f"partner_countries not recognised: {', '.join(unknown)}")
    regions, unknown_regions = classify_region_names(record.get("region"))
    if unknown_regions:
        raise RowProblem("unknown_region", f"region not recognised: {', '.join(unknown_regions)}")

    sector_text = clean_text(record.get("sector"))
    theme, themes = classify_sector(sector_text) if sector_text else (None, [])
    if sector_text and theme is None:
        raise RowProblem(
            "unknown_sector", f"sector '{sector_text}' matches no sector keyword (reference/sector_keywords.csv)"
        )
    modality_text = clean_text(record.get("modality"))
    modality = classify_modality(modality_text) if modality_text else None
    if modality_text and modality is None:
        raise RowProblem("unknown_modality", f"modality '{modality_text}' is not in reference/modalities.csv")

    n_partners = _number(record, "n_partner_countries", fixes)
    if n_partners.value is not None and not (
        0 <= n_partners.value <= MAX_COUNTRIES and float(n_partners.value).is_integer()
    ):
        raise RowProblem(
            "bad_n_partner_countries",
            f"n_partner_countries must be a whole number from 0 to {MAX_COUNTRIES}, got '{record.get('n_partner_countries')}'",
        )
    triangular_partner = clean_text(record.get("triangular_partner"))
    programme_id = clean_text(record.get("programme_id"))
    activity_id = f"{id_prefix}{programme_id}" if programme_id else f"{source}:{locator}"
    parent_id = clean_text(record.get("parent_programme_id"))
    activity = {
        "source": source,
        "source_file": file_label,
        "source_locator": locator,
        "activity_id": activity_id,
        "parent_activity_id": f"{id_prefix}{parent_id}" if parent_id else None,
        "title": title,
        "title_id": clean_text(record.get("title_id")),
        "year": year,
        "start_date": start_date,
        "end_date": end_date,
        "provider_iso3": PROVIDER_ISO3,
        "provider_name": PROVIDER_NAME,
        "implementer": clean_text(record.get("implementer")),
        "sector_text": sector_text,
        "sector_code": None,
        "sector_theme": theme,
        "sector_themes": ";".join(themes) or None,
        "modality": modality,
        "cooperation_type": classify_cooperation_type(triangular_partner),
        "triangular_partner": triangular_partner,
        "n_partner_countries": int(n_partners.value) if n_partners.value is not None else None,
        "participants": int(participants.value) if participants.value is not None else None,
        "participants_qualifier": qualifier if participants.value is not None else None,
        "amount": amount.value,
        "currency": currency if amount.value is not None else None,
        "amount_usd": amount.value if currency == "USD" else None,
        "amount_basis": basis if amount.value is not None else None,
        "flow_type": FLOW_BY_BASIS.get(basis, "reported") if amount.value is not None else None,
        "source_url": clean_text(record.get("source_url")),
        "fixes": ";".join(dict.fromkeys(fixes)) or None,
    }
    # Countries when named; the stated regions only when no country is.
    return activity, equal_split(activity_id, recipients, [] if recipients else regions)


def place_register(
    rows: RegisterRows, *, source: str, file_label: str | None = None, id_prefix: str = ""
) -> SourceTables:
    """All rows of one register file -> the four canonical tables (ledger balanced).

    ``id_prefix`` keeps programme ids of different files apart ('myfile:P-01').
    """
    file_label = file_label or Path(rows.file).name
    placed: list[tuple[str, dict, dict, list[dict]]] = []
    quarantine: list[dict] = []

    def reject(locator: str, record: dict, reason: str, message: str) -> None:
        quarantine.append(
            {
                "file": file_label,
                "locator": locator,
                "reason_code": reason,
                "message": message,
                "raw": raw_json(record),
            }
        )

    for locator, record in rows.rows:
        try:
            activity, recipient_rows = place_row(
                record, locator=locator, source=source, file_label=file_label, id_prefix=id_prefix
            )
        except RowProblem as problem:
            reject(locator, record, problem.reason, str(problem))
            continue
        scrub_row(activity, recipient_rows)  # control characters out, counted as a fix
        placed.append((locator, record, activity, recipient_rows))

    # Row-to-row checks: ids are unique and a parent must be a programme of the same file.
    first_locator: dict[str, str] = {}
    unique = []
    for locator, record, activity, recipient_rows in placed:
        aid = activity["activity_id"]
        if aid in first_locator:
            reject(locator, record, "duplicate_id", f"programme_id {aid} is already used at {first_locator[aid]}")
        else:
            first_locator[aid] = locator
            unique.append((locator, record, activity, recipient_rows))
    activities, recipients = [], []
    for locator, record, activity, recipient_rows in unique:
        parent = activity["parent_activity_id"]
        if parent and parent not in first_locator:
            reject(
                locator,
                record,
                "unknown_parent",
                f"parent_programme_id {parent} is not a placed programme of this file",
            )
            continue
        activities.append(activity)
        recipients.extend(recipient_rows)

    fixed = sum(1 for a in activities if a["fixes"])
    excluded = Counter(rule for _, rule in rows.excluded)
    ledger = [
        {
            "file": file_label,
            "rows_read": len(rows.rows) + len(rows.excluded),
            "rows_kept": len(activities) - fixed,
            "rows_fixed": fixed,
            "rows_quarantined": len(quarantine),
            "rows_excluded": len(rows.excluded),
            "excluded_by_rule": ";".join(f"{rule}={n}" for rule, n in sorted(excluded.items())) or None,
        }
    ]
    return SourceTables(
        frame_from_records(activities, schema.ACTIVITIES),
        frame_from_records(recipients, schema.ACTIVITY_RECIPIENTS),
        frame_from_records(quarantine, schema.QUARANTINE),
        frame_from_records(ledger, schema.LEDGER),
    )
