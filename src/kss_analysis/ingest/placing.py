"""Collect the canonical tables of one raw file while counting every row once.

A placer calls ``add`` (row kept or fixed; flagged too when it carries unclassified values), ``quarantine`` (row not placed, with a reason
code) or ``exclude`` (row left out by a named rule) exactly once per raw row; ``tables``
then builds the ledger: rows_read = kept + fixed + quarantined + excluded.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence

from kss_analysis.core import schema
from kss_analysis.core.errors import RowProblem
from kss_analysis.core.model import SourceTables, frame_from_records
from kss_analysis.ingest.clean import parse_year

ACTIVITY_COLUMNS = schema.ACTIVITIES.names


REQUIRED_TEXT = ("title",)  # a placed activity always has these, once control characters are removed
RAW_CELL_CHARS = 1000  # longer raw cells are shortened in the quarantine copy


def raw_json(record: dict[str, object]) -> str:
    """The raw row as JSON text, every cell as text; very long cells shortened (length noted)."""

    from kss_analysis.ingest.text_hygiene import without_stray_bytes

    def cell(value: object) -> str | None:
        if value is None:
            return None
        text = without_stray_bytes(str(value))  # a byte that was not UTF-8 as '\\x92'
        return text if len(text) <= RAW_CELL_CHARS else f"{text[:RAW_CELL_CHARS]}... ({len(text):,} characters)"

    return json.dumps({str(k): cell(v) for k, v in record.items()}, ensure_ascii=False, sort_keys=True)


class TableBuilder:
    """Rows of one or more raw files; ``file_label`` names the file the next rows come from."""

    def __init__(self, file_label: str):
        self.file_label = file_label
        self.activities: list[dict] = []
        self.recipients: list[dict] = []
        self.transactions: list[dict] = []
        self.quarantined: list[dict] = []
        self.counts: dict[str, Counter[str]] = {}
        # file -> measure -> outcome -> sum; "raw" is summed from the raw file independently
        self.amounts: dict[str, dict[str, Counter[str]]] = {}
        self.placed_from: dict[str, str] = {}  # activity id -> locator of the row that placed it

    def count_amounts(self, outcome: str, amounts: Mapping[str, float | None] | None) -> None:
        """Add a row's amounts (measure -> value) to the file's amount ledger under ``outcome``."""
        for measure, value in (amounts or {}).items():
            if value is not None and math.isfinite(value):  # an overflowing raw amount is quarantined, not summed
                # typeshed types Counter values as int; Counter sums floats as documented
                self.amounts.setdefault(self.file_label, {}).setdefault(measure, Counter())[outcome] += value  # type: ignore[assignment]

    def _count(self, outcome: str) -> None:
        self.count_rows(outcome, 1)

    def count_rows(self, outcome: str, rows: int) -> None:
        """Count ``rows`` rows under ``outcome`` (kept, fixed, quarantined, flagged) at once."""
        self.counts.setdefault(self.file_label, Counter())[outcome] += rows

    def add(
        self,
        activity: dict,
        recipients: list[dict],
        transactions: Sequence[dict] = (),
        amounts: Mapping[str, float | None] | None = None,
    ) -> None:
        """A placed row; ``amounts`` are its values as placed (checked against the raw sums)."""
        from kss_analysis.ingest.text_hygiene import emptied, scrub_row

        before = dict(activity)
        scrub_row(activity, recipients, transactions)
        if lost := emptied(before, activity, REQUIRED_TEXT):
            # A title of control characters alone is no title: the row is quarantined, not placed.
            self.quarantine(
                str(activity.get("source_locator") or ""),
                "missing_title",
                f"{', '.join(lost)} holds only control characters",
                before,
                amounts,
                column=lost[0],
            )
            return
        self.count_amounts("processed", amounts)
        row = dict.fromkeys(ACTIVITY_COLUMNS)
        row.update(activity)
        self._count("fixed" if row.get("fixes") else "kept")
        if row.get("unclassified"):
            self._count("flagged")
        self.activities.append(row)
        self.recipients.extend(recipients)
        self.transactions.extend(transactions)

    def claim_id(self, activity_id: str, locator: str, id_column: str) -> None:
        """Note that ``locator`` places ``activity_id``; an id placed before raises ``duplicate_id``
        (the later row is quarantined, never merged or renumbered)."""
        if activity_id in self.placed_from:
            raise RowProblem(
                "duplicate_id", f"{id_column} {activity_id} is already placed from {self.placed_from[activity_id]}"
            )
        self.placed_from[activity_id] = locator

    def quarantine(
        self,
        locator: str,
        reason: str,
        message: str,
        raw: dict,
        amounts: Mapping[str, float | None] | None = None,
        *,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        """A row not placed; ``column`` (as written in the file) and ``value`` name the cell to fix."""
        from kss_analysis.ingest.text_hygiene import visible

        self.count_amounts("quarantined", amounts)
        self._count("quarantined")
        self.quarantined.append(
            {
                "file": self.file_label,
                "locator": locator,
                "reason_code": reason,
                "message": visible(message),  # a NUL or ESC quoted from a cell never reaches a terminal
                "raw": raw_json(raw),
                "column": visible(column),
                "value": visible(value),
            }
        )

    def exclude(self, rule: str, amounts: Mapping[str, float | None] | None = None) -> None:
        self.count_amounts("excluded", amounts)
        self._count("excluded")
        self._count(f"rule:{rule}")

    def exclude_many(self, rule: str, rows: int, amounts: Mapping[str, float | None] | None = None) -> None:
        """``rows`` rows left out together by one rule (counted without reading them one by one)."""
        self.count_amounts("excluded", amounts)
        counts = self.counts.setdefault(self.file_label, Counter())
        counts["excluded"] += rows
        counts[f"rule:{rule}"] += rows

    def ledger(self) -> list[dict]:
        rows = []
        for file, c in self.counts.items():
            rules = sorted((k[5:], n) for k, n in c.items() if k.startswith("rule:"))
            rows.append(
                {
                    "file": file,
                    "rows_read": c["kept"] + c["fixed"] + c["quarantined"] + c["excluded"],
                    "rows_kept": c["kept"],
                    "rows_fixed": c["fixed"],
                    "rows_quarantined": c["quarantined"],
                    "rows_excluded": c["excluded"],
                    "excluded_by_rule": ";".join(f"{r}={n}" for r, n in rules) or None,
                    "rows_flagged": c["flagged"],
                    "amounts": self._amounts_json(file),
                }
            )
        return rows or [
            {
                "file": self.file_label,
                "rows_read": 0,
                "rows_kept": 0,
                "rows_fixed": 0,
                "rows_quarantined": 0,
                "rows_excluded": 0,
                "excluded_by_rule": None,
                "rows_flagged": 0,
                "amounts": None,
            }
        ]

    def _amounts_json(self, file: str) -> str | None:
        measures = self.amounts.get(file)
        if not measures:
            return None
        body = {m: {k: round(v, 6) for k, v in sorted(c.items())} for m, c in sorted(measures.items())}
        return json.dumps(body, sort_keys=True)

    def tables(self) -> SourceTables:
        return SourceTables(
            frame_from_records(self.activities, schema.ACTIVITIES, "activities"),
            frame_from_records(self.recipients, schema.ACTIVITY_RECIPIENTS, "activity_recipients"),
            frame_from_records(self.quarantined, schema.QUARANTINE, "quarantine"),
            frame_from_records(self.ledger(), schema.LEDGER, "ledger"),
            frame_from_records(self.transactions, schema.ACTIVITY_TRANSACTIONS, "activity_transactions"),
        )


def year_cell(record: dict, column: str) -> tuple[int | None, bool]:
    """(year, needed normalising) of a cell; a RowProblem names the column."""
    try:
        return parse_year(record.get(column))
    except RowProblem as exc:
        raise RowProblem(exc.reason, f"{column}: {exc}") from None


def activity_row(source: str, file_label: str, locator: str, activity_id: str, **fields: object) -> dict:
    """An activity record: where it comes from (source, file, row) and its id, then its fields."""
    return {
        "source": source,
        "source_file": file_label,
        "source_locator": locator,
        "activity_id": activity_id,
        **fields,
    }


def equal_split(activity_id: str, iso3_codes: list[str], regions: list[str]) -> list[dict]:
    """Recipient rows sharing an activity equally between countries and region-only entries."""
    from kss_analysis.ingest.classify import classify_region

    entries = [(iso3, classify_region(iso3)) for iso3 in iso3_codes] + [(None, r) for r in regions]
    if not entries:
        return [
            {
                "activity_id": activity_id,
                "recipient_iso3": None,
                "region": None,
                "share": 1.0,
                "allocation": "unallocated",
            }
        ]
    share = 1.0 / len(entries)
    return [
        {
            "activity_id": activity_id,
            "recipient_iso3": iso3,
            "region": region,
            "share": share,
            "allocation": "equal_split" if iso3 else "stated_region",
        }
        for iso3, region in entries
    ]
