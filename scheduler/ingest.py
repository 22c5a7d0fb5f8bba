"""`newsagg ingest`: the cluster's one writer, from the Redis stream into the SQLite store.

Each article is cleaned, upserted by canonical URL and grouped in one transaction, exactly as in
`newsagg crawl` (`crawlers.pipelines.store_article`); its stream entry is acknowledged only after
that transaction committed. An entry read but not acknowledged — the writer was killed, or Redis
went away — is read again by the next writer, and storing it again changes nothing.
"""

from __future__ import annotations

import fcntl
import json
import logging
import signal
import sqlite3
import time
from pathlib import Path
from types import FrameType
from typing import IO

import click
from scrapy.exceptions import DropItem

from crawlers.frontier import Frontier, Link, RedisUnavailable, redact
from crawlers.outlets import register_outlets
from crawlers.pipelines import store_article
from dedupe.assign import Grouper
from dedupe.settings import GroupingSettings
from db.store import RUN_COUNTERS
from scheduler.options import config_option, db_option, load, open_frontier, open_store, redis_option

logger = logging.getLogger(__name__)
CONSUMER = "writer"  # one writer (the store's ingest lock), so a restarted one finds its own entries
BATCH = 200
BLOCK_MS = 1000
RETRY_SECONDS = 1.0
PROGRESS_SECONDS = 5.0


def hold_ingest_lock(db: str) -> IO[str] | None:
    """``<store>.ingest.lock``, held while writing (the kernel drops it however the writer ends)."""
    handle = Path(f"{db}.ingest.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class Writer:
    """Reads the stream and stores each article; ``stop()`` ends it after the article in hand."""

    def __init__(self, frontier: Frontier, conn: sqlite3.Connection, grouping: GroupingSettings):
        self.frontier, self.conn = frontier, conn
        self.grouper = Grouper(conn, grouping)
        self.link = Link(frontier.url, "ingest")
        self.counts = dict.fromkeys(RUN_COUNTERS[2:], 0)  # new, updated, unchanged, failed
        self.stopping = False
        self.started = time.monotonic()

    def stop(self) -> None:
        self.stopping = True

    def run(self) -> None:
        pending = True  # first the entries read before and never stored, then new ones
        last_progress, reported = time.monotonic(), dict(self.counts)
        while not self.stopping:
            try:
                if pending:
                    self.frontier.ensure_group()
                    self.frontier.claim_all(CONSUMER)
                entries = self.frontier.read(CONSUMER, pending, BATCH, BLOCK_MS)
                self.link.ok()
            except RedisUnavailable as error:
                self.link.lost(error)
                pending = True  # what was read before the outage may be unacknowledged
                time.sleep(RETRY_SECONDS)
                continue
            if pending and not entries:
                pending = False
            stored = []
            for entry_id, fields in entries:
                if self.stopping:
                    break
                if self._store(entry_id, fields):
                    stored.append(entry_id)
            if stored:
                try:
                    self.frontier.ack(stored)
                except RedisUnavailable as error:  # read again after the outage; stored once all the same
                    self.link.lost(error)
                    pending = True
            if time.monotonic() - last_progress >= PROGRESS_SECONDS and self.counts != reported:
                self.progress()
                reported, last_progress = dict(self.counts), time.monotonic()
        self.progress("stopped")

    def _store(self, entry_id: str, fields: dict[str, str] | None) -> bool:
        """Store one entry; False only when it must stay unacknowledged (stopping while the store is busy)."""
        try:
            item = json.loads((fields or {})["article"])
        except (KeyError, ValueError) as error:
            return self._failed(f"ingest: entry {entry_id} has no readable article ({type(error).__name__}); skipped")
        complained = False
        while True:
            try:
                _, _, result = store_article(self.conn, self.grouper, item)
            except sqlite3.OperationalError as error:  # locked, disk full: the article waits, not lost
                if not complained:
                    logger.warning("ingest: cannot write the store (%s); retrying every second", error)
                    complained = True
                if self.stopping:
                    return False
                time.sleep(RETRY_SECONDS)
                continue
            except DropItem as reason:
                return self._failed(f"ingest: {item.get('outlet')}: dropped {reason}")
            except Exception as error:  # as in the crawl: this article is not stored, the next ones are
                return self._failed(f"ingest: could not store {item.get('url')}: {type(error).__name__}: {error}")
            self.counts[result] += 1
            return True

    def _failed(self, message: str) -> bool:
        logger.warning(message)
        self.counts["failed"] += 1
        return True  # acknowledged: reading it again would fail the same way

    def progress(self, what: str = "ingest") -> None:
        done = sum(self.counts.values())
        rate = done / max(time.monotonic() - self.started, 1e-6)
        try:
            lag = self.frontier.writer_figures()
            behind = f"{lag['pending'] + lag['unread']} unstored, oldest {lag['oldest_unstored_seconds']:g} s"
        except RedisUnavailable:
            behind = "lag unknown (redis unreachable)"
        logger.info("%s: %d articles (%.1f/s): %d new, %d updated, %d unchanged, %d failed; %s", what, done, rate,
                    self.counts["new"], self.counts["updated"], self.counts["unchanged"], self.counts["failed"], behind)


@click.command()
@redis_option
@db_option
@config_option
def ingest(redis_url: str | None, db_path: str | None, config_file: str | None) -> None:
    """Run the cluster's writer: store and group the articles the workers parsed.

    Reads the Redis stream the workers fill and stores each article as
    `newsagg crawl` does (upsert by canonical URL, grouped into stories in the
    same transaction); an entry is acknowledged only once its transaction has
    committed, so a killed writer loses nothing and stores nothing twice. One
    writer per store. SIGTERM or Ctrl-C stop it after the article in hand.
    Exits 1 if Redis cannot be reached.

    \b
    Example:
        newsagg ingest --redis redis://:secret@127.0.0.1:6379/0 --db /var/lib/newsagg/news.db
    """
    config = load(config_file)
    db = db_path or config.db
    frontier = open_frontier(redis_url, config)
    conn = open_store(db)
    lock = hold_ingest_lock(db)
    if lock is None:
        raise click.ClickException(f"another newsagg ingest already writes to {db}")
    register_outlets(conn)
    writer = Writer(frontier, conn, config.grouping)

    def on_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("%s received: stopping after the article in hand", signal.Signals(signum).name)
        writer.stop()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    logger.info("ingest: writing %s from %s", db, redact(frontier.url))
    try:
        writer.run()
    finally:
        conn.close()
        lock.close()
