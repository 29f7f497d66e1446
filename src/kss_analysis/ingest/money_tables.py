"""Read the money reference files: IMF exchange rates and World Bank GDP-deflator growth.

Both the fetched upstream files and the package's embedded extract (a subset of their
rows, byte for byte) have the same layout, so one reader serves both. No choice of rate
is made here: every row is returned with its country; money.py picks the rate.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kss_analysis.core.errors import InputError
from kss_analysis.ingest.entry import Reader

FX_COLUMNS = {"Date": "date", "Rate": "rate", "Currency": "currency", "Country code": "country_code"}
DEFLATOR_COLUMNS = {"Country Code": "iso3", "Year": "year", "Inflation": "growth_pct"}


def _read_csv(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    try:
        # keep_default_na=False: 'NA' is Namibia's country code, not a missing value.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(str(path), f"not a readable CSV: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(str(path), f"lacks the columns {', '.join(missing)} (has {', '.join(frame.columns)})")
    return frame[list(columns)].rename(columns=columns)


def _numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    values = pd.to_numeric(frame[column].where(frame[column].str.strip() != ""), errors="coerce")
    bad = values.isna() & (frame[column].str.strip() != "")
    if bad.any():
        row = int(bad.idxmax()) + 2
        raise InputError(str(path), f"{column} '{frame.at[bad.idxmax(), column]}' is not a number", f"row {row}")
    return values


def read_imf_rates(path: str | Path) -> pd.DataFrame:
    """IMF IFS annual rates: currency, year, rate (currency units per USD), country_code; one row per country x year."""
    path = Path(path)
    frame = _read_csv(path, FX_COLUMNS)
    years = frame["date"].str.extract(r"^(\d{4})-\d{2}-\d{2}$")[0]
    if years.isna().any():
        row = int(years.isna().idxmax()) + 2
        raise InputError(str(path), f"Date '{frame.at[row - 2, 'date']}' is not YYYY-MM-DD", f"row {row}")
    return pd.DataFrame(
        {
            "currency": frame["currency"].str.strip().str.upper(),
            "year": years.astype("int64"),
            "rate": _numbers(frame, "rate", path),
            "country_code": frame["country_code"].str.strip(),
        }
    )


def read_gdp_deflator(path: str | Path) -> pd.DataFrame:
    """World Bank GDP deflator growth: iso3, year, growth_pct (annual % change); empty values dropped."""
    path = Path(path)
    frame = _read_csv(path, DEFLATOR_COLUMNS)
    years = pd.to_numeric(frame["year"], errors="coerce")
    if years.isna().any():
        row = int(years.isna().idxmax()) + 2
        raise InputError(str(path), f"Year '{frame.at[row - 2, 'year']}' is not a year", f"row {row}")
    out = pd.DataFrame(
        {
            "iso3": frame["iso3"].str.strip(),
            "year": years.astype("int64"),
            "growth_pct": _numbers(frame, "growth_pct", path),
        }
    )
    return out[out["growth_pct"].notna()].reset_index(drop=True)


# Rates and deflators: read by the money step (build/money.py), no table of their own.
READERS = (Reader("money-fx", ()), Reader("money-deflator", ()))
