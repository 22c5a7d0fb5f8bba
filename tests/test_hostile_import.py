"""`newsagg import` of hostile and careless files: each bad line is one message and skipped,
the rest is imported, and no line takes the process's memory with it."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from db.schema import connect
from hostile import ENV, NEWSAGG, newsagg

GOOD = {"url": "https://www.rosenheim24.de/rosenheim/brand-123.html", "title": "Brand in der Altstadt",
        "teaser": "Die Feuerwehr war mit 40 Kräften im Einsatz.", "published": "2026-05-18T10:00:00+02:00"}
LAST_GOOD = {**GOOD, "url": "https://www.rosenheim24.de/rosenheim/unfall-9.html", "title": "Unfall auf der A8"}


def _line(**changes: object) -> bytes:
    return json.dumps({**GOOD, "url": "https://made-up.invalid/bad", **changes}).encode()


BAD_LINES = {
    "nested 5,000 deep": (b'{"url": "https://made-up.invalid/deep", "title": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                          "not JSON (nested too deeply)"),
    "lone surrogate": (_line().replace(b'"title": "Brand', b'"title": "Brand \\ud800'),
                       "title has a lone surrogate \\ud800"),
    "year 1 east of UTC": (_line(published="0001-01-01T00:00:00+14:00"),
                           "published '0001-01-01T00:00:00+14:00' is outside 1900-01-01 … "),
    "year 9999 west of UTC": (_line(published="9999-12-31T23:59:59-14:00"),
                              "published '9999-12-31T23:59:59-14:00' is outside 1900-01-01 … "),
    "invalid UTF-8": (_line(title="Brand in M\u00fcnchen").replace(b"\\u00fc", b"\xfc"), "not UTF-8 (byte 0xfc at byte "),
    "authors 0": (_line(authors=0), "authors is not a list of names"),
    "url a number": (_line(url=7), "url is not a string"),
    "title a list": (_line(title=["Brand"]), "title is not a string"),
    "integer of 5,000 digits": (b'{"url": "https://made-up.invalid/n", "title": "x", "n": ' + b"1" * 5000 + b"}",
                                "not JSON (Exceeds the limit"),
    "url no URL": (_line(url="http://[made-up"), "url 'http://[made-up' is not a URL"),
    "body over the text limit": (_line(body="Wort " * 40_001), "body has 200,005 characters (at most 200,000: import.max_text_chars)"),
}


@pytest.mark.parametrize("case", BAD_LINES)
def test_a_bad_line_is_named_with_its_reason_and_skipped_while_the_others_are_imported(tmp_path: Path, case: str) -> None:
    line, reason = BAD_LINES[case]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join([json.dumps(GOOD).encode(), line, json.dumps(LAST_GOOD).encode()]) + b"\n")
    done = newsagg("import", source, "--db", tmp_path / "news.db")
    assert done.returncode == 1
    assert done.stderr.startswith(f"{source}: line 2: {reason}"), done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert "2 of 3 lines imported (2 new, 0 updated, 0 unchanged); 1 bad" in done.stdout
    urls = [row["url"] for row in connect(str(tmp_path / "news.db")).execute("SELECT url FROM articles ORDER BY url")]
    assert urls == sorted([GOOD["url"], LAST_GOOD["url"]])


def test_the_limits_are_set_in_the_config_and_named_in_the_reason(tmp_path: Path) -> None:
    config = tmp_path / "newsagg.toml"
    config.write_text("[import]\nmax_line_bytes = 1000\nmax_text_chars = 100\n", encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join([_line(title="Brand " * 20), _line(body="x" * 2000), json.dumps(GOOD).encode()]) + b"\n")
    done = newsagg("import", source, "--db", tmp_path / "news.db", "--config", config)
    assert done.stderr.splitlines() == [
        f"{source}: line 1: title has 120 characters (at most 100: import.max_text_chars)",
        f"{source}: line 2: longer than 1,000 bytes (import.max_line_bytes)",
    ]
    assert "1 of 3 lines imported" in done.stdout


def test_a_million_bad_lines_print_twenty_messages_and_a_count(tmp_path: Path) -> None:
    source = tmp_path / "untitled.jsonl"
    untitled = json.dumps({"url": "https://made-up.invalid/x"}).encode() + b"\n"
    source.write_bytes(untitled * 1_000_000 + json.dumps(GOOD).encode() + b"\n")
    done = newsagg("import", source, "--db", tmp_path / "news.db", timeout=300)
    messages = done.stderr.splitlines()
    assert messages[:20] == [f"{source}: line {number}: no title" for number in range(1, 21)]
    assert messages[20:] == [f"{source}: … and 999,980 more bad lines"]
    assert "1 of 1000001 lines imported (1 new, 0 updated, 0 unchanged); 1000000 bad" in done.stdout


def _peak_rss_mb(*args: str | Path) -> int:
    """Peak RSS of one newsagg run, measured in a fresh parent whose only child it is."""
    measure = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)")
    done = subprocess.run([sys.executable, "-c", measure, *NEWSAGG, *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=ENV)
    return int(done.stdout)


def test_a_50_mb_line_is_refused_without_reading_it_into_memory(tmp_path: Path) -> None:
    huge, small = tmp_path / "huge.jsonl", tmp_path / "small.jsonl"
    huge.write_bytes(json.dumps({**GOOD, "url": "https://made-up.invalid/huge", "body": "Wort " * 10_000_000}).encode()
                     + b"\n" + json.dumps(LAST_GOOD).encode() + b"\n")
    small.write_bytes(json.dumps(LAST_GOOD).encode() + b"\n")
    # The same run on a one-line file: what the interpreter and newsagg's modules take anyway.
    baseline = _peak_rss_mb("import", small, "--db", tmp_path / "small.db")
    peak = _peak_rss_mb("import", huge, "--db", tmp_path / "huge.db")
    assert peak < baseline + 100, (peak, baseline)
    rows = connect(str(tmp_path / "huge.db")).execute("SELECT url FROM articles").fetchall()
    assert [row["url"] for row in rows] == [LAST_GOOD["url"]]


def test_a_byte_order_mark_at_the_start_is_no_bad_line(tmp_path: Path) -> None:
    source = tmp_path / "bom.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n")
    done = newsagg("import", source, "--db", tmp_path / "news.db")
    assert done.returncode == 0, done.stderr
    assert re.search(r"1 of 1 lines imported", done.stdout)
