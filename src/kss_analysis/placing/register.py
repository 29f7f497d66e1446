"""Place the rows of a programme register in the canonical model.

One register row becomes one activity plus its recipient rows, or one quarantine row
with a reason code. Every row read is counted once in the ledger:
rows_read = rows_kept + rows_fixed + rows_quarantined + rows_excluded.
"""

from __future__ import annotations

from pathlib import Path

from kss_analysis.classify import (
    classify_cooperation_type,
    classify_country_list,
    classify_modality,
    classify_region_names,
    classify_sector,
)
from kss_analysis.clean import clean_text, parse_date, parse_number
from kss_analysis.errors import RowProblem
from kss_analysis.model import SourceTables
from kss_analysis.placing.common import TableBuilder, activity_row, equal_split, year_cell
from kss_analysis.reference import currency_aliases
from kss_analysis.schema import PARTICIPANT_QUALIFIERS, REGISTER_AMOUNT_BASES
from kss_analysis.sources.register import EXTRA_CELLS, MAX_FIELD_CHARS, RegisterRows

PROVIDER_ISO3 = "IDN"
PROVIDER_NAME = "Indonesia"
# The flow an amount describes follows from its basis; 'reported' leaves commitment vs
# disbursement open because registers built from news rarely say which.
FLOW_BY_BASIS = {"planned": "planned", "in_kind": "in_kind"}


def _number(record: dict, column: str, fixes: list[str]):
    try:
        parsed = parse_number(record.get(column))
    except RowProblem as exc:
        raise RowProblem(
            f"bad_{column}" if column in ("participants", "funding_value") else exc.reason, f"{column}: {exc}"
        ) from None
    if parsed.fixed:
        fixes.append(column)
    return parsed


def _date(record: dict, column: str, fixes: list[str]) -> str | None:
    try:
        value, fixed = parse_date(record.get(column))
    except RowProblem as exc:
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

    year, year_fixed = year_cell(record, "year")
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
    currency = _currency(currency_text)
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
        if basis not in REGISTER_AMOUNT_BASES:
            raise RowProblem(
                "bad_funding_basis", f"funding_basis '{basis}' is not one of {sorted(REGISTER_AMOUNT_BASES)}"
            )

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
    triangular_partner = clean_text(record.get("triangular_partner"))
    programme_id = clean_text(record.get("programme_id"))
    activity_id = f"{id_prefix}{programme_id}" if programme_id else f"{source}:{locator}"
    parent_id = clean_text(record.get("parent_programme_id"))
    activity = activity_row(
        source,
        file_label,
        locator,
        activity_id,
        parent_activity_id=f"{id_prefix}{parent_id}" if parent_id else None,
        title=title,
        title_id=clean_text(record.get("title_id")),
        year=year,
        start_date=start_date,
        end_date=end_date,
        provider_iso3=PROVIDER_ISO3,
        provider_name=PROVIDER_NAME,
        implementer=clean_text(record.get("implementer")),
        sector_text=sector_text,
        sector_code=None,
        sector_theme=theme,
        sector_themes=";".join(themes) or None,
        modality=modality,
        cooperation_type=classify_cooperation_type(triangular_partner),
        triangular_partner=triangular_partner,
        n_partner_countries=int(n_partners.value) if n_partners.value is not None else None,
        participants=int(participants.value) if participants.value is not None else None,
        participants_qualifier=qualifier if participants.value is not None else None,
        amount=amount.value,
        currency=currency if amount.value is not None else None,
        amount_usd=amount.value if currency == "USD" else None,
        amount_basis=basis if amount.value is not None else None,
        flow_type=FLOW_BY_BASIS.get(basis, "reported") if amount.value is not None else None,
        source_url=clean_text(record.get("source_url")),
        fixes=";".join(dict.fromkeys(fixes)) or None,
    )
    # Countries when named; the stated regions only when no country is.
    return activity, equal_split(activity_id, recipients, [] if recipients else regions)


def _currency(text: str | None) -> str | None:
    """A funding_currency cell as an ISO code: 'Rp' -> IDR, 'us$' -> USD, 'eur' -> EUR."""
    return currency_aliases().get(text.casefold(), text.upper()) if text else None


def raw_amounts(record: dict) -> dict[str, float]:
    """The row's funding_value by currency, read from the raw cells for the ledger's amount check."""
    try:
        parsed = parse_number(record.get("funding_value"))
    except RowProblem:
        return {}
    currency = _currency(clean_text(record.get("funding_currency"))) or parsed.currency
    return {f"amount {currency}": parsed.value} if parsed.value is not None and currency else {}


def place_register(
    rows: RegisterRows, *, source: str, file_label: str | None = None, id_prefix: str = ""
) -> SourceTables:
    """All rows of one register file -> the canonical tables (ledger and amounts balanced).

    ``id_prefix`` keeps programme ids of different files apart ('myfile:P-01').
    """
    builder = TableBuilder(file_label or Path(rows.file).name)
    placed: list[tuple[str, dict, dict, list[dict]]] = []
    for locator, record in rows.rows:
        builder.count_amounts("raw", raw_amounts(record))
        try:
            activity, recipient_rows = place_row(
                record, locator=locator, source=source, file_label=builder.file_label, id_prefix=id_prefix
            )
        except RowProblem as problem:
            builder.quarantine(locator, problem.reason, str(problem), record, raw_amounts(record))
            continue
        placed.append((locator, record, activity, recipient_rows))

    # Row-to-row checks: ids are unique and a parent must be a programme of the same file.
    first_locator: dict[str, str] = {}
    unique = []
    for locator, record, activity, recipient_rows in placed:
        aid = activity["activity_id"]
        if aid in first_locator:
            message = f"programme_id {aid} is already used at {first_locator[aid]}"
            builder.quarantine(locator, "duplicate_id", message, record, raw_amounts(record))
        else:
            first_locator[aid] = locator
            unique.append((locator, record, activity, recipient_rows))
    for locator, record, activity, recipient_rows in unique:
        parent = activity["parent_activity_id"]
        if parent and parent not in first_locator:
            message = f"parent_programme_id {parent} is not a placed programme of this file"
            builder.quarantine(locator, "unknown_parent", message, record, raw_amounts(record))
            continue
        amounts = {f"amount {activity['currency']}": activity["amount"]} if activity["amount"] is not None else {}
        builder.add(activity, recipient_rows, amounts=amounts)
    for _, rule in rows.excluded:
        builder.exclude(rule)
    return builder.tables()
