"""Schema of the store, as an ordered list of migrations.

The schema version is SQLite's ``user_version``: migration *n* (1-based) brings a
store from version n-1 to n. Each migration runs in its own transaction, so a
store is never left between versions. To change the schema, append a migration;
never edit one that has shipped.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

BUSY_TIMEOUT_MS = 30_000

_V1_CORE = """
CREATE TABLE outlets (
    name TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    home_url TEXT NOT NULL,
    domains TEXT NOT NULL  -- JSON list
);

CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    title TEXT,
    teaser TEXT,
    body TEXT,
    category TEXT,
    location TEXT,
    first_seen TEXT,
    last_updated TEXT,
    source_count INTEGER NOT NULL DEFAULT 0,
    outlet_count INTEGER NOT NULL DEFAULT 0,
    representative_article_id INTEGER
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    canonical_url TEXT NOT NULL UNIQUE,
    outlet TEXT NOT NULL,
    title TEXT NOT NULL,
    seo_title TEXT,
    kicker TEXT,
    teaser TEXT,
    body TEXT,
    authors TEXT NOT NULL DEFAULT '[]',   -- JSON list of people
    published TEXT,                       -- ISO 8601 with offset
    modified TEXT,
    section TEXT,
    keywords TEXT NOT NULL DEFAULT '[]',  -- JSON list
    language TEXT,
    image TEXT,
    dateline TEXT,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    story_id INTEGER REFERENCES stories(id),
    copy_of INTEGER REFERENCES articles(id)
);
CREATE INDEX articles_outlet_published ON articles(outlet, published);
CREATE INDEX articles_published ON articles(published);
CREATE INDEX articles_story_id ON articles(story_id);

CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,          -- shared by the outlets crawled by one process
    outlet TEXT NOT NULL,
    pid INTEGER,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,          -- running | ok | partial | failed | interrupted
    discovered INTEGER NOT NULL DEFAULT 0,
    fetched INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '[]'  -- JSON list of one-line messages
);
CREATE INDEX crawl_runs_outlet_started ON crawl_runs(outlet, started_at);
CREATE UNIQUE INDEX crawl_runs_run_outlet ON crawl_runs(run_id, outlet);

-- Validators of feeds and sitemaps, for conditional GET on the next crawl.
CREATE TABLE feed_state (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT NOT NULL
);

CREATE VIEW story_sources AS
SELECT articles.story_id, articles.id AS article_id, articles.url, articles.canonical_url,
       articles.outlet, articles.title, articles.published, articles.copy_of
FROM articles WHERE articles.story_id IS NOT NULL;
"""

_V2_SEARCH = """
-- Full-text search over articles and merged stories. External-content FTS5 tables (the text is
-- stored once, in articles and stories) kept current by triggers, so the crawl and the grouping
-- need not know about them. unicode61 with remove_diacritics 2 folds ü→u, é→e, so "Munchen"
-- finds "München"; no porter stemmer, which is English-only and mangles German words.
-- content="…" in double quotes is the form datasette recognises when it looks for a table's FTS.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, teaser, body, content="articles", content_rowid="id",
    tokenize="unicode61 remove_diacritics 2"
);
INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, teaser, body) VALUES (new.id, new.title, new.teaser, new.body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, teaser, body)
    VALUES ('delete', old.id, old.title, old.teaser, old.body);
END;
-- Only when the text changes: the grouping sets story_id on every article it places.
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, teaser, body ON articles
WHEN old.title IS NOT new.title OR old.teaser IS NOT new.teaser OR old.body IS NOT new.body BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, teaser, body)
    VALUES ('delete', old.id, old.title, old.teaser, old.body);
    INSERT INTO articles_fts(rowid, title, teaser, body) VALUES (new.id, new.title, new.teaser, new.body);
END;

CREATE VIRTUAL TABLE stories_fts USING fts5(
    title, teaser, body, content="stories", content_rowid="id",
    tokenize="unicode61 remove_diacritics 2"
);
INSERT INTO stories_fts(stories_fts) VALUES ('rebuild');

CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
    INSERT INTO stories_fts(rowid, title, teaser, body) VALUES (new.id, new.title, new.teaser, new.body);
END;
CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, teaser, body)
    VALUES ('delete', old.id, old.title, old.teaser, old.body);
