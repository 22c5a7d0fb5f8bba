"""The crawl child process: ``python -m crawlers.run --db PATH --run-id ID OUTLET…``.

`newsagg crawl` and the daemon start one of these per crawl, because Twisted's
reactor cannot be restarted inside one process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import IO

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers.locks import acquire_outlet_lock
from crawlers.settings import DOWNLOAD_TIMEOUT, LOG_FORMAT, USER_AGENT
from crawlers.spiders.news import SPIDERS
from db.dates import now_iso
from db.schema import connect
from db.store import finish_run, start_run, transaction


def project_settings(**overrides: object) -> Settings:
    """The project's settings module (policy included), then the given overrides."""
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def user_agent(contact: str) -> str:
    """The project's User-Agent with the operator's contact, as crawler etiquette asks."""
    return USER_AGENT.replace(")", f"; +{contact})")


def configure_logging(level: str) -> None:
    """Our lines on stderr (Scrapy's own logging is off in the process's settings)."""
    logging.basicConfig(level=level, stream=sys.stderr, format=LOG_FORMAT, force=True)
    # Scrapy's INFO lines are noise next to our progress lines; its warnings still show.
    for noisy in ("scrapy", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING))
    # A robots.txt that cannot be fetched is logged by Scrapy with a traceback; the requests that
    # waited for it fail the same way and say so in one line each (no network: one line in all).
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run")
    parser.add_argument("--db", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--max-articles", type=int, default=0)
    parser.add_argument("--grouping", default="{}", help="GroupingSettings fields as JSON")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--download-timeout", type=float, default=DOWNLOAD_TIMEOUT)
    parser.add_argument("--contact", default="", help="URL or e-mail address for the User-Agent")
    parser.add_argument("outlets", nargs="+", choices=sorted(SPIDERS))
    args = parser.parse_args(argv)
    process = CrawlerProcess(project_settings(
        NEWSAGG_DB=args.db, NEWSAGG_RUN_ID=args.run_id, NEWSAGG_MAX_ARTICLES=args.max_articles,
        NEWSAGG_GROUPING=json.loads(args.grouping), DOWNLOAD_TIMEOUT=args.download_timeout,
        LOG_ENABLED=False,  # our own handler below, so that Scrapy's start-up report stays out
        **({"USER_AGENT": user_agent(args.contact)} if args.contact else {}),
    ))
    configure_logging(args.log_level)
    held = {name: lock for name in args.outlets if (lock := hold_or_skip(args.db, args.run_id, name))}
    for name in held:
        process.crawl(SPIDERS[name])
    if held:
        process.start()


def hold_or_skip(db: str, run_id: str, outlet: str) -> IO[str] | None:
    """The outlet's crawl lock, or None after recording the run as skipped (another crawl has it)."""
    lock = acquire_outlet_lock(db, outlet)
    if lock is None:
        message = f"{outlet}: skipped, another crawl of it on {db} is running"
        logging.getLogger(__name__).warning(message)
        conn = connect(db)
        try:
            with transaction(conn):
                start_run(conn, run_id, outlet, os.getpid(), now_iso())
                finish_run(conn, run_id, outlet, now_iso(), "skipped", {}, [message])
        finally:
            conn.close()
    return lock


if __name__ == "__main__":
    main()
