"""Crawl bookkeeping: the run's row in `crawl_runs`, and progress lines on stderr."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

from crawlers.outlets import register_outlets
from db.dates import now_iso
from db.schema import connect
from db.store import RUN_COUNTERS, finish_run, save_run_counts, start_run, transaction

logger = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 50


def count(crawler: Crawler, counter: str, amount: int = 1) -> None:
    crawler.stats.inc_value(f"newsagg/{counter}", amount)


def record_error(crawler: Crawler, message: str) -> None:
    """One line in the log and in the run's errors; counts as a failed item."""
    logger.warning(message)
    count(crawler, "failed")
    errors = crawler.stats.get_value("newsagg/errors") or []
    if len(errors) < MAX_ERRORS_KEPT:
        crawler.stats.set_value("newsagg/errors", [*errors, message])


def counters(crawler: Crawler) -> dict[str, int]:
    return {name: int(crawler.stats.get_value(f"newsagg/{name}", 0)) for name in RUN_COUNTERS}


def run_status(close_reason: str, numbers: dict[str, int], had_errors: bool, feeds_read: int) -> str:
    """interrupted, failed (no feed readable, or articles found and none stored), partial or ok."""
    if close_reason != "finished":
        return "interrupted"
    stored = numbers["new"] + numbers["updated"] + numbers["unchanged"]
    if had_errors and stored == 0 and (feeds_read == 0 or numbers["discovered"] > 0):
        return "failed"
    return "partial" if had_errors else "ok"


class CrawlRunRecorder:
    """The outlet's `crawl_runs` row, kept current: opened with the spider, its counts saved and a
    progress line logged every few seconds (so a killed crawl leaves its counts so far), closed
    with the final counts and status."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("NEWSAGG_DB")
        self.run_id = crawler.settings.get("NEWSAGG_RUN_ID") or f"{now_iso()}-{uuid.uuid4().hex[:8]}"
        self.interval = crawler.settings.getfloat("NEWSAGG_PROGRESS_INTERVAL")
        self.started = time.monotonic()
        self.conn: sqlite3.Connection | None = None
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.conn = connect(self.db_path)
        register_outlets(self.conn, [spider.declared])
        with transaction(self.conn):
            start_run(self.conn, self.run_id, spider.name, os.getpid(), now_iso())
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.progress, spider)
        self.loop.start(self.interval, now=False)

    def progress(self, spider: Spider) -> None:
        numbers = counters(self.crawler)
        self._log(spider.name, numbers)
        with transaction(self.conn):
            save_run_counts(self.conn, self.run_id, spider.name, numbers)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        numbers = counters(self.crawler)
        self._log(f"{spider.name} done", numbers)
        errors = self.crawler.stats.get_value("newsagg/errors") or []
        status = run_status(reason, numbers, bool(errors), self.crawler.stats.get_value("newsagg/feeds_read", 0))
        try:
            with transaction(self.conn):
                finish_run(self.conn, self.run_id, spider.name, now_iso(), status, numbers, errors)
        finally:
            self.conn.close()

    def _log(self, what: str, numbers: dict[str, int]) -> None:
        rate = numbers["fetched"] / max(time.monotonic() - self.started, 1e-6)
        logger.info(
            "%s: %d discovered, %d fetched (%.1f articles/s), %d new, %d updated, %d unchanged, %d failed",
            what, numbers["discovered"], numbers["fetched"], rate,
            numbers["new"], numbers["updated"], numbers["unchanged"], numbers["failed"],
        )