END;
-- Only when the text changes: a new source often changes nothing but the counts and dates.
CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, teaser, body ON stories
WHEN old.title IS NOT new.title OR old.teaser IS NOT new.teaser OR old.body IS NOT new.body BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, teaser, body)
    VALUES ('delete', old.id, old.title, old.teaser, old.body);
    INSERT INTO stories_fts(rowid, title, teaser, body) VALUES (new.id, new.title, new.teaser, new.body);
END;

-- What the canned queries of `newsagg serve` (db/canned.py) and its default sort and facets read.
CREATE INDEX stories_last_updated ON stories(last_updated);
CREATE INDEX stories_outlet_count_last_updated ON stories(outlet_count, last_updated);
CREATE INDEX stories_category ON stories(category);
CREATE INDEX stories_location ON stories(location);
"""

_V3_DAEMON_SCHEDULE = """
-- When the running daemon crawls each outlet next; rewritten by the daemon, emptied when it stops.
-- Run history itself stays in crawl_runs.
CREATE TABLE daemon_schedule (
    outlet TEXT PRIMARY KEY,
    interval_seconds REAL NOT NULL,
    next_run_at TEXT,              -- ISO 8601 UTC; NULL while paused
    updated_at TEXT NOT NULL
);
"""

_V4_BROWSING_INDEXES = """
-- What `newsagg serve` counts and sorts on a million articles: the section facet of articles
-- (a whole-table scan without it) and crawl runs newest first.
CREATE INDEX articles_section ON articles(section);
CREATE INDEX crawl_runs_started ON crawl_runs(started_at);
"""

# When an article was last found unchanged: a recrawl records that it looked, without
# rewriting the article, so the same announced change is not fetched again and again.
_V5_CHECKED_AT = """
ALTER TABLE articles ADD COLUMN checked_at TEXT;
"""

# The grouping window reads articles by their event time (db.stories.grouped_articles_between).
_V6_EVENT_TIME_INDEX = """
CREATE INDEX articles_event_time ON articles(coalesce(published, fetched_at));
"""

# What each outlet printed on a (UTC) day: its article count and on how many of them each term
# is (dedupe.furniture), kept so that no process re-reads a day's articles to learn it. A row is
# dropped whenever an article of that day (or one next to it: dates in other offsets) is stored
# or changed, or its date cannot be read here; grouping learns the day again when it next needs it.
_V7_FURNITURE_DAYS = """
CREATE TABLE furniture_days (
    day TEXT PRIMARY KEY,          -- YYYY-MM-DD (UTC)
    outlets TEXT NOT NULL          -- JSON: {outlet: [articles, {term: articles with it}]}
);
CREATE TRIGGER furniture_days_insert AFTER INSERT ON articles BEGIN
    DELETE FROM furniture_days WHERE
        date(coalesce(new.published, new.fetched_at)) IS NULL
        OR day BETWEEN date(coalesce(new.published, new.fetched_at), '-1 day')
                   AND date(coalesce(new.published, new.fetched_at), '+1 day')
        OR day BETWEEN date(new.fetched_at, '-1 day') AND date(new.fetched_at, '+1 day');
END;
CREATE TRIGGER furniture_days_update AFTER UPDATE OF outlet, title, teaser, body, published, fetched_at ON articles BEGIN
    DELETE FROM furniture_days WHERE
        date(coalesce(new.published, new.fetched_at)) IS NULL
        OR date(coalesce(old.published, old.fetched_at)) IS NULL
        OR day BETWEEN date(coalesce(new.published, new.fetched_at), '-1 day')
                   AND date(coalesce(new.published, new.fetched_at), '+1 day')
        OR day BETWEEN date(coalesce(old.published, old.fetched_at), '-1 day')
                   AND date(coalesce(old.published, old.fetched_at), '+1 day')
        OR day BETWEEN date(new.fetched_at, '-1 day') AND date(new.fetched_at, '+1 day')
        OR day BETWEEN date(old.fetched_at, '-1 day') AND date(old.fetched_at, '+1 day');
