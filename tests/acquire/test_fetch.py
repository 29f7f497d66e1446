"""Fetching over real HTTP (a local server on 127.0.0.1) and from a mirror folder.

The served files are copies of a mirror file when ../shared/mirror is present, else a
small synthetic CSV (labelled as such); the behaviour under test does not depend on them.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import http.server
import json
import threading
from pathlib import Path

import pytest

from kss_analysis import cli
from kss_analysis.acquire import fetch, registry
from kss_analysis.acquire.fetch import ChecksumError, UnreachableError, fetch_source, read_manifest, source_status
from kss_analysis.acquire.registry import Source
from tests.conftest import mirror_dir, needs_mirror


def sample_bytes() -> bytes:
    sample = (mirror_dir() or Path("no mirror")) / "undp-ssc-projects" / "data.csv"
    if sample.is_file():
        return sample.read_bytes()
    return b"synthetic test data,not real\n" + b"row,1\n" * 5000


class Server:
    """Serves /good/, /corrupt/, /truncated/, /flaky/ (503 once) and 404 for anything else."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.requests: list[str] = []
        self.flaky_failures = 1
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                kind = self.path.split("/")[1]
                body = server.payload
                if kind == "flaky" and server.flaky_failures > 0:
                    server.flaky_failures -= 1
                    self.send_error(503)
                    return
                if kind == "corrupt":
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                if kind not in ("good", "corrupt", "truncated", "flaky"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if kind == "truncated":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.close()
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval: shutdown() waits up to one interval (0.5 s by default) per test.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server(sample_bytes())
    yield s
    s.close()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(fetch, "BACKOFF_SECONDS", 0.0)


def make_source(base_url: str, payload: bytes, source_id: str = "test-source") -> Source:
    return Source(
        id=source_id,
        title="test",
        publisher="test",
        kind="fetched",
        format="csv",
        reader="undp",
        licence="test licence",
        citation="test",
        files={"data.csv": hashlib.sha256(payload).hexdigest()},
        base_url=base_url,
    )


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".part")]


def test_good_fetch_places_the_file_and_records_provenance(server, tmp_path):
    source = make_source(f"{server.url}/good/", server.payload)
    report = fetch_source(source, tmp_path)
    assert report.fetched == ["data.csv"] and not report.errors
    final = tmp_path / "test-source" / "data.csv"
    assert final.read_bytes() == server.payload
    entry = read_manifest(tmp_path)["test-source/data.csv"]
    assert entry["sha256"] == source.files["data.csv"]
    assert entry["bytes"] == len(server.payload)
    assert entry["url"] == f"{server.url}/good/data.csv"
    assert entry["licence"] == "test licence" and entry["retrieved"]


def test_second_fetch_transfers_nothing_and_force_fetches_again(server, tmp_path):
    source = make_source(f"{server.url}/good/", server.payload)
    fetch_source(source, tmp_path)
    assert fetch_source(source, tmp_path).skipped == ["data.csv"]
    assert len(server.requests) == 1
    assert fetch_source(source, tmp_path, force=True).fetched == ["data.csv"]
    assert len(server.requests) == 2


def test_corrupted_download_is_refused_and_the_verified_copy_kept(server, tmp_path):
    good = make_source(f"{server.url}/good/", server.payload)
    fetch_source(good, tmp_path)
    final = tmp_path / "test-source" / "data.csv"
    before = final.read_bytes()
    corrupt = make_source(f"{server.url}/corrupt/", server.payload)
    report = fetch_source(corrupt, tmp_path, force=True)
    (error,) = report.errors
    assert isinstance(error, ChecksumError)
    assert error.expected == good.files["data.csv"] and error.actual != error.expected
    assert "test-source/data.csv" in str(error)
    assert final.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_404_is_reported_as_unreachable(server, tmp_path):
    report = fetch_source(make_source(f"{server.url}/gone/", server.payload), tmp_path)
    (error,) = report.errors
    assert isinstance(error, UnreachableError) and "HTTP 404" in str(error)
    assert not (tmp_path / "test-source" / "data.csv").exists()


def test_interrupted_transfer_leaves_no_partial_file(server, tmp_path):
    report = fetch_source(make_source(f"{server.url}/truncated/", server.payload), tmp_path)
    assert isinstance(report.errors[0], UnreachableError)
    assert not (tmp_path / "test-source" / "data.csv").exists()
    assert leftovers(tmp_path) == []
    assert len(server.requests) == fetch.RETRIES  # each attempt was retried


def test_transient_failure_is_retried(server, tmp_path):
    report = fetch_source(make_source(f"{server.url}/flaky/", server.payload), tmp_path)
    assert report.fetched == ["data.csv"]
    assert server.requests == ["/flaky/data.csv", "/flaky/data.csv"]


def test_ctrl_c_during_a_transfer_leaves_no_partial_file(server, tmp_path, monkeypatch):
    def interrupted(url, target, *, progress):
        Path(target).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch, "_http_download", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fetch_source(make_source(f"{server.url}/good/", server.payload), tmp_path)
    assert list((tmp_path / "test-source").iterdir()) == []


def test_full_disk_is_reported_as_such(tmp_path, monkeypatch):
    payload = sample_bytes()
    mirror = tmp_path / "mirror"
    (mirror / "test-source").mkdir(parents=True)
    (mirror / "test-source" / "data.csv").write_bytes(payload)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fetch.shutil, "copyfile", full)
    report = fetch_source(make_source(None, payload), tmp_path / "raw", mirror=mirror)
    assert "disk full" in str(report.errors[0])


