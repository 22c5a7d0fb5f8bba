"""A merged story from its sources: title and teaser of the most representative one, an
extractive body whose every paragraph names its outlet, category, location, dates, counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rapidfuzz import fuzz

from dedupe.category import categorise
from dedupe.features import ArticleFeatures, article_features
from dedupe.location import dateline_of, locate
from dedupe.text import normalise

PARAGRAPHS_PER_SOURCE = 2
MAX_PARAGRAPHS = 8
NEW_INFORMATION = 70   # a paragraph this alike (token_set_ratio) to one already taken adds nothing
ATTRIBUTION = {"de": "Laut {outlet}: {text}", "en": "According to {outlet}: {text}"}


def merged_story(members: Sequence[Mapping[str, Any]], known: Mapping[int, ArticleFeatures] | None = None) -> dict[str, Any]:
    """Story fields for ``db.stories.update_story`` from its articles (``db.stories.story_members``);
    ``known`` holds features already computed, by article id."""
    known = known or {}
    features = {member["id"]: known.get(member["id"]) or article_features(member) for member in members}
    representative = _most_representative(members, features)
    language = features[representative["id"]].language
    originals = [member for member in members if member["copy_of"] is None]
    dates = [member["published"] or member["fetched_at"] for member in members]
    return {
        "title": normalise(representative["title"]),
        "teaser": normalise(representative["teaser"] or "") or None,
        "body": _attributed_body(representative, originals, language),
        "category": categorise([m["title"] for m in originals], [_lead(m) for m in originals]),
        "location": locate(_datelines(originals), [m["title"] for m in originals], [_lead(m) for m in originals], language),
        "first_seen": min(dates),
        "last_updated": max(dates),
        "source_count": len(members),
        "outlet_count": len({member["outlet"] for member in members}),
        "representative_article_id": representative["id"],
    }


def _most_representative(members: Sequence[Mapping[str, Any]], features: Mapping[int, Any]) -> Mapping[str, Any]:
    """The source closest to what all sources say together (ties: the earliest)."""
    total: dict[str, float] = {}
    for item in features.values():
        for key, value in item.vector.items():
            total[key] = total.get(key, 0.0) + value

    def closeness(member: Mapping[str, Any]) -> float:
        item = features[member["id"]]
        return sum(value * total.get(key, 0.0) for key, value in item.vector.items()) / (item.norm or 1.0)

    return max(members, key=lambda member: (closeness(member), -members.index(member)))


def _paragraphs(member: Mapping[str, Any]) -> list[str]:
    text = member["body"] or member["teaser"] or member["title"]
    return [normalise(part) for part in text.split("\n") if normalise(part)]


def _lead(member: Mapping[str, Any]) -> str:
    return " ".join(filter(None, [member["teaser"], (member["body"] or "")[:1000]]))


def _datelines(members: Sequence[Mapping[str, Any]]) -> list[str]:
    found = []
    for member in members:
        dateline = member["dateline"] or dateline_of(member["body"] or member["teaser"] or "")
        if dateline:
            found.append(dateline)
    return found


def _attributed_body(representative: Mapping[str, Any], originals: Sequence[Mapping[str, Any]], language: str) -> str:
    """The representative's first paragraphs, then what each other outlet adds, each attributed."""
    template = ATTRIBUTION.get(language, ATTRIBUTION["de"])
    taken: list[str] = []
    body: list[str] = []
    sources = [representative] + [m for m in originals if m["id"] != representative["id"]]
    seen_outlets: set[str] = set()
    for member in sources:
        if member["outlet"] in seen_outlets or len(body) >= MAX_PARAGRAPHS:
            continue
        seen_outlets.add(member["outlet"])
        added = 0
        for paragraph in _paragraphs(member):
            if added == PARAGRAPHS_PER_SOURCE or len(body) >= MAX_PARAGRAPHS:
                break
            if any(fuzz.token_set_ratio(paragraph, earlier) >= NEW_INFORMATION for earlier in taken):
                continue
            taken.append(paragraph)
            outlet = member.get("outlet_title") or member["outlet"]
            body.append(template.format(outlet=outlet, text=paragraph))
            added += 1
    return "\n\n".join(body)
