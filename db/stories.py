"""Every SQL statement of grouping, merged stories and import.

Functions take an open connection from ``db.schema.connect`` and plain values; the caller
groups writes that belong together in one ``db.store.transaction``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

_GROUPING_COLUMN_NAMES = (
    "id", "url", "canonical_url", "outlet", "title", "teaser", "body", "published", "fetched_at",
    "dateline", "content_hash", "story_id", "copy_of",
)
GROUPING_COLUMNS = ", ".join(_GROUPING_COLUMN_NAMES)
STORY_FIELDS = (
    "title", "teaser", "body", "category", "location", "first_seen", "last_updated",
    "source_count", "outlet_count", "representative_article_id",
)


def articles_by_id(conn: sqlite3.Connection, article_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The grouping columns of these articles, in the order of ``article_ids``."""
    rows: dict[int, dict[str, Any]] = {}
    for start in range(0, len(article_ids), 500):
        chunk = list(article_ids[start:start + 500])
        marks = ", ".join("?" for _ in chunk)
        for row in conn.execute(f"SELECT {GROUPING_COLUMNS} FROM articles WHERE id IN ({marks})", chunk):
            rows[row["id"]] = dict(row)
    return [rows[article_id] for article_id in article_ids if article_id in rows]


def grouped_articles_between(conn: sqlite3.Connection, start: str, end: str) -> list[dict[str, Any]]:
    """Every member of each story that has an article dated (published, else fetched) in [start, end].

    The bounds compare as text, so callers pad them by a day for dates in other offsets.
    """
    rows = conn.execute(
        f"SELECT {GROUPING_COLUMNS} FROM articles WHERE story_id IN ("
        "  SELECT DISTINCT story_id FROM articles"
        "  WHERE coalesce(published, fetched_at) BETWEEN ? AND ? AND story_id IS NOT NULL"
        ") ORDER BY story_id, id",
        (start, end),
    )
    return [dict(row) for row in rows]


def articles_between(conn: sqlite3.Connection, start: str, end: str, outlet: str | None = None) -> list[dict[str, Any]]:
    """The grouping columns of every article (of ``outlet``, if given) dated (published, else
    fetched) in [start, end], grouped or not; the bounds compare as text (callers pad them)."""
    of_outlet = " AND outlet = ?" if outlet is not None else ""
    rows = conn.execute(f"SELECT {GROUPING_COLUMNS} FROM articles WHERE coalesce(published, fetched_at) BETWEEN ? AND ?{of_outlet}",
                        (start, end, *([outlet] if outlet is not None else [])))
    return [dict(row) for row in rows]


def furniture_day(conn: sqlite3.Connection, day: str) -> str | None:
    """The kept furniture counts of a day (JSON, see the furniture_days table), if still valid."""
    row = conn.execute("SELECT outlets FROM furniture_days WHERE day = ?", (day,)).fetchone()
    return row["outlets"] if row else None


def keep_furniture_day(conn: sqlite3.Connection, day: str, outlets: str) -> None:
    conn.execute("INSERT OR REPLACE INTO furniture_days (day, outlets) VALUES (?, ?)", (day, outlets))


def grouped_articles_after(conn: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    """Articles with a larger id than ``article_id`` that are in a story, oldest first."""
    rows = conn.execute(
        f"SELECT {GROUPING_COLUMNS} FROM articles WHERE id > ? AND story_id IS NOT NULL ORDER BY id", (article_id,)
    )
    return [dict(row) for row in rows]


def newest_article_id(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]


def data_version(conn: sqlite3.Connection) -> int:
    """Changes whenever another connection has committed to the store since this one last looked."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


def grouping_order(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Id, url and dates of every article, for sorting them into grouping order."""
    rows = conn.execute("SELECT id, url, canonical_url, published, fetched_at FROM articles")
    return [dict(row) for row in rows]


def create_story(conn: sqlite3.Connection) -> int:
    return int(conn.execute("INSERT INTO stories (source_count, outlet_count) VALUES (0, 0)").lastrowid)


def story_exists(conn: sqlite3.Connection, story_id: int) -> bool:
    return conn.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is not None


def place_article(conn: sqlite3.Connection, article_id: int, story_id: int, copy_of: int | None) -> None:
    conn.execute("UPDATE articles SET story_id = ?, copy_of = ? WHERE id = ?", (story_id, copy_of, article_id))


def merge_stories(conn: sqlite3.Connection, keep_id: int, gone_id: int) -> None:
    """Move every article of one story to another and drop the emptied story."""
    conn.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", (keep_id, gone_id))
    conn.execute("DELETE FROM stories WHERE id = ?", (gone_id,))


def story_members(conn: sqlite3.Connection, story_id: int) -> list[dict[str, Any]]:
    """A story's articles with their outlet's display name, oldest first."""
    rows = conn.execute(
        f"SELECT {', '.join('articles.' + name for name in _GROUPING_COLUMN_NAMES)}, "
        "coalesce(outlets.title, articles.outlet) AS outlet_title "
        "FROM articles LEFT JOIN outlets ON outlets.name = articles.outlet "
        "WHERE articles.story_id = ? ORDER BY coalesce(articles.published, articles.fetched_at), articles.id",
        (story_id,),
    )
    return [dict(row) for row in rows]


def update_story(conn: sqlite3.Connection, story_id: int, fields: Mapping[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in STORY_FIELDS)
    conn.execute(
        f"UPDATE stories SET {assignments} WHERE id = ?",
        [*(fields.get(name) for name in STORY_FIELDS), story_id],
    )


def story_rows(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every story as stored, by id."""
    for row in conn.execute("SELECT * FROM stories ORDER BY id"):
        yield dict(row)


def delete_story(conn: sqlite3.Connection, story_id: int) -> None:
    conn.execute("DELETE FROM stories WHERE id = ? AND NOT EXISTS (SELECT 1 FROM articles WHERE story_id = ?)",
                 (story_id, story_id))


def clear_grouping(conn: sqlite3.Connection) -> None:
    """Forget every story (regroup starts from scratch; story ids start again at 1)."""
    conn.execute("UPDATE articles SET story_id = NULL, copy_of = NULL WHERE story_id IS NOT NULL OR copy_of IS NOT NULL")
    conn.execute("DELETE FROM stories")


def newest_stories(conn: sqlite3.Connection, since: str | None, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT * FROM stories WHERE source_count > 0 AND (? IS NULL OR last_updated >= ?) "
        "ORDER BY last_updated DESC, id DESC LIMIT ?",
        (since, since, limit),
    )
    return [dict(row) for row in rows]


def sources_of(conn: sqlite3.Connection, story_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each story's sources (url, outlet, title, published, copy_of), oldest first."""
    ids = list(story_ids)
    found: dict[int, list[dict[str, Any]]] = {story_id: [] for story_id in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            "SELECT story_sources.*, coalesce(outlets.title, story_sources.outlet) AS outlet_title "
            "FROM story_sources LEFT JOIN outlets ON outlets.name = story_sources.outlet "
            f"WHERE story_id IN ({marks}) ORDER BY coalesce(published, ''), article_id",
            chunk,
        )
        for row in rows:
            found[row["story_id"]].append(dict(row))
    return found


def story_assignments(conn: sqlite3.Connection) -> list[tuple[str, int | None, int | None]]:
    """(url, story_id, copy_of) of every article, by url: what tests and benchmarks compare."""
    return [tuple(row) for row in conn.execute("SELECT url, story_id, copy_of FROM articles ORDER BY url")]
