"""Furniture: what an outlet prints on many of its articles about different events, learned per
outlet from its own recent articles in the store, so that it weighs nothing as evidence.

A press office writes "Zeugen gesucht", "Hinweise nimmt die Polizeiinspektion … entgegen", its
name, its dateline town, "Fachkommissariat" into most of its releases; a news site prints its
consent banner, its footer and its subscription offer on every page. No list names these: a term
that appears in a large share of an outlet's articles of the days before says nothing about which
event one of them reports, whatever the press format.

The profile an article is judged by is learned from its outlet's articles of the ``PROFILE_DAYS``
whole (UTC) days *before* the article's day, as they are in the store. It does not depend on the
order articles arrived in, nor on the articles grouped earlier the same day: regroup, which
groups every article in date order, weighs every article as an incremental crawl in date order
did, and a file imported in any order gives the same stories.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Protocol

from dedupe.features import ArticleFeatures, article_terms, event_time

DAY = 86400.0
PROFILE_DAYS = 7           # the days of an outlet's articles its profile is learned from
MIN_ARTICLES = 8           # fewer articles than this tell no template from chance
MIN_DOCUMENT_COUNT = 3     # a term must be on at least this many of them to be furniture …
FURNITURE_SHARE = 0.25     # … and weighs nothing once it is on this share of them (less, less so)

ArticlesBetween = Callable[[float, float], Iterable[Mapping[str, Any]]]
TermsOf = Callable[[Mapping[str, Any]], Iterable[str]]
DayCounts = dict[str, tuple[int, Counter[str]]]   # outlet → (its articles, on how many each term is)
_NOTHING: tuple[int, Counter[str]] = (0, Counter())   # an outlet's day without articles (never changed)


class KeptDays(Protocol):
    """Where the counts of whole days are kept between processes (the store)."""

    def load(self, day: str) -> str | None: ...
    def keep(self, day: str, counts: str) -> None: ...


class FurnitureProfiles:
    """Per outlet and day, the weight each of its terms keeps (1 for most; 0 for furniture)."""

    def __init__(self, articles_between: ArticlesBetween, terms_of: TermsOf | None = None,
                 kept_days: KeptDays | None = None) -> None:
        # ``articles_between(start, end)``: stored articles dated in [start, end) (more is filtered out).
        self.articles_between = articles_between
        self.terms_of = terms_of or (lambda row: article_terms(row).vector.keys())
        self.kept_days = kept_days
        self.day_counts: dict[int, DayCounts] = {}
        self.kept: dict[tuple[str, int], dict[str, float]] = {}

    def discounted(self, features: ArticleFeatures, moment: float | None = None) -> ArticleFeatures:
        """The features with the outlet's furniture weighed down, as of the article's day (or the
        day of ``moment``)."""
        kept = self.weights(features.outlet, features.event_time if moment is None else moment)
        if not kept:
            return features
        vector = {key: value * kept.get(key, 1.0) for key, value in features.vector.items()}
        vector = {key: value for key, value in vector.items() if value > 0}
        return replace(features, vector=vector, norm=math.sqrt(sum(value * value for value in vector.values())))

    def weights(self, outlet: str, moment: float) -> dict[str, float]:
        """Weight kept by each furniture term of the outlet on the day of ``moment`` (others keep 1)."""
        day = int(moment // DAY)
        key = (outlet, day)
        if key not in self.kept:
            days = [self._day(earlier).get(outlet, _NOTHING) for earlier in range(day - PROFILE_DAYS, day)]
            articles = sum(day_articles for day_articles, _ in days)
            counts = Counter[str]()
            if articles >= MIN_ARTICLES:
                for _, day_counts in days:
                    counts.update(day_counts)
            self.kept[key] = _kept_weights(articles, counts)
        return self.kept[key]

    def _day(self, day: int) -> DayCounts:
        if day not in self.day_counts:
            name = datetime.fromtimestamp(day * DAY, timezone.utc).date().isoformat()
            stored = self.kept_days.load(name) if self.kept_days else None
            if stored is not None:
                self.day_counts[day] = {outlet: (articles, Counter(counts))
                                        for outlet, (articles, counts) in json.loads(stored).items()}
            else:
                self.day_counts[day] = self._count_day(day)
                if self.kept_days:
                    self.kept_days.keep(name, json.dumps(self.day_counts[day], ensure_ascii=False, sort_keys=True))
        return self.day_counts[day]

    def _count_day(self, day: int) -> DayCounts:
        found: DayCounts = {}
        for row in self.articles_between(day * DAY, (day + 1) * DAY):
            if day * DAY <= event_time(row) < (day + 1) * DAY:
                articles, counts = found.get(row["outlet"] or "", (0, Counter()))
                counts.update(self.terms_of(row))
                found[row["outlet"] or ""] = (articles + 1, counts)
        return found


def _kept_weights(articles: int, counts: Counter[str]) -> dict[str, float]:
    if articles < MIN_ARTICLES:
        return {}
    kept = {}
    for term, count in counts.items():
        if count >= MIN_DOCUMENT_COUNT:
            kept[term] = max(0.0, 1.0 - count / articles / FURNITURE_SHARE)
    return kept
