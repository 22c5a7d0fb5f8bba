"""The article, defined once: its fields and their types, and how its text is cleaned where it
enters the store — the crawl pipeline, ``newsagg import`` and the cluster writer all store an
``Article`` made by ``clean_article``, so an imported article is cleaned exactly like a crawled one.

Cleaning is for the reader, not for matching: mojibake and entities repaired (``ftfy``), NFC, soft
hyphens and white space at the ends of lines removed, lines, paragraphs, the spaces between words,
quotes, dashes and case as the source has them. Matching keys are computed from the stored text elsewhere (``dedupe.text``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict, cast

import ftfy

# What makes two fetches (or imports) of an article the same content, validators and times aside.
CONTENT_FIELDS = (
    "canonical_url", "outlet", "title", "seo_title", "kicker", "teaser", "body", "authors", "published",
    "modified", "section", "keywords", "language", "image", "dateline",
)
# What a reader reads; the other fields (URLs, dates, validators, the outlet's key) are kept as given.
TEXT_FIELDS = ("title", "seo_title", "kicker", "teaser", "body", "section", "dateline", "publisher")


class Article(TypedDict, total=False):
    """An article as the store keeps it (table ``articles``); ``url``, ``canonical_url``,
    ``outlet``, ``title``, ``fetched_at`` and ``content_hash`` are always there."""

    url: str
    canonical_url: str
    outlet: str
    title: str
    seo_title: str | None
    kicker: str | None
    teaser: str | None
    body: str | None
    authors: list[str]
    published: str | None      # ISO 8601 with offset
    modified: str | None
    section: str | None
    keywords: list[str]
    language: str | None
    image: str | None
    dateline: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: str
    content_hash: str
    publisher: str | None      # the outlet's name where a source gives it (import); not stored per article


class NoHeadline(ValueError):
    """An article without a headline: nothing a reader could be shown."""


def clean_article(fields: Mapping[str, Any]) -> Article:
    """The article of these fields with its text cleaned, its lists without empty or repeated
    names, its canonical URL (the URL unless given) and its content hash; NoHeadline without a title."""
    article: dict[str, Any] = {key: clean_text(value) if key in TEXT_FIELDS and isinstance(value, str) else value
                               for key, value in fields.items()}
    article["authors"] = _names(fields.get("authors"))
    article["keywords"] = _names(fields.get("keywords"))
    article["canonical_url"] = article.get("canonical_url") or article["url"]
    if not article.get("title"):
        raise NoHeadline(f"{article['url']}: no headline")
    article["content_hash"] = content_hash(article)
    return cast(Article, article)


def clean_text(value: str) -> str | None:
    """Mojibake repaired, NFC, no soft hyphens, no white space at the ends of lines; lines and
    paragraphs (blank lines) kept; the spaces between words, quotes and dashes as the source has
    them (a headline stays the source's character for character). None when nothing is left."""
    paragraphs = []
    for paragraph in _PARAGRAPH_BREAK.split(repair(value).replace("\u00ad", "")):
        lines = (line.strip() for line in paragraph.split("\n"))
        if text := "\n".join(line for line in lines if line):
            paragraphs.append(text)
    return "\n\n".join(paragraphs) or None


def _names(values: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(name for name in map(clean_text, values or []) if name))


def content_hash(article: Mapping[str, Any]) -> str:
    content = json.dumps([article.get(field) for field in CONTENT_FIELDS], ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
# Curly quotes are the source's typography, not damage: ftfy's default would make „…“ into "…".
_REPAIR = ftfy.TextFixerConfig(uncurl_quotes=False, explain=False)
# Mojibake someone ran through NFKC before us: "Ã¼" (ü read as Latin-1) became "Ã1⁄4", which ftfy
# no longer recognises; putting the fraction back lets it decode the ü.
_FRACTIONS = {"1\u20444": "¼", "1\u20442": "½", "3\u20444": "¾"}
_NFKC_FRACTION = re.compile(f"(?<=[ÃÂ])(?:{'|'.join(_FRACTIONS)})")
_ASCII_TO_REPAIR = re.compile(r"[\x00-\x08\x0b-\x1f\x7f&]")


def repair(text: str) -> str:
    """The text with mojibake ("fÃ¼r") and HTML entities decoded, in NFC; quotes as they were."""
    if text.isascii() and not _ASCII_TO_REPAIR.search(text):
        return text   # no mojibake, entity, control character or CR in it: nothing ftfy would change
    text = _NFKC_FRACTION.sub(lambda match: _FRACTIONS[match.group()], text)
    return ftfy.fix_text(text, _REPAIR)
