"""Helpers the hostile-input tests share: run a command, expect one line, a pattern source."""

from __future__ import annotations

from kss_analysis import cli
from kss_analysis.acquire.registry import Source


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


def pattern_source(source_id: str = "pattern-test") -> Source:
    """A source published by year (like oecd-crs or tossd), at an address that never resolves."""
    return Source(
        id=source_id,
        title="t",
        publisher="t",
        kind="pattern",
        format="csv",
        reader="crs",
        licence="t",
        citation="t",
        url_pattern="https://example.invalid/{year}.csv",
        file_pattern="CRS {year}.csv",
    )
