"""Which rows are Indonesia's KSS programmes: the one definition every output uses.

A KSS programme is a row of a programme register (the embedded ``kss`` register or a
user's register, ``register:<file>``) whose provider is Indonesia. A register profiled for
another provider (``defaults: provider: THA``) stays in the data; the build, the charts,
the tables, the notebooks and the query API reach it only when asked for its provider.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

EMBEDDED_REGISTER = "kss"  # source id of the register that ships with the project
USER_REGISTER_PREFIX = "register:"  # source of a user's register file: register:<file stem>
KSS_PROVIDER = "IDN"
ALL_PROVIDERS = "all"

Providers = str | Iterable[str] | None


def is_register(source: pd.Series) -> pd.Series:
    """Rows from a programme register (embedded or a user's), whoever the provider."""
    embedded = source.eq(EMBEDDED_REGISTER)
    user = source.str.startswith(USER_REGISTER_PREFIX)
    return (embedded | user).fillna(False).astype(bool)


def provider_codes(providers: Providers = KSS_PROVIDER) -> set[str] | None:
    """ISO3 codes asked for; None means every provider (``"all"`` or None)."""
    if providers is None or providers == ALL_PROVIDERS:
        return None
    codes = {providers} if isinstance(providers, str) else set(providers)
    return {str(code).upper() for code in codes}


def of_providers(activities: pd.DataFrame, providers: Providers = KSS_PROVIDER) -> pd.Series:
    """Rows whose provider (or one of several, ``;``-separated) is among ``providers``."""
    codes = provider_codes(providers)
    if codes is None:
        return pd.Series(True, index=activities.index)
    stated = activities["provider_iso3"].fillna("").astype(str)
    single = stated.isin(codes)
    several = stated.str.contains(";", regex=False)
    if several.any():
        single |= several & stated.str.split(";").map(lambda found: bool(codes & set(found)))
    return single.astype(bool)


def in_scope(activities: pd.DataFrame, providers: Providers = KSS_PROVIDER) -> pd.Series:
    """Register rows of the given providers (default: Indonesia's KSS programmes)."""
    return is_register(activities["source"]) & of_providers(activities, providers)


def scoped(
    activities: pd.DataFrame, recipients: pd.DataFrame, providers: Providers = KSS_PROVIDER
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(activities, their recipient rows) in scope, indexes reset."""
    acts = activities[in_scope(activities, providers)].reset_index(drop=True)
    ids = set(acts["activity_id"])
    recips = recipients[recipients["activity_id"].isin(ids)].reset_index(drop=True)
    return acts, recips


def is_register_input(path: str) -> bool:
    """A raw input (``kss/...`` or ``registers/...``, as recorded in metadata) of a register."""
    return path.startswith((f"{EMBEDDED_REGISTER}/", "registers/"))


def inputs_in_scope(inputs: dict[str, str], activities: pd.DataFrame) -> dict[str, str]:
    """The register inputs (path -> sha256) behind ``activities``: a register's files (a
    user's with its profile) only when some of its rows are in ``activities`` (a register of another provider is not behind Indonesia's charts)."""
    sources = set(activities["source"])

    def behind(path: str) -> bool:
        if path.startswith(f"{EMBEDDED_REGISTER}/"):
            return EMBEDDED_REGISTER in sources
        name = path.removeprefix("registers/").removesuffix(".profile.yml")
        return f"{USER_REGISTER_PREFIX}{name.rsplit('.', 1)[0]}" in sources

    return {path: sha for path, sha in inputs.items() if is_register_input(path) and behind(path)}
