"""Run one crawl in a child process and summarise it from `crawl_runs`."""

from __future__ import annotations

import logging
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from crawlers.locks import outlet_crawl_running
from db.dates import now_iso
from db.schema import connect
from db.store import (
    finish_run, mark_run_interrupted, running_runs, runs_of, start_run, store_error_message, transaction,
)
from scheduler.config import Config

logger = logging.getLogger(__name__)
SUMMARY_COLUMNS = ("discovered", "fetched", "new", "updated", "unchanged", "failed")


def new_run_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass
class CrawlResult:
    run_id: str
    returncode: int
    runs: list[dict[str, Any]]  # one crawl_runs row per outlet

    def outlets_with_status(self, status: str) -> list[str]:
        return [run["outlet"] for run in self.runs if run["status"] == status]


class CrawlChild:
    """A `python -m scheduler.crawl_child` process crawling some outlets into one store (opened and
    migrated by the caller, so that a bad store is reported before any crawl starts)."""

    def __init__(self, db: str, outlets: Sequence[str], max_articles: int, config: Config):
        self.db, self.outlets, self.run_id = db, list(outlets), new_run_id()
        self.busy_timeout = config.busy_timeout
        # The child reads the config file we read (none: it looks where we looked, and finds none);
        # the store and the limit are what our command line chose.
        command = [
            sys.executable, "-m", "scheduler.crawl_child", "--run-id", self.run_id, "--db", db,
            "--max-articles", str(max_articles), *(["--config", config.source] if config.source else []), *self.outlets,
        ]
        # A session of its own: Ctrl-C in a terminal reaches only us, and we pass on exactly one
        # SIGINT (a second one makes Scrapy stop without closing its spiders and runs).
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        """Ask the crawl to finish gracefully (Scrapy closes its spiders on SIGINT)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()

    def wait(self, timeout: float | None = None) -> CrawlResult:
        returncode = self.process.wait(timeout)
        return CrawlResult(self.run_id, returncode, self._settle_runs(returncode))

    def _settle_runs(self, returncode: int) -> list[dict[str, Any]]:
        """Rows of this run; an outlet the child never closed is recorded as interrupted (and shown
        so when the store cannot take it: the child has said why in its own line)."""
        conn = connect(self.db, self.busy_timeout)
        try:
            rows = runs_of(conn, self.run_id)
            recorded = {run["outlet"]: run for run in rows}
            missing = [name for name in self.outlets if recorded.get(name, {}).get("status", "running") == "running"]
            if not missing:
                return rows
            ended = now_iso()
            reason = f"crawl process ended with status {returncode} before finishing"
            try:
                with transaction(conn):
                    for name in missing:
                        start_run(conn, self.run_id, name, self.process.pid, ended)
                        finish_run(conn, self.run_id, name, ended, "interrupted", recorded.get(name, {}), [reason])
            except sqlite3.Error as error:
                unsaved = f"{reason}; not recorded: {store_error_message(error, self.db, self.busy_timeout)}"
                runs = {**recorded, **{name: _unsaved_run(self.run_id, name, recorded.get(name, {}), unsaved) for name in missing}}
                return [runs[name] for name in sorted(runs)]
            return runs_of(conn, self.run_id)
        finally:
            conn.close()


def _unsaved_run(run_id: str, outlet: str, recorded: dict[str, Any], reason: str) -> dict[str, Any]:
    """A run's row as it would be stored as interrupted, for a store that cannot take it now."""
    counts = {name: recorded.get(name, 0) for name in SUMMARY_COLUMNS}
    return {**recorded, **counts, "run_id": run_id, "outlet": outlet, "status": "interrupted",
            "errors": [*recorded.get("errors", []), reason]}


def settle_abandoned_runs(db: str, busy_timeout: float) -> list[dict[str, Any]]:
    """Record 'running' rows whose crawl process is gone as interrupted; return the rows still live.

    A run stays 'running' when its crawl child was killed together with its daemon
    (kill -9, power loss), or when the store was still busy as it ended. A live one belongs
    to another process: a crawl child that outlived a killed daemon, or a `newsagg crawl`.
    The daemon settles them before each run, `newsagg crawl` before it starts.
    """
    conn = connect(db, busy_timeout)
    try:
        live, abandoned = [], []
        for run in running_runs(conn):
            (live if outlet_crawl_running(db, run["outlet"]) else abandoned).append(run)
        if abandoned:
            ended = now_iso()
            with transaction(conn):
                for run in abandoned:
                    reason = f"crawl process {run['pid']} ended without closing its run (found by a later crawl)"
                    mark_run_interrupted(conn, run["id"], ended, reason)
            logger.warning("recorded %d run(s) left running by a dead crawl as interrupted: %s",
                           len(abandoned), ", ".join(f"{run['outlet']} {run['run_id']}" for run in abandoned))
        return live
    finally:
        conn.close()


def run_crawl_child(db: str, outlets: Sequence[str], max_articles: int, config: Config) -> CrawlResult:
    """Crawl in a child and wait; Ctrl-C or SIGTERM stops it gracefully, a second Ctrl-C kills it."""
    try:
        settle_abandoned_runs(db, config.busy_timeout)
    except sqlite3.Error:
        pass  # a store that cannot take it now fails the crawl's own writes too, and the crawl says so
    child = CrawlChild(db, outlets, max_articles, config)
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        try:
            return child.wait()
        except KeyboardInterrupt:
            logger.warning("stopping the crawl: the pages in flight are finished (Ctrl-C again to kill it)")
            child.stop()
            try:
                return child.wait()
            except KeyboardInterrupt:
                child.kill()
                return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def format_summary(runs: Sequence[dict[str, Any]]) -> str:
    """One screen: a row per outlet with its counts, then the first errors."""
    header = f"{'outlet':<18} {'status':<12}" + "".join(f"{name:>11}" for name in SUMMARY_COLUMNS)
    lines = [header, "-" * len(header)]
    for run in runs:
        lines.append(f"{run['outlet']:<18} {run['status']:<12}" + "".join(f"{run[name]:>11}" for name in SUMMARY_COLUMNS))
    errors = [error for run in runs for error in run["errors"]]
    if errors:
        lines.append(f"\n{len(errors)} error(s), first {min(len(errors), 8)}:")
        lines.extend(f"  {error}" for error in errors[:8])
    return "\n".join(lines)
