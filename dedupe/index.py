"""The in-memory side of grouping: stories of the time window, an inverted index, scoring.

Nothing here touches the store; ``dedupe.assign`` loads and saves. A story's vector is the sum
of its members' vectors, so it does not depend on the order the members joined in.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from dedupe.features import ArticleFeatures
from dedupe.settings import GroupingSettings


# Copies say nearly the same words, so their cosine is near 1: below this, no copy is looked for.
COPY_MIN_SIMILARITY = 0.6
# Two texts of some length share a rare word or two by chance (a town, a person, "Silvester"):
# an article with text joins a story on what they share beyond their strongest shared terms.
IGNORED_SHARED_TERMS = 2
FAMILY_CHARS = 5
# One outlet rarely reports one event twice within this long, unless it says so (an update).
SAME_OUTLET_HOURS = 24.0


def cosine(first: ArticleFeatures, second: ArticleFeatures) -> float:
    if not first.norm or not second.norm:
        return 0.0
    return _dot(first.vector, second.vector) / (first.norm * second.norm)


def broad_cosine(first: ArticleFeatures, second: ArticleFeatures) -> float:
    """The cosine without the shared word families that add most to it (see ``_dot``)."""
    if not first.norm or not second.norm:
        return 0.0
    return _dot(first.vector, second.vector, broad=True) / (first.norm * second.norm)


def headlines_match(first: ArticleFeatures, second: ArticleFeatures, threshold: float) -> float:
    """The cosine of two headlines when they share a pair of terms and reach ``threshold`` (else
    0): two reports whose headlines say the same thing report one event whatever else their pages
    carry (a page's text may be an unrelated box, or a lead of other words)."""
    if first.pairs.isdisjoint(second.pairs):
        return 0.0
    norms = math.sqrt(sum(v * v for v in first.headline.values()) * sum(v * v for v in second.headline.values()))
    similarity = _dot(first.headline, second.headline) / norms if norms else 0.0
    return similarity if similarity >= threshold else 0.0


def _dot(first: dict[str, float], second: dict[str, float], broad: bool = False) -> float:
    """Dot product of two term vectors; ``broad``: without the IGNORED_SHARED_TERMS shared word
    families that add most to it. Two texts on one subject share its words ("Corona",
    "Coronavirus", "Corona-Krise" are one family: the same first FAMILY_CHARS letters), a town or
    a person; two reports of one event share more than that."""
    if len(first) > len(second):
        first, second = second, first
    if not broad:
        return sum(value * second.get(key, 0.0) for key, value in first.items())
    families: dict[str, float] = defaultdict(float)
    for key, value in first.items():
        if key in second:
            families[key if key.startswith("#") else key[:FAMILY_CHARS]] += value * second[key]
    return sum(sorted(families.values(), reverse=True)[IGNORED_SHARED_TERMS:])


@dataclass
class Member:
    features: ArticleFeatures
    copy_of: int | None
    closeness: float = 1.0   # its similarity to the story when it joined: the story's core is the closest


@dataclass
class Story:
    story_id: int
    vector: dict[str, float] = field(default_factory=dict)
    norm_squared: float = 0.0
    members: list[Member] = field(default_factory=list)
    first_time: float = math.inf
    last_time: float = -math.inf
    texts: int = 0   # members with text, not just a headline
    pairs: set[tuple[str, str]] = field(default_factory=set)   # every member's headline pairs
    _core: tuple[tuple[int, int], list[Member]] | None = field(default=None, repr=False, compare=False)

    def add(self, features: ArticleFeatures, copy_of: int | None, closeness: float = 1.0) -> None:
        for key, value in features.vector.items():
            old = self.vector.get(key, 0.0)
            self.vector[key] = old + value
            self.norm_squared += (old + value) ** 2 - old * old
        self.members.append(Member(features, copy_of, closeness))
        self.pairs |= features.pairs
        self.texts += features.has_text
        self.first_time = min(self.first_time, features.event_time)
        self.last_time = max(self.last_time, features.event_time)

    def similarity(self, features: ArticleFeatures, broad: bool = False) -> float:
        """Cosine of the article's vector with the story's summed vector (``broad``: see ``_dot``)."""
        if not features.norm or self.norm_squared <= 0:
            return 0.0
        return _dot(features.vector, self.vector, broad) / (features.norm * math.sqrt(self.norm_squared))

    def core(self, size: int) -> list[Member]:
        """The members that say what the story is: the originals closest to it when they joined."""
        if self._core is None or self._core[0] != (len(self.members), size):
            originals = [member for member in self.members if member.copy_of is None] or self.members
            ranked = heapq.nsmallest(size, originals, key=lambda m: (-m.closeness, m.features.event_time, m.features.article_id))
            self._core = ((len(self.members), size), ranked)
        return self._core[1]

    def original_of(self, features: ArticleFeatures, copy_threshold: float) -> int | None:
        """The member (not itself a copy) whose headline and lead the article repeats most, if any."""
        originals = sorted((m.features for m in self.members if m.copy_of is None), key=lambda f: (f.event_time, f.url))
        best = process.extractOne(features.copy_key, [f.copy_key for f in originals],
                                  scorer=fuzz.ratio, score_cutoff=copy_threshold * 100)
        return originals[best[2]].article_id if best else None


@dataclass(frozen=True)
class Match:
    story_id: int
    score: float
    copy_of: int | None


class StoryIndex:
    """Stories within the time window, found through an inverted index on distinctive terms."""

    def __init__(self, settings: GroupingSettings) -> None:
        self.settings = settings
        self.stories: dict[int, Story] = {}
        self.postings: dict[str, set[int]] = defaultdict(set)
        self.terms_of: dict[int, set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self.stories)

    def matches(self, features: ArticleFeatures) -> list[Match]:
        """Stories the article could belong to, best first (ties: the older story)."""
        found = []
        for story in self.candidates(features):
            similarity = story.similarity(features)
            freshness = self.freshness(story, features.event_time)
            texts = self.compares_texts(features, story.story_id)
            threshold = self.settings.text_threshold if texts else self.settings.threshold
            score = (story.similarity(features, broad=True) if texts else similarity) * freshness
            if texts and score < threshold:
                # On the scale of text scores: as far above its threshold as the headlines are above theirs.
                score = max(score, freshness * threshold / self.settings.threshold * max(
                    (headlines_match(features, member.features, self.settings.threshold)
                     for member in story.core(self.settings.core_size)), default=0.0))
            copy_of = None
            if similarity >= COPY_MIN_SIMILARITY:
                copy_of = story.original_of(features, self.settings.copy_threshold)
                if copy_of is not None:
                    # A copy counts as a perfect match, but time still tells: a story does not
                    # grow for weeks through the same text published again and again.
                    score = max(score, freshness)
            if score >= threshold and (copy_of is not None or self.agrees_with_core(features, story)):
                found.append(Match(story.story_id, score, copy_of))
        return sorted(found, key=lambda match: (-match.score, match.story_id))

    def agrees_with_core(self, features: ArticleFeatures, story: Story) -> bool:
        """Whether the article matches enough of the story's core on its own (a story does not grow
        through one member at its edge), names no other people, days or places than they do, and
        is, against an article of its own outlet of the same day, a plain update of it."""
        core = story.core(self.settings.core_size)
        agreeing = 0
        for member in core:
            verdict = self.pair_verdict(features, member.features)
            if verdict is None:
                return False
            agreeing += verdict
        in_core = {id(member) for member in core}
        for member in story.members:
            if id(member) not in in_core and self.same_outlet_soon(features, member.features):
                if not self.pair_verdict(features, member.features):
                    return False
        return agreeing >= max(1, math.ceil(self.settings.core_agreement * len(core)))

    def pair_verdict(self, first: ArticleFeatures, second: ArticleFeatures, outlet_veto: bool = True) -> bool | None:
        """True when two articles match on their own, False when they do not, None when they
        cannot be one event (different people, days or places; one outlet's two reports without
        a word that one continues the other, and not alike enough to be one updated — unless not
        ``outlet_veto``, then they merely do not match)."""
        if first.marks.conflicts(second.marks):
            return None
        texts = first.has_text and second.has_text
        similarity = broad_cosine(first, second) if texts else cosine(first, second)
        threshold = self.settings.text_threshold if texts else self.settings.threshold
        if self.same_outlet_soon(first, second) and not (first.marks.follow_up or second.marks.follow_up):
            return similarity >= self.settings.same_outlet_factor * threshold or (None if outlet_veto else False)
        return similarity >= threshold or (texts and headlines_match(first, second, self.settings.threshold) > 0)

    def same_outlet_soon(self, first: ArticleFeatures, second: ArticleFeatures) -> bool:
        return first.outlet == second.outlet and abs(first.event_time - second.event_time) <= SAME_OUTLET_HOURS * 3600

    def cores_agree(self, first_id: int, second_id: int) -> bool:
        """Whether two stories would hang together as one: no two articles across their cores
        cannot be one event, and, between stories with text, ``merge_core_agreement`` of those
        pairs match on their own. (Two headlines of one event often share just a name and a
        word; between headline stories ``headlines_agree`` asks for agreement headline by
        headline instead.)"""
        size = self.settings.core_size
        first, second = self.stories[first_id].core(size), self.stories[second_id].core(size)
        agreeing = 0
        for one in first:
            for other in second:
                # Two articles of one outlet in two fragments of a story may be two angles of it.
                verdict = self.pair_verdict(one.features, other.features, outlet_veto=False)
                if verdict is None:
                    return False
                agreeing += verdict
        texts = self.stories[first_id].texts and self.stories[second_id].texts
        return not texts or agreeing >= max(1, math.ceil(self.settings.merge_core_agreement * len(first) * len(second)))

    def compares_texts(self, features: ArticleFeatures, *story_ids: int) -> bool:
        """Whether the article and these stories have text, so broad evidence is asked for."""
        return features.has_text and all(self.stories[story_id].texts for story_id in story_ids)

    def story_similarity(self, first_id: int, second_id: int, broad: bool = False) -> float:
        """Cosine of two stories' vectors (``broad``: see ``_dot``), lowered by the silence between them."""
        first, second = self.stories[first_id], self.stories[second_id]
        if first.norm_squared <= 0 or second.norm_squared <= 0:
            return 0.0
        dot = _dot(first.vector, second.vector, broad)
        gap = max(0.0, second.first_time - first.last_time, first.first_time - second.last_time)
        return dot / math.sqrt(first.norm_squared * second.norm_squared) * self._decay(gap)

    def headlines_agree(self, first_id: int, second_id: int) -> bool:
        """Whether enough headlines of the smaller story share a pair of terms with a headline of
        the other (``merge_agreement``): two stories about one festival or one singer share its
        name in every headline, two halves of one event more than that. A story of at most
        ``merge_small_story`` articles is let through: it is most often one that missed its story
        by a little, and one or two headlines have few pairs to show."""
        smaller, larger = sorted((self.stories[first_id], self.stories[second_id]), key=lambda s: (len(s.members), s.story_id))
        if len(smaller.members) <= self.settings.merge_small_story:
            return True
        agreeing = sum(1 for member in smaller.members if not member.features.pairs.isdisjoint(larger.pairs))
        return agreeing > 0 and agreeing >= self.settings.merge_agreement * len(smaller.members)

    def merge(self, keep_id: int, gone_id: int) -> None:
        """Move every member of one story into another (the vectors simply add up)."""
        keep, gone = self.stories[keep_id], self.stories.pop(gone_id)
        for key, value in gone.vector.items():
            old = keep.vector.get(key, 0.0)
            keep.vector[key] = old + value
            keep.norm_squared += (old + value) ** 2 - old * old
        keep.members.extend(gone.members)
        keep.pairs |= gone.pairs
        keep.texts += gone.texts
        keep.first_time = min(keep.first_time, gone.first_time)
        keep.last_time = max(keep.last_time, gone.last_time)
        for key in self.terms_of.pop(gone_id, ()):
            self.postings[key].discard(gone_id)
            self.postings[key].add(keep_id)
            self.terms_of[keep_id].add(key)

    def freshness(self, story: Story, moment: float) -> float:
        """1 while the story is active, falling to 1/2 after ``decay_hours`` of silence: news
        comes in bursts, and an article long after the last one more often starts a new story."""
        return self._decay(max(0.0, moment - story.last_time, story.first_time - moment))

    def _decay(self, gap_seconds: float) -> float:
        return 1.0 / (1.0 + gap_seconds / (self.settings.decay_hours * 3600))

    def candidates(self, features: ArticleFeatures) -> list[Story]:
        """Stories sharing a distinctive term with the article, inside the window, best-sharing first."""
        settings = self.settings
        window = settings.window_hours * 3600
        shared: dict[int, float] = defaultdict(float)
        for key in features.blocking_terms(settings.blocking_terms, settings.blocking_min_weight):
            for story_id in self.postings.get(key, ()):
                shared[story_id] += features.vector[key]
        found = []
        for story_id in sorted(shared, key=lambda s: (-shared[s], s))[: settings.max_candidates]:
            story = self.stories[story_id]
            if story.first_time - window <= features.event_time <= story.last_time + window:
                found.append(story)
        return found

    def add(self, story_id: int, features: ArticleFeatures, copy_of: int | None = None, closeness: float = 1.0) -> None:
        story = self.stories.get(story_id)
        if story is None:
            story = self.stories[story_id] = Story(story_id)
        story.add(features, copy_of, closeness)
        for key in features.blocking_terms(self.settings.blocking_terms, self.settings.blocking_min_weight):
            self.postings[key].add(story_id)
            self.terms_of[story_id].add(key)

    def evict_before(self, moment: float) -> None:
        """Forget stories whose newest article is older than ``moment`` (keeps memory bounded)."""
        for story_id in [s for s, story in self.stories.items() if story.last_time < moment]:
            self.remove(story_id)

    def remove(self, story_id: int) -> None:
        self.stories.pop(story_id, None)
        for key in self.terms_of.pop(story_id, ()):
            posting = self.postings.get(key)
            if posting is not None:
                posting.discard(story_id)
                if not posting:
                    del self.postings[key]
