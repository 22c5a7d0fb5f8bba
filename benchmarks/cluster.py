"""Cluster mode against one process, measured in the same run: one `newsagg crawl` of local stand-ins
and its crawl child with the delay it keeps for real sites (the baselines), then 1 and 2 `newsagg
worker` + one `newsagg ingest` crawling the same; then the writer alone against the same articles
stored in-process (its baseline).

    python benchmarks/cluster.py                      # about 4 minutes on 2 cores
    python benchmarks/cluster.py --delay 0.2 --pages-per-host 40 --workers 1 2 4

Run by hand, not in CI. Needs redis-server: each run starts its own on a free loopback port
(AOF on, `appendfsync always`, as the README recommends), as tests/test_cluster.py does; nothing
here touches the network. The stand-ins (tests/local_outlets.py) serve the real saved pages of
the three default outlets on 127.0.0.1, one host per outlet; to give each host --pages-per-host
pages, each page is served again under other article ids (the page with its id changed, as an
outlet republishing a report). Every answer takes --delay seconds (network latency), and each
request is timed where a site would see it.

The writer alone: the real UCI headlines (--data, 3,266 lines) made into article items as
`newsagg import` reads them, pushed onto the stream of a running `newsagg ingest` and timed until
stored; its start-up (imports, word lists, the first article) is timed apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the stand-ins and the test's Redis are test helpers

from benchmarks.common import SHARED_DATA  # noqa: E402
from crawlers import settings as project  # noqa: E402
from crawlers.frontier import STREAM, Frontier  # noqa: E402
from crawlers.outlets import DECLARED, register_outlets  # noqa: E402
from crawlers.pipelines import store_article  # noqa: E402
from db.schema import connect  # noqa: E402
from dedupe.assign import Grouper  # noqa: E402
from dedupe.importing import parse_line  # noqa: E402
from dedupe.settings import GroupingSettings  # noqa: E402
from scheduler.crawl import new_run_id  # noqa: E402
from local_outlets import FixturePage, OutletServer, fixture_pages, outlet_env  # noqa: E402
from test_cluster import Cluster, Hit, RedisServer, politeness_figures  # noqa: E402

OUTLETS = tuple(name for name, outlet in DECLARED.items() if outlet.enabled_by_default)
POLL_SECONDS = 0.05
PATIENCE_SECONDS = 900.0


def copied(page: FixturePage, copy: int) -> FixturePage:
    """The page under another article id (copy 0: itself): its path's last number raised by
    ``copy``, in the path and throughout the page (canonical link included), so it is a new article."""
    old = re.findall(r"\d+", page.path)[-1]
    new = str(int(old) + copy)
    html = page.html.decode("utf-8").replace(old, new).encode("utf-8")
    return dataclasses.replace(page, path=page.path.replace(old, new), html=html)


def stand_in_pages(per_host: int) -> dict[str, list[FixturePage]]:
    """``per_host`` article pages per outlet, its saved pages first, then copies of them in turn."""
    pages = {}
    for outlet in OUTLETS:
        saved = fixture_pages(outlet)
        pages[outlet] = [copied(saved[n % len(saved)], n // len(saved)) for n in range(per_host)]
    return pages


@dataclass
class CrawlFigures:
    label: str
    stored: int
    seconds: float             # first request to the last article stored, at the stand-ins' clock
    pages_per_second: float    # article pages answered / (first request start → last answer)
    requests_per_second: float  # every request (robots.txt, feeds, sitemaps too), the same way
    hosts: dict[str, tuple[int, int, float]]  # outlet → (requests, most at once, smallest gap)
    startup: float             # launch until ready (workers and writer) or until the first request (crawl)
    most_unstored: int = 0     # the writer's backlog: most entries on the stream at once
    oldest_unstored: float = 0.0
    end_lag: float = 0.0       # last page answered → last article stored

    def row(self) -> str:
        worst_gap = min(gap for _, _, gap in self.hosts.values())
        most = max(at_once for _, at_once, _ in self.hosts.values())
        return (f"{self.label:<24} {self.stored:>6} {self.seconds:>7.1f} {self.pages_per_second:>7.2f} "
                f"{self.requests_per_second:>6.2f} {most:>7} {worst_gap:>7.3f} {self.startup:>8.1f}")


def crawl_figures(label: str, hits: list[Hit], servers: dict[str, OutletServer], stored: int, done_at: float,
                  startup: float) -> CrawlFigures:
    pages = {page.path for server in servers.values() for page in server.pages}
    articles = [hit for hit in hits if hit.path in pages]
    first = min(hit.start for hit in hits)
    last_answer = max(hit.end or hit.start for hit in articles)
    span = last_answer - first
    outlet_of = {server.base_url.split("//")[1]: name for name, server in servers.items()}
    return CrawlFigures(label, stored, done_at - first, len(articles) / span, len(hits) / span,
                        {outlet_of[host]: figures for host, figures in politeness_figures(hits).items()},
                        startup, end_lag=max(0.0, done_at - last_answer))


def wait_for(condition: Callable[[], object], what: str, every: Callable[[], None] = lambda: None) -> float:
    """Poll until ``condition`` holds (calling ``every`` each time); returns when it did."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        every()
        if condition():
            return time.monotonic()
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"timed out after {PATIENCE_SECONDS:g} s waiting for {what}")


