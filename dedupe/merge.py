"""A merged story from its sources: the headline of the most representative one, a teaser, an
extractive body whose every paragraph names its outlet, category, location, dates, counts.

Title, teaser and body are the sources' own words (quotes, dashes and case as they wrote them,
only white space tidied); the matching keys of ``dedupe.text.normalise`` never reach them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import mul
from typing import Any, NamedTuple

from rapidfuzz import fuzz

from dedupe.category import categorise
from dedupe.features import ArticleFeatures, article_features
from dedupe.location import NAMES_LANGUAGE, dateline_of, locate
from dedupe.text import split_headline, split_lead, strip_boilerplate, tidy, words

PARAGRAPHS_PER_SOURCE = 2
MAX_PARAGRAPHS = 8
NEW_INFORMATION = 70   # a paragraph this alike to one taken (token_set_ratio), or to the title or teaser
                       # as a whole (token_sort_ratio), adds nothing
ATTRIBUTION = {"de": "Laut {outlet}: {text}", "en": "According to {outlet}: {text}"}
KEPT_SOURCE_TEXTS = 20_000   # sources whose tidied text is kept (the stories a process is working on)
_SOURCE_TEXTS: dict[tuple[int, str | None, str], "SourceText"] = {}
MIN_PARAGRAPH_WORDS = 3   # a line with fewer words (page furniture aside) is no paragraph of text
OPENING_BODY_CHARS = 1000   # the start of a body that category and places are read from


class SourceText(NamedTuple):
    headline: str
    teaser: str | None
    paragraphs: list[str]   # its text: what its "title" ran on after the headline (where it did), then its body
    opening: str            # its teaser and the start of its body, as written: what category and places are read from
    dateline: str | None


def merged_story(members: Sequence[Mapping[str, Any]], known: Mapping[int, ArticleFeatures] | None = None,
                 place_names: str = NAMES_LANGUAGE) -> dict[str, Any]:
    """Story fields for ``db.stories.update_story`` from its articles (``db.stories.story_members``);
    ``known`` holds features already computed, by article id; places are named in ``place_names``."""
    known = known or {}
    features = {member["id"]: known.get(member["id"]) or article_features(member) for member in members}
    representative = _most_representative(members, features)
    language = features[representative["id"]].language
    originals = [member for member in members if member["copy_of"] is None]
    # Copies repeat an original word for word; the representative may be one.
    sources = [representative] + [m for m in originals if m["id"] != representative["id"]]
    texts = {member["id"]: _source_text(member, features[member["id"]].language) for member in sources}
    title = texts[representative["id"]].headline
    teaser, after_lead = _teaser(sources, texts)
    headlines, openings = [m["title"] for m in originals], [texts[m["id"]].opening for m in originals]
    datelines = [dateline for m in originals if (dateline := texts[m["id"]].dateline)]
    return {
        "title": title,
        "teaser": teaser,
        "body": _attributed_body(sources, texts, after_lead, [title, teaser or ""], language),
        "category": categorise(headlines, openings, language),
        "location": locate(datelines, headlines, openings, language, names_language=place_names),
        **story_counts(members),
        "representative_article_id": representative["id"],
    }


def story_counts(members: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What a story's articles say by their number and dates alone."""
    dates = [member["published"] or member["fetched_at"] for member in members]
    return {"source_count": len(members), "outlet_count": len({member["outlet"] for member in members}),
            "first_seen": min(dates), "last_updated": max(dates)}


def _most_representative(members: Sequence[Mapping[str, Any]], features: Mapping[int, Any]) -> Mapping[str, Any]:
    """The source closest to what all sources say together (ties: the earliest)."""
    total: dict[str, float] = {}
    for item in features.values():
        for key, value in item.vector.items():
            total[key] = total.get(key, 0.0) + value

    def closeness(member: Mapping[str, Any]) -> float:
        item = features[member["id"]]
        return sum(map(mul, item.vector.values(), map(total.__getitem__, item.vector))) / (item.norm or 1.0)

    return max(members, key=closeness)  # max keeps the first of equals: ties go to the earliest


