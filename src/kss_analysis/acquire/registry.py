"""The sources registry (sources.yml): where every raw file comes from and its checksum."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import quote, urljoin

import yaml

from kss_analysis.core.config import PACKAGE_DIR

KINDS = ("fetched", "pattern", "embedded")


@dataclass(frozen=True)
class Source:
    """One source: its files (path under raw/<id>/ -> sha256, None when not pinnable)."""

    id: str
    title: str
    publisher: str
    kind: str
    format: str
    reader: str
    licence: str
    citation: str
    files: dict[str, str | None] = field(default_factory=dict)
    file_readers: dict[str, str] = field(default_factory=dict)  # a file read by another reader than ``reader``
    base_url: str | None = None
    file_urls: dict[str, str] = field(default_factory=dict)
    url_pattern: str | None = None
    file_pattern: str | None = None
    landing_page: str | None = None  # the publisher's page for the data (a human's way in)
    note: str = ""

    def url_of(self, path: str) -> str | None:
        if path in self.file_urls:
            return self.file_urls[path]
        return urljoin(self.base_url, quote(path)) if self.base_url else None

    def pattern_files(self, years: list[int]) -> dict[str, str]:
        """File name -> URL for a pattern source, one per year."""
        if not (self.url_pattern and self.file_pattern):
            return {}
        return {self.file_pattern.format(year=y): self.url_pattern.format(year=y) for y in years}


def _manifest(name: str) -> dict[str, str]:
    with open(PACKAGE_DIR / name, encoding="utf-8", newline="") as handle:
        return {row["path"]: row["sha256"] for row in csv.DictReader(handle)}


def parse_sources(entries: dict) -> dict[str, Source]:
    sources = {}
    for source_id, entry in entries.items():
        entry = dict(entry)
        if entry.get("kind") not in KINDS:
            raise ValueError(f"sources.yml: {source_id}: kind must be one of {KINDS}")
        files = dict(entry.pop("files", None) or {})
        if manifest := entry.pop("manifest", None):
            files.update(_manifest(manifest))
        sources[source_id] = Source(id=source_id, files=files, file_urls=entry.pop("file_urls", None) or {}, **entry)
    return sources


@cache
def load_sources() -> dict[str, Source]:
    """Every registered source by id, in registry order."""
    with open(PACKAGE_DIR / "sources.yml", encoding="utf-8") as handle:
        return parse_sources(yaml.safe_load(handle))
