"""What grouping looks at in one article: a weighted term vector, its title and lead, its time."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from db.dates import epoch_seconds
from dedupe.evidence import EventMarks, event_marks
from dedupe.text import HEADLINE_WORDS, clean_title, fold, guess_language, normalise, strip_boilerplate, term, words

LEAD_CHARS = 1000   # the top of the body says what the event is; the rest adds noise and time
COPY_CHARS = 600    # how much text two copies of an agency report must share
TITLE_COUNT = 2     # a word in the headline counts as much as two in the text
TEXT_TERMS = 25     # an article with more weighted terms than this has text, not just a headline
PAIR_MIN_WEIGHT = 0.4  # lighter words ("new", "says") corroborate nothing, not even in a pair
_WORD_END = re.compile(r"\w\b")


@dataclass(frozen=True)
class ArticleFeatures:
    article_id: int
    event_time: float            # epoch seconds: published, else fetched
    outlet: str
    language: str
    vector: dict[str, float]     # term → weight
    norm: float
    copy_key: str                # folded headline + lead, for recognising copies
    url: str = ""
    pairs: frozenset[tuple[str, str]] = frozenset()  # headline term pairs (see headline_pairs)
    headline: dict[str, float] = field(default_factory=dict)  # the headline's own terms, weighed alike
    marks: EventMarks = EventMarks()                 # who, when, where: what tells incidents apart

    @property
    def has_text(self) -> bool:
        """More than a headline: matched on broader evidence, at its own threshold."""
        return len(self.vector) > TEXT_TERMS

    def blocking_terms(self, count: int, min_weight: float) -> list[str]:
        """The most distinctive terms, the keys under which candidate stories are looked up."""
        return [key for key, weight in self._ranked_terms[:count] if weight >= min_weight]

    @cached_property
    def _ranked_terms(self) -> list[tuple[str, float]]:
        # Looked up when the article is matched and again when it is indexed.
        return sorted(self.vector.items(), key=lambda item: (-item[1], item[0]))


def _headline_and_run_on(title: str) -> tuple[str, str]:
    """The headline, and the text some feeds run on after it in the "title" field: a title
    longer than HEADLINE_WORDS is taken to be a headline of HEADLINE_WORDS // 2 words and text."""
    ends = [match.end() for match in _WORD_END.finditer(title)]
    if len(ends) <= HEADLINE_WORDS:
        return title, ""
    cut = ends[HEADLINE_WORDS // 2 - 1]
    return title[:cut], title[cut:]


def _text(raw: str) -> str:
    return normalise(strip_boilerplate(raw))


def event_time(article: Mapping[str, Any]) -> float:
    moment = epoch_seconds(article.get("published")) or epoch_seconds(article.get("fetched_at"))
    return moment if moment is not None else 0.0


@dataclass(frozen=True)
class ArticleTerms:
    """An article's weighted terms and the texts they come from."""

    title: str
    teaser: str
    raw_lead: str
    lead: str
    title_words: list[str]
    language: str
    vector: dict[str, float]


def article_terms(article: Mapping[str, Any]) -> ArticleTerms:
    """The weighted terms of an article row (title, teaser, body, outlet): all that an outlet's
    furniture profile needs, and the most of what ``article_features`` computes."""
    title, run_on = _headline_and_run_on(article.get("title") or "")
    title = clean_title(title, (article.get("outlet") or "",))
    teaser = " ".join(filter(None, (_text(run_on), _text(article.get("teaser") or ""))))
    raw_lead = (article.get("body") or "")[:LEAD_CHARS]
    lead = _text(raw_lead)
    title_words = words(title)
    text_words = words(f"{teaser} {lead}")
    language = guess_language(title_words + text_words)
    vector = _weighted_terms(((title_words, TITLE_COUNT), (text_words, 1)), language)
    return ArticleTerms(title, teaser, raw_lead, lead, title_words, language, vector)


def _weighted_terms(groups: Iterable[tuple[list[str], int]], language: str) -> dict[str, float]:
    """Each term's weight times log(1 + its count), a token of a group counting that group's number."""
    counts: Counter[str] = Counter()
    weights: dict[str, float] = {}
    for tokens, count in groups:
        for token in tokens:
            key, weight = term(token, language)
            if weight > 0:
                counts[key] += count
                weights[key] = max(weight, weights.get(key, 0.0))
    return {key: weights[key] * math.log1p(counts[key]) for key in counts}


def article_features(article: Mapping[str, Any]) -> ArticleFeatures:
    """Features of an article row (title, teaser, body, outlet, published, fetched_at, id)."""
    terms = article_terms(article)
    return ArticleFeatures(
        article_id=int(article.get("id") or 0),
        event_time=event_time(article),
        outlet=article.get("outlet") or "",
        language=terms.language,
        vector=terms.vector,
        norm=math.sqrt(sum(value * value for value in terms.vector.values())),
        copy_key=fold(f"{terms.title} {terms.teaser} {terms.lead}")[:COPY_CHARS],
        url=article.get("url") or "",
        pairs=headline_pairs(terms.title_words, terms.language),
        headline=headline_vector(terms.title_words, terms.language),
        marks=event_marks(terms.title, f"{terms.teaser}\n{terms.raw_lead}" if terms.teaser else terms.raw_lead,
                          epoch_seconds(article.get("published"))),
    )


def headline_vector(title_words: list[str], language: str) -> dict[str, float]:
    """The headline's weighted terms alone: what two reports with text say in one line."""
    return _weighted_terms(((title_words, 1),), language)


def headline_pairs(title_words: list[str], language: str) -> frozenset[tuple[str, str]]:
    """Every two informative headline terms that are not side by side. Two headlines sharing such
    a pair say more than one shared word, and a name of two words ("Miley Cyrus", side by side)
    is no pair: a festival or a singer alone does not make two reports one story."""
    keyed = [term(token, language) for token in title_words]
    found = set()
    for position, (first, weight) in enumerate(keyed):
        if weight < PAIR_MIN_WEIGHT:
            continue
        for second, other_weight in keyed[position + 2:]:
            if other_weight >= PAIR_MIN_WEIGHT and first != second:
                found.add((first, second) if first < second else (second, first))
    return frozenset(found)
