"""Cluster mode on Scrapy's side: a worker's spiders take their requests from the shared frontier
(`crawlers.frontier`) instead of crawling an outlet once, and politeness is counted in Redis.

The worker keeps the single-process policy — robots.txt, the outlet's hosts only, size and time
limits, retries with backoff — and changes only where requests come from and where results go:
a feed's finds go into the frontier, an article (cleaned) onto the stream for the writer, each together
with the end of the request's lease.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from twisted.internet import task
from twisted.python.failure import Failure

from crawlers import settings as project
from crawlers.extensions import record_error
from crawlers.frontier import Found, Frontier, Lease, Link, RedisUnavailable, host_keys, worker_id
from crawlers.middlewares import FEED
from crawlers.pipelines import clean_article
from crawlers.spiders.news import SPIDERS, NewsSpider
from db.dates import now_iso, parse_datetime

logger = logging.getLogger(__name__)
LEASE_META, SLOT_META = "newsagg_lease", "newsagg_slot"
BACKOUT_POLL_SECONDS = 0.05
REDIS_RETRY_SECONDS = 1.0


def cluster_overrides(redis_url: str, lease_seconds: float) -> dict[str, Any]:
    """A worker's settings on top of the project's: the same policy, politeness shared in Redis."""
    return {
        "NEWSAGG_REDIS_URL": redis_url,
        "NEWSAGG_LEASE_SECONDS": lease_seconds,
        # The shared slots replace Scrapy's per-process delay and per-host cap: a request that holds
        # a slot must go out at once, or two workers' requests could start closer than the delay.
        "DOWNLOAD_DELAY": 0.0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": project.CONCURRENT_REQUESTS,
        "DOWNLOADER_MIDDLEWARES": {
            **project.DOWNLOADER_MIDDLEWARES,
            # Workers have no store: the frontier's seen filter decides what is fetched again.
            "crawlers.middlewares.IncrementalFetchMiddleware": None,
            # Last before the download (after robots.txt, retries, redirects), released first after it.
            "crawlers.cluster.SharedPolitenessMiddleware": 950,
        },
        "ITEM_PIPELINES": {},  # articles go onto the stream; the writer cleans, stores and groups them
        "EXTENSIONS": {**project.EXTENSIONS, "crawlers.extensions.CrawlRunRecorder": None},
    }


@functools.cache
def _link(url: str) -> Link:
    """One per worker process, shared by its spiders: an outage is one log line, not one per outlet."""
    return Link(url, f"worker {worker_id()}")


def utc_lastmod(value: str | None) -> str | None:
    """A feed's change time in one UTC form, so that Redis compares them as strings."""
    moment = parse_datetime(value)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else None


