"""Source citations as data: `kss sources --citations csl-json` lists every source of sources.yml
with its title, publisher, URL (where it has one) and licence, and is valid CSL-JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kss_analysis import cli
from kss_analysis.acquire.citations import csl_json, source_url
from kss_analysis.acquire.registry import load_sources
from kss_analysis.core.version import package_version

CSL_TYPES = {"dataset", "software", "report", "webpage", "article", "book"}


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return json.loads(csl_json(load_sources().values()))


def test_every_source_is_cited_once_in_registry_order(items):
    assert [item["id"] for item in items] == list(load_sources())


def test_each_item_has_title_publisher_url_and_licence(items):
    sources = load_sources()
    for item in items:
        source = sources[item["id"]]
        assert item["type"] in CSL_TYPES
        assert item["title"] == source.title and item["publisher"] == source.publisher
        assert item["author"] and all(a.get("literal") for a in item["author"])
        assert f"Licence: {source.licence.rstrip('.')}." in item["note"], item["id"]
        assert source.citation in item["note"]
        if source.kind == "embedded":  # committed with the project: the note says where
            assert "data/raw/kss" in item["note"] and item["version"] == package_version()
        else:
            assert item["URL"].startswith("https://"), item["id"]


def test_pinned_github_files_are_cited_at_their_commit():
    source = load_sources()["undp-ssc-projects"]
    assert source_url(source) == (
        "https://github.com/UNDP-Data/dv-south-south-viz/tree/a60e78c3d008c8b8924cf9ff73eeeb8fd146cace/public"
    )
    assert source_url(load_sources()["tossd"]) == "https://tossd.online"  # its landing page


def test_the_command_prints_or_writes_the_same_json(tmp_path, capsys):
    assert cli.main(["sources", "--citations", "csl-json"]) == 0
    printed = capsys.readouterr().out
    assert printed == csl_json(load_sources().values())
    out = tmp_path / "citations.json"
    assert cli.main(["-q", "sources", "--citations", "csl-json", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == printed
    assert capsys.readouterr().out == ""  # -q: the file is the result


def test_an_unknown_citation_format_exits_2(capsys):
    assert cli.main(["sources", "--citations", "ris"]) == 2
    assert "csl-json" in capsys.readouterr().err


def test_citation_cff_and_the_csl_list_name_the_same_authors(items):
    import yaml

    root = next(p for p in Path(__file__).resolve().parents if (p / "CITATION.cff").is_file())
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    embedded = next(item for item in items if item["id"] == "kss")
    assert embedded["author"] == [{"literal": cff["authors"][0]["name"]}]
