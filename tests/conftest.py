"""Shared fixtures: a fresh store path and a real `newsagg crawl` against local outlets."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from local_outlets import OutletServer, outlet_env

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "news.db"


@dataclass
class CrawlOutcome:
    returncode: int
    stdout: str
    stderr: str
    db_path: Path

    def rows(self, sql: str, *params: object) -> list[dict]:
        conn = sqlite3.connect(self.db_path)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute(sql, params)]
        finally:
            conn.close()

    def articles(self) -> list[dict]:
        return self.rows("SELECT * FROM articles ORDER BY url")

    def run(self, outlet: str) -> dict:
        row = self.rows("SELECT * FROM crawl_runs WHERE outlet = ? ORDER BY id DESC LIMIT 1", outlet)[0]
        return {**row, "errors": json.loads(row["errors"])}


Crawl = Callable[..., CrawlOutcome]


@pytest.fixture
def crawl(db_path: Path, tmp_path: Path) -> Crawl:
    """Run the real `newsagg crawl` (child process, Scrapy, pipeline, SQLite) against servers."""

    def run(*servers: OutletServer, config: str | None = None, args: tuple[str, ...] = (), timeout: float = 120) -> CrawlOutcome:
        env = {**os.environ, **outlet_env({server.outlet.name: server for server in servers})}
        command = [sys.executable, "-m", "scheduler", "crawl", "--db", str(db_path), *args]
        for server in servers:
            command += ["--outlet", server.outlet.name]
        if config is not None:
            config_file = tmp_path / "newsagg.toml"
            config_file.write_text(config, encoding="utf-8")
            command += ["--config", str(config_file)]
        done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=timeout)
        return CrawlOutcome(done.returncode, done.stdout, done.stderr, db_path)

    return run
