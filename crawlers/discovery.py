"""Feeds and sitemaps → article URLs: RSS 2.0, Atom, RDF/RSS 1.0, news sitemaps, sitemap indexes.

XML from the network is parsed with entity expansion, DTD loading and network access
off; a document that declares entities is refused outright (billion-laughs bombs).
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lxml import etree

from db.dates import EARLIEST_PUBLICATION, parse_datetime

# Entity expansion, DTD loading and network access off; a document declaring entities is refused
# before it reaches the parser.
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
                   "remove_comments": True}
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit
# Entries followed per feed or sitemap: each becomes a request held in memory until it is fetched
# (a 10,000-entry feed took the crawl child to 612 MB). A news sitemap holds at most 1,000.
MAX_FEED_ENTRIES = 2000
# The document is read in pieces of this size (entity declarations are looked for in the first):
# a whole 50 MB sitemap as one tree took the crawl child 120 MB more.
CHUNK_BYTES = 64 * 1024
_DATE_TAGS = ("lastmod", "publication_date", "updated", "published", "pubDate", "date", "modified")


class FeedError(ValueError):
    """A feed or sitemap that cannot be read; the message is one line."""


@dataclass
class Discovery:
    articles: list[tuple[str, str | None]] = field(default_factory=list)  # (url, last change as ISO 8601)
    sitemaps: list[str] = field(default_factory=list)  # children of a sitemap index
    left_out: int = 0  # entries beyond MAX_FEED_ENTRIES, not followed


def parse_feed(body: bytes) -> Discovery:
    """Read any of the supported feed and sitemap formats (gzipped sitemaps too).

    The document is parsed piece by piece and each element dropped once read, so that memory
    holds the entries followed, not the whole tree, however many entries the document lists.
    """
    chunks = _chunks(body)
    head = next(chunks, b"")
    if not head.strip():
        raise FeedError("empty feed")
    if b"<!ENTITY" in head.upper():
        raise FeedError("feed declares XML entities; refused (possible XML bomb)")
    reader = _EntryReader()
    try:
        reader.feed(head)
        for chunk in chunks:
            reader.feed(chunk)
        reader.close()
    except etree.XMLSyntaxError as error:
        raise FeedError(f"malformed XML: {error.msg}") from None
    return reader.discovery()


def _chunks(body: bytes) -> Iterator[bytes]:
    """The document in pieces of CHUNK_BYTES, unpacked as it is read when gzipped."""
    if body[:2] != b"\x1f\x8b":
        for start in range(0, len(body), CHUNK_BYTES):
            yield body[start:start + CHUNK_BYTES]
        return
    unpacked = 0
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
        while True:
            try:
                chunk = stream.read(CHUNK_BYTES)
            except (OSError, EOFError, zlib.error) as error:
                raise FeedError(f"broken gzip: {error}") from None
            if not chunk:
                return
            unpacked += len(chunk)
            if unpacked > MAX_UNPACKED_BYTES:
                raise FeedError(f"gzipped sitemap unpacks to more than {MAX_UNPACKED_BYTES} bytes; refused")
            yield chunk


def _localname(element: etree._Element) -> str:
    return element.tag.rpartition("}")[2]


def _drop(element: etree._Element) -> None:
    """Free an element that has been read, and the siblings before it (lxml's iterparse recipe)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _EntryReader:
    """Takes a document's entries as the parser reaches the end of each: the first MAX_FEED_ENTRIES
    entries' (url, last change), and a count of the others."""

    def __init__(self) -> None:
        self.parser = etree.XMLPullParser(events=("start", "end"), **_PARSER_OPTIONS)
        self.kind: str | None = None  # the root element's name
        self.entry_name = ""
        self.url_of: Callable[[etree._Element], str | None] = _loc
        self.open_entries = 0  # entries around the element being read
        self.entries = 0
        self.found: list[tuple[str, str | None]] = []

    def feed(self, chunk: bytes) -> None:
        self.parser.feed(chunk)
        self._read()

    def close(self) -> None:
        self.parser.close()
        self._read()

    def discovery(self) -> Discovery:
        left_out = max(self.entries - MAX_FEED_ENTRIES, 0)
        if self.kind == "sitemapindex":
            return Discovery(sitemaps=[url for url, _ in self.found], left_out=left_out)
        return Discovery(articles=self.found, left_out=left_out)

    def _read(self) -> None:
        for event, element in self.parser.read_events():
            name = _localname(element)
            if self.kind is None:
                self._begin(name)
            if name == self.entry_name:
                self.open_entries += 1 if event == "start" else -1
                if event == "end" and self.open_entries == 0:
                    self._take(element)
            if event == "end" and self.open_entries == 0:
                _drop(element)

    def _begin(self, root: str) -> None:
        if root not in _ENTRIES:
            raise FeedError(f"not a feed or sitemap (root element <{root}>)")
        self.kind = root
        self.entry_name, self.url_of = _ENTRIES[root]

    def _take(self, entry: etree._Element) -> None:
        self.entries += 1
        if self.entries > MAX_FEED_ENTRIES:
            return
        url = self.url_of(entry)
        if url and url.startswith(("http://", "https://")):
            self.found.append((url, _entry_date(entry)))


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element.iter() if isinstance(child.tag, str) and _localname(child) == name]


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


# The root element's name → the name of its entries and how an entry gives its URL.
_ENTRIES: dict[str, tuple[str, Callable[[etree._Element], str | None]]] = {
    "urlset": ("url", _loc), "sitemapindex": ("sitemap", _loc), "rss": ("item", _rss_link),
    "RDF": ("item", _rss_link), "feed": ("entry", _atom_link),
}
