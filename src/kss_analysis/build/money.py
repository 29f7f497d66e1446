"""Money on one footing: current USD at the IMF annual average, constant prices by GDP deflator.

Method (DESIGN.md, "Money"):
- current USD = stated amount / IMF IFS annual period-average rate (ENDA, currency units
  per USD) of the amount's year; an amount the source states in USD is kept as is;
- constant USD = current USD x index(base) / index(year), where the index chains the World
  Bank US GDP-deflator growth (NY.GDP.DEFL.KD.ZG); constant rupiah likewise with
  Indonesia's deflator. Base year: configurable; by default the latest year the series
  covers (2024 for the US, 2023 for Indonesia in the pinned vintage);
- no rate or no deflator for a year, no conversion: the column stays empty and
  ``conversion_note`` names the reason. Stated amounts are never overwritten.

Which rate stands for a currency: the IMF file has one row per country, and countries
sharing a currency sometimes carry different numbers (the scraper labels Haiti's gourde
as USD, for instance). The issuing country's row wins (ISO 4217: the first two letters,
or the currency union's IMF code); otherwise the rate is used only when every country
row agrees, else the note is ``ambiguous_rate``.

Rates and deflators come from the fetched files in data/raw when present, otherwise from
the embedded extract in reference/ (same rows; see reference/money_extract.json).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from kss_analysis.core.config import REFERENCE_DIR
from kss_analysis.core.io import sha256_file
from kss_analysis.ingest.money_tables import read_gdp_deflator, read_imf_rates
from kss_analysis.rules.counting import EXCLUDED_AMOUNT_BASES, amount_countable, is_counted, own_amount_counts

FX_SOURCE_ID = "imf-exchangerates"
DEFLATOR_SOURCE_ID = "wb-inflation"
FX_FILE = "imf_exchangerates_A_ENDA_USD.csv"
DEFLATOR_FILE = "data/inflation-gdp.csv"
EXTRACT_FILES = {FX_SOURCE_ID: "fx_rates.csv", DEFLATOR_SOURCE_ID: "deflators.csv"}
EXTRACT_METADATA = "money_extract.json"
# IMF country codes of currency unions and of the SDR (the issuer when not ISO prefix).
UNION_ISSUERS = {"EUR": "U2", "XOF": "7A", "XAF": "5X", "XCD": "5Y", "XDR": "XDR"}
USD_DEFLATOR, IDR_DEFLATOR = "USA", "IDN"

# conversion_note reason codes ('; '-joined when several apply)
NO_YEAR = "no_year"
UNKNOWN_CURRENCY = "unknown_currency"
NO_RATE_FOR_YEAR = "no_rate_for_year"
AMBIGUOUS_RATE = "ambiguous_rate"
NO_DEFLATOR_FOR_YEAR = "no_deflator_for_year"
NO_IDR_DEFLATOR_FOR_YEAR = "no_idr_deflator_for_year"
STATED_USD = "stated in USD"
SOURCE_USD = "source's own current-USD figure"


@dataclass(frozen=True)
class MoneyTables:
    """Rates and deflator growth with where they came from."""

    rates: pd.DataFrame  # currency, year, rate (units per USD); one row per currency x year
    ambiguous: frozenset[tuple[str, int]]  # (currency, year) whose IMF rows disagree
    growth: pd.DataFrame  # iso3, year, growth_pct
    fx_source: str
    deflator_source: str
    provenance: dict = field(default_factory=dict)

    def rate(self, currency: str, year: int) -> float | None:
        hit = self.rates[(self.rates["currency"] == currency) & (self.rates["year"] == year)]
        return float(hit["rate"].iloc[0]) if len(hit) else None

    def latest_year(self, iso3: str) -> int:
        years = self.growth.loc[self.growth["iso3"] == iso3, "year"]
        if years.empty:
            raise KeyError(f"no GDP deflator series for {iso3} in {self.deflator_source}")
        return int(years.max())


def select_rates(rows: pd.DataFrame) -> tuple[pd.DataFrame, frozenset[tuple[str, int]]]:
    """One rate per currency x year from the IMF rows (issuer's row, else a unanimous one)."""
    rows = rows[rows["rate"].notna() & (rows["rate"] > 0)]
    issuer = rows["currency"].map(lambda c: UNION_ISSUERS.get(c, c[:2]))
    from_issuer = rows[rows["country_code"] == issuer].drop_duplicates(["currency", "year"])
    others = rows.merge(from_issuer[["currency", "year"]], on=["currency", "year"], how="left", indicator=True)
    others = others[others["_merge"] == "left_only"]
    spread = others.groupby(["currency", "year"])["rate"].agg(["min", "max"]).reset_index()
    agreed = spread[spread["min"] == spread["max"]].rename(columns={"min": "rate"})[["currency", "year", "rate"]]
    disagree = spread[spread["min"] != spread["max"]]
    rates = pd.concat([from_issuer[["currency", "year", "rate"]], agreed], ignore_index=True)
    ambiguous = frozenset(zip(disagree["currency"], disagree["year"].astype(int), strict=True))
    return rates.sort_values(["currency", "year"]).reset_index(drop=True), ambiguous


def deflator_index(growth: pd.DataFrame, iso3: str, base_year: int | None = None) -> pd.Series:
    """Price index by year (1.0 in ``base_year``) chained from annual growth rates.

    Chaining stops at the first year without a growth rate on either side of the base:
    an index is never bridged over a gap.
    """
    series = growth.loc[growth["iso3"] == iso3].set_index("year")["growth_pct"].sort_index()
    if series.empty:
        raise KeyError(f"no GDP deflator series for {iso3}")
    base = int(series.index.max()) if base_year is None else int(base_year)
    if base not in series.index and base - 1 not in series.index:
        raise ValueError(
            f"base year {base} is outside the {iso3} deflator series ({series.index.min()}-{series.index.max()})"
        )
    index = {base: 1.0}
    year = base
    while year + 1 in series.index:  # P(t) = P(t-1) x (1 + g(t))
        index[year + 1] = index[year] * (1 + series[year + 1] / 100)
        year += 1
    year = base
    while year in series.index:  # P(t-1) = P(t) / (1 + g(t))
        index[year - 1] = index[year] / (1 + series[year] / 100)
        year -= 1
    return pd.Series(index, name=f"{iso3}_deflator_base_{base}").sort_index()


def _short(sha: str) -> str:
    return sha[:12]


def _commit_of(source_id: str) -> str:
    from kss_analysis.acquire.registry import load_sources

    match = re.search(r"/([0-9a-f]{40})/", load_sources()[source_id].base_url or "")
    return match.group(1) if match else ""


def _origin(raw: Path | None, source_id: str, upstream_file: str) -> tuple[Path, dict]:
    """The fetched file when present in raw/ and verified, else the embedded extract; with its provenance.

    Only verified inputs (as inputs.py for the activity sources): a fetched copy that is not a
    regular file inside the data folder, or whose sha256 differs from the registry's pin, is
    not used; the provenance of the extract used instead says why (``refused``).
    """
    from kss_analysis.acquire.inputs import special_file_reason
    from kss_analysis.acquire.registry import load_sources

    commit = _commit_of(source_id)
    refused = None
    if raw is not None and ((fetched := raw / source_id / upstream_file).exists() or fetched.is_symlink()):
        pinned = load_sources()[source_id].files.get(upstream_file)
        if reason := special_file_reason(fetched, raw.parent):
            refused = f"{source_id}/{upstream_file} {reason}"
        elif pinned and (actual := sha256_file(fetched)) != pinned:
            refused = (
                f"{source_id}/{upstream_file}: sha256 {_short(actual)}... differs from the pinned {_short(pinned)}..."
            )
        else:
            return fetched, {
                "file": f"{source_id}/{upstream_file}",
                "origin": "fetched",
                "sha256": sha256_file(fetched),
                "commit": commit,
            }
    meta = json.loads((REFERENCE_DIR / EXTRACT_METADATA).read_text(encoding="utf-8"))[EXTRACT_FILES[source_id]]
    path = REFERENCE_DIR / EXTRACT_FILES[source_id]
    return path, {
        "file": f"reference/{path.name}",
        "origin": "embedded extract",
        "sha256": sha256_file(path),
        "extracted_from": meta["upstream_file"],
        "extracted_from_sha256": meta["upstream_sha256"],
        "commit": meta["commit"],
        **({"refused": refused} if refused else {}),
    }


@cache
def load_money_tables(raw: Path | None = None) -> MoneyTables:
    """Rates and deflators from ``raw`` (fetched files) when present, else the embedded extract."""
    fx_path, fx_prov = _origin(raw, FX_SOURCE_ID, FX_FILE)
    defl_path, defl_prov = _origin(raw, DEFLATOR_SOURCE_ID, DEFLATOR_FILE)
    rates, ambiguous = select_rates(read_imf_rates(fx_path))
    growth = read_gdp_deflator(defl_path)
    # Row labels name the vintage only: the extract holds the same rows as the fetched file.
    fx_source = f"IMF IFS ENDA annual average, {FX_SOURCE_ID}@{fx_prov['commit'][:7]}"
    deflator_source = f"World Bank GDP deflator NY.GDP.DEFL.KD.ZG, {DEFLATOR_SOURCE_ID}@{defl_prov['commit'][:7]}"
    provenance = {
        "fx": fx_prov,
        "deflator": defl_prov,
        "attribution": "Source: International Monetary Fund; World Bank",
    }
    return MoneyTables(rates, ambiguous, growth, fx_source, deflator_source, provenance)


def default_tables() -> MoneyTables:
    from kss_analysis.core.config import raw_dir

    return load_money_tables(raw_dir())


def to_usd(amount: float, currency: str, year: int, tables: MoneyTables | None = None) -> float | None:
    """``amount`` of ``currency`` in ``year`` in current USD at the IMF annual average; None without a rate."""
    if currency == "USD":
        return float(amount)
    rate = (tables or default_tables()).rate(currency, int(year))
    return None if rate is None else amount / rate


def to_constant(
    amount: float,
    year: int,
    *,
    iso3: str = USD_DEFLATOR,
    base_year: int | None = None,
    tables: MoneyTables | None = None,
) -> float | None:
    """A current-price amount of ``year`` in constant prices of ``base_year`` (``iso3``'s GDP deflator)."""
    index = deflator_index((tables or default_tables()).growth, iso3, base_year)
    return amount / index[int(year)] if int(year) in index.index else None


def _join_notes(*columns: pd.Series) -> pd.Series:
    frame = pd.concat(columns, axis=1)
    joined = frame.apply(lambda row: "; ".join(dict.fromkeys(v for v in row if isinstance(v, str) and v)), axis=1)
    return joined.where(joined != "", None)


def convert(
    amount: pd.Series,
    currency: pd.Series,
    year: pd.Series,
    *,
    stated_usd: pd.Series | None = None,
    tables: MoneyTables | None = None,
    base_year: int | None = None,
) -> pd.DataFrame:
    """Vectorised conversion of parallel columns -> usd, usd_constant, fx_rate, fx_source, note, ..."""
    tables = tables or default_tables()
    base = tables.latest_year(USD_DEFLATOR) if base_year is None else int(base_year)
    index = deflator_index(tables.growth, USD_DEFLATOR, base)
    stated_usd = pd.Series(np.nan, index=amount.index) if stated_usd is None else stated_usd.astype("float64")
    year_int = pd.to_numeric(year, errors="coerce")
    keys = pd.DataFrame({"currency": currency.astype("object"), "year": year_int.astype("float64")})
    lookup = tables.rates.assign(year=tables.rates["year"].astype("float64"))
    rate = keys.merge(lookup, on=["currency", "year"], how="left")["rate"].set_axis(amount.index)
    is_usd = currency == "USD"
    rate = rate.where(~is_usd, 1.0)
    has_amount = amount.notna()
    from_source = stated_usd.notna()
    usd = stated_usd.where(from_source, (amount / rate).where(has_amount))
    fx_rate = rate.where(has_amount & ~from_source | (from_source & is_usd))
    fx_source = pd.Series(
        # numpy's stub types ``default`` as array-like, which excludes the None np.select accepts
        np.select(  # type: ignore[call-overload]
            [from_source & is_usd, from_source, usd.notna()],
            [STATED_USD, SOURCE_USD, tables.fx_source],
            default=None,
        ),
        index=amount.index,
        dtype="object",
    ).where(has_amount | from_source, None)
    fx_source = fx_source.where(fx_source != "None", None)
    known = set(tables.rates["currency"]) | {c for c, _ in tables.ambiguous}
    ambiguous = pd.Series(list(zip(currency, year_int, strict=True)), index=amount.index).isin(tables.ambiguous)
    needs_rate = has_amount & usd.isna()
    rate_note = pd.Series(
        np.select(
            [
                needs_rate & year_int.isna(),
                needs_rate & ~currency.isin(known),
                needs_rate & ambiguous,
                needs_rate,
            ],
            [NO_YEAR, UNKNOWN_CURRENCY, AMBIGUOUS_RATE, NO_RATE_FOR_YEAR],
            default="",
        ),
        index=amount.index,
    )
    factor = year_int.map(index).astype("float64")
    usd_constant = usd / factor
    no_constant = usd.notna() & usd_constant.isna()
    deflator_note = pd.Series(
        np.select([no_constant & year_int.isna(), no_constant], [NO_YEAR, NO_DEFLATOR_FOR_YEAR], default=""),
        index=amount.index,
    )
    return pd.DataFrame(
        {
            "usd": usd.astype("float64"),
            "usd_constant": usd_constant.astype("float64"),
            "price_base_year": pd.Series(base, index=amount.index, dtype="Int16").where(usd_constant.notna()),
            "fx_rate": fx_rate.astype("float64"),
            "fx_source": fx_source,
            "deflator_source": pd.Series(tables.deflator_source, index=amount.index, dtype="object").where(
                usd_constant.notna(), None
            ),
            "rate_note": rate_note.where(rate_note != "", None),
            "deflator_note": deflator_note.where(deflator_note != "", None),
        }
    )


def add_money_equivalents(
    activities: pd.DataFrame,
    *,
    tables: MoneyTables | None = None,
    base_year: int | None = None,
    idr_base_year: int | None = None,
) -> pd.DataFrame:
    """Activities with their money equivalents beside the stated amount (never overwritten).

    ``amount_usd`` keeps a USD figure the source states (the amount itself when in USD,
    AidData's usd_current) and is otherwise the amount converted at the IMF annual average.
    Adds amount_usd_constant and price_base_year (US deflator), fx_rate, fx_source,
    deflator_source, amount_idr_constant and idr_price_base_year (rupiah amounts,
    Indonesia's deflator) and conversion_note.
    """
    tables = tables or default_tables()
    out = activities.copy()
    stated = out["amount_usd"] if "amount_usd" in out.columns else None
    done = convert(out["amount"], out["currency"], out["year"], stated_usd=stated, tables=tables, base_year=base_year)
    out["amount_usd"] = done["usd"]
    out["amount_usd_constant"] = done["usd_constant"]
    out["price_base_year"] = done["price_base_year"]
    out["fx_rate"] = done["fx_rate"]
    out["fx_source"] = done["fx_source"]
    out["deflator_source"] = done["deflator_source"]
    idr_base = tables.latest_year(IDR_DEFLATOR) if idr_base_year is None else int(idr_base_year)
    idr_index = deflator_index(tables.growth, IDR_DEFLATOR, idr_base)
    is_idr = (out["currency"] == "IDR") & out["amount"].notna()
    idr_factor = pd.to_numeric(out["year"], errors="coerce").map(idr_index).astype("float64")
    out["amount_idr_constant"] = (out["amount"] / idr_factor).where(is_idr).astype("float64")
    out["idr_price_base_year"] = pd.Series(idr_base, index=out.index, dtype="Int16").where(
        out["amount_idr_constant"].notna()
    )
    no_idr_constant = is_idr & out["amount_idr_constant"].isna()
    undated = pd.to_numeric(out["year"], errors="coerce").isna()
    idr_note = pd.Series(
        np.select([no_idr_constant & undated, no_idr_constant], [NO_YEAR, NO_IDR_DEFLATOR_FOR_YEAR], default=""),
        index=out.index,
    )
    out["conversion_note"] = _join_notes(done["rate_note"], done["deflator_note"], idr_note)
    return out


def add_transaction_equivalents(
    transactions: pd.DataFrame, *, tables: MoneyTables | None = None, base_year: int | None = None
) -> pd.DataFrame:
    """IATI transactions with value_usd (the transaction year's IMF rate) and value_usd_constant."""
    tables = tables or default_tables()
    out = transactions.copy()
    done = convert(out["value"], out["currency"], out["year"], tables=tables, base_year=base_year)
    out["value_usd"] = done["usd"]
    out["value_usd_constant"] = done["usd_constant"]
    out["price_base_year"] = done["price_base_year"]
    out["fx_rate"] = done["fx_rate"]
    out["conversion_note"] = _join_notes(done["rate_note"], done["deflator_note"])
    return out


def unconverted_summary(frame: pd.DataFrame, note_column: str = "conversion_note") -> pd.DataFrame:
    """Rows per source and reason code, one code per row (a row may carry several)."""
    notes = frame[[c for c in ("source", note_column) if c in frame.columns]].dropna(subset=[note_column])
    if notes.empty:
        return pd.DataFrame({"source": [], "reason": [], "rows": []})
    exploded = notes.assign(reason=notes[note_column].str.split("; ")).explode("reason")
    keys = [c for c in ("source",) if c in exploded.columns] + ["reason"]
    return exploded.groupby(keys, as_index=False).size().rename(columns={"size": "rows"})


# --- totals for charts and tables -------------------------------------------------------

USD_REASONS = (NO_YEAR, UNKNOWN_CURRENCY, AMBIGUOUS_RATE, NO_RATE_FOR_YEAR, NO_DEFLATOR_FOR_YEAR)
IDR_REASONS = (NO_YEAR, NO_IDR_DEFLATOR_FOR_YEAR)


def _first_reason(note: object, reasons: tuple[str, ...]) -> str | None:
    codes = note.split("; ") if isinstance(note, str) else []
    return next((c for c in reasons if c in codes), None)


def funding_by_year(activities: pd.DataFrame, value: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top-level amounts in ``value`` (amount_usd_constant or amount_idr_constant) by year x basis.

    Counted under the single counting rule (counting.py): planned allocations and
    cumulative figures left out, parts and duplicates of other rows counted once. Returns (totals: year, amount_basis, value, amounts) and
    (unconverted: year, reason, amounts) for the amounts in scope without ``value``.
    """
    rupiah = value == "amount_idr_constant"
    # the amounts every total counts: programmes, and parts whose own amount their parent's does not cover
    scope = activities[(is_counted(activities) | own_amount_counts(activities)) & amount_countable(activities)]
    if rupiah:
        scope = scope[scope["currency"] == "IDR"]
    done = scope[scope[value].notna() & scope["year"].notna()]
    totals = (
        done.groupby(["year", "amount_basis"], as_index=False)
        .agg(**{value: (value, "sum"), "amounts": ("activity_id", "size")})
        .sort_values(["year", "amount_basis"])
        .reset_index(drop=True)
    )
    missing = scope[scope[value].isna()]
    reasons = missing["conversion_note"].map(lambda n: _first_reason(n, IDR_REASONS if rupiah else USD_REASONS))
    unconverted = (
        missing.assign(reason=reasons.fillna("no_note"))
        .groupby(["year", "reason"], dropna=False, as_index=False)
        .size()
        .rename(columns={"size": "amounts"})
        .sort_values(["reason", "year"])
        .reset_index(drop=True)
    )
    return totals, unconverted


FIGURE_UNITS = {"IDR billion": ("IDR", 1e9), "IDR trillion": ("IDR", 1e12), "USD million": ("USD", 1e6)}
PLAN_INDICATORS = ("_target", "_plan")  # an indicator naming a target or plan is a plan, never spending


def figure_series(
    figures: pd.DataFrame,
    indicators: tuple[str, ...],
    years: range,
    *,
    tables: MoneyTables | None = None,
) -> pd.DataFrame:
    """Whole-year totals of money ``indicators`` from the figures register, with their equivalents.

    Only figures for one calendar year (period_start = period_end = 'YYYY') with no
    breakdown count; part-year figures (2023-01..2023-10) are left out. A target stays
    labelled ``plan``. Columns: year, figure_id, indicator, basis, amount (in currency),
    currency, fx_rate, amount_usd, amount_usd_constant, price_base_year,
    amount_idr_constant, idr_price_base_year, conversion_note.
    """
    tables = tables or default_tables()
    whole_year = figures["period_start"].astype("string").str.fullmatch(r"\d{4}").fillna(False) & (
        figures["period_start"] == figures["period_end"]
    )
    chosen = figures[
        figures["indicator"].isin(indicators)
        & (figures["breakdown_dimension"] == "total")
        & (figures["period_type"] == "period")
        & whole_year
        & figures["unit"].isin(FIGURE_UNITS)
    ]
    chosen = chosen[chosen["period_start"].astype(int).isin(years)]
    units = chosen["unit"].map(FIGURE_UNITS)
    frame = pd.DataFrame(
        {
            "source": "kss_figures",
            "activity_id": chosen["figure_id"],
            "figure_id": chosen["figure_id"],
            "indicator": chosen["indicator"],
            "basis": np.where(chosen["indicator"].str.endswith(PLAN_INDICATORS), "plan", "disbursed"),
            "year": chosen["period_start"].astype(int),
            "amount": chosen["value"].astype(float) * units.str[1],
            "currency": units.str[0],
            "amount_usd": np.where(units.str[0] == "USD", chosen["value"].astype(float) * units.str[1], np.nan),
        }
    )
    out = add_money_equivalents(frame, tables=tables)
    columns = ["year", "figure_id", "indicator", "basis", "amount", "currency", "fx_rate", "amount_usd"]
    columns += [
        "amount_usd_constant",
        "price_base_year",
        "amount_idr_constant",
        "idr_price_base_year",
        "conversion_note",
    ]
    return out[columns].sort_values(["year", "basis", "figure_id"]).reset_index(drop=True)


def constant_usd_by_source(activities: pd.DataFrame, sources: dict[str, tuple[str, ...] | None]) -> pd.DataFrame:
    """Constant-USD totals by source x year, like with like.

    ``sources`` maps a source id to the flow types kept (None = all). Register scope as in
    funding_by_year (planned and cumulative left out, overlaps once). Columns: source,
    year, flow_types, amount_usd_constant, records, records_not_converted.
    """
    rows = []
    for source, flows in sources.items():
        frame = activities[(activities["source"] == source) & is_counted(activities)]
        frame = frame[frame["amount"].notna() | frame["amount_usd"].notna()]
        frame = frame[~frame["amount_basis"].isin(EXCLUDED_AMOUNT_BASES)]
        if flows is not None:
            frame = frame[frame["flow_type"].isin(flows)]
        for year, group in frame[frame["year"].notna()].groupby("year"):
            rows.append(
                {
                    "source": source,
                    "year": int(year),
                    "flow_types": "all" if flows is None else ", ".join(flows),
                    "amount_usd_constant": group["amount_usd_constant"].sum(min_count=1),
                    "records": int(group["amount_usd_constant"].notna().sum()),
                    "records_not_converted": int(group["amount_usd_constant"].isna().sum()),
                }
            )
    return pd.DataFrame(rows).sort_values(["source", "year"]).reset_index(drop=True) if rows else pd.DataFrame()
