"""The cluster's writer at work (`newsagg ingest`): stream entries stored as `newsagg crawl` stores them.

The workers put each article on the stream cleaned (`crawlers.pipelines.clean_article`: the work
every worker can share); the writer upserts it by canonical URL and groups it, a batch of entries
in one transaction (`crawlers.pipelines.store_cleaned`, as the crawl's `store_article` does after
cleaning), and acknowledges the entries only after that transaction committed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from typing import Any

from crawlers.frontier import Frontier, Link, RedisUnavailable
from crawlers.pipelines import store_cleaned
from db.store import RUN_COUNTERS
from dedupe.assign import Grouper
from dedupe.settings import GroupingSettings

logger = logging.getLogger(__name__)
CONSUMER = "writer"  # one writer (the store's ingest lock), so a restarted one finds its own entries
BATCH = 200
BLOCK_MS = 1000
RETRY_SECONDS = 1.0
PROGRESS_SECONDS = 5.0


class Writer:
    """Reads the stream and stores its articles, a batch per transaction; ``stop()`` ends it after
    the batch in hand."""

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
        claim = True    # … which one claim makes this writer's (it is the store's only one)
        last_progress, reported = time.monotonic(), dict(self.counts)
        while not self.stopping:
            try:
                if claim:
                    self.frontier.ensure_group()
                    self.frontier.claim_all(CONSUMER)
                    claim = False
                entries = self.frontier.read(CONSUMER, pending, BATCH, BLOCK_MS)
                self.link.ok()
            except RedisUnavailable as error:
                self.link.lost(error)
                pending = claim = True  # what was read before the outage may be unacknowledged
                time.sleep(RETRY_SECONDS)
                continue
            if pending and not entries:
                pending = False
            stored = self._store_batch(entries)
            if stored:
                try:
                    self.frontier.ack(stored)
                except RedisUnavailable as error:  # read again after the outage; stored once all the same
                    self.link.lost(error)
                    pending = claim = True
            if time.monotonic() - last_progress >= PROGRESS_SECONDS and self.counts != reported:
                self.progress()
                reported, last_progress = dict(self.counts), time.monotonic()
        self.progress("stopped")

    def _store_batch(self, entries: list[tuple[str, dict[str, str] | None]]) -> list[str]:
        """Store the entries in one transaction, each as a crawl stores it; the ids to acknowledge.
        Where that fails (a busy store, one article it refuses), each is stored on its own."""
        done: list[str] = []
        articles: list[tuple[str, dict[str, Any]]] = []
        for entry_id, fields in entries:
            try:
                articles.append((entry_id, json.loads((fields or {})["article"])))
            except (KeyError, ValueError) as error:
                done.append(entry_id)
                self._failed(f"ingest: entry {entry_id} has no readable article ({type(error).__name__}); skipped")
        if not articles:
            return done
        try:
            results = store_cleaned(self.conn, self.grouper, [article for _, article in articles])
        except Exception:
            return done + [entry_id for entry_id, article in articles if self._store(article)]
        for _, result in results:
            self.counts[result] += 1
        return done + [entry_id for entry_id, _ in articles]

    def _store(self, article: dict[str, Any]) -> bool:
        """Store one article; False only when it must stay unacknowledged (stopping while the store is busy)."""
        complained = False
        while True:
            try:
                ((_, result),) = store_cleaned(self.conn, self.grouper, [article])
            except sqlite3.OperationalError as error:  # locked, disk full: the article waits, not lost
                if not complained:
                    logger.warning("ingest: cannot write the store (%s); retrying every second", error)
                    complained = True
                if self.stopping:
                    return False
                time.sleep(RETRY_SECONDS)
                continue
            except Exception as error:  # as in the crawl: this article is not stored, the next ones are
                return self._failed(f"ingest: could not store {article.get('url')}: {type(error).__name__}: {error}")
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
