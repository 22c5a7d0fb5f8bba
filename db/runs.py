"""SQL for the daemon and `newsagg status`: the published schedule, last runs, recent errors.

Reads here are single statements on an autocommit connection, so none of them holds a
read transaction open while the daemon's crawls write (WAL lets both proceed).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from db.store import transaction


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {**dict(row), "errors": json.loads(row["errors"])}


def last_runs(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """The newest `crawl_runs` row of every outlet that has one, by outlet."""
    rows = conn.execute(
        "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY outlet ORDER BY started_at DESC, id DESC) AS newest "
        "FROM crawl_runs) WHERE newest = 1 ORDER BY outlet"
    )
    runs = {}
    for row in rows:
        run = _run_dict(row)
        del run["newest"]
        runs[run["outlet"]] = run
    return runs


def error_count_since(conn: sqlite3.Connection, since: str) -> tuple[int, int]:
    """(error messages, runs that failed or were interrupted) of runs started at ``since`` or later."""
    messages = conn.execute(
        "SELECT count(*) FROM crawl_runs, json_each(crawl_runs.errors) WHERE crawl_runs.started_at >= ?", (since,)
    ).fetchone()[0]
    bad_runs = conn.execute(
        "SELECT count(*) FROM crawl_runs WHERE started_at >= ? AND status IN ('failed', 'interrupted')", (since,)
    ).fetchone()[0]
    return messages, bad_runs


def recent_errors(conn: sqlite3.Connection, since: str, limit: int) -> list[dict[str, Any]]:
    """The newest error messages of runs started at ``since`` or later: outlet, started_at, message."""
    rows = conn.execute(
        "SELECT crawl_runs.outlet, crawl_runs.started_at, json_each.value AS message "
        "FROM crawl_runs, json_each(crawl_runs.errors) WHERE crawl_runs.started_at >= ? "
        "ORDER BY crawl_runs.started_at DESC, crawl_runs.id DESC, json_each.id LIMIT ?",
        (since, limit),
    )
    return [dict(row) for row in rows]


# --- the running daemon's schedule ---------------------------------------------------

def publish_schedule(conn: sqlite3.Connection, jobs: Iterable[tuple[str, float, str | None]], updated_at: str) -> None:
    """Replace the schedule with ``jobs``: (outlet, interval in seconds, next run or None)."""
    with transaction(conn):
        conn.execute("DELETE FROM daemon_schedule")
        conn.executemany(
            "INSERT INTO daemon_schedule (outlet, interval_seconds, next_run_at, updated_at) VALUES (?, ?, ?, ?)",
            [(outlet, interval, next_run, updated_at) for outlet, interval, next_run in jobs],
        )


def clear_schedule(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM daemon_schedule")


def read_schedule(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    return {row["outlet"]: dict(row) for row in conn.execute("SELECT * FROM daemon_schedule ORDER BY outlet")}


def finished_run_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM crawl_runs WHERE status != 'running'").fetchone()[0]
