"""Atom feeds (RFC 4287) of the merged stories: one deduplicated feed of every outlet.

Each entry is one story, with its headline, teaser, body, Vorfall and Ort and a link to every
source. An entry's id is the store's name and the story's id, and its ``updated`` the story's
last update, so a feed reader shows a story once and refreshes it when sources join.

The XML is built with ``xml.etree``, which escapes every text and attribute; characters XML 1.0
cannot carry at all (control characters in a crawled page) are dropped before they reach it.
"""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timezone
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from db.dates import parse_datetime
from db.feeds import feed_stories, newest_story_update
from db.stories import sources_of

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
CONTENT_TYPE = MEDIA_TYPE + "; charset=utf-8"
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# RFC 4151 tag URIs: stable, need no domain of ours, and say whose ids they are.
TAG_PREFIX = "tag:newsagg,2026:"
CATEGORY_SCHEME = TAG_PREFIX + "vorfall"
LOCATION_SCHEME = TAG_PREFIX + "ort"
# RFC 4287 needs a date even where the store has none (an empty store): a fixed one, not "now",
# so that an unchanged feed stays byte for byte the same.
EPOCH = "1970-01-01T00:00:00Z"

_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

ET.register_namespace("", ATOM_NS)


@dataclass(frozen=True)
class FeedQuery:
    """Which stories a feed shows: all, or of a category, at a location, matching a search."""

    category: str | None = None
    location: str | None = None
    search: str | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def filters(self) -> dict[str, str]:
        """The filters that are set, by the names of the served feed's URL parameters."""
        named = {"category": self.category, "location": self.location, "q": self.search}
        return {name: value for name, value in named.items() if value}

    @property
    def title(self) -> str:
        facts = [f"Vorfall: {self.category}" if self.category else "",
                 f"Ort: {self.location}" if self.location else "",
                 f"Suche: {self.search}" if self.search else ""]
        return " · ".join(["newsagg: latest stories", *filter(None, facts)])


@dataclass(frozen=True)
class ServedAt:
    """Where `newsagg serve` answers, for the links of a served feed (absolute URLs)."""

    feed_url: str
    home_url: str
    stories_url: str  # a story's page is this, a slash and its id


def query_from_params(params: Mapping[str, str]) -> FeedQuery:
    """The query of a served feed's URL parameters (category, location, q, limit).

    Raises ValueError naming a limit that is no whole number from 1 to MAX_LIMIT.
    """
    limit = params.get("limit") or str(DEFAULT_LIMIT)
    if not re.fullmatch("[0-9]{1,4}", limit) or not 1 <= int(limit) <= MAX_LIMIT:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}")
    return FeedQuery(params.get("category") or None, params.get("location") or None,
                     params.get("q") or None, int(limit))


def feed_path(query: FeedQuery) -> str:
    """The served feed's path with the query's filters (the limit is the reader's default)."""
    return "/-/feed.atom" + (f"?{urlencode(query.filters)}" if query.filters else "")


def build_feed(conn: sqlite3.Connection, store_name: str, query: FeedQuery, served: ServedAt | None = None) -> bytes:
    """The Atom document of the stories ``query`` selects, as UTF-8.

    A served feed's entries link to their story pages; in a file, which may be read anywhere,
    an entry's main link is its representative source.
    """
    stories = feed_stories(conn, query.category, query.location, query.search, query.limit)
    sources = sources_of(conn, [story["id"] for story in stories])
    updated = [rfc3339(story["last_updated"]) for story in stories if story["last_updated"]]
    newest = max(updated, default=None) or rfc3339(newest_story_update(conn))

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _atom(feed, "id", TAG_PREFIX + _tag_part(store_name) + "/" + feed_path(query).lstrip("/"))
    _atom(feed, "title", query.title)
    _atom(feed, "updated", newest)
    _atom(_atom(feed, "author"), "name", "newsagg")
    _atom(feed, "generator", "newsagg")
    if served:
        _link(feed, "self", served.feed_url, type=MEDIA_TYPE)
        _link(feed, "alternate", served.home_url, type="text/html")
    for story in stories:
        _entry(feed, story, sources[story["id"]], store_name, served)
    ET.indent(feed)  # a person reads the file, and a diff of two of them shows what changed
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def story_entry_id(store_name: str, story_id: int) -> str:
    return f"{TAG_PREFIX}{_tag_part(store_name)}/story/{story_id}"


