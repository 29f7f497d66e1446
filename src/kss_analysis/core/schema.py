"""Every column name and type of the processed tables, and the raw-header maps.

Grains:
- activities: one row per activity (programme) of a source file; ``counted`` marks the
  rows counted once in programme totals (see docs/data_dictionary.md).
- activity_recipients: one row per activity x recipient (country, or region when no
  country is named).
- activity_transactions: one row per financial transaction (IATI), in its own currency, with its
  USD equivalents.
- quarantine: one row per raw row that could not be placed.
- ledger: one row per raw file.
"""

from __future__ import annotations

import re

import pyarrow as pa

# Register headers: canonical name -> accepted spellings (English and Indonesian).
# Matching ignores case and punctuation (see normalise_header).
REGISTER_HEADERS: dict[str, tuple[str, ...]] = {
    "programme_id": ("programme_id", "program_id", "id", "kode", "kode_program"),
    "parent_programme_id": ("parent_programme_id", "parent_id", "induk"),
    "title": ("title", "judul", "nama_program", "nama_kegiatan"),
    "title_id": ("title_id", "judul_id", "judul_indonesia"),
    "year": ("year", "tahun"),
    "start_date": ("start_date", "tanggal_mulai"),
    "end_date": ("end_date", "tanggal_selesai"),
    "date_basis": ("date_basis", "dasar_tanggal"),
    "sector": ("sector", "sektor", "bidang"),
    "modality": ("modality", "modalitas", "bentuk_kegiatan"),
    "implementer": ("implementer", "pelaksana"),
    "implementer_type": ("implementer_type", "jenis_pelaksana"),
    "provider": ("provider", "provider_country", "negara_pemberi"),  # absent: Indonesia
    "status": ("status",),
    "host_location": ("host_location", "lokasi"),
    "partner_countries": ("partner_countries", "negara_peserta", "negara_mitra"),
    "n_partner_countries": ("n_partner_countries", "jumlah_negara"),
    "participants": ("participants", "jumlah_peserta"),
    "participants_qualifier": ("participants_qualifier",),
    "triangular_partner": ("triangular_partner", "mitra_triangular"),
    "channel": ("channel", "saluran"),
    "funding_value": ("funding_value", "nilai", "anggaran"),
    "funding_currency": ("funding_currency", "mata_uang"),
    "funding_basis": ("funding_basis", "dasar_nilai"),
    "region": ("region", "kawasan"),
    "source_url": ("source_url", "sumber"),
    "source_title": ("source_title", "judul_sumber"),
    "source_date": ("source_date", "tanggal_sumber"),
    "evidence": ("evidence", "bukti"),
    "alt_source_url": ("alt_source_url", "sumber_lain"),
    # Ids of the same activity in other sources, "<source id>:<record id>" ("undp-ssc-projects:252"), ';'-separated
    "other_source_ids": ("other_source_ids", "id_sumber_lain"),
    "notes": ("notes", "catatan", "keterangan"),
}
REQUIRED_REGISTER_COLUMNS = ("title",)


def normalise_header(text: object) -> str:
    """'Tanggal Mulai' and 'tanggal-mulai' both become 'tanggal_mulai'."""
    return re.sub(r"[^0-9a-z]+", "_", str(text or "").casefold()).strip("_")


HEADER_LOOKUP: dict[str, str] = {
    normalise_header(alias): canonical for canonical, aliases in REGISTER_HEADERS.items() for alias in aliases
}

ACTIVITIES = pa.schema(
    [
        ("source", pa.string()),
        ("source_file", pa.string()),
        ("source_locator", pa.string()),
        ("activity_id", pa.string()),
        ("parent_activity_id", pa.string()),
        ("duplicate_of", pa.string()),  # activity_id of the programme this row repeats (dedupe.py)
        ("counted", pa.bool_()),  # counted once in programme totals (counting.py)
        ("title", pa.string()),
        ("title_id", pa.string()),
        ("year", pa.int16()),
        ("start_date", pa.string()),  # ISO 8601 at the precision stated: 2017, 2017-07, 2017-07-17
        ("end_date", pa.string()),
        ("date_basis", pa.string()),  # event | publication (only the article date is known)
        ("provider_iso3", pa.string()),
        ("provider_name", pa.string()),
        ("implementer", pa.string()),
        ("implementer_type", pa.string()),  # ministry_agency | training_centre | ... (reference/implementer_types.csv)
        ("sector_text", pa.string()),
        ("sector_code", pa.string()),
        ("sector_theme", pa.string()),
        ("sector_themes", pa.string()),  # every theme named, ';'-separated
        ("modality", pa.string()),
        ("cooperation_type", pa.string()),
        ("triangular_partner", pa.string()),
        ("channel", pa.string()),  # organisation that delivers the aid (WFP, UNRWA ...); never makes it triangular
        ("n_partner_countries", pa.int32()),
        ("participants", pa.int64()),
        ("participants_qualifier", pa.string()),
        ("amount", pa.float64()),
        ("currency", pa.string()),
        # Money equivalents (money.py), beside the stated amount, never replacing it:
        # amount_usd is current USD: as stated when the source states USD (fx_source says
        # so), else amount / fx_rate (IMF annual average of the year); empty = see conversion_note.
        ("amount_usd", pa.float64()),
        ("amount_basis", pa.string()),
        ("amount_usd_constant", pa.float64()),  # amount_usd at price_base_year prices (US GDP deflator)
        ("price_base_year", pa.int16()),
        ("fx_rate", pa.float64()),  # currency units per USD used; 1 for USD; empty for a source's own USD
        ("fx_source", pa.string()),
        ("deflator_source", pa.string()),
        ("amount_idr_constant", pa.float64()),  # rupiah amounts at idr_price_base_year prices (IDN deflator)
        ("idr_price_base_year", pa.int16()),
        ("conversion_note", pa.string()),  # '; '-joined reason codes when an equivalent is missing
        # A constant-USD figure the source itself states (AidData usd_defl_2014 / usd_defl), with its base.
        ("amount_usd_constant_stated", pa.float64()),
        ("price_base_year_stated", pa.int16()),
        ("flow_type", pa.string()),
        ("status", pa.string()),
        ("reporting_org", pa.string()),  # the publisher of the record (IATI); not the provider
        ("funders", pa.string()),  # every funding organisation named, '; '-separated (IATI role 1)
        ("participating_orgs", pa.string()),  # JSON list of {role, name, ref}
        ("source_url", pa.string()),
        ("fixes", pa.string()),  # fields normalised from a non-standard spelling
        # JSON list of values our reference tables do not know (attribute, column, value, extend);
        # the attribute itself is 'unclassified' or empty. See unmapped.py.
        ("unclassified", pa.string()),
    ]
)

