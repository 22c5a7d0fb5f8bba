"""Feed and sitemap reading (the crawl tests run the same code through Scrapy end to end)."""

from __future__ import annotations

import gzip

import pytest

from crawlers.discovery import FeedError, parse_datetime, parse_feed
from local_outlets import made_up_feed

PATHS = ["/a/one-12345678.html", "/b/two-12345679.html"]
URLS = [f"https://www.example.de{path}" for path in PATHS]


@pytest.mark.parametrize("kind", ["rss", "atom", "rdf", "newsmap"])
def test_every_feed_format_yields_its_article_urls_with_dates(kind: str) -> None:
    from datetime import datetime, timezone

    body = made_up_feed(kind, "https://www.example.de", PATHS, datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    found = parse_feed(body)
    assert [url for url, _ in found.articles] == URLS
    assert all(parse_datetime(changed) == datetime(2026, 5, 1, 12, tzinfo=timezone.utc) for _, changed in found.articles)


def test_a_sitemap_index_yields_its_sitemaps() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://www.example.de/sitemap-2026-05.xml</loc><lastmod>2026-05-01</lastmod></sitemap>
<sitemap><loc>https://www.example.de/sitemap-2026-04.xml.gz</loc></sitemap></sitemapindex>"""
    found = parse_feed(body)
    assert found.sitemaps == ["https://www.example.de/sitemap-2026-05.xml", "https://www.example.de/sitemap-2026-04.xml.gz"]
    assert found.articles == []


def test_a_gzipped_sitemap_is_unpacked() -> None:
    body = gzip.compress(made_up_feed("newsmap", "https://www.example.de", PATHS, parse_datetime("2026-05-01T00:00:00Z")))
    assert [url for url, _ in parse_feed(body).articles] == URLS


def test_an_rss_date_in_rfc_822_is_read_with_its_offset() -> None:
    assert parse_datetime("Tue, 14 Mar 2023 16:06:48 +0100").isoformat() == "2023-03-14T16:06:48+01:00"
    assert parse_datetime("not a date") is None


@pytest.mark.parametrize(("body", "message"), [
    (b"", "empty feed"),
    (b"<rss><channel><item><link>https://x.de/a</link>", "malformed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><rss>&a;</rss>', "XML bomb"),
    (b"<html><body>Hello</body></html>", "not a feed or sitemap"),
    (b"\x1f\x8b\x08\x00broken", "broken gzip"),
])
def test_bad_feeds_raise_one_line_errors(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message) as error:
        parse_feed(body)
    assert "\n" not in str(error.value)


def test_links_that_are_not_http_are_ignored() -> None:
    body = b"<rss><channel><item><link>javascript:alert(1)</link></item><item><link>https://x.de/a-12345678.html</link></item></channel></rss>"
    assert [url for url, _ in parse_feed(body).articles] == ["https://x.de/a-12345678.html"]
