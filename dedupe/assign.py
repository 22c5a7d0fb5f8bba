"""Assignment: a new article joins the best-matching story above the threshold or opens one.

``Grouper`` keeps the stories of the time window in memory (``StoryIndex``) and writes every
decision to the store through ``db.stories``, inside the caller's transaction. Hold one per
process (the crawl pipeline, an import, a regroup) so the window is loaded once.
"""

from __future__ import annotations

import gc
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

from db import stories as sql
from db.store import count_rows, transaction
from dedupe.features import ArticleFeatures, article_features, article_terms, event_time
from dedupe.evidence import EVENT_DAYS, FOLLOW_UP_DAYS
from dedupe.furniture import DAY, FurnitureProfiles
from dedupe.index import Match, StoryIndex, cosine
from dedupe.merge import merged_story
from dedupe.settings import GroupingSettings

log = logging.getLogger(__name__)
HOUR = 3600.0
TEXT_DATE_SLACK = timedelta(days=1)  # stored dates in other offsets compare as text only roughly
# An article is read again for the window, its outlet's furniture profiles and follow-up lookups;
# its features are kept for this many articles (the few days a busy import or crawl works on).
KNOWN_FEATURES = 50_000


class StoredDays:
    """Furniture counts of whole days, kept in the store (``FurnitureProfiles.kept_days``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def load(self, day: str) -> str | None:
        return sql.furniture_day(self.conn, day)

    def keep(self, day: str, counts: str) -> None:
        sql.keep_furniture_day(self.conn, day, counts)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a while. Placing articles allocates millions
    of short-lived dicts and tuples but makes no reference cycles, and every collection walks
    the window's long-lived features again: with 100,000 articles stored, grouping spent a third
    of its time there. The collector resumes (and catches up) when the batch is placed."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def grouping_key(article: Mapping[str, Any]) -> tuple[float, str]:
    """The order articles are grouped in: by date, then URL (never by arrival)."""
    return event_time(article), article.get("canonical_url") or article.get("url") or ""


class Grouper:
    """Places articles into stories; ``add`` for one article, ``add_many`` for a batch."""

    def __init__(self, conn: sqlite3.Connection, settings: GroupingSettings) -> None:
        self.conn = conn
        self.settings = settings
        self.index = StoryIndex(settings)
        self.known: dict[tuple[int, str], ArticleFeatures] = {}
        self.profiles = FurnitureProfiles(self._articles_between, self._terms, StoredDays(self.conn))
        self.loaded: tuple[float, float] | None = None
        self.dirty: set[int] = set()
        # What of the store the window reflects, so that articles other connections grouped
        # meanwhile (the daemon's other crawls, a second newsagg) are indexed before we match.
        self.store_version: int | None = None
        self.newest_known_id = 0

    def add(self, article_id: int) -> int:
        """Place one stored article and bring its merged story up to date; return the story id."""
        return self.add_many([article_id])[article_id]

    def add_many(self, article_ids: Sequence[int]) -> dict[int, int]:
        """Place stored articles in grouping order, then rewrite the merged stories they touched."""
        with collector_paused():
            self._catch_up_with_other_writers()
            rows = sorted(sql.articles_by_id(self.conn, article_ids), key=grouping_key)
            placed = {row["id"]: self._place(row) for row in rows}
            self.refresh()
        self.newest_known_id = sql.newest_article_id(self.conn)
        # A later merge may have moved an earlier article to another story.
        return {article_id: self._story_of(article_id, story_id) for article_id, story_id in placed.items()}

    def refresh(self) -> None:
        """Rewrite title, body, category, location and counts of the stories changed since last time."""
        for story_id in sorted(self.dirty):
            members = sql.story_members(self.conn, story_id)
            if members:
                story = self.index.stories.get(story_id)
                known = {m.features.article_id: m.features for m in story.members} if story else {}
                sql.update_story(self.conn, story_id, merged_story(members, known, self.settings.place_names))
        self.dirty.clear()

    def reset(self) -> None:
        """Forget the in-memory window (after a rolled-back transaction, say); it reloads as needed.
        The stories changed meanwhile stay to be rewritten: those that no longer exist are skipped."""
        self.index = StoryIndex(self.settings)
        self.profiles = FurnitureProfiles(self._articles_between, self._terms, StoredDays(self.conn))
        self.loaded = None

    def _articles_between(self, start: float, end: float, outlet: str | None = None) -> list[dict[str, Any]]:
        return sql.articles_between(self.conn, _iso(start, -TEXT_DATE_SLACK), _iso(end, TEXT_DATE_SLACK), outlet)

    def _features(self, row: Mapping[str, Any]) -> ArticleFeatures:
        """What grouping compares of an article: its terms, its outlet's furniture weighed down."""
        return self.profiles.discounted(self._plain_features(row))

    def _terms(self, row: Mapping[str, Any]) -> Iterable[str]:
        known = self.known.get((int(row["id"]), row["content_hash"]))
        return (known or article_terms(row)).vector.keys()

    def _plain_features(self, row: Mapping[str, Any]) -> ArticleFeatures:
        # Keyed by content hash too: an article updated meanwhile is read afresh.
        key = (int(row["id"]), row["content_hash"])
        found = self.known.get(key)
        if found is None:
            if len(self.known) >= KNOWN_FEATURES:
                del self.known[next(iter(self.known))]
            found = self.known[key] = article_features(row)
        return found

    def _catch_up_with_other_writers(self) -> None:
        version = sql.data_version(self.conn)
        if self.loaded is not None and version != self.store_version:
            low, high = self.loaded
            for row in sql.grouped_articles_after(self.conn, self.newest_known_id):
                if row["story_id"] in self.index.stories or low <= event_time(row) <= high:
                    self.index.add(int(row["story_id"]), self._features(row), row["copy_of"])
            self.newest_known_id = sql.newest_article_id(self.conn)
        self.store_version = version

    def _story_of(self, article_id: int, story_id: int) -> int:
        if story_id in self.index.stories:
            return story_id
        row = sql.articles_by_id(self.conn, [article_id])
        return int(row[0]["story_id"]) if row else story_id

    def _place(self, row: Mapping[str, Any]) -> int:
        if row["story_id"] is not None and sql.story_exists(self.conn, row["story_id"]):
            # An updated article keeps its story; only the merged text is redone.
            self.dirty.add(int(row["story_id"]))
            return int(row["story_id"])
        features = self._features(row)
        self._ensure_window(features.event_time)
        matches = self.index.matches(features)
        if matches and not sql.story_exists(self.conn, matches[0].story_id):
            log.warning("story %s vanished (rolled back?); reloading the window", matches[0].story_id)
            self.reset()
            self._ensure_window(features.event_time)
            matches = self.index.matches(features)
        if not matches:
            matches = self._first_report(features)
        if matches:
            story_id, copy_of, closeness = matches[0].story_id, matches[0].copy_of, matches[0].score
        else:
            story_id, copy_of, closeness = sql.create_story(self.conn), None, 1.0
        sql.place_article(self.conn, features.article_id, story_id, copy_of)
        self.index.add(story_id, features, copy_of, closeness)
        for other in matches[1:]:
            story_id = self._merge_if_alike(story_id, other.story_id, features)
        self.dirty.add(story_id)
        return story_id

    def _first_report(self, features: ArticleFeatures) -> list[Match]:
        """The story of the earlier report of its outlet that a follow-up continues, reaching back
        FOLLOW_UP_DAYS: the one whose release number it cites next to "Folgemeldung"/"Nachtrag",
        else one of the earlier day it names that it matches on its own (and does not contradict)."""
        marks = features.marks
        cites_a_number = bool(marks.follow_up and marks.identifiers)
        if not (marks.past_days or cites_a_number):
            return []
        start, end = features.event_time - FOLLOW_UP_DAYS * DAY, features.event_time
        if not cites_a_number:
            # A report names days from EVENT_DAYS before its publication to the day after: the
            # reports about these days were published within that reach of them.
            start = max(start, _midnight(min(marks.past_days)) - DAY)
            end = min(end, _midnight(max(marks.past_days)) + (EVENT_DAYS + 1) * DAY)
        # Marks are not furniture, and an outlet's furniture changes slowly: the earlier reports
        # are weighed by the profile of the follow-up's own day, not each by that of its day.
        earlier = [(self._plain_features(row), int(row["story_id"])) for row in
                   self._articles_between(start, end, features.outlet)
                   if row["story_id"] is not None and row["id"] != features.article_id]
        found: tuple[float, int] | None = None
        cited = False
        if cites_a_number:
            for identifier in sorted(marks.identifiers):
                citing = [(report, story_id) for report, story_id in earlier if identifier in report.marks.identifiers]
                if len(citing) == 1 and not marks.conflicts(citing[0][0].marks):
                    found, cited = (1.0, citing[0][1]), True
                    break
        for report, story_id in earlier if found is None else ():
            days_reported = report.marks.days | report.marks.weekdays | {_day_of(report.event_time)}
            if marks.past_days.isdisjoint(days_reported) or marks.conflicts(report.marks):
                continue
            similarity = cosine(features, self.profiles.discounted(report, features.event_time))
            if similarity >= self.settings.threshold and (found is None or similarity > found[0]):
                found = (similarity, story_id)
        if found is None or not sql.story_exists(self.conn, found[1]):
            return []
        if found[1] not in self.index.stories:   # a story older than the window: into memory whole
            for row in sql.story_members(self.conn, found[1]):
                self.index.add(found[1], self._features(row), row["copy_of"])
        # Matching one earlier report is not enough to join its story: the story must not grow
        # through that one member (a repeated "… for March 10" column would chain weeks of news).
        if not cited and not self.index.agrees_with_core(features, self.index.stories[found[1]]):
            return []
        return [Match(found[1], found[0], None)]

    def _merge_if_alike(self, story_id: int, other_id: int, features: ArticleFeatures) -> int:
        """An article that matches two stories may show they are one: merge them into the older,
        when they are alike as stories and their cores match across (the merged story must hang
        together); between headlines, several of them must agree on more than one word."""
        if other_id not in self.index.stories or other_id == story_id:
            return story_id
        texts = self.index.compares_texts(features, story_id, other_id)
        threshold = self.settings.text_merge_threshold if texts else self.settings.merge_threshold
        if self.index.story_similarity(story_id, other_id, broad=texts) < threshold:
            return story_id
        if not texts and not self.index.headlines_agree(story_id, other_id):
            return story_id
        if not self.index.cores_agree(story_id, other_id):
            return story_id
        keep, gone = min(story_id, other_id), max(story_id, other_id)
        sql.merge_stories(self.conn, keep, gone)
        self.index.merge(keep, gone)
        self.dirty.discard(gone)
        return keep

    def _ensure_window(self, moment: float) -> None:
        """Have in memory every story that may hold an article within the window of ``moment``."""
        reach = self.settings.window_hours * HOUR
        start, end = moment - reach, moment + reach
        if self.loaded is not None and self.loaded[0] <= start and end <= self.loaded[1]:
            return
        # Load a window ahead too, so that articles in date order need a query only once a window.
        if self.loaded is None or end < self.loaded[0] or start > self.loaded[1]:
            self.index = StoryIndex(self.settings)
            self._load(start, end + reach)
            self.loaded = (start, end + reach)
        else:
            low, high = self.loaded
            if start < low:
                self._load(start - reach, low)
            if end > high:
                self._load(high, end + reach)
            self.loaded = (min(start - reach, low), max(end + reach, high))
        if self.loaded[1] - self.loaded[0] > 4 * reach:
            # Sliding forward (an import in date order): drop what no later article can reach.
            self.index.evict_before(moment - 2 * reach)
            self.loaded = (moment - 2 * reach, self.loaded[1])

    def _load(self, start: float, end: float) -> None:
        self.newest_known_id = sql.newest_article_id(self.conn)
        rows = sql.grouped_articles_between(self.conn, _iso(start, -TEXT_DATE_SLACK), _iso(end, TEXT_DATE_SLACK))
        already_whole = set(self.index.stories)  # stories are always loaded or built whole
        for row in rows:
            if row["story_id"] not in already_whole:
                self.index.add(int(row["story_id"]), self._features(row), row["copy_of"])


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


def _day_of(moment: float) -> date:
    return datetime.fromtimestamp(moment, timezone.utc).date()


def _iso(moment: float, slack: timedelta) -> str:
    return (datetime.fromtimestamp(moment, timezone.utc) + slack).isoformat()


def group_article(conn: sqlite3.Connection, article_id: int, settings: GroupingSettings) -> int:
    """Place one stored article in a story and return the story id (loads the window each call:
    a process grouping many articles should hold a ``Grouper`` instead)."""
    return Grouper(conn, settings).add(article_id)


def regroup(
    conn: sqlite3.Connection,
    settings: GroupingSettings,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild every story from scratch in grouping order, in one transaction; return the count."""
    with transaction(conn):
        order = sorted(sql.grouping_order(conn), key=grouping_key)
        sql.clear_grouping(conn)
        grouper = Grouper(conn, settings)
        for start in range(0, len(order), batch_size):
            grouper.add_many([row["id"] for row in order[start:start + batch_size]])
            if progress:
                progress(min(start + batch_size, len(order)), len(order))
        return count_rows(conn, "stories")