ACTIVITY_RECIPIENTS = pa.schema(
    [
        ("activity_id", pa.string()),
        ("recipient_iso3", pa.string()),
        ("region", pa.string()),
        ("share", pa.float64()),
        ("allocation", pa.string()),  # equal_split | stated_region | unallocated
        ("recipient_name_en", pa.string()),
        ("recipient_name_id", pa.string()),
        ("region_name_en", pa.string()),
        ("region_name_id", pa.string()),
    ]
)

ACTIVITY_TRANSACTIONS = pa.schema(
    [
        ("activity_id", pa.string()),
        ("transaction_type", pa.string()),  # commitment | disbursement | expenditure | incoming_funds | ...
        ("date", pa.string()),
        ("year", pa.int16()),
        ("value", pa.float64()),
        ("currency", pa.string()),
        ("value_usd", pa.float64()),  # current USD at the transaction year's IMF annual average
        ("value_usd_constant", pa.float64()),  # at price_base_year prices (US GDP deflator)
        ("price_base_year", pa.int16()),
        ("fx_rate", pa.float64()),
        ("conversion_note", pa.string()),
    ]
)

QUARANTINE = pa.schema(
    [
        ("file", pa.string()),
        ("locator", pa.string()),
        ("reason_code", pa.string()),
        ("message", pa.string()),
        ("raw", pa.string()),  # the raw row as JSON
        ("column", pa.string()),  # the column to fix, as its header is written in the file
        ("value", pa.string()),  # that cell's raw text
    ]
)

LEDGER = pa.schema(
    [
        ("file", pa.string()),
        ("rows_read", pa.int64()),
        ("rows_kept", pa.int64()),
        ("rows_fixed", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("rows_excluded", pa.int64()),
        ("excluded_by_rule", pa.string()),  # rule=count;...
        # of rows_kept + rows_fixed, those with an unclassified attribute (not added in the balance)
        ("rows_flagged", pa.int64()),
        # JSON: measure -> {raw, processed, quarantined, excluded} sums (sources with amounts)
        ("amounts", pa.string()),
    ]
)

# Values that a source writes for "no value".
MISSING_SENTINELS = frozenset({"", "-", "--", "..", "…", "n/a", "na", "n.a.", "none", "null", "nan", "tidak ada"})

# Closed vocabularies of the processed tables. Coded columns take their codes from a reference
# table (CODED_COLUMNS); the others are listed here once.
VALUE_QUALIFIERS = frozenset({"exact", "lower_bound", "upper_bound", "approximate"})
PARTICIPANT_QUALIFIERS = VALUE_QUALIFIERS | {"cumulative"}
# What a register may state as funding_basis; 'reported' is set by readers of other sources.
REGISTER_AMOUNT_BASES = frozenset(
    {"stated", "sum_of_stated", "approximate", "unverified", "planned", "in_kind", "cumulative"}
)
AMOUNT_BASES = REGISTER_AMOUNT_BASES | {"reported"}
EXCLUDED_AMOUNT_BASES = ("planned", "cumulative")  # left out of every total
ALLOCATIONS = frozenset({"equal_split", "stated_percentage", "stated_region", "unallocated"})
FIGURE_PERIOD_TYPES = frozenset({"period", "cumulative"})
VOCABULARIES = {
    ("activities", "participants_qualifier"): PARTICIPANT_QUALIFIERS,
    ("activities", "amount_basis"): AMOUNT_BASES,
    ("activity_recipients", "allocation"): ALLOCATIONS,
}
CODED_COLUMNS = {
    ("activities", "cooperation_type"): "cooperation_types",
    ("activities", "modality"): "modalities",
    ("activities", "implementer_type"): "implementer_types",
    ("activities", "sector_theme"): "sector_themes",
    ("activity_recipients", "region"): "regions",
}