def xml_text(value: Any) -> str:
    """``value`` as text XML 1.0 can carry: control characters and lone surrogates dropped."""
    return _NOT_IN_XML.sub("", str(value))


def rfc3339(value: str | None) -> str:
    """A stored ISO 8601 time as RFC 3339 in UTC (so that such times compare as text)."""
    moment = parse_datetime(value)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else EPOCH


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of a stored body (separated by blank lines), without empty ones."""
    return [part.strip() for part in _PARAGRAPH_BREAK.split(text or "") if part.strip()]


def _entry(feed: ET.Element, story: dict[str, Any], sources: list[dict[str, Any]],
           store_name: str, served: ServedAt | None) -> None:
    entry = _atom(feed, "entry")
    _atom(entry, "id", story_entry_id(store_name, story["id"]))
    _atom(entry, "title", story["title"] or "(ohne Titel)")
    _atom(entry, "updated", rfc3339(story["last_updated"] or story["first_seen"]))
    if story["first_seen"]:
        _atom(entry, "published", rfc3339(story["first_seen"]))
    for outlet in dict.fromkeys(source["outlet_title"] for source in sources):
        _atom(_atom(entry, "author"), "name", outlet)
    if story["category"]:
        _atom(entry, "category", term=story["category"], scheme=CATEGORY_SCHEME, label=f"Vorfall: {story['category']}")
    if story["location"]:
        _atom(entry, "category", term=story["location"], scheme=LOCATION_SCHEME, label=f"Ort: {story['location']}")
    main = f"{served.stories_url}/{story['id']}" if served else _representative_url(story, sources)
    if main:
        _link(entry, "alternate", main, type="text/html")
    for source in sources:
        if is_web_url(source["url"]):
            _link(entry, "related", source["url"], title=f"{source['outlet_title']}: {source['title']}")
    if story["teaser"]:
        _atom(entry, "summary", story["teaser"])
    _atom(entry, "content", _content_html(story, sources), type="html")


def _content_html(story: dict[str, Any], sources: list[dict[str, Any]]) -> str:
    """The story as HTML for the entry's content: teaser, body, Details with every source."""
    div = ET.Element("div")
    if story["teaser"]:
        _add(_add(div, "p"), "strong", story["teaser"])
    for paragraph in paragraphs(story["body"]):
        _add(div, "p", paragraph)
    _add(div, "h3", "Details")
    details = _add(div, "dl")
    for label, value in (("Vorfall", story["category"]), ("Ort", story["location"])):
        if value:
            _add(details, "dt", label)
            _add(details, "dd", value)
    _add(details, "dt", "Quellen")
    listing = _add(_add(details, "dd"), "ul")
    for source in sources:
        item = _add(listing, "li", f"{source['outlet_title']}: ")
        if is_web_url(source["url"]):
            _add(item, "a", source["title"], href=source["url"])
        else:
            _tail(item, source["title"])
        if source["published"]:
            _tail(item, f" ({rfc3339(source['published'])})")
    return ET.tostring(div, encoding="unicode", method="html")


def _representative_url(story: dict[str, Any], sources: list[dict[str, Any]]) -> str | None:
    web = [source for source in sources if is_web_url(source["url"])]
    chosen = [source for source in web if source["article_id"] == story["representative_article_id"]] or web
    return chosen[0]["url"] if chosen else None


def is_web_url(url: str | None) -> bool:
    # An imported line may carry any URL; a javascript: or data: link has no place in a reader.
    return bool(url) and urlsplit(url).scheme in ("http", "https")


def _tag_part(text: str) -> str:
    return quote(text, safe="")


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    """A child element ``name`` with its text and attributes made XML-safe."""
    element = ET.SubElement(parent, name, {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _atom(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    return _add(parent, f"{{{ATOM_NS}}}{name}", text, **attributes)


def _tail(parent: ET.Element, text: str) -> None:
    """Append text after the last child of ``parent`` (or to its own text when it has none)."""
    children = list(parent)
    if children:
        children[-1].tail = (children[-1].tail or "") + xml_text(text)
    else:
        parent.text = (parent.text or "") + xml_text(text)


def _link(parent: ET.Element, rel: str, href: str, **attributes: str) -> None:
    _atom(parent, "link", rel=rel, href=href, **attributes)
