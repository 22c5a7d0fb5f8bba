"""Every SQL statement on articles, outlets, crawl runs and feed validators.

Functions take an open connection from ``db.schema.connect`` and plain values;
writes that belong together go inside one ``transaction``.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from db.article import Article

ARTICLE_FIELDS = (
    "url", "canonical_url", "outlet", "title", "seo_title", "kicker", "teaser", "body",
    "authors", "published", "modified", "section", "keywords", "language", "image",
    "dateline", "etag", "last_modified", "fetched_at", "content_hash",
)
_JSON_FIELDS = ("authors", "keywords")
UpsertResult = Literal["new", "updated", "unchanged"]
RUN_COUNTERS = ("discovered", "fetched", "new", "updated", "unchanged", "failed")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception (nothing is written half)."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # Also after a failed COMMIT (disk full, I/O error): never leave the connection inside a
        # transaction that later writes would silently join.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


NEARLY_FULL_BYTES = 1_000_000   # an I/O error of a store on a disk with less free space than this is the full disk


def store_error_message(error: sqlite3.Error, path: str, busy_timeout: float) -> str:
    """One line a user can act on for an error of the store at ``path``, by SQLite's error code."""
    code = getattr(error, "sqlite_errorname", "") or ""
    if code.startswith("SQLITE_BUSY") or code.startswith("SQLITE_LOCKED"):
        return (f"store {path} is busy: another process held its write lock for more than {busy_timeout:g} s "
                "(store.busy_timeout in the config)")
    if code.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        free = _free_bytes(path)
        # A write-ahead log or its index that cannot grow fails as an I/O error, not as SQLITE_FULL.
        if code.startswith("SQLITE_FULL") or free < NEARLY_FULL_BYTES:
            return f"store {path}: disk full ({_size(free)} free on its disk)"
    if code.startswith("SQLITE_READONLY"):
        return f"store {path} is read-only here ({error}); only newsagg status, stories, feed and serve read it"
    if code.startswith("SQLITE_CANTOPEN"):
        return f"cannot open store {path}: {error}"
    if code.startswith("SQLITE_CORRUPT") or code == "SQLITE_NOTADB":
        return f"store {path} is damaged or not a SQLite database ({error})"
    return f"store {path}: {error}"


def _free_bytes(path: str) -> int:
    try:
        return shutil.disk_usage(Path(path).resolve().parent).free
    except OSError:
        return 0


def _size(count: float) -> str:
    units = ("bytes", "kB", "MB", "GB", "TB")
    step = 0
    while count >= 1000 and step < len(units) - 1:
        count, step = count / 1000, step + 1
    return f"{count:.0f} {units[step]}" if step == 0 else f"{count:.1f} {units[step]}"


# --- outlets -------------------------------------------------------------------------

def upsert_outlet(conn: sqlite3.Connection, name: str, title: str, home_url: str, domains: Sequence[str]) -> None:
    conn.execute(
        "INSERT INTO outlets (name, title, home_url, domains) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET title = excluded.title, home_url = excluded.home_url, "
        "domains = excluded.domains",
        (name, title, home_url, json.dumps(list(domains))),
    )


def name_outlets(conn: sqlite3.Connection, outlets: Mapping[str, tuple[str, str]]) -> None:
    """Record outlets not known yet by (title, home URL), so that stories name them by title; an
    outlet already recorded (declared, or named by an earlier import) keeps its title."""
    conn.executemany(
        "INSERT INTO outlets (name, title, home_url, domains) VALUES (?, ?, ?, '[]') ON CONFLICT(name) DO NOTHING",
        [(name, title, home_url) for name, (title, home_url) in outlets.items()],
    )


# --- articles ------------------------------------------------------------------------

def _row_values(article: Article) -> list[Any]:
    values = []
    for field in ARTICLE_FIELDS:
        value = article.get(field)
        if field in _JSON_FIELDS:
            value = json.dumps(list(value or []), ensure_ascii=False)
        values.append(value)
    return values


class OtherOutletsArticle(ValueError):
    """An article whose URL or canonical URL is stored as another outlet's article."""


