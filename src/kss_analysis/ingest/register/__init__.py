"""The programme registers: the embedded KSS register and a user's own (CSV/XLSX, EN/ID headers, YAML profiles)."""

from __future__ import annotations

from pathlib import Path

from kss_analysis.core.model import SourceTables
from kss_analysis.ingest.entry import ACTIVITY_TABLES, Reader


def place_register_file(path: Path, *, source: str, file_label: str, profile: Path | None = None) -> SourceTables:
    """``profile`` (YAML) maps other headers and layouts; without it, ``<stem>.profile.yml``
    beside the file is used when present (register/profile.py)."""
    from kss_analysis.ingest.register.place import place_register
    from kss_analysis.ingest.register.profile import load_profile, profile_beside
    from kss_analysis.ingest.register.read import read_register

    id_prefix = "" if source == "kss" else f"{source.split(':', 1)[-1]}:"  # keeps two files' ids apart
    profile = profile or profile_beside(path)
    rows = read_register(path, load_profile(profile) if profile else None)
    return place_register(rows, source=source, file_label=file_label, id_prefix=id_prefix)


READERS = (Reader("register", ACTIVITY_TABLES, place_register_file, takes_profile=True),)
