"""One call to a tidy frame: programmes and partners with names and the counting rule built in.

    import kss_analysis as kss
    kss.programmes(years=range(2010, 2026))          # one row per programme
    kss.partners(regions="Afrika", lang="en")        # one row per programme x partner
    kss.organisations(lang="en")                     # one row per programme x organisation named

Both read the processed tables (``kss build`` writes them) from the configured data
folder (KSS_DATA_DIR or ./data) or from ``processed``. By default they return Indonesia's
KSS programmes (``rules.scope``: the register rows with provider IDN, as the standard
charts, aggregates and table exports count them; ``providers=`` reaches others) and
only the rows counted in programme totals (``counted``: not part of, nor a duplicate of,
another programme). Filters accept codes or labels in English or Indonesian.

Money: ``amount`` is the figure as stated, in ``currency``; ``amount_counted`` is that
figure where the counting rule (``rules.counting``) lets it into totals, empty where it does
not (a plan, a cumulative figure, a part its parent's amount includes). ``amount_usd``
(current USD at the IMF annual average, or the source's own USD figure),
``amount_usd_constant`` (constant USD of ``price_base_year``) and ``amount_idr_constant``
(constant rupiah of ``idr_price_base_year``, rupiah amounts only) are the row's amount
converted (build/money.py); they count where ``amount_counted`` is present. ``with_conversion=True``
adds how: ``fx_rate``, ``fx_source`` ('stated in USD' for an amount in USD, "source's own
current-USD figure" for a USD figure the source states beside its own currency, else the IMF
rate table used), ``deflator_source`` and ``conversion_note`` (why an equivalent is missing). A part whose own
amount its parent cannot include (the parent states no amount in that currency, or a
smaller one: e.g. a follow-up grant) adds that amount to the totals but is not a programme
of its own: it is returned only with ``counted_only=False`` (``counted`` false,
``amount_counted`` present). So the amount charts are, per currency and year::

    rows = kss.programmes(counted_only=False)
    rows.groupby(["currency", "year"])["amount_counted"].sum()

Other sources a build holds (``kss fetch``) are reached with ``sources=`` (source ids, or
'all') and ``providers='all'``: e.g. China's official finance in the USD AidData states,
as the gcof_usd_by_year chart sums it::

    gcof = kss.programmes(sources="aiddata-gcof-china-1.0", providers="all", counted_only=False, with_conversion=True)
    stated = gcof["fx_source"].isin(["stated in USD", "source's own current-USD figure"])
    gcof[stated & gcof["amount_counted"].notna()].groupby("year")["amount_usd"].sum()
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path

import pandas as pd

from kss_analysis.core import io, organisations, reference
from kss_analysis.core.reference import normalise_name
from kss_analysis.rules import scope
from kss_analysis.rules.counting import amount_rows, is_counted, participants_countable

LANGS = ("en", "id")
COOPERATION_TYPES = ("south_south", "triangular")
PROGRAMME_COLUMNS = [
    "activity_id",
    "source",
    "title",
    "title_id",
    "year",
    "start_date",
    "end_date",
    "cooperation_type",
    "triangular_partner",
    "triangular_partner_names",
    "channel",
    "channel_names",
    "sector_theme",
    "sector_name",
    "modality",
    "modality_name",
    "implementer",
    "implementer_type",
    "implementer_type_name",
    "partner_iso3",
    "partner_names",
    "regions",
    "region_names",
    "n_partner_countries",
    "participants",
    "participants_qualifier",
    "amount",
    "currency",
    "amount_basis",
    "amount_counted",
    "amount_usd",
    "amount_usd_constant",
    "price_base_year",
    "amount_idr_constant",
    "idr_price_base_year",
    "counted",
    "duplicate_of",
    "parent_activity_id",
    "source_file",
    "source_url",
]
PARTNER_COLUMNS = [
    "activity_id",
    "year",
    "title",
    "partner_iso3",
    "partner_name",
    "region",
    "region_name",
    "share",
    "allocation",
    "cooperation_type",
    "sector_theme",
    "sector_name",
    "participants_share",
    "amount_share",
    "currency",
    "participants",
    "participants_qualifier",
    "amount",
    "amount_basis",
    "amount_counted",
    "amount_usd",
    "amount_usd_constant",
    "price_base_year",
    "amount_idr_constant",
    "idr_price_base_year",
    "counted",
    "source",
]


# Columns the money step adds to the activities (build/money.py), with their types.
MONEY_COLUMNS = {
    "amount_usd": "float64",
    "amount_usd_constant": "float64",
    "price_base_year": "Int16",
    "amount_idr_constant": "float64",
    "idr_price_base_year": "Int16",
    "fx_rate": "float64",
    "fx_source": "object",
    "deflator_source": "object",
    "conversion_note": "object",
}
# How each amount was converted (``with_conversion=True``), after the money columns.
CONVERSION_COLUMNS = ["fx_rate", "fx_source", "deflator_source", "conversion_note"]


def _columns(columns: list[str], with_conversion: bool) -> list[str]:
    if not with_conversion:
        return columns
    at = columns.index("idr_price_base_year") + 1
    return [*columns[:at], *CONVERSION_COLUMNS, *columns[at:]]


def _as_list(value: object) -> list:
    if isinstance(value, (str, int)):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def _codes(values: object, table: str, what: str) -> set[str] | None:
    """Codes for filter values given as codes or labels (English or Indonesian)."""
    if values is None:
        return None
    values = _as_list(values)
    lookup = {}
    for lang in LANGS:
        lookup.update({normalise_name(label): code for code, label in reference.labels(table, lang).items()})
    lookup.update({normalise_name(code): code for code in reference.labels(table, "en")})
    if table == "regions":
        lookup.update(reference.region_lookup())
    codes, unknown = set(), []
    for value in values:
        code = lookup.get(normalise_name(str(value)))
        (codes.add(code) if code else unknown.append(str(value)))
    if unknown:
        known = ", ".join(sorted(reference.labels(table, "en")))
        raise ValueError(f"{what} not known: {', '.join(unknown)} (use one of {known}, or its label)")
    return codes


def _load(processed: Path | str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = Path(processed) if processed else None
    activities = io.read_processed("activities", folder)
    recipients = io.read_processed("activity_recipients", folder)
    if "counted" not in activities.columns:  # built before the column existed
        activities["counted"] = is_counted(activities)
    for column in MONEY_COLUMNS:  # built without the money step: nothing converted
        if column not in activities.columns:
            activities[column] = pd.Series(pd.NA, index=activities.index, dtype=MONEY_COLUMNS[column])
    return activities.assign(amount_counted=amount_counted(activities)), recipients


def amount_counted(activities: pd.DataFrame) -> pd.Series:
    """Each row's amount where totals count it, else empty: the rows ``counting.amount_rows``
    keeps (counted programmes' countable amounts, and parts' own amounts their parents cannot
    include). Decided on all activities, since a part's amount depends on its parent's."""
    frame = activities.reset_index(drop=True)
    counts = frame.index.isin(amount_rows(frame).index)
    return pd.Series(frame["amount"].astype("float64").where(counts).to_numpy(), index=activities.index)


@dataclass(frozen=True)
class Query:
    """What ``programmes`` and ``partners`` select; every field is optional.

    years: a year or years (``range(2010, 2026)``); undated programmes are left out when
    given. regions: programmes touching any of these regions (a programme in Africa and
    the Pacific is returned for either; ``partners`` keeps only the partner rows in them).
    sectors: primary sector theme. cooperation_type: 'south_south' or 'triangular'.
    counted_only: leave out rows that are part of, or duplicate, another programme (the
    rule every total uses); False also returns the parts whose own amount counts (see
    ``amount_counted`` in the module docstring). lang: 'id' or 'en' for names. sources: 'registers' (the
    programme registers, as the standard charts), 'all', or source ids of this build (e.g.
    'aiddata-gcof-china-1.0'; one the build lacks is an error). providers: ISO3
    code(s) of the provider, default 'IDN' (with the default sources: Indonesia's KSS
    programmes, exactly the rows the charts and aggregates count, ``rules.scope``); 'all'
    for every provider, e.g. a register profiled for another country. with_conversion: also
    return how each amount was converted (``CONVERSION_COLUMNS``: ``fx_source`` says whether
    ``amount_usd`` is the source's own USD figure). processed: a folder of processed tables
    (default: the configured data folder).
    """

    years: object = None
    regions: object = None
    sectors: object = None
    cooperation_type: object = None
    counted_only: bool = field(default=True, kw_only=True)
    lang: str = field(default="id", kw_only=True)
    sources: object = field(default="registers", kw_only=True)
    providers: scope.Providers = field(default=scope.KSS_PROVIDER, kw_only=True)
    with_conversion: bool = field(default=False, kw_only=True)
    processed: Path | str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ValueError(f"lang={self.lang!r}: use 'en' or 'id'")

    def select(self, activities: pd.DataFrame, recipients: pd.DataFrame, *, by_region: bool = True) -> pd.DataFrame:
        """The activities this query selects (``by_region``: filter programmes by their regions)."""
        frame = activities
        if self.sources == "registers":
            frame = frame[scope.is_register(frame["source"])]
        elif self.sources != "all":
            source_ids = [str(source) for source in _as_list(self.sources)]
            built = set(frame["source"].dropna())
            if absent := [source for source in source_ids if source not in built]:
                raise ValueError(
                    f"sources not in this build: {', '.join(absent)} (built: {', '.join(sorted(built))}; kss fetch adds others)"
                )
            frame = frame[frame["source"].isin(source_ids)]
        frame = frame[scope.of_providers(frame, self.providers)]
        if self.counted_only:
            frame = frame[frame["counted"].astype(bool)]
        if self.years is not None:
            frame = frame[frame["year"].isin([int(y) for y in _as_list(self.years)])]
        if self.cooperation_type is not None:
            wanted = set(_as_list(self.cooperation_type))
            if bad := wanted - set(COOPERATION_TYPES):
                raise ValueError(f"cooperation_type {', '.join(sorted(bad))}: use {' or '.join(COOPERATION_TYPES)}")
            frame = frame[frame["cooperation_type"].isin(wanted)]
        if (codes := _codes(self.sectors, "sector_themes", "sectors")) is not None:
            frame = frame[frame["sector_theme"].isin(codes)]
        if by_region and (codes := self.region_codes()) is not None:
            touching = recipients.loc[recipients["region"].isin(codes), "activity_id"]
            frame = frame[frame["activity_id"].isin(touching)]
        return frame

    def region_codes(self) -> set[str] | None:
        return _codes(self.regions, "regions", "regions")


def _takes_query(rows: Callable[[Query, pd.DataFrame, pd.DataFrame], pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """A public function with Query's fields as its arguments (one signature for both)."""

    @wraps(rows)
    def public(*args, **kwargs) -> pd.DataFrame:
        query = Query(*args, **kwargs)
        activities, recipients = _load(query.processed)
        return rows(query, activities, recipients)

    # typeshed's _Wrapped does not declare __signature__, the attribute inspect.signature reads (PEP 362)
    public.__signature__ = inspect.signature(Query).replace(return_annotation=pd.DataFrame)  # type: ignore[attr-defined]
    return public


@_takes_query
def programmes(query: Query, activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """One row per programme, with sector, modality, partner and region names in ``lang``.

    Sum ``amount_counted`` (within one ``currency``) for the amounts totals and charts show;
    with the default ``counted_only=True`` that leaves out the parts whose own amount counts
    (a follow-up grant beyond its parent's amount): ask ``counted_only=False`` for the
    charts' amount totals, and count programmes on the rows with ``counted`` true.
    Arguments: see ``Query``.
    """
    lang = query.lang
    frame = query.select(activities, recipients).copy()
    named = recipients[recipients["activity_id"].isin(frame["activity_id"])]
    country = named.dropna(subset=["recipient_iso3"]).groupby("activity_id", sort=False)
    region = named.dropna(subset=["region"]).drop_duplicates(["activity_id", "region"]).groupby("activity_id")
    joined = pd.DataFrame(
        {
            "partner_iso3": country["recipient_iso3"].agg(";".join),
            "partner_names": country[f"recipient_name_{lang}"].agg("; ".join),
            "regions": region["region"].agg(";".join),
            "region_names": region[f"region_name_{lang}"].agg("; ".join),
        }
    )
    frame = frame.merge(joined, left_on="activity_id", right_index=True, how="left")
    frame["sector_name"] = frame["sector_theme"].map(reference.labels("sector_themes", lang)).astype("str")
    frame["modality_name"] = frame["modality"].map(reference.labels("modalities", lang)).astype("str")
    types = reference.labels("implementer_types", lang)
    frame["implementer_type_name"] = frame["implementer_type"].map(types).astype("str")
    for column in ORGANISATION_ROLES:  # the organisations named, as the organisation table names them
        frame[f"{column}_names"] = [organisations.joined_names(cell, lang) for cell in frame[column]]
    frame = frame[_columns(PROGRAMME_COLUMNS, query.with_conversion)]
    return frame.sort_values(["year", "activity_id"], na_position="last", kind="stable").reset_index(drop=True)


@_takes_query
def partners(query: Query, activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """One row per programme x partner (country, or a stated region when no country is named).

    ``share`` splits a programme between its partners (shares of a programme sum to 1).
    ``participants_share`` and ``amount_share`` are the programme's participants and
    ``amount_counted`` times ``share``, only where the counting rule lets them add up (no
    cumulative counts, no planned or cumulative amounts, no amount its parent includes):
    sum them across partners or regions (and amounts within one ``currency``).
    ``participants``, ``amount``, ``amount_counted`` and the converted amounts repeat the
    whole programme's figure on each partner row: never sum them across rows. Count distinct
    ``activity_id`` for "programmes touching" a partner or region (such counts do not add
    up to the total). Arguments: see ``Query``; ``regions`` keeps only the partner rows in
    those regions.
    """
    lang = query.lang
    frame = query.select(activities, recipients, by_region=False)
    rows = recipients.merge(frame, on="activity_id", how="inner", validate="many_to_one")
    if (codes := query.region_codes()) is not None:
        rows = rows[rows["region"].isin(codes)]
    rows = rows.rename(
        columns={
            "recipient_iso3": "partner_iso3",
            f"recipient_name_{lang}": "partner_name",
            f"region_name_{lang}": "region_name",
        }
    )
    rows["sector_name"] = rows["sector_theme"].map(reference.labels("sector_themes", lang)).astype("str")
    rows["participants_share"] = (rows["participants"].astype("Float64") * rows["share"]).where(
        participants_countable(rows)
    )
    rows["amount_share"] = rows["amount_counted"] * rows["share"]
    rows = rows[_columns(PARTNER_COLUMNS, query.with_conversion)]
    return rows.sort_values(
        ["year", "activity_id", "partner_iso3", "region"], na_position="last", kind="stable"
    ).reset_index(drop=True)


# Columns of a programme naming organisations (reference/organisations.csv resolves them).
ORGANISATION_ROLES = ("triangular_partner", "channel")
ORGANISATION_COLUMNS = [
    "activity_id",
    "year",
    "title",
    "cooperation_type",
    "role",
    "organisation",
    "organisation_name",
    "organisation_type",
    "organisation_iso3",
    "name_as_written",
    "counted",
    "source",
]


@_takes_query
def organisations_named(query: Query, activities: pd.DataFrame, recipients: pd.DataFrame) -> pd.DataFrame:
    """One row per programme x role x organisation named: ``role`` is 'triangular_partner' (the
    third party of a triangular programme) or 'channel' (the organisation that delivers the aid).

    A cell naming two organisations ('Egyptian Red Crescent; Palestine Red Crescent Society')
    gives a row for each; ``organisation`` is the id in reference/organisations.csv, empty
    where the table does not know the name (``name_as_written`` keeps it, and
    ``organisation_name`` shows it as written); ``organisation_name`` is the organisation's short
    name in ``lang``. Count distinct ``activity_id`` per organisation for "programmes naming it"
    (a programme counts once for each organisation it names, once however often it names it).
    The triangular partners chart is those counts over counted triangular programmes, with the
    name as written where ``organisation`` is empty. Arguments: see ``Query``.
    """
    frame = query.select(activities, recipients)
    table = organisations.organisations()
    parts = []
    for role in ORGANISATION_ROLES:
        named = organisations.named_organisations(frame, role).assign(role=role)
        parts.append(named)
    rows = pd.concat(parts, ignore_index=True).merge(frame, on="activity_id", how="left", validate="many_to_one")
    keys = rows["organisation"]
    rows["organisation_name"] = [
        organisations.names_of(key, written, query.lang)
        for key, written in zip(keys, rows["name_as_written"], strict=True)
    ]
    rows["organisation_type"] = [table[k]["type"] if isinstance(k, str) and k in table else None for k in keys]
    rows["organisation_iso3"] = [
        (table[k]["country_iso3"] or None) if isinstance(k, str) and k in table else None for k in keys
    ]
    rows = rows[ORGANISATION_COLUMNS]
    order = ["year", "activity_id", "role", "name_as_written"]
    return rows.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)


OFFICIAL_COUNT_COLUMNS = [
    "figure_id",
    "indicator",
    "period_start",
    "period_end",
    "first_year",
    "last_year",
    "official_programmes",
    "official_qualifier",
    "unit",
    "source_url",
]


def official_counts(*, processed: Path | str | None = None) -> pd.DataFrame:
    """Official counts of Indonesia's programmes over a stated period, from the figures register
    (kss_figures): one row per count, the counts the register_coverage chart divides by.

    Only Indonesia-wide counts of programmes (or activities, trainings) with a stated start and
    end, neither planned nor for one ministry or region (outputs/coverage.py decides);
    ``first_year`` and ``last_year`` are the years of the period ('2016-05' is 2016). Count the
    programmes of ``programmes()`` whose ``year`` lies in them, parts left out, for the register's
    side. Empty (with these columns) when the build has no figures register.
    """
    from kss_analysis.core.config import processed_dir
    from kss_analysis.outputs.coverage import official_programme_counts

    table = (Path(processed) if processed else processed_dir()) / "kss_figures.parquet"
    if not table.exists():  # a build of a user's own registers only
        return pd.DataFrame(columns=OFFICIAL_COUNT_COLUMNS)
    counts = official_programme_counts(io.read_table(table))
    out = pd.DataFrame(
        {
            "figure_id": counts["figure_id"],
            "indicator": counts["indicator"],
            "period_start": counts["period_start"].astype(str),
            "period_end": counts["period_end"].astype(str),
            "first_year": counts["period_start"].astype(str).str[:4].astype(int),
            "last_year": counts["period_end"].astype(str).str[:4].astype(int),
            "official_programmes": counts["value"].astype(int),
            "official_qualifier": counts["value_qualifier"],
            "unit": counts["unit"],
            "source_url": counts["source_url"],
        }
    )
    return out.sort_values(["period_start", "period_end", "figure_id"]).reset_index(drop=True)
