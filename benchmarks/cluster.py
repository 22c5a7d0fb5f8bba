"""Cluster mode scaled out, measured: one local stand-in outlet with 2,000 article pages on 20
hosts, every answer after 0.2 s (network latency), crawled by 1, 2 and 4 `newsagg worker` and one
`newsagg ingest` under the cluster's politeness per host (at most 2 requests at once and 1 s between
two starts, for all workers together); then the writer alone, on a backlog.

    python benchmarks/cluster.py                      # about 10 minutes: 2,000 pages take 150–220 s per worker count
    python benchmarks/cluster.py --pages 200 --workers 1 4   # a quick look

Run by hand, not in CI. Needs redis-server: each run starts its own on a free loopback port (AOF
on, `appendfsync always`, as the README recommends), as tests/test_cluster.py does; nothing here
touches the network.

The stand-in: t-online's declaration moved onto --hosts servers on 127.0.0.1, one port each
(politeness counts per host:port). The first host serves the outlet's feeds, which name every page,
on every host, in a seeded random order; the workers' outlet owns all the hosts (an outlet moved
onto one base URL owns that one, so they run `newsagg worker` with its hosts widened: WIDE_WORKER).
Each page is a plain article page around a real German text (police press releases and SemEval
articles from ../shared/data, title and body as published; the 663 of their 838 that the generic
reading takes for an article). There are fewer texts than pages, so a text comes back on other
hosts under other ids (a report syndicated), and the writer groups those copies into one story.
Each request is timed where a site would see it.

The writer alone: articles pushed onto the stream of a running `newsagg ingest` as workers push
them (cleaned), all at once, timed until stored; its start-up and first article (grouping loads its
word lists and gazetteer) apart. Twice: the articles the crawls stored (bodies and all), and the
real UCI headlines (titles only, as the grouping benchmark). Its CPU time is read from /proc, so
the rate per CPU second holds on a machine other work shares.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import cycle, islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the stand-ins and the test's Redis are test helpers

from benchmarks.common import SHARED_DATA  # noqa: E402
from crawlers import settings as project  # noqa: E402
from crawlers.frontier import STREAM, Frontier  # noqa: E402
from crawlers.extract import NotAnArticle, extract_article  # noqa: E402
from crawlers.outlets import DECLARED  # noqa: E402
from crawlers.pipelines import clean_article  # noqa: E402
from dedupe.importing import parse_line  # noqa: E402
from local_outlets import FixturePage, OutletServer, Reply, made_up_feed  # noqa: E402
from test_cluster import Cluster, Hit, RedisServer, as_on_the_stream, max_concurrent  # noqa: E402

STAND_IN = DECLARED["t_online"]
TEXTS = (SHARED_DATA / "police-de" / "dev.jsonl", SHARED_DATA / "semeval-de" / "dev-articles.jsonl")
HEADLINES = SHARED_DATA / "uci-news" / "dev.jsonl"
POLL_SECONDS = 0.05
PATIENCE_SECONDS = 900.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# `newsagg worker` whose stand-in outlet owns every host in NEWSAGG_BENCH_HOSTS: moved onto a
# loopback base URL, an outlet owns that one host, and the spider refuses requests to any other.
WIDE_WORKER = (
    "import dataclasses, os; import crawlers.spiders.news as news; "
    "hosts = tuple(os.environ['NEWSAGG_BENCH_HOSTS'].split()); moved = news.resolve; "
    "news.resolve = lambda name, environ=os.environ: dataclasses.replace(moved(name, environ), domains=hosts); "
    "from scheduler.cli import cli; cli(prog_name='newsagg')"
)


def real_texts() -> list[dict[str, str]]:
    """The texts whose page the workers read as an article (some SemEval rows have no body, or one
    that reads as a cookie notice), so that every page is stored once the crawl is done."""
    texts = []
    for path in TEXTS:
        with path.open(encoding="utf-8") as lines:
            texts += [json.loads(line) for line in lines]
    return [text for text in texts if _read_as_article(text)]


def _read_as_article(text: dict[str, str]) -> bool:
    url = "http://127.0.0.1/nachrichten/id_1/artikel-1.html"
    try:
        extract_article(article_page(url, text), url, STAND_IN.templates)
    except NotAnArticle:
        return False
    return True


def article_page(url: str, text: dict[str, str]) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text["body"].splitlines() if line.strip())
    title = html.escape(text["title"])
    return (f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{url}"><meta property="article:published_time" content="{text["published"]}">'
            f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>").encode("utf-8")


@dataclass
class StandIn:
    servers: list[OutletServer]
    urls: list[str]  # every article page, in the feeds' order

    @property
    def hosts(self) -> list[str]:
        return [server.base_url.split("//")[1] for server in self.servers]

    def reset_routes(self) -> None:
        """Every server its pages, the first the outlet's feeds too, which name every page, split among them."""
        for server in self.servers:
            server.reset_routes()
        feeds = STAND_IN.feeds
        for number, feed in enumerate(feeds):
            body = made_up_feed(OutletServer.FEED_KINDS[number % len(OutletServer.FEED_KINDS)], "",
                                self.urls[number::len(feeds)], self.servers[0].changed)
            self.servers[0].routes[urlsplit(feed).path] = Reply(body=body, headers={"Content-Type": "application/xml"})

    def close(self) -> None:
        for server in self.servers:
            server.__exit__()