def serve(pages: dict[str, list[FixturePage]], delay: float, tmp: Path) -> Cluster:
    servers = {name: OutletServer(name, pages[name]).__enter__() for name in OUTLETS}
    cluster = Cluster(tmp, servers, RedisServer(tmp).start())
    cluster.time_requests(seconds=delay)
    return cluster


def close(cluster: Cluster) -> None:
    cluster.stop_all()
    cluster.redis.stop()
    for server in cluster.servers.values():
        server.__exit__()


# The crawl child of `newsagg crawl` (crawlers/run.py) with the delay it keeps for real sites:
# outlets moved onto loopback are crawled without one (crawlers/spiders/news.py), which would make
# the single process's baseline unbound by politeness while the workers are bound.
POLITE_CHILD = ("import crawlers.settings as policy; policy.NEWSAGG_LOOPBACK_DELAY = policy.DOWNLOAD_DELAY; "
                "from crawlers.run import main; main()")


def single_crawls(db: Path) -> dict[str, list[str]]:
    """The baselines by label: `newsagg crawl` as it is, and its crawl child with the real-site delay."""
    return {"newsagg crawl (loopback)": ["-m", "scheduler", "crawl", "--db", str(db)],
            "crawl child, 1 s delay": ["-c", POLITE_CHILD, "--db", str(db), "--run-id", new_run_id(), *OUTLETS]}