END;
"""

# A follow-up looks for the earlier reports of its outlet, 60 days back, by event time
# (db.stories.articles_between with an outlet): a range in this index, not all the outlet's years.
_V8_OUTLET_EVENT_TIME_INDEX = """
CREATE INDEX articles_outlet_event_time ON articles(outlet, coalesce(published, fetched_at));
"""

MIGRATIONS: list[str] = [
    _V1_CORE, _V2_SEARCH, _V3_DAEMON_SCHEDULE, _V4_BROWSING_INDEXES, _V5_CHECKED_AT, _V6_EVENT_TIME_INDEX,
    _V7_FURNITURE_DAYS, _V8_OUTLET_EVENT_TIME_INDEX,
]


class StoreError(RuntimeError):
    """A store that cannot be used as it is; the message says why in one line."""


class OlderStore(StoreError):
    """A store at an older schema version, which only a writer migrates."""


def no_store_message(path: str) -> str:
    return f"no store at {path}; create one with newsagg crawl or newsagg import"


# What every newsagg store has from version 1 on; another program's SQLite file lacks them.
_STORE_TABLES = {"outlets", "stories", "articles", "crawl_runs"}


def connect(path: str, busy_timeout: float = BUSY_TIMEOUT_MS / 1000, create: bool = True) -> sqlite3.Connection:
    """Open the store, migrating it (and creating it if ``create``), in WAL mode with a busy timeout.

    A writer waits up to ``busy_timeout`` seconds for another's write lock, then fails with
    "database is locked". Another program's SQLite file is refused before anything is written to it.
    The connection is in autocommit mode: callers group their writes with
    ``transaction()`` from ``db.store`` so that nothing is written half.
    """
    if not create and not Path(path).exists():
        # sqlite3.connect would create the file: a typo in --db must not become an empty store.
        raise StoreError(no_store_message(path))
    conn = _open(path, busy_timeout)
    try:
        _check_is_store(conn, path, create)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readonly(path: str, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> sqlite3.Connection:
    """Open an existing store for reading only; it must be at this newsagg's schema version.

    Readers (`newsagg status`, `newsagg stories`) never migrate a store under a running daemon,
    and read a store in a directory they cannot write (see ``is_frozen``).
    """
    if not Path(path).exists():
        raise StoreError(no_store_message(path))
    conn = _open(f"file:{quote(path)}?{'immutable=1' if is_frozen(path) else 'mode=ro'}", busy_timeout, uri=True)
    try:
        _check_is_store(conn, path, create=False)
        version, expected = schema_version(conn), len(MIGRATIONS)
        if version > expected:
            raise StoreError(f"store schema version {version} is newer than this newsagg ({expected}); upgrade newsagg")
        if version < expected:
            raise OlderStore(f"store schema version {version} is older than this newsagg ({expected}); "
                             "a command that writes (newsagg crawl, import, daemon) migrates it")
    except BaseException:
        conn.close()
        raise
    return conn


def is_frozen(path: str) -> bool:
    """Whether the store lies in a directory this process cannot write, with no write-ahead log.

    A WAL reader needs the store's shared-memory file beside it and cannot make one there. No
    writer is at work (a writer keeps the -wal file), so the store file is whole and is read as
    immutable, without that file.
    """
    return not os.access(Path(path).resolve().parent, os.W_OK) and not Path(f"{path}-wal").exists()


def _open(target: str, busy_timeout: float, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(target, timeout=busy_timeout, isolation_level=None, uri=uri)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    return conn


def _check_is_store(conn: sqlite3.Connection, path: str, create: bool) -> None:
    """Refuse a file newsagg would otherwise change into a store: another program's database."""
    try:
        version = schema_version(conn)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB":
            raise StoreError(f"{path} is not a SQLite database") from None
        raise
    if version == 0 and not tables:
        if not create:
            raise StoreError(no_store_message(path))
    elif (version == 0) or not _STORE_TABLES <= tables:
        shown = ", ".join(sorted(tables - _STORE_TABLES)[:3]) or ", ".join(sorted(tables)[:3])
        raise StoreError(f"{path} is a SQLite database but not a newsagg store (its tables: {shown}); "
                         "it is left unchanged")


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations the store lacks; return the resulting version."""
    version = schema_version(conn)
    if version > len(MIGRATIONS):
        raise StoreError(
            f"store schema version {version} is newer than this newsagg ({len(MIGRATIONS)}); upgrade newsagg"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        # BEGIN IMMEDIATE so that two processes opening a new store do not both migrate it.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) < number:
                for statement in _statements(MIGRATIONS[number - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return schema_version(conn)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
