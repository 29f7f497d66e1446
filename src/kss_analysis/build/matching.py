"""Pair TOSSD activities with KSS register programmes, and say why for every pair.

Both sides are canonical tables (activities + activity_recipients). A register programme
and a TOSSD activity are candidates when they share a year; their score adds

- recipients (weight 0.4): share of ISO3 countries in common (Jaccard); 0.5 when one side
  names only a region that holds the other side's countries, or when neither names a
  country (global / unallocated);
- title (weight 0.4): Dice overlap of content words (stop words and words under 3 letters
  dropped, English plural 's' ignored);
- sector (weight 0.2): the same sector theme.

Pairs at or above the threshold are taken best score first, each programme and activity
once (ties broken by ids, so the result is deterministic). Everything else is reported as
register-only or TOSSD-only with its best candidate, so a near miss can be checked by hand.
Only years present on the TOSSD side are compared: a register programme of a year TOSSD
does not cover is neither matched nor "register-only".
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kss_analysis.core.reference import normalise_name

WEIGHTS = {"recipients": 0.4, "title": 0.4, "sector": 0.2}
THRESHOLD = 0.5
STOP_WORDS = frozenset(
    "the and for of in on to with from by at an a its their as via into over under new phase programme program "
    "project support indonesia indonesian".split()
)


@dataclass(frozen=True)
class Side:
    """What matching needs of one activity."""

    activity_id: str
    year: int
    title: str
    sector_theme: str | None
    countries: frozenset[str]
    regions: frozenset[str]
    words: frozenset[str]


@dataclass
class MatchReport:
    """pairs: one row per matched pair; register_only / tossd_only: one row per unmatched activity."""

    pairs: pd.DataFrame
    register_only: pd.DataFrame
    tossd_only: pd.DataFrame
    years: list[int]


def _singular(word: str) -> str:
    """Crude English singular so 'fisheries'/'fishery' and 'workers'/'worker' meet."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def title_words(title: object) -> frozenset[str]:
    words = normalise_name(str(title or "")).split()
    return frozenset(_singular(w) for w in words if len(w) >= 3 and w not in STOP_WORDS)


def sides(activities: pd.DataFrame, recipients: pd.DataFrame) -> list[Side]:
    """One Side per activity with a year; recipients' countries and regions gathered per activity."""
    by_activity = recipients.groupby("activity_id")
    countries = by_activity["recipient_iso3"].agg(lambda s: frozenset(s.dropna()))
    regions = by_activity["region"].agg(lambda s: frozenset(s.dropna()))
    result = []
    for row in activities.dropna(subset=["year"]).itertuples(index=False):
        result.append(
            Side(
                activity_id=row.activity_id,
                year=int(row.year),
                title=row.title or "",
                sector_theme=row.sector_theme if isinstance(row.sector_theme, str) else None,
                countries=countries.get(row.activity_id, frozenset()),
                regions=regions.get(row.activity_id, frozenset()),
                words=title_words(row.title),
            )
        )
    return result


def score_pair(register: Side, tossd: Side) -> tuple[float, str]:
    """(score 0-1, human-readable reason) of one same-year candidate pair."""
    reasons = [f"same year {register.year}"]
    shared = register.countries & tossd.countries
    if shared:
        recipients = len(shared) / len(register.countries | tossd.countries)
        reasons.append(f"recipients in common: {', '.join(sorted(shared))}")
    elif not tossd.countries and tossd.regions and register.countries and register.regions <= tossd.regions:
        recipients = 0.5
        reasons.append(f"TOSSD region {', '.join(sorted(tossd.regions))} holds the register's countries")
    elif not register.countries and register.regions and tossd.countries and tossd.regions <= register.regions:
        recipients = 0.5
        reasons.append(f"register region {', '.join(sorted(register.regions))} holds the TOSSD countries")
    elif not register.countries and not tossd.countries and (register.regions & tossd.regions or not register.regions):
        recipients = 0.5
        reasons.append("neither names a country (global, regional or unallocated)")
    else:
        recipients = 0.0
        reasons.append("no recipient in common")
    common = register.words & tossd.words
    title = 2 * len(common) / (len(register.words) + len(tossd.words)) if register.words and tossd.words else 0.0
    reasons.append(f"title words in common: {', '.join(sorted(common))}" if common else "no title word in common")
    sector = 1.0 if register.sector_theme and register.sector_theme == tossd.sector_theme else 0.0
    if sector:
        reasons.append(f"same sector theme {register.sector_theme}")
    else:
        reasons.append(f"sector themes differ ({register.sector_theme or 'none'} / {tossd.sector_theme or 'none'})")
    score = WEIGHTS["recipients"] * recipients + WEIGHTS["title"] * title + WEIGHTS["sector"] * sector
    return round(score, 3), "; ".join(reasons)


