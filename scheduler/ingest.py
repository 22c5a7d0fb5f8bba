"""`newsagg ingest`: the cluster's one writer, from the Redis stream into the SQLite store.

Each article (cleaned by the worker that fetched it) is upserted by canonical URL and grouped in
one transaction with the rest of its batch, exactly as in `newsagg crawl`; its stream entry is
acknowledged only after that transaction committed. An entry read but not acknowledged — the writer was killed, or Redis
went away — is read again by the next writer, and storing it again changes nothing.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from types import FrameType

import click

from crawlers.locks import hold_lock
from crawlers.outlets import register_outlets
from scheduler.options import config_option, db_option, load, open_frontier, open_store, redis_option

logger = logging.getLogger(__name__)


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
    writer per store. SIGTERM or Ctrl-C stop it after the batch in hand.
    Exits 1 if Redis cannot be reached.

    \b
    Example:
        newsagg ingest --redis redis://:secret@127.0.0.1:6379/0 --db /var/lib/newsagg/news.db
    """
    config = load(config_file)
    db = db_path or config.db
    frontier = open_frontier(redis_url, config)
    conn = open_store(db)
    lock = hold_lock(Path(f"{db}.ingest.lock"))   # one writer per store
    if lock is None:
        raise click.ClickException(f"another newsagg ingest already writes to {db}")
    from crawlers.frontier import redact
    from scheduler.writer import Writer   # Scrapy's pipeline, grouping and Redis: only when writing

    register_outlets(conn)
    writer = Writer(frontier, conn, config.grouping)

    def on_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("%s received: stopping after the batch in hand", signal.Signals(signum).name)
        writer.stop()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    logger.info("ingest: writing %s from %s", db, redact(frontier.url))
    try:
        writer.run()
    finally:
        conn.close()
        lock.close()