def baseline_crawl(label: str, pages: dict[str, list[FixturePage]], delay: float, tmp: Path) -> CrawlFigures:
    """One single-process crawl of the stand-ins, all outlets in its one process."""
    cluster = serve(pages, delay, tmp)
    try:
        launched = time.monotonic()
        done = subprocess.run([sys.executable, *single_crawls(cluster.db)[label]],
                              env={**os.environ, **outlet_env(cluster.servers)}, cwd=tmp, capture_output=True,
                              text=True, timeout=PATIENCE_SECONDS)
        finished = time.monotonic()
        if done.returncode != 0:
            raise SystemExit(f"{label} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        startup = min(hit.start for hit in cluster.hits) - launched
        return crawl_figures(label, cluster.hits, cluster.servers, len(cluster.articles()), finished, startup)
    finally:
        close(cluster)


def cluster_crawl(workers: int, pages: dict[str, list[FixturePage]], delay: float, tmp: Path) -> CrawlFigures:
    """``workers`` workers and one writer, started and ready before the feeds are queued, so the
    figures hold the crawl and not the processes' start-up (timed apart)."""
    cluster = serve(pages, delay, tmp)
    try:
        frontier = cluster.frontier()
        launched = time.monotonic()
        cluster.writer()
        for number in range(1, workers + 1):
            cluster.worker(f"w{number}")
        ready = wait_for(lambda: len(frontier.workers_seen()) == workers and "writing" in cluster.log("writer"),
                         "the workers and the writer to start")
        for name, server in cluster.servers.items():
            moved = server.outlet.moved_to(server.base_url)
            frontier.queue_feeds(name, (*moved.feeds, *moved.sitemaps), datetime.now(timezone.utc).isoformat())
        backlog: list[tuple[int, float]] = []

        def sample_backlog() -> None:
            lag = frontier.writer_figures()
            backlog.append((lag["pending"] + lag["unread"], lag["oldest_unstored_seconds"]))

        done_at = wait_for(cluster.settled, "every page stored", every=sample_backlog)
        figures = crawl_figures(f"{workers} worker(s) + ingest", cluster.hits, cluster.servers,
                                len(cluster.articles()), done_at, ready - launched)
        figures.most_unstored = max(unstored for unstored, _ in backlog)
        figures.oldest_unstored = max(age for _, age in backlog)
        return figures
    finally:
        close(cluster)


@dataclass
class WriterFigures:
    articles: int
    startup: float          # launch until it waits on the stream
    first_article: float    # the first article (grouping loads its word lists and gazetteer)
    per_second: float
    baseline_per_second: float  # store_article in this process, same articles, no Redis


def article_items(data: Path, count: int) -> list[dict[str, Any]]:
    fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with data.open(encoding="utf-8") as lines:
        return [parse_line(line, fetched_at) for line, _ in zip(lines, range(count))]


def stored_count(db: Path) -> int:
    """Counted, not read: polling must not slow the writer it watches."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        conn.close()


def in_process_rate(items: list[dict[str, Any]], db: Path) -> float:
    """What the writer does per entry, without Redis: the first article warms the grouping up."""
    conn = connect(str(db))
    try:
        register_outlets(conn)
        grouper = Grouper(conn, GroupingSettings())
        store_article(conn, grouper, items[0])
        started = time.perf_counter()
        for item in items[1:]:
            store_article(conn, grouper, item)
        return (len(items) - 1) / (time.perf_counter() - started)
    finally:
        conn.close()


def writer_alone(data: Path, count: int, tmp: Path) -> WriterFigures:
    items = article_items(data, count)
    cluster = Cluster(tmp, {}, RedisServer(tmp).start())
    try:
        frontier = cluster.frontier()

        def push(batch: list[dict[str, Any]]) -> None:
            pipe = frontier.redis.pipeline(transaction=False)
            for item in batch:
                pipe.xadd(STREAM, {"outlet": item["outlet"], "article": json.dumps(item, ensure_ascii=False)})
            pipe.execute()

        def stored(number: int) -> Callable[[], bool]:
            return lambda: (stored_count(cluster.db) >= number
                            and frontier.writer_figures() == {"pending": 0, "unread": 0, "oldest_unstored_seconds": 0.0})

        launched = time.monotonic()
        cluster.writer()
        ready = wait_for(lambda: "writing" in cluster.log("writer"), "the writer to start")
        push(items[:1])
        warm = wait_for(stored(1), "the first article stored")
        started = time.monotonic()
        push(items[1:])
        finished = wait_for(stored(len(items)), f"{len(items)} articles stored")
        rate = (len(items) - 1) / (finished - started)
    finally:
        cluster.stop_all()
        cluster.redis.stop()
    return WriterFigures(len(items) - 1, ready - launched, warm - ready, rate, in_process_rate(items, tmp / "alone.db"))


def fresh(folder: Path, number: int) -> Path:
    """A folder of the run's own: its store, Redis files and logs."""
    tmp = folder / f"run{number}"
    tmp.mkdir()
    return tmp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each stand-in answer takes (default 0.2)")
    parser.add_argument("--pages-per-host", type=int, default=40, help="article pages per stand-in host (default 40)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run (default 1 2)")
    parser.add_argument("--articles", type=int, default=3266, help="articles for the writer alone (default 3266)")
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "uci-news" / "dev.jsonl",
                        help="UCI headlines, JSON Lines (default ../shared/data/uci-news/dev.jsonl)")
    args = parser.parse_args()
    pages = stand_in_pages(args.pages_per_host)
    gap = project.NEWSAGG_HOST_DELAY + project.NEWSAGG_HOST_DELAY_MARGIN
    print(f"{len(OUTLETS)} stand-in hosts × {args.pages_per_host} article pages, each answer after {args.delay:g} s; "
          f"politeness per host: {project.NEWSAGG_HOST_CONCURRENCY} at once, {project.NEWSAGG_HOST_DELAY:g} s apart "
          f"(workers {gap:g} s with their margin)", flush=True)
    with tempfile.TemporaryDirectory(prefix="newsagg-cluster-bench-") as folder:
        runs = []
        for label in single_crawls(Path(folder)):
            runs.append(baseline_crawl(label, pages, args.delay, fresh(Path(folder), len(runs))))
            print(f"  {label}: done", flush=True)
        for workers in args.workers:
            runs.append(cluster_crawl(workers, pages, args.delay, fresh(Path(folder), len(runs))))
            print(f"  {runs[-1].label}: done", flush=True)
        (Path(folder) / "writer").mkdir()
        writer = writer_alone(args.data, args.articles + 1, Path(folder) / "writer")

    print("\nper host: requests / most at once / smallest gap between two starts (s), at the stand-in")
    for run in runs:
        print(f"  {run.label:<24} " + "   ".join(f"{outlet} {n}/{most}/{gap:.3f}" for outlet, (n, most, gap) in run.hosts.items()))
    print("\nthe writer during the crawls: most articles unstored at once, oldest unstored, last page → last stored")
    for run in runs[len(single_crawls(Path())):]:
        print(f"  {run.label:<24} {run.most_unstored:>4}  {run.oldest_unstored:>5.1f} s  {run.end_lag:>5.2f} s")

    baseline = runs[1]  # the single process under the same politeness as the workers
    print(f"\n{'':<24} {'stored':>6} {'seconds':>7} {'pages/s':>7} {'req/s':>6} {'at once':>7} {'min gap':>7} {'start-up':>8}")
    for run in runs:
        print(f"{run.row()}   {run.pages_per_second / baseline.pages_per_second:.2f}× the polite crawl child")
    bound = len(OUTLETS) / gap
    print(f"politeness bound: {len(OUTLETS)} hosts / {gap:g} s = {bound:.2f} requests/s, however many workers")
    print(f"writer alone: {writer.articles} articles at {writer.per_second:,.0f}/s "
          f"(store_article in-process, no Redis: {writer.baseline_per_second:,.0f}/s, "
          f"{writer.per_second / writer.baseline_per_second:.2f}×); start-up {writer.startup:.1f} s + first article "
          f"{writer.first_article:.1f} s, not counted")


if __name__ == "__main__":
    main()
