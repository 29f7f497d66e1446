"""The register's cross-source column ``other_source_ids``: "<source id>:<record id>", ';'-separated.

Every value names a source of the sources registry and, when the offline mirror is there, a record
that exists in that source's file. The column is a declared register column, so a register read by
the ingest step keeps it (an undeclared header would be ignored)."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from kss_analysis.acquire.registry import load_sources
from kss_analysis.core.schema import HEADER_LOOKUP, normalise_header
from kss_analysis.ingest.register.read import read_register
from tests.conftest import mirror_dir
from tests.paths import ROOT

REGISTER = ROOT / "data" / "raw" / "kss" / "kss_programmes.csv"
programmes = pd.read_csv(REGISTER, dtype=str, keep_default_na=False)
LINK = re.compile(r"(?P<source>[a-z0-9][a-z0-9-]*):(?P<record>\S+)")
# Where each linkable source keeps its record ids: the mirrored file and its id column.
RECORD_IDS = {
    "undp-ssc-projects": ("undp-ssc-projects/data.csv", "Number"),
    "undp-ssc-engagements": ("undp-ssc-engagements/data.csv", "Obs ID"),
}


def links() -> list[tuple[str, str, str]]:
    """(programme_id, source id, record id) for every value of the column."""
    found = []
    for pid, cell in zip(programmes["programme_id"], programmes["other_source_ids"], strict=True):
        for item in filter(None, (part.strip() for part in cell.split(";"))):
            match = LINK.fullmatch(item)
            assert match, f"{pid}: '{item}' is not '<source id>:<record id>'"
            found.append((pid, match["source"], match["record"]))
    return found


def test_every_register_column_is_a_declared_register_column():
    header = next(csv.reader(REGISTER.open(encoding="utf-8", newline="")))
    undeclared = [name for name in header if normalise_header(name) not in HEADER_LOOKUP]
    assert undeclared == []


def test_the_reader_keeps_the_other_source_ids():
    rows = read_register(REGISTER).rows
    kept = {record["programme_id"]: record.get("other_source_ids") for _, record in rows}
    linked = programmes.loc[programmes["other_source_ids"] != ""]
    assert len(linked) > 0
    for pid, cell in zip(linked["programme_id"], linked["other_source_ids"], strict=True):
        assert kept[pid] == cell


def test_every_link_names_a_known_source_that_records_can_be_looked_up_in():
    sources = load_sources()
    for pid, source, _ in links():
        assert source in sources, f"{pid}: '{source}' is not a source of sources.yml"
        assert source in RECORD_IDS, f"{pid}: no record-id column known for '{source}' (add it to RECORD_IDS)"


def test_no_record_of_another_source_is_linked_to_two_programmes():
    pairs = [(source, record) for _, source, record in links()]
    assert len(pairs) == len(set(pairs))


@pytest.mark.skipif(
    mirror_dir() is None, reason="needs KSS_MIRROR (the offline mirror holding the linked sources' files)"
)
def test_every_linked_record_exists_in_its_source():
    mirror = mirror_dir()
    assert mirror is not None
    ids: dict[str, set[str]] = {}
    for source, (path, column) in RECORD_IDS.items():
        with (mirror / path).open(encoding="utf-8-sig", newline="") as handle:
            ids[source] = {row[column].strip() for row in csv.DictReader(handle)}
    missing = [(pid, source, record) for pid, source, record in links() if record not in ids[source]]
    assert missing == []