def stand_in(pages: int, hosts: int, texts: list[dict[str, str]]) -> StandIn:
    """``pages`` article pages spread evenly over ``hosts`` servers in a seeded random order."""
    servers = [OutletServer(STAND_IN.name, []).__enter__() for _ in range(hosts)]
    on_host = [number % hosts for number in range(pages)]
    random.Random(12).shuffle(on_host)
    urls, hosted = [], [[] for _ in servers]
    for number, (host, text) in enumerate(zip(on_host, islice(cycle(texts), pages))):
        path = f"/nachrichten/id_{100000 + number}/artikel-{number}.html"
        url = servers[host].base_url + path
        urls.append(url)
        hosted[host].append(FixturePage(STAND_IN.name, path, article_page(url, text), {}))
    for server, mine in zip(servers, hosted):
        server.pages = mine
    return StandIn(servers, urls)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_for(condition: Callable[[], object], what: str, every: Callable[[], None] = lambda: None) -> float:
    """Poll until ``condition`` holds (calling ``every`` each time); returns when it did."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        every()
        if condition():
            return time.monotonic()
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"timed out after {PATIENCE_SECONDS:g} s waiting for {what}")


@dataclass
class CrawlFigures:
    workers: int
    stored: int
    fetched_twice: int         # article pages requested more than once
    pages_per_second: float    # article pages answered / (first request → last page answered)
    requests_per_second: float  # every request (robots.txt, feeds too), the same way
    most_at_once: int          # the most requests one host had at once
    closest: tuple[Hit, Hit]   # the two starts at one host closest together

    @property
    def smallest_gap(self) -> float:
        return self.closest[1].start - self.closest[0].start
    startup: float             # launch until the workers and the writer are ready, not counted
    most_unstored: int         # the writer's backlog: most entries on the stream at once
    oldest_unstored: float
    end_lag: float             # last page answered → last article stored
    worker_cpu: float          # CPU seconds of all workers together
    writer_cpu: float
    load: tuple[float, float]  # the machine's 1-minute load average at the start and at the end
    began: float               # the first request's start


def crawl(workers: int, site: StandIn, delay: float, tmp: Path) -> tuple[CrawlFigures, list[dict[str, Any]]]:
    """``workers`` workers and one writer, started and ready before the feeds are queued; the
    figures and the articles stored (as workers put them on the stream)."""
    load_before = os.getloadavg()[0]
    cluster = Cluster(tmp, dict(zip(site.hosts, site.servers)), RedisServer(tmp).start(), launcher=("-c", WIDE_WORKER),
                      env={STAND_IN.base_url_variable: site.servers[0].base_url, "NEWSAGG_BENCH_HOSTS": " ".join(site.hosts)},
                      lease_seconds=project.NEWSAGG_LEASE_SECONDS)  # the default, not the tests' short one
    site.reset_routes()  # not timed twice: the last run's timing wrapped them
    cluster.time_requests(seconds=delay)
    try:
        frontier = cluster.frontier()
        launched = time.monotonic()
        cluster.writer()
        for number in range(1, workers + 1):
            cluster.worker(f"w{number}")
        ready = wait_for(lambda: len(frontier.workers_seen()) == workers and "writing" in cluster.log("writer"),
                         "the workers and the writer to start")
        cpu_before = {name: cpu_seconds(process.pid) for name, process in cluster.processes.items()}
        moved = STAND_IN.moved_to(site.servers[0].base_url)
        frontier.queue_feeds(STAND_IN.name, moved.feeds, datetime.now(timezone.utc).isoformat())
        backlog: list[tuple[int, float]] = []

        def sample_backlog() -> None:
            lag = frontier.writer_figures()
            backlog.append((lag["pending"] + lag["unread"], lag["oldest_unstored_seconds"]))

        done_at = wait_for(cluster.settled, "every page stored", every=sample_backlog)
        cpu = {name: cpu_seconds(process.pid) - cpu_before[name] for name, process in cluster.processes.items()}
        stored = [as_on_the_stream(row) for row in cluster.articles()]
    finally:
        cluster.stop_all()
        cluster.redis.stop()
    pages = set(site.urls)
    hits = list(cluster.hits)
    articles = [hit for hit in hits if f"http://{hit.host}{hit.path}" in pages]
    first, last_answer = min(hit.start for hit in hits), max(hit.end or hit.start for hit in articles)
    by_host: dict[str, list[Hit]] = {}
    for hit in sorted(hits, key=lambda hit: hit.start):
        by_host.setdefault(hit.host, []).append(hit)
    closest = min(((earlier, later) for mine in by_host.values() for earlier, later in zip(mine, mine[1:])),
                  key=lambda pair: pair[1].start - pair[0].start)
    figures = CrawlFigures(
        workers, len(stored), len(articles) - len({(hit.host, hit.path) for hit in articles}),
        len(articles) / (last_answer - first), len(hits) / (last_answer - first),
        max(max_concurrent(mine) for mine in by_host.values()), closest, ready - launched,
        max(unstored for unstored, _ in backlog), max(age for _, age in backlog), max(0.0, done_at - last_answer),
        sum(seconds for name, seconds in cpu.items() if name != "writer"), cpu["writer"],
        (load_before, os.getloadavg()[0]), first,
    )
    return figures, stored


@dataclass
class WriterFigures:
    what: str
    articles: int
    startup: float          # launch until it waits on the stream
    first_article: float    # the first article (grouping loads its word lists and gazetteer)
    per_second: float
    per_cpu_second: float
    load: float


def writer_alone(what: str, articles: list[dict[str, Any]], tmp: Path) -> WriterFigures:
    cluster = Cluster(tmp, {}, RedisServer(tmp).start())
    try:
        frontier = cluster.frontier()

        def push(batch: list[dict[str, Any]]) -> None:
            pipe = frontier.redis.pipeline(transaction=False)
            for article in batch:
                pipe.xadd(STREAM, {"outlet": article["outlet"], "article": json.dumps(article, ensure_ascii=False)})
            pipe.execute()

        def stored(number: int) -> Callable[[], bool]:
            return lambda: (cluster.stored() >= number
                            and frontier.writer_figures() == {"pending": 0, "unread": 0, "oldest_unstored_seconds": 0.0})

        launched = time.monotonic()
        pid = cluster.writer().pid
        ready = wait_for(lambda: "writing" in cluster.log("writer"), "the writer to start")
        push(articles[:1])
        warm = wait_for(stored(1), "the first article stored")
        push(articles[1:])
        started, cpu_before = time.monotonic(), cpu_seconds(pid)
        finished = wait_for(stored(len(articles)), f"{len(articles)} articles stored")
        cpu = cpu_seconds(pid) - cpu_before
    finally:
        cluster.stop_all()
        cluster.redis.stop()
    count = len(articles) - 1
    return WriterFigures(what, count, ready - launched, warm - ready, count / (finished - started), count / cpu,
                         os.getloadavg()[0])


def headlines(count: int) -> list[dict[str, Any]]:
    """The UCI headlines as `newsagg import` reads them, cleaned as a worker cleans an article."""
    fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with HEADLINES.open(encoding="utf-8") as lines:
        return [clean_article(parse_line(line, fetched_at)) for line, _ in zip(lines, range(count))]


def folders(root: Path) -> Iterator[Path]:
    """A fresh folder for each run: its store, Redis files and logs."""
    for number in range(1_000_000):
        (folder := root / f"run{number}").mkdir()
        yield folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="article pages of the stand-in (default 2000)")
    parser.add_argument("--hosts", type=int, default=20, help="hosts they are spread over (default 20)")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each answer takes (default 0.2)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (default 1 2 4)")
    args = parser.parse_args()
    gap = project.NEWSAGG_HOST_DELAY + project.NEWSAGG_HOST_DELAY_MARGIN
    bound = args.hosts / gap
    print(f"{args.pages} article pages on {args.hosts} stand-in hosts, each answer after {args.delay:g} s; politeness "
          f"per host for all workers: {project.NEWSAGG_HOST_CONCURRENCY} at once, {project.NEWSAGG_HOST_DELAY:g} s "
          f"apart ({gap:g} s with the workers' margin), so at most {bound:.1f} requests/s in all; "
          f"{project.CONCURRENT_REQUESTS} requests at once per worker; {os.cpu_count()} CPUs", flush=True)
    site = stand_in(args.pages, args.hosts, real_texts())
    runs: list[CrawlFigures] = []
    try:
        with tempfile.TemporaryDirectory(prefix="newsagg-cluster-bench-") as root:
            fresh = folders(Path(root))
            for workers in args.workers:
                figures, crawled = crawl(workers, site, args.delay, next(fresh))
                runs.append(figures)
                print(f"  {workers} worker(s): {figures.pages_per_second:.2f} pages/s", flush=True)
            writers = [writer_alone("crawled articles", crawled, next(fresh)),
                       writer_alone("UCI headlines", headlines(3266), next(fresh))]
    finally:
        site.close()

    one = runs[0].pages_per_second
    print(f"\n{'workers':>7} {'stored':>6} {'pages/s':>7} {'× 1':>5} {'req/s':>6} {'at once':>7} {'min gap':>7} "
          f"{'twice':>5} {'backlog':>7} {'oldest':>6} {'end lag':>7} {'CPU s w/wr':>11} {'load':>9}")
    for run in runs:
        print(f"{run.workers:>7} {run.stored:>6} {run.pages_per_second:>7.2f} {run.pages_per_second / one:>4.2f}× "
              f"{run.requests_per_second:>6.2f} {run.most_at_once:>7} {run.smallest_gap:>7.3f} {run.fetched_twice:>5} "
              f"{run.most_unstored:>7} {run.oldest_unstored:>5.1f}s {run.end_lag:>6.2f}s "
              f"{run.worker_cpu:>5.1f}/{run.writer_cpu:<5.1f} {run.load[0]:>4.1f}→{run.load[1]:<4.1f}")
    print("the closest two starts at one host, by their paths (start → end, seconds into the run):")
    for run in runs:
        first, second = run.closest
        print(f"  {run.workers} worker(s): {first.host} {first.path} {first.start - run.began:.3f} → {first.end - run.began:.3f}, "
              f"{second.path} {second.start - run.began:.3f} → {second.end - run.began:.3f}")
    print(f"politeness bound: {args.hosts} hosts / {gap:g} s = {bound:.1f} requests/s, however many workers; "
          f"latency bound of one worker: {project.CONCURRENT_REQUESTS} at once / {args.delay:g} s = "
          f"{project.CONCURRENT_REQUESTS / args.delay:.0f} requests/s")
    for writer in writers:
        print(f"writer alone, {writer.what}: {writer.articles} at {writer.per_second:,.0f}/s "
              f"({writer.per_cpu_second:,.0f} per CPU second; load {writer.load:.1f}); start-up {writer.startup:.1f} s "
              f"+ first article {writer.first_article:.1f} s, not counted")


if __name__ == "__main__":
    main()
