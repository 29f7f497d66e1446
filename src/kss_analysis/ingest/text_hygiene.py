"""Strip control characters (NUL and the other C0/C1 codes, except tab and line breaks)
from the text fields of a placed row. They come from broken exports or hostile files,
corrupt CSV and terminal output downstream, and are never part of a title or a name;
a row that needed this is counted as fixed (fix ``control_characters``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
FIX = "control_characters"


def scrub(record: dict) -> bool:
    """Remove control characters from every text value of ``record`` in place; True if any."""
    changed = False
    for key, value in record.items():
        if isinstance(value, str) and CONTROL.search(value):
            record[key] = CONTROL.sub("", value).strip() or None
            changed = True
    return changed


NOT_UTF8 = re.compile("[\udc80-\udcff]")  # a byte that was not UTF-8 (errors="surrogateescape")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00 if code >= 0xDC00 else code:02x}"


def visible(text: str | None) -> str | None:
    """Control characters and bytes that were not UTF-8 shown as escapes ('\\x00', '\\x92'),
    for messages and report cells a person reads (and any Parquet file can store)."""
    return NOT_UTF8.sub(_escape, CONTROL.sub(_escape, text)) if text else text


def stray_bytes(text: str) -> list[int]:
    """The bytes of ``text`` that were not UTF-8 (kept by errors="surrogateescape")."""
    return [ord(c) - 0xDC00 for c in NOT_UTF8.findall(text)]


def without_stray_bytes(text: str) -> str:
    return NOT_UTF8.sub(_escape, text)


def scrubbed_cells(record: dict) -> tuple[dict, bool]:
    """A copy of a raw row with control characters removed from its text cells (a cell of
    nothing else becomes None, so it reads as empty), and whether any cell needed it."""
    changed = False
    out = dict(record)
    for key, value in record.items():
        if isinstance(value, str) and CONTROL.search(value):
            out[key] = CONTROL.sub("", value).strip() or None
            changed = True
    return out, changed


def emptied(before: dict, after: dict, keys: Iterable[str]) -> list[str]:
    """The ``keys`` whose text in ``before`` was only control characters (None in ``after``)."""
    return [k for k in keys if isinstance(before.get(k), str) and before[k].strip() and after.get(k) is None]


def scrub_row(activity: dict, recipients: Iterable[dict] = (), transactions: Iterable[dict] = ()) -> None:
    """Scrub an activity and its child rows; note the fix on the activity."""
    changed = any([scrub(activity), *(scrub(r) for r in recipients), *(scrub(t) for t in transactions)])
    if changed:
        fixes = [f for f in (activity.get("fixes") or "").split(";") if f]
        activity["fixes"] = ";".join(dict.fromkeys([*fixes, FIX]))
