"""What a chart needs to say about itself so that it can travel alone.

Computed from the tables drawn, never typed by hand: the sources actually read (embedded
register, each user register by file name, fetched sources by citation), the date of the
newest data, a partial last year, where the register is thin, how many programmes state a
figure and which participants come from intakes open to every country.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

from kss_analysis.acquire.registry import load_sources
from kss_analysis.core import reference
from kss_analysis.rules import scope
from kss_analysis.rules.counting import counted

MIN_PROGRAMMES_A_YEAR = 3  # a year with fewer counted programmes is a thin year
EMBEDDED = scope.EMBEDDED_REGISTER
USER_REGISTER = scope.USER_REGISTER_PREFIX


def _text(key: str, lang: str, **values: object) -> str:
    from kss_analysis.core.labels import text

    return text(key, lang, **values)


# --- sources -------------------------------------------------------------------------------


def chart_sources(activities: pd.DataFrame, lang: str) -> list[dict[str, str]]:
    """One entry per input behind ``activities``: embedded register, user registers, fetched sources."""
    registry = load_sources()
    out = []
    pairs = activities[["source", "source_file"]].drop_duplicates().sort_values(["source", "source_file"])
    seen = set()
    for source, file in pairs.itertuples(index=False):
        if source == EMBEDDED:
            key = (source, "")
            entry = {
                "id": source,
                "kind": "embedded register",
                "name": _text("source_register", lang),
                "short": _text("source_register", lang).split(" (")[0],
                "licence": registry[source].licence,
            }
        elif source.startswith(USER_REGISTER):
            name = str(file).rsplit("/", 1)[-1]
            key = (source, name)
            entry = {
                "id": source,
                "kind": "user register",
                "file": name,
                "name": _text("source_user_register", lang, file=name),
                "short": _text("source_user_register", lang, file=name),
                "licence": _text("licence_user_register", lang),
            }
        else:
            key = (source, "")
            known = registry.get(source)
            entry = {
                "id": source,
                "kind": "fetched source" if known else "file read with kss ingest",
                "name": known.citation if known else str(file),
                "short": known.title if known else str(file),
                "licence": known.licence if known else "",
            }
        if key not in seen:
            seen.add(key)
            out.append(entry)
    order = {"embedded register": 0, "user register": 1}
    return sorted(out, key=lambda e: (order.get(e["kind"], 2), e["id"], e.get("file", "")))


def source_line(sources: list[dict[str, str]]) -> str:
    return "; ".join(s["name"].rstrip(".") for s in sources)  # citations end in a full stop; the line ends in one


def licence_line(sources: list[dict[str, str]]) -> str:
    return " | ".join(dict.fromkeys(f"{s['short']}: {s['licence']}" for s in sources if s["licence"]))


# --- dates ---------------------------------------------------------------------------------


def data_date(activities: pd.DataFrame) -> str | None:
    """Date of the newest data: the latest start date stated (or the latest year when none is)."""
    dates = activities["start_date"].dropna().astype(str)
    years = activities["year"].dropna()
    newest = dates.max() if len(dates) else None
    if len(years) and (newest is None or int(years.max()) > int(newest[:4])):
        newest = str(int(years.max()))
    return newest


def partial_year(activities: pd.DataFrame) -> int | None:
    """The last year when the data stop before its end (its figures are 'to date')."""
    newest = data_date(activities)
    if newest is None or len(newest) < 7:  # only a year known: whether it is complete is not known
        return None
    year = int(newest[:4])
    return year if newest < f"{year}-12-31" else None


# --- coverage ------------------------------------------------------------------------------


def thin_before(activities: pd.DataFrame) -> tuple[int, int, int, int] | None:
    """(first well-covered year, programmes before it, first and last year of those) when the
    early years are thin.

    Well covered from year Y: every year from Y to the last has at least MIN_PROGRAMMES_A_YEAR
    counted programmes.
    """
    per_year = counted(activities).dropna(subset=["year"]).groupby("year").size()
    if per_year.empty:
        return None
    first, last = int(per_year.index.min()), int(per_year.index.max())
    well = last + 1
    for year in range(last, first - 1, -1):
        if per_year.get(year, 0) < MIN_PROGRAMMES_A_YEAR:
            break
        well = year
    if well <= first or well > last:
        return None
    before = per_year[per_year.index < well]
    return well, int(before.sum()), first, int(before.index.max())


def coverage_caveat(activities: pd.DataFrame, lang: str) -> str:
    thin = thin_before(activities)
    if thin is None:
        return _text("caveat_public", lang)
    year, n, first, last = thin
    return _text("caveat_thin", lang, year=year, n=n, first=first, last=last)


def coverage_ratio_caveat(activities: pd.DataFrame, figures: pd.DataFrame | None, lang: str) -> str:
    """'The register holds 8% of the official count for 2000–2012 (55 of 700); ...': the same
    ratios as the register_coverage chart (coverage.py), for the footers of programme charts.
    Empty when there is no figures register or no official count with a stated period."""
    from kss_analysis.outputs.coverage import coverage_table

    if figures is None or figures.empty:
        return ""
    items = []
    for row in coverage_table(activities, figures).itertuples(index=False):
        first, last = row.period_start[:4], row.period_end[:4]
        key = "coverage_item_at_most" if row.official_qualifier == "lower_bound" else "coverage_item"
        items.append(
            _text(
                key,
                lang,
                # from the counts, not the table's 4-digit ratio: 164/460 is 35.7%, not round(0.3565 * 100, 1)
                pct=_format(100 * row.register_programmes / row.official_programmes, lang, 1),
                period=first if first == last else f"{first}–{last}",
                register=_format(row.register_programmes, lang),
                official=_format(row.official_programmes, lang),
            )
        )
    return _text("caveat_coverage", lang, items="; ".join(items)) if items else ""


def partial_caveat(activities: pd.DataFrame, lang: str) -> str:
    year = partial_year(activities)
    return _text("caveat_partial", lang, year=year, date=data_date(activities)) if year else ""


# --- open intakes --------------------------------------------------------------------------


@cache
def _open_intake_pattern() -> re.Pattern:
    words = [re.escape(row["match"]) for row in reference.read_reference("open_intakes")]
    return re.compile(r"\b(" + "|".join(words) + r")\b", re.IGNORECASE)


def is_open_intake(activities: pd.DataFrame) -> pd.Series:
    """Scholarship intakes open to students of every country (reference/open_intakes.csv):
    their participants are not partner-country participants and are shown apart."""
    pattern = _open_intake_pattern()
    titles = activities["title"].fillna("") + " " + activities["title_id"].fillna("")
    return titles.map(lambda t: bool(pattern.search(t))).astype(bool)


def participants_caveat(activities: pd.DataFrame, lang: str) -> str:
    from kss_analysis.rules.counting import participants_countable

    top = counted(activities)
    stating = top[participants_countable(top) & top["year"].notna()]  # as drawn: dated programmes
    open_rows = stating[is_open_intake(stating)]
    return _text(
        "caveat_participants",
        lang,
        n=len(stating),
        total=len(top),
        x=_format(int(open_rows["participants"].sum()), lang),
        k=len(open_rows),
    )


def _format(value: float, lang: str, decimals: int = 0) -> str:
    from kss_analysis.outputs.charts.style import format_number

    return format_number(value, lang, decimals)