def test_mirror_mode_verifies_the_same_checksums(tmp_path):
    payload = sample_bytes()
    mirror = tmp_path / "mirror"
    (mirror / "test-source").mkdir(parents=True)
    (mirror / "test-source" / "data.csv").write_bytes(payload)
    source = make_source("http://127.0.0.1:9/never-used/", payload)
    raw = tmp_path / "raw"
    assert fetch_source(source, raw, mirror=mirror).fetched == ["data.csv"]
    assert read_manifest(raw)["test-source/data.csv"]["via"].startswith("mirror")
    (mirror / "test-source" / "data.csv").write_bytes(b"X" + payload[1:])  # one byte corrupted
    report = fetch_source(source, raw, mirror=mirror, force=True)
    assert isinstance(report.errors[0], ChecksumError)
    assert (raw / "test-source" / "data.csv").read_bytes() == payload


def test_cli_fetch_exits_nonzero_naming_the_file_on_mismatch(tmp_path, monkeypatch, capsys):
    payload = sample_bytes()
    mirror = tmp_path / "mirror"
    (mirror / "test-source").mkdir(parents=True)
    (mirror / "test-source" / "data.csv").write_bytes(b"X" + payload[1:])
    monkeypatch.setattr(registry, "load_sources", lambda: {"test-source": make_source(None, payload)})
    monkeypatch.setenv("KSS_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["fetch", "test-source", "--mirror", str(mirror)]) == 1
    err = capsys.readouterr().err
    assert "test-source/data.csv" in err and "checksum mismatch" in err and "Traceback" not in err


def test_cli_fetch_without_network_says_so_once_and_how_to_use_a_mirror(tmp_path, monkeypatch, capsys):
    payload = sample_bytes()
    # port 9 (discard) on loopback refuses connections: the same path as no network
    first, second = make_source("http://127.0.0.1:9/", payload), make_source("http://127.0.0.1:9/", payload)
    second = dataclasses.replace(second, id="other-source")
    monkeypatch.setattr(registry, "load_sources", lambda: {"test-source": first, "other-source": second})
    monkeypatch.setenv("KSS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KSS_MIRROR", raising=False)
    assert cli.main(["fetch", "--all", "--skip-unreachable"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("unreachable") == 1, captured.out
    assert "2 source(s) not fetched because the network is unreachable: test-source, other-source" in captured.out
    assert "--mirror" in captured.err
    assert cli.main(["fetch", "test-source"]) == 1


def test_source_status_missing_verified_modified(tmp_path):
    payload = sample_bytes()
    source = make_source(None, payload)
    assert source_status(source, tmp_path, {})[0] == "missing"
    (tmp_path / "test-source").mkdir()
    (tmp_path / "test-source" / "data.csv").write_bytes(payload)
    assert source_status(source, tmp_path, {}) == ("verified", 1, 1)
    (tmp_path / "test-source" / "data.csv").write_bytes(payload + b"\n")
    assert source_status(source, tmp_path, {})[0] == "modified"


def test_registry_lists_every_mirrored_source_with_checksums():
    sources = registry.load_sources()
    mirrored = [
        "aiddata-gcof-china-1.0",
        "aiddata-tuff-qatar-1.0",
        "undp-ssc-projects",
        "iati-ssc-activities",
        "iati-xml-timor-leste",
        "dac-crs-codes",
        "iati-codelists",
    ]
    assert all(sources[i].kind == "fetched" for i in mirrored)
    assert sum(len(sources[i].files) for i in mirrored) == 656
    for i in mirrored:
        assert all(len(sha or "") == 64 for sha in sources[i].files.values()), i
        assert all(sources[i].url_of(p).startswith("https://raw.githubusercontent.com/") for p in sources[i].files)
        assert sources[i].licence and sources[i].citation
    assert sources["oecd-crs"].kind == "pattern"
    assert sources["oecd-crs"].pattern_files([2019]) == {
        "CRS_2019.csv": sources["oecd-crs"].url_pattern.format(year=2019)
    }


@needs_mirror
def test_fetch_all_from_the_real_mirror_places_665_verified_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KSS_DATA_DIR", str(tmp_path))
    assert cli.main(["fetch", "--all", "--mirror", str(mirror_dir())]) == 0
    bookkeeping = ("MANIFEST.json", fetch.FETCH_LOCK)  # the manifest and the lock file (locking.py)
    files = [p for p in (tmp_path / "raw").rglob("*") if p.is_file() and p.name not in bookkeeping]
    assert len(files) == 665  # 657 + exchange rates and deflators (4 files) + world-atlas (4 files)
    manifest = json.loads((tmp_path / "raw" / "MANIFEST.json").read_text())["files"]
    assert len(manifest) == 665
    capsys.readouterr()
    assert cli.main(["fetch", "--all", "--mirror", str(mirror_dir())]) == 0
    assert " 0 fetched" in capsys.readouterr().out
    assert cli.main(["sources"]) == 0
    table = capsys.readouterr().out
    assert table.count("verified") == 11


def test_a_host_that_does_not_resolve_is_reported_at_once_without_retrying(tmp_path, monkeypatch):
    # .invalid never resolves (RFC 6761): as on a machine with no network, there is no DNS answer
    waits = []
    monkeypatch.setattr(fetch.time, "sleep", waits.append)
    report = fetch_source(make_source("https://kss-analysis.invalid/data/", b"x"), tmp_path)
    (error,) = report.errors
    assert isinstance(error, UnreachableError) and error.network_down
    assert "host name not resolved" in str(error)
    assert waits == []  # retrying cannot bring a name back: no back-off
