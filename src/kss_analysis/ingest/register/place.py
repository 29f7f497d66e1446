"""Place the rows of a programme register in the canonical model.

One register row becomes one activity plus its recipient rows, or one quarantine row
with a reason code. Every row read is counted once in the ledger:
rows_read = rows_kept + rows_fixed + rows_quarantined + rows_excluded; rows_flagged counts
the kept or fixed rows holding a value our tables do not know (see unmapped.py).
A ``provider`` column (or a profile default) names another provider; absent, Indonesia.
"""

from __future__ import annotations

from pathlib import Path

from kss_analysis.core.config import limit
from kss_analysis.core.errors import RowProblem
from kss_analysis.core.fix_hints import how_to_fix
from kss_analysis.core.model import SourceTables
from kss_analysis.core.reference import ambiguous_country_names, currency_aliases, normalise_name
from kss_analysis.core.schema import PARTICIPANT_QUALIFIERS, REGISTER_AMOUNT_BASES
from kss_analysis.ingest.classify import (
    classify_cooperation_type,
    classify_country,
    classify_country_list,
    classify_implementer_type,
    classify_modality,
    classify_region_names,
    classify_sector,
)
from kss_analysis.ingest.clean import clean_text, parse_date, parse_number, parse_year_cell
from kss_analysis.ingest.ids import content_id, safe_id
from kss_analysis.ingest.placing import TableBuilder, activity_row, equal_split
from kss_analysis.ingest.register.read import EXTRA_CELLS, UNCACHED_FORMULAS, RegisterRows
from kss_analysis.ingest.text_hygiene import FIX as CONTROL_FIX
from kss_analysis.ingest.text_hygiene import scrubbed_cells, stray_bytes
from kss_analysis.ingest.unmapped import UNCLASSIFIED, Unmapped

MAX_COUNTRIES = 1000  # more partner countries than exist is a typo (and would overflow int32)
PROVIDER_ISO3 = "IDN"
PROVIDER_NAME = "Indonesia"
# date_basis spellings -> canonical; Indonesian registers write 'kegiatan' or 'publikasi'.
DATE_BASES = {
    "event": "event",
    "kegiatan": "event",
    "acara": "event",
    "publication": "publication",
    "publikasi": "publication",
    "terbit": "publication",
}
# The flow an amount describes follows from its basis; 'reported' leaves commitment vs
# disbursement open because registers built from news rarely say which.
FLOW_BY_BASIS: dict[str | None, str] = {"planned": "planned", "in_kind": "in_kind"}


def _number(record: dict, column: str, fixes: list[str], currency: str | None = None):
    try:
        parsed = parse_number(record.get(column), currency=currency)
    except RowProblem as exc:
        # An out-of-range amount keeps its reason; a count is not an amount, so it stays bad_participants.
        generic = column in ("participants", "funding_value") and (
            exc.reason == "bad_number" or (exc.reason == "amount_out_of_range" and column == "participants")
        )
        raise RowProblem(f"bad_{column}" if generic else exc.reason, str(exc), column) from None
    if parsed.fixed:
        fixes.append(column)
    return parsed


def _date(record: dict, column: str, fixes: list[str]) -> str | None:
    try:
        value, fixed = parse_date(record.get(column))
    except RowProblem as exc:
        raise RowProblem(exc.reason, str(exc), column) from None
    if fixed:
        fixes.append(column)
    return value


