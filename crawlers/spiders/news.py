"""The news spider: discover article URLs in an outlet's feeds and sitemaps, parse each page.

It only discovers and parses; the middlewares decide what is fetched again and the
pipeline cleans and stores.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from functools import partial
from urllib.parse import urlsplit
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.discovery import MAX_FEED_ENTRIES, FeedError, parse_feed
from crawlers.extensions import count, record_error
from db.dates import now_iso
from crawlers.extract import NotAnArticle, extract_article
from crawlers.middlewares import ARTICLE, FEED, ArticleLimitReached, HostUnresolved, SkippedUnchanged
from crawlers.outlets import DECLARED, Outlet, resolve

logger = logging.getLogger(__name__)


class NewsSpider(scrapy.Spider):
    """Crawls one outlet, named by the subclass's ``name``."""

    name: ClassVar[str]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.declared: Outlet = DECLARED[self.name]
        self.outlet: Outlet = resolve(self.name)
        self.discovered: set[str] = set()
        self.unresolved: set[str] = set()  # hosts whose name did not resolve: no more requests to them

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if resolve(cls.name).local:
            # A loopback stand-in is ours: no politeness delay, quick retries.
            settings.set("DOWNLOAD_DELAY", settings.getfloat("NEWSAGG_LOOPBACK_DELAY"), priority="spider")
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
            settings.set("NEWSAGG_RETRY_BACKOFF", settings.getfloat("NEWSAGG_LOOPBACK_RETRY_BACKOFF"), priority="spider")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in (*self.outlet.feeds, *self.outlet.sitemaps):
            yield self._feed_request(url)

    def _feed_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_feed, errback=self.on_error,
                              meta={"newsagg_kind": FEED}, priority=10)

    def _article_request(self, url: str, changed_at: str | None) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                              meta={"newsagg_kind": ARTICLE, "newsagg_lastmod": changed_at})

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """Follow a feed's or sitemap's articles (and a sitemap index's sitemaps)."""
        try:
            found = parse_feed(response.body)
        except FeedError as error:
            record_error(self.crawler, f"{self.name}: feed {response.url}: {error}")
            return
        count(self.crawler, "feeds_read")
        if found.left_out:
            logger.warning("%s: feed %s lists %d entries more than the %d followed per feed; those are left out",
                           self.name, response.url, found.left_out, MAX_FEED_ENTRIES)
        for sitemap in found.sitemaps:
            if (url := self.outlet.rebase(sitemap, self.declared)) is not None:
                yield self._feed_request(url)
        for article_url, changed_at in found.articles:
            url = self.outlet.rebase(article_url, self.declared)
            if url is None or not self.outlet.is_article_url(url) or url in self.discovered:
                continue
            self.discovered.add(url)
            count(self.crawler, "discovered")
            yield self._article_request(url, changed_at)

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        count(self.crawler, "fetched")
        charset = response.headers.get("Content-Type", b"").decode("latin-1").partition("charset=")[2]
        try:
            article = extract_article(
                response.body, response.url, self.outlet.templates, encoding=charset.strip(' ;"') or None,
                page_url=partial(self.outlet.own_page_url, original=self.declared),
                picture_url=partial(self.outlet.own_picture_url, original=self.declared),
            )
        except NotAnArticle as reason:
            record_error(self.crawler, f"{self.name}: no article at {response.url}: {reason}")
            return
        yield {
            **article,
            # The URL as announced, before redirects: the next crawl finds it stored under that name.
            "url": response.meta.get("redirect_urls", [response.url])[0],
            "outlet": self.name,
            "etag": _header(response, "ETag"),
            "last_modified": _header(response, "Last-Modified"),
            "fetched_at": now_iso(),
        }

    def on_error(self, failure: Failure) -> None:
        """One log line per failed request; skips by design are not failures."""
        request = failure.request
        if failure.check(SkippedUnchanged, ArticleLimitReached):
            return
        host = urlsplit(request.url).netloc.lower()
        if failure.check(HostUnresolved) or (failure.check(CannotResolveHostError) and host in self.unresolved):
            count(self.crawler, "failed")  # said once already, when the host first did not resolve
            return
        if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            logger.info("%s: %s is forbidden by robots.txt", self.name, request.url)
            return
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        elif failure.check(DownloadTimeoutError):
            reason = f"timed out after {self.crawler.settings.getfloat('DOWNLOAD_TIMEOUT'):g} s"
        elif failure.check(CannotResolveHostError):
            self.unresolved.add(host)
            reason = f"host name {host} not found; no network? No more requests to it in this crawl"
        elif failure.check(DownloadConnectionRefusedError):
            reason = "connection refused"
        elif failure.check(DownloadCancelledError) and "max size" in str(failure.value):
            reason = f"page over the size limit of {self.crawler.settings.getint('DOWNLOAD_MAXSIZE')} bytes"
        else:
            reason = str(failure.value).splitlines()[0] if str(failure.value) else failure.type.__name__
        kind = request.meta.get("newsagg_kind", "request")
        record_error(self.crawler, f"{self.name}: {kind} {request.url}: {reason}")


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _spider_for(outlet_name: str) -> type[NewsSpider]:
    class_name = "".join(part.title() for part in outlet_name.split("_")) + "Spider"
    return type(class_name, (NewsSpider,), {"name": outlet_name, "__module__": __name__})


SPIDERS: dict[str, type[NewsSpider]] = {name: _spider_for(name) for name in DECLARED}
globals().update({spider.__name__: spider for spider in SPIDERS.values()})
