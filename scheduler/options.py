"""Options shared by the `newsagg` commands, and the store they open."""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from db.schema import BUSY_TIMEOUT_MS, connect, connect_readonly
from db.store import store_error_message
from scheduler.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from crawlers.frontier import Frontier

F = TypeVar("F", bound=Callable[..., Any])


def config_option(function: F) -> F:
    return click.option(
        "--config", "config_file", type=click.Path(dir_okay=False),
        help="TOML config file (default: $NEWSAGG_CONFIG, else ./newsagg.toml if present).",
    )(function)


def db_option(function: F) -> F:
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False),
        help="SQLite store (default: store.path from config, else ./news.db).",
    )(function)


def redis_option(function: F) -> F:
    return click.option(
        "--redis", "redis_url", metavar="URL",
        help="Redis of the cluster, e.g. redis://:PASSWORD@host:6379/0 (default: cluster.redis_url from config).",
    )(function)


def open_frontier(redis_url: str | None, config: Config) -> Frontier:
    """The cluster's Redis, answering; else exit 1 with one line (no URL given, unreachable, refused)."""
    url = redis_url or config.cluster.redis_url
    if not url:
        raise click.ClickException("no Redis given: pass --redis URL or set cluster.redis_url in the config")
    from crawlers.frontier import Frontier, RedisUnavailable   # redis only for the cluster's commands

    try:
        frontier = Frontier(url)
        frontier.check()
    except (RedisUnavailable, ValueError) as error:
        raise click.ClickException(str(error)) from None
    return frontier


def load(config_file: str | None) -> Config:
    """The config, or exit 2 with its one-line error; also sets up logging to stderr."""
    try:
        config = load_config(config_file)
    except ConfigError as error:
        raise click.ClickException(f"config: {error}") from None
    setup_logging(config.log_level)
    return config


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )


def open_store(db_path: str, readonly: bool = False, create: bool = True,
               busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> sqlite3.Connection:
    """The store, migrated as needed and created only if ``create``; ``readonly`` opens an
    existing one as it is. Whatever stops it is one line."""
    with store_errors(db_path, busy_timeout):
        try:
            return connect_readonly(db_path, busy_timeout) if readonly else connect(db_path, busy_timeout, create)
        except RuntimeError as error:
            raise click.ClickException(str(error)) from None


@contextmanager
def store_errors(db_path: str, busy_timeout: float, outcome: str | None = None) -> Iterator[None]:
    """A store error while a command runs (busy, disk full, read-only) becomes one line, followed
    by ``outcome`` (what the failure left in the store), instead of a traceback."""
    try:
        yield
    except sqlite3.Error as error:
        message = store_error_message(error, db_path, busy_timeout)
        raise click.ClickException(f"{message}; {outcome}" if outcome else message) from None