def upsert_article(conn: sqlite3.Connection, article: Article) -> tuple[int, UpsertResult]:
    """Insert or update one article keyed by canonical URL (or fetched URL); return (id, result).

    An article whose ``content_hash`` is unchanged is left as it is, so a recrawl of
    unchanged pages writes nothing. One that would change another outlet's article (a page
    naming that outlet's URL as its canonical) raises OtherOutletsArticle and changes nothing.
    """
    existing = conn.execute(
        "SELECT id, content_hash, outlet FROM articles WHERE canonical_url = ? OR url = ? "
        "ORDER BY canonical_url = ? DESC LIMIT 1",
        (article["canonical_url"], article["url"], article["canonical_url"]),
    ).fetchone()
    if existing is not None and existing["outlet"] != article["outlet"]:
        raise OtherOutletsArticle(
            f"{article['url']} ({article['outlet']}) names {article['canonical_url']}, "
            f"stored as {existing['outlet']}'s article {existing['id']}; that article is left unchanged"
        )
    if existing is None:
        placeholders = ", ".join("?" for _ in ARTICLE_FIELDS)
        cursor = conn.execute(
            f"INSERT INTO articles ({', '.join(ARTICLE_FIELDS)}) VALUES ({placeholders})",
            _row_values(article),
        )
        return int(cursor.lastrowid), "new"
    if existing["content_hash"] == article["content_hash"]:
        conn.execute(
            "UPDATE articles SET checked_at = ?, etag = ?, last_modified = ? WHERE id = ?",
            (article["fetched_at"], article.get("etag"), article.get("last_modified"), existing["id"]),
        )
        return int(existing["id"]), "unchanged"
    assignments = ", ".join(f"{field} = ?" for field in ARTICLE_FIELDS)
    conn.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*_row_values(article), existing["id"]])
    return int(existing["id"]), "updated"


def stored_article_check(conn: sqlite3.Connection, url: str) -> tuple[str, str | None, str | None] | None:
    """For a stored URL (fetched or canonical): (last fetched or checked, etag, last_modified)."""
    row = conn.execute(
        "SELECT max(fetched_at, coalesce(checked_at, fetched_at)) AS checked, etag, last_modified "
        "FROM articles WHERE url = ? OR canonical_url = ? LIMIT 1",
        (url, url),
    ).fetchone()
    return (row["checked"], row["etag"], row["last_modified"]) if row else None


def count_rows(conn: sqlite3.Connection, table: Literal["articles", "stories", "outlets"]) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- feed validators -----------------------------------------------------------------

def feed_validators(conn: sqlite3.Connection, url: str) -> tuple[str | None, str | None]:
    row = conn.execute("SELECT etag, last_modified FROM feed_state WHERE url = ?", (url,)).fetchone()
    return (row["etag"], row["last_modified"]) if row else (None, None)


def save_feed_validators(
    conn: sqlite3.Connection, url: str, etag: str | None, last_modified: str | None, fetched_at: str
) -> None:
    conn.execute(
        "INSERT INTO feed_state (url, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
        "fetched_at = excluded.fetched_at",
        (url, etag, last_modified, fetched_at),
    )


# --- crawl runs ----------------------------------------------------------------------

def start_run(conn: sqlite3.Connection, run_id: str, outlet: str, pid: int, started_at: str) -> None:
    conn.execute(
        "INSERT INTO crawl_runs (run_id, outlet, pid, started_at, status) VALUES (?, ?, ?, ?, 'running') "
        "ON CONFLICT(run_id, outlet) DO NOTHING",
        (run_id, outlet, pid, started_at),
    )


_SET_COUNTERS = ", ".join(f"{name} = ?" for name in RUN_COUNTERS)


def _counter_values(counts: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(int(counts.get(name, 0)) for name in RUN_COUNTERS)


def save_run_counts(conn: sqlite3.Connection, run_id: str, outlet: str, counts: Mapping[str, int]) -> None:
    """The counts so far of a run still going."""
    conn.execute(
        f"UPDATE crawl_runs SET {_SET_COUNTERS} WHERE run_id = ? AND outlet = ? AND status = 'running'",
        (*_counter_values(counts), run_id, outlet),
    )


def finish_run(
    conn: sqlite3.Connection,
    run_id: str,
    outlet: str,
    ended_at: str,
    status: str,
    counts: Mapping[str, int],
    errors: Sequence[str],
) -> None:
    conn.execute(
        f"UPDATE crawl_runs SET ended_at = ?, status = ?, errors = ?, {_SET_COUNTERS} "
        "WHERE run_id = ? AND outlet = ?",
        (ended_at, status, json.dumps(list(errors), ensure_ascii=False),
         *_counter_values(counts), run_id, outlet),
    )


def running_runs(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute("SELECT * FROM crawl_runs WHERE status = 'running'")]


def mark_run_interrupted(conn: sqlite3.Connection, run_row_id: int, ended_at: str, reason: str | None = None) -> None:
    """Close a run that will never finish; ``reason`` is appended to its errors."""
    conn.execute(
        "UPDATE crawl_runs SET status = 'interrupted', ended_at = coalesce(ended_at, ?), "
        "errors = CASE WHEN ? IS NULL THEN errors ELSE json_insert(errors, '$[#]', ?) END WHERE id = ?",
        (ended_at, reason, reason, run_row_id),
    )


def runs_of(conn: sqlite3.Connection, run_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM crawl_runs WHERE run_id = ? ORDER BY outlet", (run_id,))
    return [{**dict(row), "errors": json.loads(row["errors"])} for row in rows]