def place_row(
    record: dict,
    *,
    locator: str,
    source: str,
    file_label: str,
    id_prefix: str = "",
    headers: dict[str, str] | None = None,
) -> tuple[dict, list[dict]]:
    """One register row -> (activity record, recipient records); raises RowProblem.

    ``headers``: canonical column -> header as written, to name columns in the unmapped report."""
    if EXTRA_CELLS in record:
        raise RowProblem("too_many_cells", f"row has {len(record[EXTRA_CELLS])} more cells than the header")
    if formulas := record.get(UNCACHED_FORMULAS):
        cells = "; ".join(formulas.values())
        raise RowProblem("formula_without_value", f"formula with no saved value ({cells})", next(iter(formulas)))
    for column, value in record.items():
        if isinstance(value, str) and len(value) > (cap := limit("KSS_MAX_CELL_CHARS")):
            raise RowProblem("field_too_long", f"{len(value):,} characters (limit {cap:,}; KSS_MAX_CELL_CHARS)", column)
    for column, value in record.items():
        if isinstance(value, str) and (stray := stray_bytes(value)):
            listed = ", ".join(f"0x{b:02X}" for b in dict.fromkeys(stray))
            raise RowProblem(
                "encoding_error",
                f"byte {listed} is not UTF-8, while the rest of the file is (a cell pasted from a Windows-1252 file?)",
                column,
            )
    fixes: list[str] = []
    raw_title = record.get("title")
    record, scrubbed = scrubbed_cells(record)  # NUL, ESC, BEL ...: never part of a value
    title = clean_text(record.get("title"))
    if not title:
        only_controls = isinstance(raw_title, str) and raw_title.strip()
        raise RowProblem(
            "missing_title", "title holds only control characters" if only_controls else "title is empty", "title"
        )

    try:
        year_cell = parse_year_cell(record.get("year"))
    except RowProblem as exc:
        raise RowProblem(exc.reason, str(exc), "year") from None
    year = year_cell.year
    if year_cell.fixed:
        fixes.append("year")
    # A date or range in the year cell fills the date columns the row leaves empty.
    start_date = _date(record, "start_date", fixes) or year_cell.start_date
    end_date = _date(record, "end_date", fixes) or year_cell.end_date
    if year is None and start_date:
        year = int(start_date[:4])
        fixes.append("year_from_start_date")
    if start_date and end_date and end_date[: len(start_date)] < start_date[: len(end_date)]:
        raise RowProblem("end_before_start", f"the end {end_date} is before the start {start_date}", "end_date")
    date_basis_text = clean_text(record.get("date_basis"))
    date_basis = DATE_BASES.get(date_basis_text.casefold()) if date_basis_text else None
    if date_basis_text and date_basis is None:
        raise RowProblem(
            "bad_date_basis", f"'{date_basis_text}' is not one of {sorted(set(DATE_BASES.values()))}", "date_basis"
        )
    if date_basis_text and date_basis_text != date_basis:
        fixes.append("date_basis")

    participants = _number(record, "participants", fixes)
    if participants.value is not None and (participants.value < 0 or not float(participants.value).is_integer()):
        raise RowProblem(
            "bad_participants",
            f"must be a whole number >= 0, got '{record.get('participants')}'",
            "participants",
        )
    qualifier = clean_text(record.get("participants_qualifier")) or (
        participants.qualifier if participants.value is not None else None
    )
    if qualifier and qualifier not in PARTICIPANT_QUALIFIERS:
        raise RowProblem(
            "bad_participants_qualifier",
            f"'{qualifier}' is not one of {sorted(PARTICIPANT_QUALIFIERS)}",
            "participants_qualifier",
        )

    currency_text = clean_text(record.get("funding_currency"))
    currency = _currency(currency_text)
    amount = _number(record, "funding_value", fixes, currency)
    if amount.currency and currency and amount.currency != currency:
        raise RowProblem(
            "currency_conflict",
            f"the amount says {amount.currency} but the currency column says {currency}",
            "funding_currency",
        )
    currency = currency or amount.currency
    if amount.value is not None and not currency:
        raise RowProblem("missing_currency", f"'{record.get('funding_value')}' has no currency", "funding_value")
    if currency and len(currency) != 3:
        raise RowProblem("bad_currency", f"'{currency_text}' is not a 3-letter currency code", "funding_currency")
    basis = clean_text(record.get("funding_basis"))
    if amount.value is not None:
        basis = basis or ("approximate" if amount.qualifier == "approximate" else "stated")
        if basis not in REGISTER_AMOUNT_BASES:
            raise RowProblem(
                "bad_funding_basis", f"'{basis}' is not one of {sorted(REGISTER_AMOUNT_BASES)}", "funding_basis"
            )

    recipients, unknown = classify_country_list(record.get("partner_countries"))
    # A region written where countries go (a "Regionais" section of an agency's export) is a region.
    named_regions, still_unknown = classify_region_names("; ".join(unknown)) if unknown else ([], [])
    ambiguous = {name: ambiguous_country_names().get(normalise_name(name)) for name in still_unknown}
    if named := [f"'{name}' ({' or '.join(codes)})" for name, codes in ambiguous.items() if codes]:
        raise RowProblem(
            "ambiguous_country",
            f"names different countries in different languages: {', '.join(named)}",
            "partner_countries",
        )
    if still_unknown:
        raise RowProblem("unknown_country", f"not recognised: {', '.join(unknown)}", "partner_countries")
    if named_regions:
        fixes.append("region_in_partner_column")
    regions, unknown_regions = classify_region_names(record.get("region"))
    if unknown_regions:
        raise RowProblem("unknown_region", f"not recognised: {', '.join(unknown_regions)}", "region")
    regions = list(dict.fromkeys(named_regions + regions))

    # A sector, modality or provider outside our tables does not lose the row: it is kept as
    # 'unclassified' (provider: empty code) with its text, flagged and listed in the
    # unmapped-values report, with the column as the file writes it.
    unmapped = Unmapped()
    written = headers or {}
    sector_text = clean_text(record.get("sector"))
    theme, themes = classify_sector(sector_text) if sector_text else (None, [])
    if sector_text and theme is None:
        theme = UNCLASSIFIED
        unmapped.add("sector_theme", written.get("sector", "sector"), sector_text, "reference/sector_keywords.csv")
    implementer_type_text = clean_text(record.get("implementer_type"))
    implementer_type = classify_implementer_type(implementer_type_text) if implementer_type_text else None
    if implementer_type_text and implementer_type is None:
        implementer_type = UNCLASSIFIED
        unmapped.add(
            "implementer_type",
            written.get("implementer_type", "implementer_type"),
            implementer_type_text,
            "reference/implementer_types.csv",
        )
    modality_text = clean_text(record.get("modality"))
    modality = classify_modality(modality_text) if modality_text else None
    if modality_text and modality is None:
        modality = UNCLASSIFIED
        unmapped.add("modality", written.get("modality", "modality"), modality_text, "reference/modalities.csv")
    provider_text = clean_text(record.get("provider"))
    provider_iso3 = classify_country(provider_text) if provider_text else PROVIDER_ISO3
    if provider_iso3 in recipients:
        # The provider's own country (a "Brasil" section of a Brazilian export) is never its
        # recipient: the row is domestic or regional, flagged.
        recipients = [iso3 for iso3 in recipients if iso3 != provider_iso3]
        fixes.append("recipient_is_provider")
    if provider_text and provider_iso3 is None:
        unmapped.add(
            "provider_iso3", written.get("provider", "provider"), provider_text, "reference/country_aliases.csv"
        )

    n_partners = _number(record, "n_partner_countries", fixes)
    if n_partners.value is not None and not (
        0 <= n_partners.value <= MAX_COUNTRIES and float(n_partners.value).is_integer()
    ):
        raise RowProblem(
            "bad_n_partner_countries",
            f"must be a whole number from 0 to {MAX_COUNTRIES}, got '{record.get('n_partner_countries')}'",
            "n_partner_countries",
        )
    triangular_partner = clean_text(record.get("triangular_partner"))
    programme_id = clean_text(record.get("programme_id"))
    # The row's own id when given; otherwise one derived from its content, so inserting
    # or moving rows changes no other id.
    own_id = safe_id(programme_id) if programme_id else content_id(title, year, recipients + regions)
    prefix = safe_id(id_prefix) if id_prefix else ""
    activity_id = f"{prefix}{own_id}"
    parent_id = clean_text(record.get("parent_programme_id"))
    activity = activity_row(
        source,
        file_label,
        locator,
        activity_id,
        parent_activity_id=f"{prefix}{safe_id(parent_id)}" if parent_id else None,
        title=title,
        title_id=clean_text(record.get("title_id")),
        year=year,
        start_date=start_date,
        end_date=end_date,
        date_basis=date_basis,
        provider_iso3=provider_iso3,
        provider_name=provider_text or PROVIDER_NAME,
        implementer=clean_text(record.get("implementer")),
        implementer_type=implementer_type,
        sector_text=sector_text,
        sector_code=None,
        sector_theme=theme,
        sector_themes=";".join(themes) or None,
        modality=modality,
        # Only a co-financing or co-organising third party makes a programme triangular; a
        # channel that delivers the aid (WFP, UNRWA ...) does not.
        cooperation_type=classify_cooperation_type(triangular_partner),
        triangular_partner=triangular_partner,
        channel=clean_text(record.get("channel")),
        n_partner_countries=int(n_partners.value) if n_partners.value is not None else None,
        participants=int(participants.value) if participants.value is not None else None,
        participants_qualifier=qualifier if participants.value is not None else None,
        amount=amount.value,
        currency=currency if amount.value is not None else None,
        amount_usd=amount.value if currency == "USD" else None,
        amount_basis=basis if amount.value is not None else None,
        flow_type=FLOW_BY_BASIS.get(basis, "reported") if amount.value is not None else None,
        source_url=clean_text(record.get("source_url")),
        status=clean_text(record.get("status")),
        fixes=";".join(dict.fromkeys(fixes + ([CONTROL_FIX] if scrubbed else []))) or None,
        unclassified=unmapped.to_json(),
        _derived_id=not programme_id,
    )
    # Countries when named; the stated regions only when no country is.
    return activity, equal_split(activity_id, recipients, [] if recipients else regions)


