"""How fast `newsagg serve` answers its canned queries on a store of a million articles.

Builds (or reuses) a store of synthetic articles made from the real headlines of
../shared/data/uci-news/dev.jsonl, starts the real `newsagg serve` on it, and prints the
p50 and p95 of each canned query through HTTP, as JSON and as the HTML page a reader opens.
Goal: p95 < 50 ms for every query without parameters.

Synthetic, and marked so: every article's URL ends in ``#synthetic-<copy>`` and carries the
keyword ``synthetic``. Copy *n* of a headline is published *n* days after the original
(the newest copy lands in the last days), takes its teaser and body from other headlines of
the same Google News story, and belongs to a story made of a few articles of that copy, so
stories have 1 to 12 articles and many have one outlet only.

    python benchmarks/serve.py                       # 1M articles in /tmp/newsagg-serve-1m.db
    python benchmarks/serve.py --articles 100000 --db /tmp/small.db --requests 50

Run by hand, not in CI: building the million-article store takes several minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the story writer is a test helper, not a package

from crawlers.outlets import DECLARED, register_outlets  # noqa: E402
from db.canned import CANNED_QUERIES  # noqa: E402
from db.schema import connect  # noqa: E402
from db.store import count_rows, finish_run, start_run, transaction  # noqa: E402
from serve_store import write_story  # noqa: E402

HEADLINES = Path(__file__).resolve().parents[2] / "shared" / "data" / "uci-news" / "dev.jsonl"
CATEGORIES = {"b": "Wirtschaft", "t": "Technik", "e": "Unterhaltung", "m": "Gesundheit"}
SAMPLE_PARAMETERS = {"story_sources": {"story_id": "1"}, "search_stories": {"q": "Google Docs"}}
BATCH = 20_000
CRAWL_INTERVAL = timedelta(minutes=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", default="/tmp/newsagg-serve-1m.db")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per query and format")
    parser.add_argument("--rebuild", action="store_true", help="build the store even if it exists")
    args = parser.parse_args()

    if args.rebuild or not _has_articles(args.db, args.articles):
        build_store(args.db, args.articles)
    with _serving(args.db) as base_url:
        print(f"{args.articles:,} articles; {args.requests} requests per query after 3 warm-up requests")
        print(f"{'query':<24}{'format':>7}{'rows':>7}{'p50 ms':>9}{'p95 ms':>9}")
        worst = 0.0
        for query in CANNED_QUERIES:
            parameters = SAMPLE_PARAMETERS.get(query.name, {})
            for extension in (".json", ""):
                rows, p50, p95 = time_query(f"{base_url}/{query.name}{extension}", parameters, args.requests)
                if not parameters:
                    worst = max(worst, p95)
                label = query.name + (" *" if parameters else "")
                print(f"{label:<24}{extension or '.html':>7}{rows:>7}{p50:>9.1f}{p95:>9.1f}")
        print(f"worst p95 of the queries without parameters: {worst:.1f} ms (goal < 50 ms);"
              " * = with a sample parameter")


# --- the store ---------------------------------------------------------------------------

def _has_articles(db_path: str, wanted: int) -> bool:
    if not Path(db_path).exists():
        return False
    conn = connect(db_path)
    try:
        return count_rows(conn, "articles") == wanted
    finally:
        conn.close()


def build_store(db_path: str, total: int) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(db_path + suffix).unlink(missing_ok=True)
    conn = connect(db_path)
    started = time.perf_counter()
    written = 0
    stories = synthetic_stories(_read_headlines(), total)
    while written < total:
        with transaction(conn):
            for members in _take(stories, BATCH):
                write_story(conn, members, members[0]["_category"], None)
                written += len(members)
        print(f"  {written:,} articles, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    runs = write_crawl_history(conn, days=-(-total // len(_read_headlines())))
    print(f"  {runs:,} crawl runs", file=sys.stderr)
    conn.execute("ANALYZE")
    conn.close()
    print(f"built {db_path}: {written:,} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def write_crawl_history(conn: Any, days: int) -> int:
    """A crawl of each declared outlet every 15 minutes for `days` days; one in 50 fails."""
    random_source = random.Random(15)
    now = datetime.now(timezone.utc)
    crawl_time = now - timedelta(days=days)
    runs = 0
    with transaction(conn):
        register_outlets(conn)
        while crawl_time < now:
            run_id = f"synthetic-{crawl_time:%Y%m%d%H%M}"
            for name in DECLARED:
                failed = random_source.random() < 0.02
                start_run(conn, run_id, name, 1, crawl_time.isoformat())
                new = random_source.randint(0, 12)
                finish_run(conn, run_id, name, (crawl_time + timedelta(seconds=40)).isoformat(),
                           "failed" if failed else "ok",
                           {"discovered": 120, "fetched": 0 if failed else new, "new": 0 if failed else new,
                            "failed": 1 if failed else 0},
                           ["synthetic: connection refused"] if failed else [])
                runs += 1
            crawl_time += CRAWL_INTERVAL
    return runs


def _read_headlines() -> list[dict[str, Any]]:
    with HEADLINES.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def synthetic_stories(headlines: list[dict[str, Any]], total: int) -> Iterator[list[dict[str, Any]]]:
    """Stories of synthetic articles, oldest copy first, `total` articles in all."""
    by_story: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for headline in headlines:
        by_story[headline["story"]].append(headline)
    copies = -(-total // len(headlines))
    newest = max(_parse_time(h["published"]) for h in headlines)
    shift_to_now = datetime.now(timezone.utc) - newest - timedelta(days=copies)
    random_source = random.Random(20140310)
    produced = 0
    for copy in range(copies):
        for label, members in by_story.items():
            order = sorted(members, key=lambda h: h["published"])
            start = 0
            while start < len(order) and produced < total:
                size = min(random_source.choice((1, 1, 1, 2, 2, 3, 4, 6, 8, 12)), total - produced)
                chunk = order[start:start + size]
                start += size
                produced += len(chunk)
                yield [_synthetic_article(h, members, copy, shift_to_now, random_source) for h in chunk]
            if produced >= total:
                return


def _synthetic_article(headline: dict[str, Any], same_story: list[dict[str, Any]], copy: int,
                       shift: timedelta, random_source: random.Random) -> dict[str, Any]:
    published = (_parse_time(headline["published"]) + shift + timedelta(days=copy)).isoformat()
    others = random_source.sample(same_story, min(4, len(same_story)))
    url = f"{headline['url']}#synthetic-{copy}"
    title = headline["title"]
    return {
        "url": url, "canonical_url": url, "outlet": headline["outlet"], "title": title,
        "teaser": others[0]["title"],
        "body": "\n\n".join(other["title"] for other in others[1:]),
        "published": published, "fetched_at": published, "language": "en",
        "section": CATEGORIES[headline["category"]], "keywords": ["synthetic"],
        "content_hash": hashlib.sha1(f"{url}\n{title}".encode()).hexdigest(),
        "_category": CATEGORIES[headline["category"]],
    }


def _take(items: Iterator[list[dict[str, Any]]], articles: int) -> Iterator[list[dict[str, Any]]]:
    """Stories from `items` until about `articles` articles have been taken."""
    taken = 0
    for members in items:
        yield members
        taken += len(members)
        if taken >= articles:
            return


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- serving and timing ------------------------------------------------------------------

class _serving:
    """`newsagg serve` on the store in a child process, for the duration of a with block."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.port = _free_port()

    def __enter__(self) -> str:
        newsagg = Path(sys.executable).with_name("newsagg")
        self.process = subprocess.Popen([str(newsagg), "serve", "--db", self.db_path, "--port", str(self.port)])
        base_url = f"http://127.0.0.1:{self.port}/{Path(self.db_path).stem}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base_url + ".json", timeout=5).read()
                return base_url
            except OSError:
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("newsagg serve did not answer within 120 s")

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def time_query(url: str, parameters: dict[str, str], requests: int) -> tuple[str, float, float]:
    """(rows, p50 ms, p95 ms) of GET url?parameters, after three untimed requests; rows of JSON only."""
    query = "&".join(f"{name}={urllib.parse.quote(value)}" for name, value in parameters.items())
    full_url = f"{url}?{query}" if query else url
    timings = []
    body = b""
    for attempt in range(requests + 3):
        started = time.perf_counter()
        with urllib.request.urlopen(full_url, timeout=30) as response:
            body = response.read()
        if attempt >= 3:
            timings.append((time.perf_counter() - started) * 1000)
    rows = str(len(json.loads(body)["rows"])) if url.endswith(".json") else ""
    return rows, statistics.median(timings), statistics.quantiles(timings, n=20)[-1]


if __name__ == "__main__":
    main()
