"""Run one crawl in a child process and summarise it from `crawl_runs`."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from db.dates import now_iso
from db.schema import connect
from db.store import finish_run, runs_of, start_run, transaction
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
    """A `python -m crawlers.run` process crawling some outlets into one store (opened and
    migrated by the caller, so that a bad store is reported before any crawl starts)."""

    def __init__(self, db: str, outlets: Sequence[str], max_articles: int, config: Config):
        self.db, self.outlets, self.run_id = db, list(outlets), new_run_id()
        command = [
            sys.executable, "-m", "crawlers.run", "--db", db, "--run-id", self.run_id,
            "--max-articles", str(max_articles), "--log-level", config.log_level,
            "--download-timeout", str(config.download_timeout), "--contact", config.contact,
            "--grouping", json.dumps(dataclasses.asdict(config.grouping)), *self.outlets,
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
        """Rows of this run; an outlet the child never closed is recorded as interrupted."""
        conn = connect(self.db)
        try:
            recorded = {run["outlet"]: run for run in runs_of(conn, self.run_id)}
            missing = [name for name in self.outlets if recorded.get(name, {}).get("status", "running") == "running"]
            if missing:
                ended = now_iso()
                reason = f"crawl process ended with status {returncode} before finishing"
                with transaction(conn):
                    for name in missing:
                        start_run(conn, self.run_id, name, self.process.pid, ended)
                        counts = recorded.get(name, {})
                        finish_run(conn, self.run_id, name, ended, "interrupted", counts, [reason])
            return runs_of(conn, self.run_id)
        finally:
            conn.close()


def run_crawl_child(db: str, outlets: Sequence[str], max_articles: int, config: Config) -> CrawlResult:
    """Crawl in a child and wait; Ctrl-C or SIGTERM stops it gracefully, a second Ctrl-C kills it."""
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