class ClusterSpider(NewsSpider):
    """An outlet's spider in a worker: leases requests from the frontier until the worker stops."""

    frontier: Frontier
    link: Link
    worker: str
    lease_seconds: float

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.held: dict[str, Lease] = {}  # queue entry → lease, for the requests in this process
        self.slots: dict[str, str] = {}   # slot token → its host, while downloading
        self.loops: list[task.LoopingCall] = []
        self.started = time.monotonic()
        self.reported: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ClusterSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        url = crawler.settings.get("NEWSAGG_REDIS_URL")
        spider.frontier = Frontier(url)
        spider.link = _link(url)
        spider.worker = worker_id()
        spider.lease_seconds = crawler.settings.getfloat("NEWSAGG_LEASE_SECONDS")
        crawler.signals.connect(spider.closed_by_engine, signal=signals.spider_closed)
        crawler.signals.connect(spider.dropped, signal=signals.request_dropped)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        # Renewed at a third of their time, leases outlive a slow page but not a dead worker.
        for interval, call in ((self.lease_seconds / 3, self.keep_leases),
                               (self.settings.getfloat("NEWSAGG_PROGRESS_INTERVAL"), self.progress)):
            loop = task.LoopingCall(call)
            loop.start(interval, now=True)
            self.loops.append(loop)
        poll = self.settings.getfloat("NEWSAGG_FRONTIER_POLL")
        while True:
            # Lease only what can be downloaded now: a request waiting in this process is a page
            # no other worker can take.
            if self.crawler.engine.needs_backout():
                await asyncio.sleep(BACKOUT_POLL_SECONDS)
                continue
            try:
                lease, reclaimed = self.frontier.lease(self.name, self.lease_seconds)
                self.link.ok()
            except RedisUnavailable as error:
                self.link.lost(error)
                await asyncio.sleep(REDIS_RETRY_SECONDS)
                continue
            if reclaimed:
                logger.warning("%s: %d expired lease(s) of a stopped worker back in the queue", self.name, reclaimed)
            if lease is None:
                await asyncio.sleep(poll)
                continue
            self.held[lease.entry] = lease
            yield self._request(lease)

    def _request(self, lease: Lease) -> Request:
        if lease.kind == FEED:
            request = self._feed_request(lease.url)
        else:
            request = self._article_request(lease.url, lease.lastmod)
        # The frontier already filtered it; Scrapy's own filter would refuse a changed article later.
        return request.replace(dont_filter=True, meta={**request.meta, LEASE_META: lease.entry})

    def parse_feed(self, response: Response) -> None:
        # The spider's once-per-crawl filter would hide a changed article from every later round
        # of this long-lived process; the frontier's seen filter decides instead.
        self.discovered = set()
        found = [Found(request.url, request.meta["newsagg_kind"], utc_lastmod(request.meta.get("newsagg_lastmod")))
                 for request in super().parse_feed(response)]
        self._finish(response.request, found=found)

    def parse_article(self, response: Response) -> None:
        articles = list(super().parse_article(response))  # none: not an article, logged and counted there
        article = self._cleaned(articles[0]) if articles else None
        self._finish(response.request, article=article, failed=article is None)

    def _cleaned(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """The article as the crawl's pipeline cleans it before storing: here, where every worker
        shares the work, rather than in the one writer. None (said and counted) without a headline."""
        try:
            return clean_article(item)
        except DropItem as reason:
            record_error(self.crawler, f"{self.name}: dropped {reason}")
            return None

    def on_error(self, failure: Failure) -> None:
        failed_before = self.crawler.stats.get_value("newsagg/failed", 0)
        super().on_error(failure)  # robots.txt and skips by design are not failures there, nor here
        self._finish(failure.request, failed=self.crawler.stats.get_value("newsagg/failed", 0) > failed_before)

    def dropped(self, request: Request, spider: scrapy.Spider) -> None:
        if spider is self:
            self._finish(request)

    def _finish(self, request: Request, article: dict[str, Any] | None = None, found: Sequence[Found] = (),
                failed: bool = False) -> None:
        lease = self.held.pop(request.meta.get(LEASE_META, ""), None)
        if lease is None:
            return
        try:
            self.frontier.finish(self.name, lease, now_iso(), article=article, found=found)
            if failed:
                self.frontier.count_failed(self.name)
            self.link.ok()
        except RedisUnavailable as error:
            # Not lost: the lease is no longer renewed, expires, and the page is fetched again.
            self.link.lost(error)

    def keep_leases(self) -> None:
        held = [(self.frontier.lease_key(self.name), entry) for entry in self.held]
        held += [(host_keys(host)[0], token) for token, host in self.slots.items()]
        try:
            self.frontier.renew(held, self.lease_seconds)
            self.frontier.heartbeat(self.worker)
            self.link.ok()
        except RedisUnavailable as error:
            self.link.lost(error)

    def progress(self) -> None:
        """A line when something changed: an idle worker waiting for the next round stays quiet."""
        stats = self.crawler.stats
        figures = (int(stats.get_value("newsagg/fetched", 0)), int(stats.get_value("newsagg/failed", 0)), len(self.held))
        if figures != self.reported and figures != (0, 0, 0):
            logger.info("%s: %d articles fetched (%.1f/s since the start), %d failed, %d in flight", self.name,
                        figures[0], figures[0] / max(time.monotonic() - self.started, 1e-6), *figures[1:])
        self.reported = figures

    def closed_by_engine(self, spider: scrapy.Spider, reason: str) -> None:
        """Stopping: what this worker holds goes back to the queue now, not when its lease expires."""
        for loop in self.loops:
            if loop.running:
                loop.stop()
        try:
            self.frontier.release(self.name, list(self.held.values()))
            for token, host in self.slots.items():
                self.frontier.release_slot(host, token)
        except RedisUnavailable as error:
            logger.warning("%s: could not hand back %d lease(s) (%s); they expire", self.name, len(self.held), error)
        self.held.clear()


class SharedPolitenessMiddleware:
    """At most NEWSAGG_HOST_CONCURRENCY requests at once and NEWSAGG_HOST_DELAY seconds between
    request starts per host (host:port), over all workers: each request takes a slot in Redis
    before it goes out, says when it goes out, and gives the slot back when its answer (or error)
    is in."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.concurrency = crawler.settings.getint("NEWSAGG_HOST_CONCURRENCY")
        self.delay = crawler.settings.getfloat("NEWSAGG_HOST_DELAY") + crawler.settings.getfloat("NEWSAGG_HOST_DELAY_MARGIN")
        # Sent by Scrapy's downloader as it hands the request on to be sent: the start the delay counts from.
        crawler.signals.connect(self.request_started, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        spider: ClusterSpider = self.crawler.spider
        host, token = urlsplit(request.url).netloc.lower(), uuid.uuid4().hex
        while True:
            try:
                wait = spider.frontier.acquire_slot(host, token, self.concurrency, self.delay, spider.lease_seconds)
                spider.link.ok()
            except RedisUnavailable as error:
                spider.link.lost(error)
                wait = REDIS_RETRY_SECONDS
            if not wait:
                break
            await asyncio.sleep(wait)
        spider.slots[token] = host
        request.meta[SLOT_META] = (host, token)

    def request_started(self, request: Request, spider: scrapy.Spider) -> None:
        if (held := request.meta.get(SLOT_META)) is not None:
            self._tell(spider, spider.frontier.slot_started, *held)

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        self._release(request)

    def _release(self, request: Request) -> None:
        # Popped: a retried or redirected request carries the meta on and takes a slot of its own.
        if (held := request.meta.pop(SLOT_META, None)) is not None:
            self.crawler.spider.slots.pop(held[1], None)
            self._tell(self.crawler.spider, self.crawler.spider.frontier.release_slot, *held)

    @staticmethod
    def _tell(spider: ClusterSpider, call: Callable[[str, str], None], host: str, token: str) -> None:
        try:
            call(host, token)
        except RedisUnavailable as error:  # the slot expires with its lease
            spider.link.lost(error)


def _cluster_spider_for(spider: type[NewsSpider]) -> type[ClusterSpider]:
    return type(f"Cluster{spider.__name__}", (ClusterSpider,), {"name": spider.name, "__module__": __name__})


CLUSTER_SPIDERS: dict[str, type[ClusterSpider]] = {name: _cluster_spider_for(s) for name, s in SPIDERS.items()}
