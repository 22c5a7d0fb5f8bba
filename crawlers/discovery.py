"""Feeds and sitemaps → article URLs: RSS 2.0, Atom, RDF/RSS 1.0, news sitemaps, sitemap indexes.

XML from the network is parsed with entity expansion, DTD loading and network access
off; a document that declares entities is refused outright (billion-laughs bombs).
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lxml import etree

from db.dates import EARLIEST_PUBLICATION, parse_datetime

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit
# Entries followed per feed or sitemap: each becomes a request held in memory until it is fetched
# (a 10,000-entry feed took the crawl child to 612 MB). A news sitemap holds at most 1,000.
MAX_FEED_ENTRIES = 2000
_DATE_TAGS = ("lastmod", "publication_date", "updated", "published", "pubDate", "date", "modified")


class FeedError(ValueError):
    """A feed or sitemap that cannot be read; the message is one line."""


@dataclass
class Discovery:
    articles: list[tuple[str, str | None]] = field(default_factory=list)  # (url, last change as ISO 8601)
    sitemaps: list[str] = field(default_factory=list)  # children of a sitemap index
    left_out: int = 0  # entries beyond MAX_FEED_ENTRIES, not followed


def parse_feed(body: bytes) -> Discovery:
    """Read any of the supported feed and sitemap formats (gzipped sitemaps too)."""
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body)
    head = body[:4096].lstrip()
    if not head:
        raise FeedError("empty feed")
    if b"<!ENTITY" in body[:65536].upper():
        raise FeedError("feed declares XML entities; refused (possible XML bomb)")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise FeedError(f"malformed XML: {error.msg}") from None
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        sitemaps, left_out = _entries(root, "sitemap", _loc)
        return Discovery(sitemaps=[url for url, _ in sitemaps], left_out=left_out)
    readers = {"urlset": ("url", _loc), "rss": ("item", _rss_link), "RDF": ("item", _rss_link), "feed": ("entry", _atom_link)}
    if kind not in readers:
        raise FeedError(f"not a feed or sitemap (root element <{kind}>)")
    articles, left_out = _entries(root, *readers[kind])
    return Discovery(articles=articles, left_out=left_out)


def _gunzip(body: bytes) -> bytes:
    try:
        unpacked = gzip.GzipFile(fileobj=io.BytesIO(body)).read(MAX_UNPACKED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise FeedError(f"broken gzip: {error}") from None
    if len(unpacked) > MAX_UNPACKED_BYTES:
        raise FeedError(f"gzipped sitemap unpacks to more than {MAX_UNPACKED_BYTES} bytes; refused")
    return unpacked


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element.iter() if isinstance(child.tag, str) and etree.QName(child).localname == name]


def _text(element: etree._Element, name: str) -> str | None:
    for child in _children(element, name):
        if child.text and child.text.strip():
            return child.text.strip()
    return None


def _loc(entry: etree._Element) -> str | None:
    return _text(entry, "loc")


def _rss_link(item: etree._Element) -> str | None:
    return _text(item, "link") or item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about") or _text(item, "guid")


def _atom_link(entry: etree._Element) -> str | None:
    for link in _children(entry, "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return None


def _entries(root: etree._Element, name: str, url_of) -> tuple[list[tuple[str, str | None]], int]:
    """The first MAX_FEED_ENTRIES entries' (url, last change), and how many entries were left out."""
    entries = _children(root, name)
    found = []
    for entry in entries[:MAX_FEED_ENTRIES]:
        url = url_of(entry)
        if url and url.startswith(("http://", "https://")):
            found.append((url, _entry_date(entry)))
    return found, max(len(entries) - MAX_FEED_ENTRIES, 0)


def _entry_date(entry: etree._Element) -> str | None:
    """The entry's last change; a placeholder before 1990 ("0001-01-01") gives way to its next date.

    A change announced for the future (a wrong clock, "9999-12-31") is read as a change now:
    the page is fetched again, conditionally, and the next crawl compares from then.
    """
    for tag in _DATE_TAGS:
        value = _text(entry, tag)
        parsed = parse_datetime(value) if value else None
        if parsed and parsed >= EARLIEST_PUBLICATION:
            return min(parsed, datetime.now(timezone.utc)).isoformat()
    return None

