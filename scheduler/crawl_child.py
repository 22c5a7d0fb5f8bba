"""The crawl child process: ``python -m scheduler.crawl_child --run-id ID [--config FILE] [--db PATH] OUTLET…``.

`newsagg crawl` and the daemon start one of these per crawl, because Twisted's
reactor cannot be restarted inside one process. It reads the config itself, the file
its parent read; `--db` and `--max-articles` are the parent's command-line choices.
This child and `scrapy crawl` (through ``ConfigAddon``) turn a config into Scrapy
settings in one place, ``config_settings``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from typing import IO

from scrapy.crawler import CrawlerProcess
from scrapy.settings import BaseSettings, Settings

from crawlers.extensions import report_store_failure, store_failure
from crawlers.locks import acquire_outlet_lock
from crawlers.settings import LOG_FORMAT, USER_AGENT
from crawlers.spiders.news import SPIDERS
from db.dates import now_iso
from db.schema import connect
from db.store import finish_run, start_run, transaction
from scheduler.config import Config, ConfigError, load_config

CONFIG_ADDON = "scheduler.crawl_child.ConfigAddon"


def config_settings(config: Config) -> dict[str, object]:
    """The Scrapy settings a newsagg config gives."""
    return {
        "NEWSAGG_DB": config.db, "NEWSAGG_BUSY_TIMEOUT": config.busy_timeout,
        "NEWSAGG_MAX_ARTICLES": config.max_articles, "NEWSAGG_GROUPING": dataclasses.asdict(config.grouping),
        "DOWNLOAD_TIMEOUT": config.download_timeout, "USER_AGENT": user_agent(config.contact),
        "LOG_LEVEL": config.log_level,
    }


class ConfigAddon:
    """`scrapy crawl OUTLET` reads the config as `newsagg crawl` does (``-s NEWSAGG_CONFIG=FILE``, else
    ``$NEWSAGG_CONFIG``, else ./newsagg.toml if present); a ``-s`` setting still wins over it."""

    def update_settings(self, settings: BaseSettings) -> None:
        try:
            config = load_config(settings.get("NEWSAGG_CONFIG"))
        except ConfigError as error:
            raise SystemExit(f"Error: config: {error}") from None
        # At the project's priority: over crawlers/settings.py, under the spider's and the command line's.
        settings.setdict(config_settings(config), priority="project")


def project_settings(**overrides: object) -> Settings:
    """The project's settings module (policy included), then the given overrides. The caller has
    read the config, so the add-on that reads it for `scrapy crawl` is off."""
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    settings.set("ADDONS", {**settings.getdict("ADDONS"), CONFIG_ADDON: None}, priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def user_agent(contact: str) -> str:
    """The project's User-Agent with the operator's contact, as crawler etiquette asks."""
    return USER_AGENT.replace(")", f"; +{contact})") if contact else USER_AGENT


def configure_logging(level: str) -> None:
    """Our lines on stderr (Scrapy's own logging is off in the process's settings)."""
    logging.basicConfig(level=level, stream=sys.stderr, format=LOG_FORMAT, force=True)
    # Scrapy sets the root logger back to NOTSET as each crawl starts; the handler keeps the level.
    logging.root.handlers[0].setLevel(level)
    # Scrapy's INFO lines are noise next to our progress lines; its warnings still show.
    for noisy in ("scrapy", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING))
    # A robots.txt that cannot be fetched is logged by Scrapy with a traceback; the requests that
    # waited for it fail the same way and say so in one line each (no network: one line in all).
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)


def child_config(args: argparse.Namespace) -> Config:
    """The config file's values (the one the parent read), with the parent's --db and --max-articles."""
    try:
        config = load_config(args.config)
    except ConfigError as error:
        raise SystemExit(f"Error: config: {error}") from None
    chosen = {"db": args.db, "max_articles": args.max_articles}
    return dataclasses.replace(config, **{name: value for name, value in chosen.items() if value is not None})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scheduler.crawl_child")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--config", help="TOML config file (default: $NEWSAGG_CONFIG, else ./newsagg.toml if present)")
    parser.add_argument("--db", help="the store (default: store.path of the config)")
    parser.add_argument("--max-articles", type=int, help="per outlet (default: crawl.max_articles of the config)")
    parser.add_argument("outlets", nargs="+", choices=sorted(SPIDERS))
    args = parser.parse_args(argv)
    config = child_config(args)
    process = CrawlerProcess(project_settings(
        **config_settings(config), NEWSAGG_RUN_ID=args.run_id,
        LOG_ENABLED=False,  # our own handler below, so that Scrapy's start-up report stays out
    ))
    configure_logging(config.log_level)
    held = {name: lock for name in args.outlets if (lock := hold_or_skip(config, args.run_id, name))}
    for name in held:
        process.crawl(SPIDERS[name])
    if held:
        process.start()


def hold_or_skip(config: Config, run_id: str, outlet: str) -> IO[str] | None:
    """The outlet's crawl lock, or None after recording the run as skipped (another crawl has it)."""
    lock = acquire_outlet_lock(config.db, outlet)
    if lock is None:
        message = f"{outlet}: skipped, another crawl of it on {config.db} is running"
        logging.getLogger(__name__).warning(message)
        conn = connect(config.db, config.busy_timeout)
        try:
            with transaction(conn):
                start_run(conn, run_id, outlet, os.getpid(), now_iso())
                finish_run(conn, run_id, outlet, now_iso(), "skipped", {}, [message])
        except Exception as error:
            if not store_failure(error):
                raise
            report_store_failure(outlet, config.db, config.busy_timeout, error, "its skipped run is not recorded")
        finally:
            conn.close()
    return lock


if __name__ == "__main__":
    main()
