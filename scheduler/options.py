"""Options shared by the `newsagg` commands, and the store they open."""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from crawlers.frontier import Frontier, RedisUnavailable
from db.schema import connect, connect_readonly
from scheduler.config import Config, ConfigError, load_config

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


def open_store(db_path: str, readonly: bool = False) -> sqlite3.Connection:
    """The store, created or migrated as needed; ``readonly`` opens an existing one as it is."""
    try:
        return connect_readonly(db_path) if readonly else connect(db_path)
    except (sqlite3.Error, RuntimeError) as error:
        raise click.ClickException(f"cannot open store {db_path}: {error}") from None
