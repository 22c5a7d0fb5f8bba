"""Downloader middlewares: stay on the outlet's hosts, fetch only what changed, back off on retries."""

from __future__ import annotations

import logging
import sqlite3
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from w3lib.url import canonicalize_url

from crawlers.extensions import connect_store, count, stopping_for_the_store
from db.dates import now_iso, parse_datetime
from db.store import feed_validators, save_feed_validators, stored_article_check, transaction

logger = logging.getLogger(__name__)
FEED, ARTICLE = "feed", "article"


class OffOutletRefused(IgnoreRequest):
    """A request (often a redirect) to a host the outlet does not own."""


class SkippedUnchanged(IgnoreRequest):
    """An article stored before and not changed since, or answered 304 Not Modified."""


class ArticleLimitReached(IgnoreRequest):
    """--max-articles is reached for this outlet."""


class HostUnresolved(IgnoreRequest):
    """A request to a host whose name did not resolve earlier in this crawl."""


class OutletOnlyMiddleware:
    """Refuse every request outside the outlet's own hosts, redirects included, and every request
    to a host whose name did not resolve (said once, by the spider)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutletOnlyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        outlet = spider.outlet
        if (host := urlsplit(request.url).netloc.lower()) in spider.unresolved:
            raise HostUnresolved(f"{request.url}: {host} did not resolve")
        if outlet.owns(request.url):
            return None
        origin = request.meta.get("redirect_urls", [None])[0]
        where = f" (redirected from {origin})" if origin else ""
        raise OffOutletRefused(f"refused {request.url}: not on {outlet.title}'s hosts{where}")


class RedirectLoop(IgnoreRequest):
    """A redirect back to an address of its own chain (a → b → a)."""


class RedirectLoopMiddleware:
    """Name a redirect loop as an error of its request: Scrapy's duplicate filter would drop the
    redirect back to an address already fetched without a word, and the page would go uncounted."""

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if not 300 <= response.status < 400 or not location:
            return response
        chain = [*request.meta.get("redirect_urls", []), request.url]
        target = urljoin(request.url, location.decode("latin-1"))
        if canonicalize_url(target) in map(canonicalize_url, chain):
            raise RedirectLoop(f"redirect loop: {' → '.join([*chain, target])}")
        return response


class RobotsTxtForEveryRequest(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every request that waits for robots.txt getting its rules.

    Scrapy lets all requests that arrive while robots.txt is being fetched await one Deferred;
    awaiting consumes its result, so all but the first got no rules and were let through (the
    feeds, which start together: 3–5 of 11 fetched under `Disallow: /`). Each waiter here awaits
    its own Deferred, fed from the shared one.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        own: Deferred[RobotParser | None] = Deferred()

        def relay(parser: RobotParser | None) -> RobotParser | None:
            own.callback(parser)
            return parser  # left in the shared Deferred for the next waiter

        pending.addCallback(relay)
        return await maybe_deferred_to_future(own)


class IncrementalFetchMiddleware:
    """Skip articles stored and unchanged since; conditional GET for feeds and changed articles."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.max_articles = crawler.settings.getint("NEWSAGG_MAX_ARTICLES")
        self.started = 0
        self.limit_reached = False
        self.conn: sqlite3.Connection | None = None
        self.feed_validators: dict[str, tuple[str | None, str | None]] = {}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalFetchMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.conn = connect_store(self.crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        # Validators are kept only after a complete crawl: one that was interrupted, hit
        # --max-articles or failed on some page has not stored every article its feeds
        # listed, so the next crawl must read those feeds again.
        complete = reason == "finished" and not self.limit_reached and not self.crawler.stats.get_value("newsagg/failed")
        if complete and self.feed_validators:
            with stopping_for_the_store(self.crawler), transaction(self.conn):
                for url, (etag, last_modified) in self.feed_validators.items():
                    save_feed_validators(self.conn, url, etag, last_modified, now_iso())
        self.conn.close()

    def process_request(self, request: Request) -> None:
        kind = request.meta.get("newsagg_kind")
        if kind == FEED:
            self._add_validators(request, *feed_validators(self.conn, request.url))
        elif kind == ARTICLE and not request.meta.get("newsagg_admitted"):
            self._admit_article(request)
        return None

    def _admit_article(self, request: Request) -> None:
        stored = stored_article_check(self.conn, request.url)
        changed_at = parse_datetime(request.meta.get("newsagg_lastmod"))
        if stored and (changed_at is None or changed_at <= parse_datetime(stored[0])):
            count(self.crawler, "unchanged")
            raise SkippedUnchanged(request.url)
        if self.max_articles and self.started >= self.max_articles:
            self.limit_reached = True
            raise ArticleLimitReached(request.url)
        self.started += 1
        request.meta["newsagg_admitted"] = True
        if stored:
            self._add_validators(request, *stored[1:])

    @staticmethod
    def _add_validators(request: Request, etag: str | None, last_modified: str | None) -> None:
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)

    def process_response(self, request: Request, response: Response) -> Response:
        kind = request.meta.get("newsagg_kind")
        if response.status == 304:
            count(self.crawler, "unchanged" if kind == ARTICLE else "feeds_read")
            raise SkippedUnchanged(f"{request.url}: not modified")
        # A sitemap index is always read: its sitemaps change while it stays the same.
        if kind == FEED and response.status == 200 and b"<sitemapindex" not in response.body[:4096]:
            etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
            if etag or last_modified:
                self.feed_validators[request.url] = (
                    etag.decode("latin-1") if etag else None,
                    last_modified.decode("latin-1") if last_modified else None,
                )
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry on 429/5xx, but waiting first: 2 s, 4 s, … or the server's Retry-After."""

    def __init__(self, settings, base: float, ceiling: float):
        super().__init__(settings)
        self.base, self.ceiling = base, ceiling

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = cls(
            crawler.settings,
            crawler.settings.getfloat("NEWSAGG_RETRY_BACKOFF"),
            crawler.settings.getfloat("NEWSAGG_RETRY_BACKOFF_MAX"),
        )
        middleware.crawler = crawler
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry"):
            retries = request.meta.get("retry_times", 0)
            if retries < request.meta.get("max_retry_times", self.max_retry_times):
                await self._sleep(self._delay(retries, response))
        return super().process_response(request, response)

    def _delay(self, retries: int, response: Response) -> float:
        delay = self.base * 2**retries
        retry_after = (response.headers.get("Retry-After") or b"").decode("latin-1").strip()
        if retry_after.isdigit():
            delay = max(delay, float(retry_after))
        return min(delay, self.ceiling)

    @staticmethod
    async def _sleep(seconds: float) -> None:
        from twisted.internet import reactor  # imported late: Scrapy installs its reactor first

        await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