def match_register_tossd(
    register_activities: pd.DataFrame,
    tossd_activities: pd.DataFrame,
    recipients: pd.DataFrame,
    *,
    threshold: float = THRESHOLD,
) -> MatchReport:
    """Pair the register's programmes with TOSSD activities (pass Indonesia's only to compare like with like)."""
    tossd = sides(tossd_activities, recipients)
    years = sorted({t.year for t in tossd})
    register = [r for r in sides(register_activities, recipients) if r.year in years]
    candidates = []
    best: dict[str, tuple[float, str]] = {}
    for r in register:
        for t in (t for t in tossd if t.year == r.year):
            score, reason = score_pair(r, t)
            candidates.append((score, r.activity_id, t.activity_id, reason))
            for own, other in ((r.activity_id, t.activity_id), (t.activity_id, r.activity_id)):
                if score > best.get(own, (-1.0, ""))[0]:
                    best[own] = (score, other)
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used: set[str] = set()
    pairs = []
    for score, rid, tid, reason in candidates:
        if score < threshold:
            break
        if rid in used or tid in used:
            continue
        used.update((rid, tid))
        pairs.append((rid, tid, score, reason))
    titles = {s.activity_id: (s.year, s.title) for s in [*register, *tossd]}
    pair_frame = pd.DataFrame(
        [
            {
                "year": titles[rid][0],
                "register_id": rid,
                "register_title": titles[rid][1],
                "tossd_id": tid,
                "tossd_title": titles[tid][1],
                "score": score,
                "reason": reason,
            }
            for rid, tid, score, reason in pairs
        ],
        columns=["year", "register_id", "register_title", "tossd_id", "tossd_title", "score", "reason"],
    )

    def unmatched(side: list[Side], other: str) -> pd.DataFrame:
        rows = []
        for s in side:
            if s.activity_id in used:
                continue
            score, best_id = best.get(s.activity_id, (None, None))
            reason = (
                f"best {other} candidate {best_id} scored {score:.2f} < {threshold:.2f}"
                if best_id
                else f"no {other} activity in {s.year}"
            )
            rows.append({"year": s.year, "activity_id": s.activity_id, "title": s.title, "reason": reason})
        return pd.DataFrame(rows, columns=["year", "activity_id", "title", "reason"])

    return MatchReport(pair_frame, unmatched(register, "TOSSD"), unmatched(tossd, "register"), years)


def summary_by(report: MatchReport, activities: pd.DataFrame, recipients: pd.DataFrame, by: str) -> pd.DataFrame:
    """Activities per ``by`` (year, region or sector_theme) and outcome: matched (TOSSD side
    counted), tossd_only, register_only. A region counts every activity touching it, so
    region rows may add up to more than the activities."""
    outcomes = pd.concat(
        [
            pd.DataFrame({"activity_id": report.pairs["tossd_id"], "outcome": "matched"}),
            pd.DataFrame({"activity_id": report.tossd_only["activity_id"], "outcome": "tossd_only"}),
            pd.DataFrame({"activity_id": report.register_only["activity_id"], "outcome": "register_only"}),
        ],
        ignore_index=True,
    )
    if by == "region":
        keyed = recipients[["activity_id", "region"]].drop_duplicates().fillna({"region": "not stated"})
    else:
        keyed = (
            activities[["activity_id", by]].fillna({by: "not stated"})
            if by != "year"
            else activities[["activity_id", "year"]]
        )
    table = outcomes.merge(keyed, on="activity_id", how="left").pivot_table(
        index=by, columns="outcome", values="activity_id", aggfunc="count", fill_value=0
    )
    table = table.reindex(columns=["matched", "tossd_only", "register_only"], fill_value=0)
    table.columns.name = None
    return table.astype(int)
