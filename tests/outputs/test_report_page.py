"""The report's front page (reports/index.html), opened the way a reader opens it: from disk,
in a real browser (headless Chromium, driven over its DevTools protocol), with no network.
Every link and image must resolve, no request may fail and no error may be logged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from kss_analysis.build.pipeline import build_all
from kss_analysis.outputs.charts.export import export_charts
from kss_analysis.outputs.notebooks.runner import render_html
from kss_analysis.outputs.report_page import headline, render_index, write_index
from kss_analysis.outputs.tables.export import export_tables
from tests.paths import ROOT

CHARTS = ["register_coverage", "programmes_by_region"]
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
PAGE_TIMEOUT_S = 60

pytestmark = pytest.mark.slow  # a build, four charts and the tables: some 15 s before the first test


def _browser() -> str | None:
    for name in BROWSER_NAMES:
        if found := shutil.which(name):
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """A small report folder: the embedded register built, two charts in both languages, the tables,
    one rendered notebook and the front page."""
    root = tmp_path_factory.mktemp("report")
    data = root / "data"
    shutil.copytree(ROOT / "data" / "raw" / "kss", data / "raw" / "kss")
    build_all(data)
    processed = data / "processed"
    out = root / "reports"
    export_charts(processed, out / "figures", ["en", "id"], ["svg", "png"], CHARTS, echo=lambda _: None)
    export_tables(processed, out / "tables", ["csv", "xlsx"], "en")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Programmes by year\n\nA note.")])
    executed = root / "executed" / "01-programmes.ipynb"
    executed.parent.mkdir()
    nbformat.write(notebook, executed)
    render_html([executed], out, processed, echo=lambda _: None)
    write_index(processed, out, echo=lambda _: None)
    return out


def _processed(report: Path) -> Path:
    return report.parent / "data" / "processed"


def test_page_states_this_runs_numbers_vintage_caveats_and_citation(report):
    page = (report / "index.html").read_text(encoding="utf-8")
    numbers = headline(_processed(report))
    assert numbers["programmes"] > 0 and numbers["partner_countries"] > 0
    assert f"<b>{numbers['programmes']:,}</b>" in page
    assert f"<b>{numbers['first_year']}–{numbers['last_year']}</b>" in page
    assert f"<b>{numbers['partner_countries']:,}</b>" in page
    assert "kss/kss_programmes.csv" in page and "sha256" in page
    sidecar = json.loads((report / "figures" / "id" / "register_coverage.json").read_text(encoding="utf-8"))
    assert sidecar["notes"] and all(note.replace("'", "&#x27;") in page for note in sidecar["notes"])
    assert 'id="cite"' in page and "01-programmes.html" in page
    for lang in ("en", "id"):
        for name in CHARTS:
            for suffix in ("svg", "png", "csv", "json"):
                assert f'href="figures/{lang}/{name}.{suffix}"' in page
    assert 'href="tables/programmes.xlsx"' in page


def test_same_inputs_give_the_same_bytes(report):
    first = (report / "index.html").read_bytes()
    write_index(_processed(report), report, echo=lambda _: None)
    assert (report / "index.html").read_bytes() == first


def test_every_text_from_the_outputs_is_escaped(report, tmp_path):
    copy = tmp_path / "reports"
    shutil.copytree(report / "figures", copy / "figures")
    sidecar = copy / "figures" / "en" / "register_coverage.json"
    body = json.loads(sidecar.read_text(encoding="utf-8"))
    body["title"] = "<script>alert(1)</script>"
    body["notes"] = ['<img src=x onerror="alert(2)">']
    sidecar.write_text(json.dumps(body), encoding="utf-8")
    page = render_index(_processed(report), copy)
    assert "<script" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


class DevTools:
    """Just enough of the Chrome DevTools protocol: send a command, collect the events."""

    def __init__(self, url: str):
        import websocket

        self.socket = websocket.create_connection(url, timeout=PAGE_TIMEOUT_S, suppress_origin=True)
        self.events: list[dict] = []
        self.next_id = 0

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str) -> None:
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while not any(e.get("method") == method for e in self.events):
            assert time.monotonic() < deadline, f"the browser sent no {method} in {PAGE_TIMEOUT_S} s"
            self.events.append(json.loads(self.socket.recv()))

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium with a fresh profile and no background network; yields its page's DevTools."""
    binary = _browser()
    if binary is None:
        pytest.skip("no Chromium binary (install Debian's `chromium` package): the page was not opened in a browser")
    profile = tmp_path / "profile"
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tools = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while not (port_file.is_file() and port_file.read_text().strip()):
            if process.poll() is not None:
                pytest.fail(f"{binary} exited with {process.returncode} before it listened")
            assert time.monotonic() < deadline, f"{binary} did not start in {PAGE_TIMEOUT_S} s"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.loads(response.read())
        page = next(t for t in targets if t.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        yield tools
    finally:
        if tools is not None:
            tools.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


LINKS_AND_IMAGES = """JSON.stringify({
  links: [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.href]),
  sources: [...document.querySelectorAll('[src]')].map(e => [e.getAttribute('src'), e.src]),
  images: [...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  title: document.title,
})"""


def _local_file(url: str) -> Path:
    parsed = urlparse(url)
    assert parsed.scheme == "file", f"{url}: the page links outside the report folder"
    return Path(unquote(parsed.path))


def test_page_opens_from_disk_with_every_link_and_image_resolving(report, browser):
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.call(f"{domain}.enable")
    browser.call("Page.navigate", url=(report / "index.html").as_uri())
    browser.wait_for("Page.loadEventFired")
    found = json.loads(
        browser.call("Runtime.evaluate", expression=LINKS_AND_IMAGES, returnByValue=True)["result"]["value"]
    )

    assert found["title"]
    assert len(found["images"]) == 2 * len(CHARTS)  # every chart, in English and Indonesian
    for src, complete, width in found["images"]:
        assert complete and width > 0, f"image {src} did not load"
    for written, url in found["sources"]:
        assert _local_file(url).is_file(), f"src={written} points at no file"
    ids = set(found["ids"])
    for written, url in found["links"]:
        if written.startswith("#"):
            assert written[1:] in ids, f"href={written} names no anchor on the page"
        else:
            assert _local_file(url).is_file(), f"href={written} points at no file"
    linked = {written for written, _ in found["links"]}
    assert "01-programmes.html" in linked and "tables/programmes.xlsx" in linked

    failed = [e["params"] for e in browser.events if e.get("method") == "Network.loadingFailed"]
    assert not failed, f"requests failed: {failed}"
    errors = [
        e["params"]
        for e in browser.events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error")
    ]
    assert not errors, f"the browser logged errors: {errors}"
    requested = [
        e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requested and all(url.startswith("file://") for url in requested), f"requests off disk: {requested}"
