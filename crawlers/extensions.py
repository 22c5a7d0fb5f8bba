"""Crawl bookkeeping: the run's row in `crawl_runs`, and progress lines on stderr."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawlers.outlets import register_outlets
from db.dates import now_iso
from db.schema import connect
from db.store import RUN_COUNTERS, finish_run, save_run_counts, start_run, store_error_message, transaction

logger = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 50
# SQLite's errors of the store as a whole rather than of one article: busy past store.busy_timeout,
# disk full, read-only, damaged. Every later write of the crawl would fail alike.
STORE_FAILURES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR",
                  "SQLITE_CANTOPEN", "SQLITE_CORRUPT", "SQLITE_NOTADB")
STORE_FAILED = "store_failed"  # the close reason of a crawl stopped by its store


def count(crawler: Crawler, counter: str, amount: int = 1) -> None:
    crawler.stats.inc_value(f"newsagg/{counter}", amount)


def _keep_error(crawler: Crawler, message: str) -> None:
    errors = crawler.stats.get_value("newsagg/errors") or []
    if len(errors) < MAX_ERRORS_KEPT:
        crawler.stats.set_value("newsagg/errors", [*errors, message])


def record_error(crawler: Crawler, message: str) -> None:
    """One line in the log and in the run's errors; counts as a failed item."""
    count(crawler, "failed")
    if store_failed(crawler):
        return  # the crawl is stopping for its store, and one line said so
    logger.warning(message)
    _keep_error(crawler, message)


def connect_store(crawler: Crawler) -> sqlite3.Connection:
    """The crawl's store; a write waits at most NEWSAGG_BUSY_TIMEOUT seconds for another's write lock."""
    return connect(crawler.settings.get("NEWSAGG_DB"), crawler.settings.getfloat("NEWSAGG_BUSY_TIMEOUT"))


def store_failure(error: BaseException) -> bool:
    return isinstance(error, sqlite3.Error) and (getattr(error, "sqlite_errorname", "") or "").startswith(STORE_FAILURES)


def store_failed(crawler: Crawler) -> bool:
    return bool(crawler.stats.get_value("newsagg/store_failed"))


def report_store_failure(outlet: str, db: str, busy_timeout: float, error: sqlite3.Error, outcome: str) -> str:
    """The one line for a store that failed a crawl's write: what SQLite said, and what it leaves."""
    message = f"{outlet}: {store_error_message(error, db, busy_timeout)}; {outcome}"
    logger.error(message)
    return message


@contextmanager
def stopping_for_the_store(crawler: Crawler) -> Iterator[None]:
    """Writes whose store fails stop the outlet's crawl after one line (said once): each later write
    would wait for the lock as long and fail alike. Other errors pass."""
    try:
        yield
    except Exception as error:
        if not store_failure(error):
            raise
        if store_failed(crawler):
            return
        crawler.stats.set_value("newsagg/store_failed", True)
        kept = crawler.stats.get_value("newsagg/new", 0) + crawler.stats.get_value("newsagg/updated", 0)
        settings = crawler.settings
        message = report_store_failure(
            crawler.spider.name, settings.get("NEWSAGG_DB"), settings.getfloat("NEWSAGG_BUSY_TIMEOUT"), error,
            f"the crawl stops and keeps the {kept} article{'' if kept == 1 else 's'} it stored before; "
            "the rest is left for the next crawl")
        _keep_error(crawler, message)
        # Closing a crawl that is closing already only waits for it.
        deferred_from_coro(crawler.engine.close_spider_async(reason=STORE_FAILED))


def counters(crawler: Crawler) -> dict[str, int]:
    return {name: int(crawler.stats.get_value(f"newsagg/{name}", 0)) for name in RUN_COUNTERS}


def run_status(close_reason: str, numbers: dict[str, int], had_errors: bool, feeds_read: int) -> str:
    """interrupted, failed (its store failed, no feed was readable, or articles were found and none
    stored), partial or ok."""
    if close_reason == STORE_FAILED:
        return "failed"
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
        self.conn = connect_store(self.crawler)
        with stopping_for_the_store(self.crawler):
            register_outlets(self.conn, [spider.declared])
            with transaction(self.conn):
                start_run(self.conn, self.run_id, spider.name, os.getpid(), now_iso())
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.progress, spider)
        self.loop.start(self.interval, now=False)

    def progress(self, spider: Spider) -> None:
        numbers = counters(self.crawler)
        self._log(spider.name, numbers)
        if store_failed(self.crawler):
            return
        with stopping_for_the_store(self.crawler), transaction(self.conn):
            save_run_counts(self.conn, self.run_id, spider.name, numbers)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        numbers = counters(self.crawler)
        self._log(f"{spider.name} done", numbers)
        errors = self.crawler.stats.get_value("newsagg/errors") or []
        status = run_status(reason, numbers, bool(errors), self.crawler.stats.get_value("newsagg/feeds_read", 0))
        try:
            with stopping_for_the_store(self.crawler), transaction(self.conn):
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
