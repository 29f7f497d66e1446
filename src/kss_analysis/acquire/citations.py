"""The sources' citations as data: CSL-JSON generated from sources.yml (``kss sources --citations csl-json``).

One item per registered source, in registry order: ``id`` (the source id), ``type``
(``dataset``), ``title``, ``publisher``, ``author`` (the publisher, as an institution),
``URL`` (where a reader finds the data, see ``source_url``), ``version`` (the pinned commit
or release where the URL names one; for the embedded register, the package version) and
``note`` (the licence or terms, then the citation text sources.yml gives). The embedded
register is authored by the project's contributors and has no URL of its own: its note says
where it is. Reference managers read the file as is.
The same registry and version give the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from kss_analysis.acquire.registry import Source
from kss_analysis.core.version import package_version

FORMATS = ("csl-json",)
GITHUB_RAW = re.compile(r"^https://raw\.githubusercontent\.com/([^/]+)/([^/]+)/([0-9a-f]{7,40})/(.*)$")
NPM_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/npm/([^@/]+)@([^/]+)/")
AUTHORS = "kss-analysis contributors"  # as in CITATION.cff
EMBEDDED_NOTE = "Committed with kss-analysis in data/raw/kss (README.md there describes every column)."


def source_url(source: Source) -> str | None:
    """Where a reader finds the data: the landing page, else a browsable page of the pinned files
    (the GitHub tree at the pinned commit rather than its raw file host), else the download URL."""
    if source.landing_page:
        return source.landing_page
    base = source.base_url or next(iter(source.file_urls.values()), None)
    if base is None and source.url_pattern and "{" not in source.url_pattern:
        base = source.url_pattern
    if base is None:
        return None
    if match := GITHUB_RAW.match(base):
        owner, repo, commit, path = match.groups()
        return f"https://github.com/{owner}/{repo}/tree/{commit}/{path}".rstrip("/")
    return base


def source_version(source: Source) -> str | None:
    """The pinned commit (GitHub) or package release (npm) the files come from, when the URL names one."""
    base = source.base_url or ""
    if match := GITHUB_RAW.match(base):
        return f"commit {match.group(3)[:7]}"
    if match := NPM_CDN.match(base):
        return f"{match.group(1)} {match.group(2)}"
    return None


def csl_item(source: Source) -> dict[str, object]:
    note = f"Licence: {source.licence.rstrip('.')}. Cite as: {source.citation}"
    if source.kind == "embedded":
        note += f" {EMBEDDED_NOTE}"
    embedded = source.kind == "embedded"
    item: dict[str, object] = {
        "id": source.id,
        "type": "dataset",
        "title": source.title,
        "publisher": source.publisher,
        "author": [{"literal": AUTHORS if embedded else source.publisher}],
    }
    if url := source_url(source):
        item["URL"] = url
    if version := package_version() if embedded else source_version(source):
        item["version"] = version
    item["note"] = note
    return item


def csl_json(sources: Iterable[Source]) -> str:
    """Every source as a CSL-JSON list (UTF-8 text, two-space indent, a final newline)."""
    return json.dumps([csl_item(s) for s in sources], indent=2, ensure_ascii=False) + "\n"