def _currency(text: str | None) -> str | None:
    """A funding_currency cell as an ISO code: 'Rp' -> IDR, 'us$' -> USD, 'eur' -> EUR."""
    return currency_aliases().get(text.casefold(), text.upper()) if text else None


# Fields a repeat of a programme may differ in without a conflict (where it was read, what was fixed).
MERGE_IGNORED = frozenset({"source_locator", "activity_id", "fixes", "unclassified"})


def same_programme(kept: dict, repeat: dict) -> bool:
    """A repeat names the same programme: same id (checked by the caller) and the same title."""
    return normalise_name(kept.get("title") or "") == normalise_name(repeat.get("title") or "")


def merge_repeat(
    kept: tuple[str, dict, dict, list[dict]], repeat: dict, repeat_recipients: list[dict], locator: str
) -> bool:
    """Merge a repeat row into the programme kept first: partner countries (and regions) united,
    empty values filled from the repeat, differing values kept first and flagged with the
    repeat's value (``section_repeat_conflict``). Returns whether the amount came from the repeat."""
    _, _, activity, recipients = kept
    fixes = [f for f in (activity.get("fixes") or "").split(";") if f]
    filled_amount = False
    for key, value in repeat.items():
        if key in MERGE_IGNORED or value is None:
            continue
        if activity.get(key) is None:
            activity[key] = value
            filled_amount |= key == "amount"
        elif activity[key] != value:
            fixes.append(f"section_repeat_conflict:{key}={value} at {locator}")
    fixes.append("merged_section_repeat")
    activity["fixes"] = ";".join(dict.fromkeys(fixes))
    countries = list(dict.fromkeys(r["recipient_iso3"] for r in recipients + repeat_recipients if r["recipient_iso3"]))
    regions = list(
        dict.fromkeys(r["region"] for r in recipients + repeat_recipients if not r["recipient_iso3"] and r["region"])
    )
    recipients[:] = equal_split(activity["activity_id"], countries, [] if countries else regions)
    return filled_amount


