"""Full-text search of articles and stories: German-friendly, kept current by triggers, and the
canned queries read through indexes rather than whole tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from datasette.utils import escape_fts

import db.schema
from db.canned import CANNED_QUERIES
from db.schema import connect
from db.store import transaction, upsert_article
from db.stories import clear_grouping, create_story, update_story
from serve_store import KING_TITLE_START, TANKER_TITLE, build_store, real_articles


def _matches(conn: sqlite3.Connection, table: str, words: str) -> list[int]:
    return [row[0] for row in conn.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", (words,))]


def _check_index(conn: sqlite3.Connection, table: str) -> None:
    # rank = 1 makes FTS5 compare the index with the content table, not only with itself.
    conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


@pytest.fixture
def conn(db_path: Path) -> sqlite3.Connection:
    build_store(db_path)
    return connect(str(db_path))


@pytest.mark.parametrize("words", ["Koenig", "Konigs"])
def test_search_does_not_stem_or_spell_out_umlauts(conn: sqlite3.Connection, words: str) -> None:
    assert _matches(conn, "articles_fts", words) == []


@pytest.mark.parametrize("words", ["König", "konig", "KONIG", "Thronfolger", "thronfolger"])
def test_article_search_folds_case_and_umlauts(conn: sqlite3.Connection, words: str) -> None:
    titles = [conn.execute("SELECT title FROM articles WHERE id = ?", (rowid,)).fetchone()[0]
              for rowid in _matches(conn, "articles_fts", words)]
    assert titles and all(title.startswith(KING_TITLE_START) for title in titles)


def test_article_search_finds_words_of_the_body(conn: sqlite3.Connection) -> None:
    # "Marinera" is the tanker's name in the t-online article's text, not in its title.
    assert len(_matches(conn, "articles_fts", "Marinera")) == 2  # the real article and the made-up one


def test_article_search_follows_updates_and_deletes(conn: sqlite3.Connection) -> None:
    article = next(a for a in real_articles() if a["title"] == TANKER_TITLE)
    with transaction(conn):
        article_id, result = upsert_article(conn, {**article, "title": "Tanker im Ärmelkanal gestoppt",
                                                   "body": "", "content_hash": "changed"})
    assert result == "updated"
    assert _matches(conn, "articles_fts", "Armelkanal") == [article_id]
    assert article_id not in _matches(conn, "articles_fts", "Schattenflotte")
    with transaction(conn):
        conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    assert _matches(conn, "articles_fts", "Armelkanal") == []
    _check_index(conn, "articles_fts")


def test_story_search_follows_the_grouping_writing_stories(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        story_id = create_story(conn)  # the grouping opens a story empty, then fills it
        update_story(conn, story_id, {"title": "Brand in Köln-Mülheim", "body": "Laut t-online: Feuerwehr löscht",
                                      "source_count": 1, "outlet_count": 1})
    assert _matches(conn, "stories_fts", "Mulheim") == [story_id]
    with transaction(conn):
        update_story(conn, story_id, {"title": "Großbrand in Köln", "body": "Laut t-online: Feuerwehr löscht",
                                      "source_count": 2, "outlet_count": 1})
    assert _matches(conn, "stories_fts", "Mulheim") == []
    assert _matches(conn, "stories_fts", "Großbrand") == [story_id]
    _check_index(conn, "stories_fts")
    with transaction(conn):
        clear_grouping(conn)  # what regroup starts with
    assert _matches(conn, "stories_fts", "Feuerwehr OR Thronfolger OR Schattenflotte") == []
    _check_index(conn, "stories_fts")


def test_a_store_made_before_search_existed_gets_its_rows_indexed(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db.schema, "MIGRATIONS", db.schema.MIGRATIONS[:1])
    old = connect(str(db_path))
    with transaction(old):
        upsert_article(old, real_articles()[0])
    old.close()
    monkeypatch.undo()
    upgraded = connect(str(db_path))
    assert _matches(upgraded, "articles_fts", "Gurken") == [1]
    _check_index(upgraded, "articles_fts")


@pytest.mark.parametrize("query", [query for query in CANNED_QUERIES if not query.parameters], ids=lambda q: q.name)
def test_canned_queries_without_parameters_never_scan_a_big_table_whole(db_path: Path, query) -> None:
    conn = connect(str(db_path))
    conn.create_function("escape_fts", 1, escape_fts)
    plan = [row["detail"] for row in conn.execute("EXPLAIN QUERY PLAN " + query.sql)]
    full_scans = [step for step in plan if step.startswith("SCAN") and "INDEX" not in step
                  and any(f" {table}" in step for table in ("articles", "stories"))]
    assert full_scans == [], plan
