"""Page → article fields, trusting the page's JSON-LD first, then meta tags, then the DOM.

PROVISIONAL: minimal version so the crawl spine runs; being rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import lxml.html


class NotAnArticle(ValueError):
    """The page holds no article (empty, consent wall, paywall teaser, section front)."""


@dataclass(frozen=True)
class Template:
    """How one version of an outlet's page template is read (newest first in an outlet)."""

    valid_from: date
    body: str  # XPath of the body's paragraphs and subheadings, in reading order


BERLINER_ZEITUNG_TEMPLATES = (
    Template(valid_from=date(2026, 4, 23), body="//article//p[contains(@class,'leading-7')]"),
    Template(valid_from=date(2000, 1, 1), body="//div[@id='articleBody']/p"),
)
T_ONLINE_TEMPLATES = (
    Template(valid_from=date(2000, 1, 1), body="//div[@data-testid='ArticleBody.StreamLayout']//p|//div[@data-testid='ArticleBody.StreamLayout']//h3"),
)
IPPEN_TEMPLATES = (
    Template(valid_from=date(2000, 1, 1), body="//p[contains(@class,'id-StoryElement-paragraph')]|//h2[contains(@class,'id-StoryElement-crosshead')]"),
)


def extract_article(html: bytes, url: str, templates: Sequence[Template], encoding: str | None = None) -> dict[str, Any]:
    if not html.strip():
        raise NotAnArticle("empty page")
    tree = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(encoding=encoding or "utf-8"))
    ld: dict[str, Any] = {}
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        for node in data.get("@graph", [data]) if isinstance(data, dict) else data:
            if isinstance(node, dict) and "Article" in str(node.get("@type")):
                ld = node
    title = ld.get("headline") or "".join(tree.xpath("//meta[@property='og:title']/@content"))
    if not title:
        raise NotAnArticle("no headline")
    paragraphs = [" ".join(p.text_content().split()) for p in tree.xpath(templates[-1].body)]
    canonical = "".join(tree.xpath("//link[@rel='canonical']/@href")[:1]) or url
    return {
        "title": title,
        "body": "\n\n".join(p for p in paragraphs if p),
        "published": ld.get("datePublished"),
        "modified": ld.get("dateModified"),
        "authors": [],
        "keywords": [],
        "canonical_url": canonical,
        "language": "de",
    }
