"""Programme ids of register rows: the row's own id, or one derived from its content.

A derived id depends on what the row says (title, year, partners), never on where it
stands, so inserting or moving rows changes no other id. Ids hold no spaces or quotes.
"""

from __future__ import annotations

import hashlib
import re

from kss_analysis.core.reference import normalise_name

ID_HASH_CHARS = 10  # 40 bits: collisions are unlikely among thousands of rows, and numbered if they happen
_UNSAFE = re.compile(r"[\s'\"`‘’“”]+")


def safe_id(text: str) -> str:
    """An id as written, with runs of spaces and quotes replaced by '_': 'P 01' -> 'P_01'."""
    return _UNSAFE.sub("_", text.strip()).strip("_")


def content_id(title: str, year: int | None, partners: list[str]) -> str:
    """'row-' + a short hash of the normalised title, year and sorted partner codes."""
    key = "|".join([normalise_name(title), str(year or ""), ";".join(sorted(partners))])
    return "row-" + hashlib.sha256(key.encode()).hexdigest()[:ID_HASH_CHARS]