def _source_text(member: Mapping[str, Any], language: str) -> SourceText:
    """A source's headline, teaser and paragraphs of text, white space tidied, its opening and
    dateline (kept by content hash: a crawl rewrites a story at each article it gains, and reads
    every source again)."""
    key = (member["id"], member.get("content_hash"), language)
    if key[1] and key in _SOURCE_TEXTS:
        return _SOURCE_TEXTS[key]
    headline, run_on = split_headline(member["title"], language)
    text = SourceText(headline, tidy(member["teaser"] or "") or None,
                      _text_paragraphs(run_on) + _text_paragraphs(member["body"] or ""),
                      " ".join(filter(None, [member["teaser"], (member["body"] or "")[:OPENING_BODY_CHARS]])),
                      member["dateline"] or dateline_of(member["body"] or member["teaser"] or ""))
    if key[1]:
        if len(_SOURCE_TEXTS) >= KEPT_SOURCE_TEXTS:
            del _SOURCE_TEXTS[next(iter(_SOURCE_TEXTS))]
        _SOURCE_TEXTS[key] = text
    return text


def _text_paragraphs(text: str) -> list[str]:
    """The lines of a text that say something beyond page furniture ("OK", "Jetzt teilen:", a date,
    "Den vollständigen Artikel lesen ...")."""
    lines = (tidy(line) for line in text.split("\n"))
    return [line for line in lines if len(words(strip_boilerplate(line))) >= MIN_PARAGRAPH_WORDS]


def _teaser(sources: Sequence[Mapping[str, Any]], texts: Mapping[int, SourceText]) -> tuple[str | None, dict[int, list[str]]]:
    """A source's teaser (the representative's first); else the lead of the first source with text
    (the representative's first), and that source's paragraphs after its lead, by its id."""
    for member in sources:
        if texts[member["id"]].teaser:
            return texts[member["id"]].teaser, {}
    for member in sources:
        if texts[member["id"]].paragraphs:
            lead, after = split_lead(texts[member["id"]].paragraphs)
            if lead:
                return lead, {member["id"]: after}
    return None, {}


def _attributed_body(sources: Sequence[Mapping[str, Any]], texts: Mapping[int, SourceText],
                     after_lead: Mapping[int, list[str]], shown: list[str], language: str) -> str | None:
    """The representative's paragraphs, then what each other outlet adds, each attributed; none that
    repeats the title or teaser (``shown``) or a paragraph taken before. The source the teaser is
    the lead of goes on after it (``after_lead``)."""
    template = ATTRIBUTION.get(language, ATTRIBUTION["de"])
    taken: list[str] = []
    body: list[str] = []
    seen_outlets: set[str] = set()
    for member in sources:
        if member["outlet"] in seen_outlets or len(body) >= MAX_PARAGRAPHS:
            continue
        seen_outlets.add(member["outlet"])
        text = texts[member["id"]]
        added = 0
        # A source without text adds its headline (the representative's is the title).
        paragraphs = after_lead.get(member["id"], text.paragraphs) if text.paragraphs else [text.headline]
        for paragraph in paragraphs:
            paragraph = _without_repeated_start(paragraph, shown)
            if added == PARAGRAPHS_PER_SOURCE or len(body) >= MAX_PARAGRAPHS:
                break
            if not paragraph or _repeats(paragraph, shown) or _adds_nothing(paragraph, taken):
                continue
            taken.append(paragraph)
            outlet = member.get("outlet_title") or member["outlet"]
            body.append(template.format(outlet=outlet, text=paragraph))
            added += 1
    return "\n\n".join(body) or None


def _without_repeated_start(paragraph: str, shown: Sequence[str]) -> str:
    """A paragraph that starts with the title or teaser ("Headline Text …"), from where they end."""
    for text in shown:
        if text and paragraph.startswith(text):
            paragraph = paragraph[len(text):].strip()
    return paragraph


def _repeats(paragraph: str, shown: Sequence[str]) -> bool:
    """Alike as a whole to the title or teaser (a long paragraph that uses their words is not)."""
    return any(text and fuzz.token_sort_ratio(paragraph, text) >= NEW_INFORMATION for text in shown)


def _adds_nothing(paragraph: str, taken: Sequence[str]) -> bool:
    return any(fuzz.token_set_ratio(paragraph, earlier) >= NEW_INFORMATION for earlier in taken)
