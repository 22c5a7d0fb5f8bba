"""Whether every merged story agrees with its members, and the repair where one does not.

Grouping rewrites a story in the transaction that changed its members; this is the check that it
did, whatever ran at once (two imports, a crawl, a regroup): the counts and dates a reader sees,
a representative that is one of the story's articles, no story without articles.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from db import stories as sql
from db.store import transaction
from dedupe.location import NAMES_LANGUAGE
from dedupe.merge import merged_story, story_counts


@dataclass(frozen=True)
class Disagreement:
    story_id: int
    reason: str

    def __str__(self) -> str:
        return f"story {self.story_id}: {self.reason}"


def disagreements(conn: sqlite3.Connection) -> list[Disagreement]:
    """Every story whose stored fields do not agree with its articles, with the reason."""
    found = []
    for story in sql.story_rows(conn):
        reason = _reason(story, sql.story_members(conn, story["id"]))
        if reason:
            found.append(Disagreement(story["id"], reason))
    return found


def _reason(story: dict, members: list[dict]) -> str | None:
    if not members:
        return "no articles"
    expected = story_counts(members)
    wrong = [f"{name} {story[name]!r}, its articles give {value!r}" for name, value in expected.items() if story[name] != value]
    if story["representative_article_id"] not in {member["id"] for member in members}:
        wrong.append(f"representative {story['representative_article_id']} is not one of its articles")
    elif not story["title"]:
        wrong.append("no title")
    return "; ".join(wrong) or None


def repair(conn: sqlite3.Connection, found: list[Disagreement], place_names: str = NAMES_LANGUAGE) -> int:
    """Rewrite each story from its articles (or drop it when it has none), in one transaction."""
    with transaction(conn):
        for disagreement in found:
            members = sql.story_members(conn, disagreement.story_id)
            if members:
                sql.update_story(conn, disagreement.story_id, merged_story(members, place_names=place_names))
            else:
                sql.delete_story(conn, disagreement.story_id)
    return len(found)