def raw_amounts(record: dict) -> dict[str, float]:
    """The row's funding_value by currency, read from the raw cells for the ledger's amount check."""
    stated = _currency(clean_text(record.get("funding_currency")))
    try:
        parsed = parse_number(record.get("funding_value"), currency=stated)
    except RowProblem:
        return {}
    currency = stated or parsed.currency
    return {f"amount {currency}": parsed.value} if parsed.value is not None and currency else {}


def place_register(
    rows: RegisterRows, *, source: str, file_label: str | None = None, id_prefix: str = ""
) -> SourceTables:
    """All rows of one register file -> the canonical tables (ledger and amounts balanced).

    ``id_prefix`` keeps programme ids of different files apart ('myfile:P-01').
    """
    builder = TableBuilder(file_label or Path(rows.file).name)
    placed: list[tuple[str, dict, dict, list[dict]]] = []

    def reject(locator: str, record: dict, reason: str, message: str, column: str | None = None) -> None:
        # Name the column as the user wrote it ('tahun', not 'year') and say how to fix the cell.
        written = rows.headers.get(column, column) if column else None
        value = record.get(column) if column else None
        where = f"column '{written}': " if written else ""
        builder.quarantine(
            locator,
            reason,
            f"{where}{message}; to fix: {how_to_fix(reason)}",
            record,
            raw_amounts(record),
            column=written,
            value=None if value is None else str(value),
        )

    for locator, record in rows.rows:
        builder.count_amounts("raw", raw_amounts(record))
        try:
            activity, recipient_rows = place_row(
                record,
                locator=locator,
                source=source,
                file_label=builder.file_label,
                id_prefix=id_prefix,
                headers=rows.headers,
            )
        except RowProblem as problem:
            reject(locator, record, problem.reason, str(problem), problem.column)
            continue
        placed.append((locator, record, activity, recipient_rows))

    # Row-to-row checks: ids are unique and a parent must be a programme of the same file.
    first_locator: dict[str, str] = {}
    unique: list[tuple[str, dict, dict, list[dict]]] = []
    kept_at: dict[str, int] = {}  # activity id -> its index in unique
    for locator, record, activity, recipient_rows in placed:
        aid = activity["activity_id"]
        derived = activity.pop("_derived_id")
        if not derived and aid in kept_at and same_programme(unique[kept_at[aid]][2], activity):
            # One project listed under each partner country's section (or again on a budget
            # sheet): one programme with every partner; the repeat row is counted by a named rule.
            filled_amount = merge_repeat(unique[kept_at[aid]], activity, recipient_rows, locator)
            builder.exclude("merged_section_repeat", None if filled_amount else raw_amounts(record))
            continue
        if derived and aid in first_locator:
            # Two rows with the same title, year and partners: number the later ones.
            n = 2
            while f"{aid}-{n}" in first_locator:
                n += 1
            aid = activity["activity_id"] = f"{aid}-{n}"
            for recipient in recipient_rows:
                recipient["activity_id"] = aid
        if aid in first_locator:
            reject(
                locator,
                record,
                "duplicate_id",
                f"{aid} is already used at {first_locator[aid]}",
                "programme_id",
            )
        else:
            first_locator[aid] = locator
            kept_at[aid] = len(unique)
            unique.append((locator, record, activity, recipient_rows))
    for locator, record, activity, recipient_rows in unique:
        parent = activity["parent_activity_id"]
        if parent and parent not in first_locator:
            reject(
                locator,
                record,
                "unknown_parent",
                f"{parent} is not a placed programme of this file",
                "parent_programme_id",
            )
            continue
        amounts = {f"amount {activity['currency']}": activity["amount"]} if activity["amount"] is not None else {}
        builder.add(activity, recipient_rows, amounts=amounts)
    for _, rule in rows.excluded:
        builder.exclude(rule)
    return builder.tables()
