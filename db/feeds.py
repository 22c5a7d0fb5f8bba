"""The SQL of the Atom feeds and the served story pages: which merged stories a reader sees.

``newsagg feed``, the ``/-/feed.atom`` route of ``newsagg serve`` and its front page all read
through these functions, so a file, a served feed and the page with the same filters list the
same stories.
"""

from __future__ import annotations

import sqlite3
from typing import Any

# A search matches a story's own text or the text of any of its sources: the story shows its
# representative article, and what another outlet wrote must find it too.
_MATCHING_STORIES = """stories.id IN (
    SELECT rowid FROM stories_fts WHERE stories_fts MATCH :search
    UNION
    SELECT articles.story_id FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid
    WHERE articles_fts MATCH :search AND articles.story_id IS NOT NULL
)"""

# "Berlin" is "Berlin, Deutschland" and "Deutschland" every place in it: a location is a town
# with its country, or a country alone.
_AT_LOCATION = """(stories.location COLLATE NOCASE = :location
    OR substr(stories.location, 1, length(:location) + 2) COLLATE NOCASE = :location || ', '
    OR substr(stories.location, -length(:location) - 2) COLLATE NOCASE = ', ' || :location)"""


def feed_stories(conn: sqlite3.Connection, category: str | None, location: str | None,
                 search: str | None, limit: int) -> list[dict[str, Any]]:
    """The most recently updated stories with sources, of ``category`` (any case), at
    ``location`` and matching ``search`` where given; a blank search is no search."""
    where, params = _story_filters(category, location, search)
    rows = conn.execute(
        f"SELECT stories.* FROM stories WHERE {where} "
        "ORDER BY stories.last_updated DESC, stories.id DESC LIMIT :limit",
        {**params, "limit": limit},
    )
    return [dict(row) for row in rows]


# The columns a reader filters the stories by, by the names of the filters.
FACET_COLUMNS = {"category": "stories.category", "location": "stories.location"}


def story_facet(conn: sqlite3.Connection, facet: str, category: str | None, location: str | None,
                search: str | None, limit: int) -> list[dict[str, Any]]:
    """The most frequent values of ``facet`` (a key of FACET_COLUMNS) among the stories the
    other filters select, with how many stories have each: the choices of a filter."""
    column = FACET_COLUMNS[facet]
    where, params = _story_filters(category, location, search)
    rows = conn.execute(
        f"SELECT {column} AS value, count(*) AS stories FROM stories WHERE {where} AND {column} IS NOT NULL "
        f"GROUP BY {column} ORDER BY stories DESC, value LIMIT :limit",
        {**params, "limit": limit},
    )
    return [dict(row) for row in rows]


def story_by_id(conn: sqlite3.Connection, story_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
    return dict(row) if row else None


def _story_filters(category: str | None, location: str | None, search: str | None) -> tuple[str, dict[str, Any]]:
    """The WHERE condition (over ``stories``) and its parameters of the filters that are set."""
    conditions = ["stories.source_count > 0"]
    params: dict[str, Any] = {}
    if category:
        conditions.append("stories.category COLLATE NOCASE = :category")
        params["category"] = category
    if location:
        conditions.append(_AT_LOCATION)
        params["location"] = location
    # Datasette's own quoting of a search (each word quoted, "…" kept as a phrase), so the same
    # words find the same stories as the canned query search_stories; imported only to search.
    from datasette.utils import escape_fts

    if search and (quoted := escape_fts(search)):
        conditions.append(_MATCHING_STORIES)
        params["search"] = quoted
    return " AND ".join(conditions), params


def newest_story_update(conn: sqlite3.Connection) -> str | None:
    """When any story of the store last changed: what an empty feed reports as its update."""
    return conn.execute("SELECT max(last_updated) FROM stories WHERE source_count > 0").fetchone()[0]
