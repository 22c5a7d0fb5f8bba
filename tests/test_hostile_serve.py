"""`newsagg serve` under hostile SQL, on a busy port and in a read-only directory."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hostile import ENV, NEWSAGG, needs_mount_namespace, newsagg, one_error_line, read_only_bind
from scheduler.datasette.result_cap import MAX_RESULT_BYTES
# The wait of serve_store's `served`, for a command of our own (in a mount namespace).
from serve_store import _wait_until_answering, free_port

SAMPLE = Path(__file__).parent / "data" / "semeval-de-pairs-sample.jsonl"
# A 1,000-row result of 10 MB a row, 10 GB in all, that SQLite builds lazily row by row.
TEN_GB_OF_ROWS = ("with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) "
                  "select i, zeroblob(10000000) from r")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    newsagg("import", SAMPLE, "--db", tmp_path / "news.db")
    return tmp_path / "news.db"


@contextmanager
def serving(command: list[str], port: int) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        _wait_until_answering(f"http://127.0.0.1:{port}/", process)
        yield process
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _sql(port: int, sql: str) -> tuple[int, dict]:
    url = f"http://127.0.0.1:{port}/news.json?" + urllib.parse.urlencode({"sql": sql})
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _peak_rss_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) // 1024


def test_one_request_cannot_make_serve_take_gigabytes(store: Path) -> None:
    port = free_port()
    with serving([*NEWSAGG, "serve", "--db", str(store), "--port", str(port)], port) as process:
        for sql in ("select zeroblob(200000000)", TEN_GB_OF_ROWS,
                    "with recursive r(i) as (select 1 union all select i + 1 from r limit 100) "
                    "select group_concat(hex(zeroblob(1000000))) from r"):
            status, answer = _sql(port, sql)
            assert status == 400 and not answer["ok"], (sql, answer)
            assert answer["error"] in ("string or blob too big",
                                       f"result too large: over {MAX_RESULT_BYTES:,} bytes; ask for fewer rows or columns")
        status, answer = _sql(port, "select length(zeroblob(1000000)) as n")
        assert status == 200 and answer["rows"] == [[1000000]]
        # Just under the cap: answered or refused, but never at the cost of half a gigabyte.
        for sql in (f"select zeroblob({MAX_RESULT_BYTES - 1000})", f"select hex(zeroblob({MAX_RESULT_BYTES // 2 - 1000}))"):
            status, answer = _sql(port, sql)
            assert status == 200 or answer["error"].startswith("result too large"), (sql, answer)
        assert _peak_rss_mb(process.pid) < 500


def test_serve_returns_at_most_max_returned_rows(store: Path) -> None:
    port = free_port()
    with serving([*NEWSAGG, "serve", "--db", str(store), "--port", str(port)], port):
        status, answer = _sql(port, "with recursive r(i) as (select 1 union all select i + 1 from r limit 5000) select i from r")
    assert status == 200 and len(answer["rows"]) == 1000 and answer["truncated"]


def test_serve_on_a_busy_port_says_so_in_one_line_before_anything_else(store: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = newsagg("serve", "--db", store, "--port", str(port))
    assert done.returncode == 1
    assert one_error_line(done.stderr) == (f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; "
                                           "choose another with --port")


@needs_mount_namespace
@pytest.mark.parametrize("writer_left", ["its write-ahead log", "nothing"])
def test_serve_reads_a_store_in_a_read_only_directory(store: Path, writer_left: str) -> None:
    if writer_left == "nothing":
        conn = sqlite3.connect(store)
        conn.execute("SELECT count(*) FROM articles").fetchone()
        conn.close()
    port = free_port()
    script = read_only_bind(store.parent) + f'exec {" ".join(NEWSAGG)} serve --db "$1" --port {port}\n'
    command = ["unshare", "--mount", "--map-root-user", "sh", "-euc", script, "sh", str(store)]
    before = sorted(path.name for path in store.parent.iterdir())
    with serving(command, port):
        status, answer = _sql(port, "select count(*) from articles")
        story = urllib.request.urlopen(f"http://127.0.0.1:{port}/news/stories/1", timeout=30).read().decode()
    assert status == 200 and answer["rows"] == [[4]]
    assert "Quelle" in story
    assert sorted(path.name for path in store.parent.iterdir()) == before
