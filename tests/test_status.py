"""`newsagg status` on stores written the way crawls and the daemon write them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawlers.outlets import DECLARED
from db.runs import publish_schedule
from db.schema import connect
from db.store import finish_run, start_run, transaction, upsert_article
from scheduler.cli import cli
from scheduler.daemon import StoreLock

NOW = datetime.now(timezone.utc)


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat(timespec="seconds")


def record_run(db: Path, run_id: str, outlet: str, started_at: str, status: str,
               counts: dict[str, int] | None = None, errors: list[str] | None = None) -> None:
    conn = connect(str(db))
    with transaction(conn):
        start_run(conn, run_id, outlet, 4242, started_at)
        if status != "running":
            finish_run(conn, run_id, outlet, started_at, status, counts or {}, errors or [])
    conn.close()


def store_article(db: Path, number: int) -> None:
    conn = connect(str(db))
    with transaction(conn):
        upsert_article(conn, {
            "url": f"https://www.t-online.de/a/id_{number}/", "canonical_url": f"https://www.t-online.de/a/id_{number}/",
            "outlet": "t_online", "title": f"Artikel {number}", "fetched_at": ago(minutes=1), "content_hash": str(number),
        })
    conn.close()


def status(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["status", "--db", str(db), *args], env={"NEWSAGG_CONFIG": None})
    return result.exit_code, result.output


@pytest.fixture
def store(db_path: Path) -> Path:
    """Two t_online runs (an older failure, then a partial one), one rosenheim24 run, three articles."""
    record_run(db_path, "r1", "t_online", ago(hours=30), "failed", errors=["t_online: feed https://x/rss: HTTP 500"])
    record_run(db_path, "r2", "t_online", ago(minutes=10), "partial",
               {"discovered": 5, "fetched": 4, "new": 3, "updated": 1, "failed": 1},
               ["t_online: article https://x/a: timed out after 20 s"])
    record_run(db_path, "r3", "rosenheim24", ago(minutes=5), "ok", {"discovered": 2, "fetched": 2, "new": 2})
    for number in range(3):
        store_article(db_path, number)
    return db_path


@pytest.fixture
def daemon_lock(store: Path) -> Iterator[StoreLock]:
    """This test process holding the store's lock, as a running daemon does."""
    lock = StoreLock(str(store))
    lock.acquire()
    yield lock
    lock.release()


def test_status_json_is_one_object_with_each_outlets_last_run(store: Path) -> None:
    code, output = status(store, "--json")
    assert code == 0
    report = json.loads(output)
    # The outlets crawled by default, not the declared ones a config must switch on.
    assert set(report["outlets"]) == {name for name, outlet in DECLARED.items() if outlet.enabled_by_default}
    assert set(report["outlets"]) < set(DECLARED)
    t_online = report["outlets"]["t_online"]["last_run"]
    assert (t_online["run_id"], t_online["status"], t_online["new"], t_online["updated"], t_online["failed"]) == \
        ("r2", "partial", 3, 1, 1)
    assert t_online["errors"] == ["t_online: article https://x/a: timed out after 20 s"]
    assert report["outlets"]["rosenheim24"]["last_run"]["status"] == "ok"
    assert report["outlets"]["berliner_zeitung"]["last_run"] is None
    assert (report["articles"], report["stories"]) == (3, 0)


def test_errors_of_the_last_24_hours_leave_older_runs_out(store: Path) -> None:
    record_run(store, "r4", "berliner_zeitung", ago(hours=1), "interrupted", errors=["stopped"])
    errors = json.loads(status(store, "--json")[1])["errors_last_24h"]
    assert errors["messages"] == 2
    assert errors["failed_or_interrupted_runs"] == 1
    assert [error["message"] for error in errors["recent"]] == [  # newest first
        "t_online: article https://x/a: timed out after 20 s", "stopped"]


def test_status_without_a_daemon_says_so_and_ignores_a_schedule_left_behind(store: Path) -> None:
    conn = connect(str(store))
    publish_schedule(conn, [("t_online", 900.0, ago(minutes=-5))], ago(minutes=1))  # a killed daemon's
    conn.close()
    report = json.loads(status(store, "--json")[1])
    assert report["daemon"] == {"running": False, "pid": None, "since": None}
    assert report["outlets"]["t_online"]["next_run"] is None
    assert "not running" in status(store)[1]


def test_status_with_a_running_daemon_shows_its_pid_since_and_next_runs(store: Path, daemon_lock: StoreLock) -> None:
    conn = connect(str(store))
    publish_schedule(conn, [("t_online", 900.0, ago(minutes=-5)), ("rosenheim24", 600.0, None)], ago(minutes=1))
    conn.close()
    report = json.loads(status(store, "--json")[1])
    assert report["daemon"]["running"] is True
    assert report["daemon"]["pid"] == os.getpid()
    assert datetime.fromisoformat(report["daemon"]["since"]) >= NOW - timedelta(minutes=1)
    assert report["outlets"]["t_online"]["next_run"] == ago(minutes=-5)
    assert report["outlets"]["t_online"]["interval_seconds"] == 900
    assert report["outlets"]["berliner_zeitung"]["scheduled"] is False
    assert f"running, pid {os.getpid()}" in status(store)[1]


def test_status_table_shows_a_row_per_outlet_with_its_result_and_errors(store: Path) -> None:
    code, output = status(store)
    assert code == 0
    rows = {line.split()[0]: line for line in output.splitlines() if line.split()[:1] and line.split()[0] in DECLARED}
    assert set(rows) == {name for name, outlet in DECLARED.items() if outlet.enabled_by_default}
    assert "partial" in rows["t_online"] and "never" in rows["berliner_zeitung"]
    assert "timed out after 20 s" in output
    assert "3 articles, 0 stories" in output


def test_status_on_a_missing_store_fails_without_creating_it(db_path: Path) -> None:
    code, output = status(db_path)
    assert code != 0
    assert "no store" in output
    assert not db_path.exists()


def test_readers_do_not_migrate_an_older_store(tmp_path):
    import sqlite3
    import subprocess
    import sys

    from db.schema import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    with_one_migration_less = MIGRATIONS[:-1]
    for number, script in enumerate(with_one_migration_less, start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.close()
    for command in ("status", "stories"):
        done = subprocess.run([sys.executable, "-m", "scheduler", command, "--db", str(path)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and "is older than this newsagg" in done.stderr
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) - 1
