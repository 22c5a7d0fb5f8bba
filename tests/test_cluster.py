"""Cluster mode with a real Redis: `newsagg worker` ×2, `newsagg ingest` and the daemon against local
stand-ins of the outlets (real saved pages on 127.0.0.1), and the ways such a cluster breaks.

Each test starts its own `redis-server` (AOF on, `appendfsync always`) on a free loopback port. The
stand-ins time every request they answer, so politeness is measured where a site would see it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from crawlers import settings as project
from crawlers.frontier import STREAM, Found, Frontier, RedisUnavailable
from db.store import ARTICLE_FIELDS
from local_outlets import FixturePage, OutletServer, Route, fixture_pages, outlet_env
from test_daemon import wait_until
from scheduler.config import ConfigError, parse_config

PATIENCE = 120.0  # generous: the suite runs side by side on a loaded 2-core machine (wait_until's default too)
LEASE_SECONDS = 2.0
PASSWORD = "s3cret-Pass"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A real redis-server of the test's own, on loopback, its AOF in the test's folder."""

    def __init__(self, directory: Path, password: str | None = None):
        # Not a skip: CI installs redis-server (.ci/run), and a missing one must fail there.
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server); the cluster tests need it")
        self.binary, self.directory, self.password = binary, directory, password
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{':' + self.password + '@' if self.password else ''}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                   "--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        if self.password:
            command += ["--requirepass", self.password]
        with (self.directory / "redis.log").open("a") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _pings(client), "redis-server to answer", timeout=20)
        return self

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), as a service manager restarts it."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@dataclass
class Hit:
    """One request as the stand-in saw it."""

    host: str
    path: str
    agent: str
    start: float
    end: float | None = None


def timed(route: Route, host: str, path: str, hits: list[Hit], seconds: float) -> Route:
    """The route, answering after ``seconds`` and recording when each request came and went."""

    def answer(handler: object) -> object:
        hit = Hit(host, path, handler.headers.get("User-Agent", ""), time.monotonic())
        hits.append(hit)
        reply = route(handler) if callable(route) else route
        time.sleep(seconds)
        hit.end = time.monotonic()
        return reply

    return answer


@dataclass
class Cluster:
    """Redis, the stand-ins, and the newsagg processes of one test, each logging to its own file."""

    tmp: Path
    servers: dict[str, OutletServer]
    redis: RedisServer
    hits: list[Hit] = field(default_factory=list)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # How the processes run `newsagg` (the benchmark widens an outlet's hosts first), and what
    # their environment adds to the stand-ins' base URLs.
    launcher: tuple[str, ...] = ("-m", "scheduler")
    env: dict[str, str] = field(default_factory=dict)
    lease_seconds: float = LEASE_SECONDS  # short, so that a killed worker's leases expire within a test

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys(server.outlet.name for server in self.servers.values()))

    @property
    def db(self) -> Path:
        return self.tmp / "news.db"

    @property
    def pages(self) -> int:
        return sum(len(server.pages) for server in self.servers.values())

    def time_requests(self, seconds: float = 0.0, slow: dict[str, float] | None = None) -> None:
        for server in self.servers.values():
            host = server.base_url.split("//")[1]
            for path, route in list(server.routes.items()):
                server.routes[path] = timed(route, host, path, self.hits, (slow or {}).get(path, seconds))

    def start(self, name: str, command: str, *args: str, redis_url: str | None = None) -> subprocess.Popen:
        # Each process names itself in its User-Agent, so the stand-ins can tell the workers apart.
        config = self.tmp / f"{name}.toml"
        config.write_text(f'[crawl]\ncontact = "mailto:{name}@example.invalid"\n\n'
                          f"[cluster]\nlease_seconds = {self.lease_seconds}\n", encoding="utf-8")
        full = [sys.executable, *self.launcher, command, "--redis", redis_url or self.redis.url,
                "--config", str(config), *args]
        env = {**os.environ, **outlet_env(self.servers), **self.env}
        with (self.tmp / f"{name}.log").open("a") as log:
            self.processes[name] = subprocess.Popen(full, env=env, cwd=self.tmp, stdin=subprocess.DEVNULL,
                                                    stdout=log, stderr=subprocess.STDOUT)
        return self.processes[name]

    def worker(self, name: str) -> subprocess.Popen:
        outlets = [arg for outlet in self.outlets for arg in ("--outlet", outlet)]
        return self.start(name, "worker", *outlets)

    def writer(self, name: str = "writer") -> subprocess.Popen:
        return self.start(name, "ingest", "--db", str(self.db))

    def daemon(self) -> subprocess.Popen:
        return self.start("daemon", "daemon", "--db", str(self.db))

    def kill(self, name: str) -> None:
        self.processes[name].kill()
        self.processes[name].wait(10)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(encoding="utf-8")

    def frontier(self) -> Frontier:
        return Frontier(self.redis.url)

    def articles(self) -> list[dict]:
        if not self.db.exists():
            return []
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute("SELECT * FROM articles ORDER BY url")]
        except sqlite3.OperationalError:  # the writer has not created the store yet
            return []
        finally:
            conn.close()

    def stored(self) -> int:
        """How many articles the store holds: counted, not read, so that polling does not slow the writer."""
        if not self.db.exists():
            return 0
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            conn.close()

    def settled(self) -> bool:
        """Every page stored, nothing queued, leased or waiting for the writer."""
        try:
            frontier = self.frontier()
            idle = all(not frontier.outlet_figures(name)["queued"] and not frontier.outlet_figures(name)["in_flight"]
                       for name in self.outlets)
            writer = frontier.writer_figures()
        except RedisUnavailable:
            return False
        return idle and not writer["pending"] and not writer["unread"] and self.stored() >= self.pages

    def wait_settled(self) -> None:
        wait_until(self.settled, f"all {self.pages} pages stored and the queues empty")

    def status(self) -> dict:
        done = subprocess.run([sys.executable, "-m", "scheduler", "status", "--db", str(self.db),
                               "--redis", self.redis.url, "--json"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["cluster"]

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(outlets: tuple[str, ...], password: str | None = None,
             pages: dict[str, list[FixturePage]] | None = None) -> Cluster:
        servers = {name: OutletServer(name, (pages or {}).get(name)).__enter__() for name in outlets}
        made.append(Cluster(tmp_path, servers, RedisServer(tmp_path, password).start()))
        return made[-1]

    yield make
    for cluster in made:
        cluster.stop_all()
        cluster.redis.stop()
        for server in cluster.servers.values():
            server.__exit__()


def republished(page: FixturePage, new_id: str) -> FixturePage:
    """The page again under another article id (an outlet republishing a report): a second
    article that one crawl groups into the same story as the first."""
    old_id = page.path.split("/id_")[1].split("/")[0]
    html = page.html.decode("utf-8").replace(f"id_{old_id}", f"id_{new_id}")
    return dataclasses.replace(page, path=page.path.replace(f"id_{old_id}", f"id_{new_id}"), html=html.encode())


def assert_each_page_stored_once(cluster: Cluster) -> None:
    rows = cluster.articles()
    stored = [row["url"].split("/", 3)[3] for row in rows]
    expected = sorted(page.path.lstrip("/") for server in cluster.servers.values() for page in server.pages)
    assert sorted(stored) == expected
    assert len({row["canonical_url"] for row in rows}) == len(rows)
    conn = sqlite3.connect(cluster.db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def as_on_the_stream(row: dict) -> dict:
    """A stored article as a worker puts it on the stream: cleaned, with its content hash."""
    return {key: json.loads(row[key]) if key in ("authors", "keywords") else row[key] for key in ARTICLE_FIELDS}


def max_concurrent(hits: list[Hit]) -> int:
    events = sorted([(hit.start, 1) for hit in hits] + [(hit.end, -1) for hit in hits])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def politeness_figures(hits: list[Hit]) -> dict[str, tuple[int, int, float]]:
    """Per host: requests, most at once, smallest gap between two starts (printed for the README)."""
    figures = {}
    for host in sorted({hit.host for hit in hits}):
        mine = sorted((hit for hit in hits if hit.host == host), key=lambda hit: hit.start)
        gaps = [later.start - earlier.start for earlier, later in zip(mine, mine[1:])]
        figures[host] = (len(mine), max_concurrent(mine), round(min(gaps), 3))
    return figures


def story_partition(db: Path) -> set[frozenset[str]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT story_id, url FROM articles").fetchall()
    finally:
        conn.close()
    stories: dict[int, set[str]] = {}
    for story, url in rows:
        stories.setdefault(story, set()).add(url)
    return {frozenset(urls) for urls in stories.values()}


# --- the whole cluster ---------------------------------------------------------------

def test_two_workers_and_a_writer_store_every_page_once_grouped_as_one_crawl_and_polite_per_host_together(
        make_cluster: Callable[..., Cluster], tmp_path: Path) -> None:
    originals = fixture_pages("t_online")
    cluster = make_cluster(("berliner_zeitung", "rosenheim24", "t_online"), password=PASSWORD,
                           pages={"t_online": [*originals, republished(originals[0], "100000001")]})
    # Each answer takes longer than two delays, so a third request at once would show if allowed.
    service = 2.2 * project.NEWSAGG_HOST_DELAY
    cluster.time_requests(seconds=service)
    cluster.writer()
    cluster.worker("w1")
    cluster.worker("w2")
    cluster.daemon()
    cluster.wait_settled()
    assert_each_page_stored_once(cluster)
    figures = politeness_figures(cluster.hits)
    print("requests, most at once, smallest gap per host:", figures)
    for host, (_, most, gap) in figures.items():
        assert gap >= project.NEWSAGG_HOST_DELAY, (host, figures)
        assert most <= project.NEWSAGG_HOST_CONCURRENCY, (host, figures)
    t_online_host = cluster.servers["t_online"].base_url.split("//")[1]
    assert figures[t_online_host][1] == project.NEWSAGG_HOST_CONCURRENCY  # the limit was reached, and held
    t_online = [hit for hit in cluster.hits if hit.host == t_online_host]
    assert {"w1", "w2"} <= {agent.split("mailto:")[1].split("@")[0] for agent in (hit.agent for hit in t_online)}, \
        "both workers fetched from the same host: the limits held for them together"

    status = cluster.status()
    assert len(status["workers_last_minute"]) == 2
    assert status["writer"] == {"pending": 0, "unread": 0, "oldest_unstored_seconds": 0.0}
    assert status["outlets"]["t_online"]["queued"] == 0 and status["outlets"]["t_online"]["delivered"] == 2
    for name in ("w1", "w2", "writer", "daemon"):
        assert PASSWORD not in cluster.log(name)

    # The same pages crawled by one `newsagg crawl` group into the same stories.
    cluster.stop_all()
    for server in cluster.servers.values():
        server.reset_routes()
    single = tmp_path / "single.db"
    env = {**os.environ, **outlet_env(cluster.servers)}
    done = subprocess.run([sys.executable, "-m", "scheduler", "crawl", "--db", str(single)], env=env,
                          capture_output=True, text=True, timeout=PATIENCE)
    assert done.returncode == 0, done.stderr[-2000:]
    stories = story_partition(cluster.db)
    assert stories == story_partition(single)
    assert any(len(sources) == 2 for sources in stories), "the republished page joined its original's story"


# --- nothing lost, nothing doubled ---------------------------------------------------

def test_a_worker_killed_mid_page_has_the_page_fetched_again_by_another_and_stored_once(
        make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(("berliner_zeitung", "rosenheim24"))
    slow_path = cluster.servers["rosenheim24"].pages[0].path
    cluster.time_requests(slow={slow_path: 3.0})
    cluster.writer()
    cluster.worker("w1")
    cluster.worker("w2")
    cluster.daemon()
    first = wait_until(lambda: next((hit for hit in cluster.hits if hit.path == slow_path), None), "the slow page")
    victim = "w1" if "mailto:w1@" in first.agent else "w2"
    cluster.kill(victim)  # SIGKILL while the page is being answered
    wait_until(lambda: len([hit for hit in cluster.hits if hit.path == slow_path]) >= 2, "the page fetched again")
    cluster.worker(f"{victim}-again")
    cluster.wait_settled()
    assert_each_page_stored_once(cluster)
    again = [hit for hit in cluster.hits if hit.path == slow_path][1]
    assert f"mailto:{victim}@" not in again.agent
    logs = "".join(cluster.log(name) for name in ("w1", "w2", f"{victim}-again"))
    assert "expired lease(s) of a stopped worker back in the queue" in logs


def test_a_writer_killed_with_articles_read_and_not_stored_stores_each_once_after_a_restart(
        make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(("berliner_zeitung", "rosenheim24"))
    cluster.writer()
    wait_until(lambda: cluster.articles() == [] and cluster.db.exists() and "writing" in cluster.log("writer"),
               "the writer to start")
    # Holding the store's write lock makes the writer read articles it cannot commit yet.
    blocker = sqlite3.connect(cluster.db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    cluster.worker("w1")
    cluster.worker("w2")
    frontier = cluster.frontier()
    for name, server in cluster.servers.items():
        frontier.queue_feeds(name, (*server.outlet.moved_to(server.base_url).feeds,
                                    *server.outlet.moved_to(server.base_url).sitemaps), "2026-01-01T00:00:00+00:00")
    wait_until(lambda: frontier.writer_figures()["pending"] >= 1, "articles read and not stored")
    status = cluster.status()
    assert status["writer"]["pending"] >= 1 and len(status["workers_last_minute"]) == 2
    cluster.kill("writer")
    blocker.execute("ROLLBACK")
    blocker.close()
    assert cluster.articles() == []

    cluster.writer("writer-again")
    cluster.wait_settled()
    assert_each_page_stored_once(cluster)

    # Killed after its commit and before its acknowledgement: the entry comes again, changes nothing.
    article = as_on_the_stream(cluster.articles()[0])
    frontier.redis.xadd(STREAM, {"outlet": article["outlet"], "article": json.dumps(article)})
    wait_until(lambda: frontier.writer_figures() == {"pending": 0, "unread": 0, "oldest_unstored_seconds": 0.0},
               "the entry stored again")
    assert_each_page_stored_once(cluster)
    wait_until(lambda: "1 unchanged" in cluster.log("writer-again"), "the writer to count it unchanged", timeout=20)


def test_a_worker_stopped_with_sigterm_hands_its_leases_back_at_once(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(("t_online",))
    # Answers slower than the delay: the one host has a second request leased while the first runs.
    cluster.time_requests(seconds=3 * project.NEWSAGG_HOST_DELAY)
    cluster.worker("w1")
    frontier = cluster.frontier()
    server = cluster.servers["t_online"]
    frontier.queue_feeds("t_online", server.outlet.moved_to(server.base_url).feeds, "2026-01-01T00:00:00+00:00")
    wait_until(lambda: frontier.outlet_figures("t_online")["in_flight"] >= 2, "requests leased")
    cluster.processes["w1"].send_signal(signal.SIGTERM)
    assert cluster.processes["w1"].wait(30) == 0
    # No other worker has asked for a lease since, so none expired: the worker gave them back.
    figures = frontier.outlet_figures("t_online")
    assert figures["in_flight"] == 0 and figures["queued"] >= 2, figures


def test_workers_and_writer_reconnect_after_a_redis_restart_with_one_line_each_and_lose_nothing(
        make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(("berliner_zeitung", "t_online"))
    cluster.time_requests()
    cluster.writer()
    cluster.worker("w1")
    cluster.worker("w2")
    cluster.daemon()
    frontier = cluster.frontier()

    def writer_waiting_on_redis() -> bool:
        # Past its first article (the slow one: grouping loads its word lists), the writer's only
        # work between articles is asking Redis, so it sees the outage.
        lag = frontier.writer_figures()
        return len(cluster.hits) >= 6 and len(cluster.articles()) >= 1 and not lag["pending"] and not lag["unread"]

    wait_until(writer_waiting_on_redis, "the crawl under way and the writer waiting for articles")
    cluster.redis.stop()
    time.sleep(2 * LEASE_SECONDS)
    cluster.redis.start()
    cluster.wait_settled()
    assert_each_page_stored_once(cluster)
    for name in ("w1", "w2", "writer"):
        log = cluster.log(name)
        assert log.count("lost redis") == 1, log[-3000:]
        assert log.count("reconnected to redis") == 1, log[-3000:]


# --- starting without Redis ----------------------------------------------------------

@pytest.mark.parametrize("command", ["worker", "ingest", "daemon"])
def test_a_command_exits_1_with_one_line_when_redis_is_unreachable_or_refuses_the_password(
        command: str, tmp_path: Path) -> None:
    server = RedisServer(tmp_path, PASSWORD).start()
    try:
        wrong = f"redis://:not-{PASSWORD}@127.0.0.1:{server.port}/0"
        for url, reason in ((f"redis://127.0.0.1:{free_port()}/0", "refused"), (wrong, "password")):
            done = subprocess.run([sys.executable, "-m", "scheduler", command, "--redis", url, "--db", str(tmp_path / "n.db")]
                                  if command != "worker" else [sys.executable, "-m", "scheduler", command, "--redis", url],
                                  capture_output=True, text=True, timeout=60, cwd=tmp_path)
            assert done.returncode == 1
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("Error: redis at ") and reason in lines[0], done.stderr
            assert PASSWORD not in done.stderr
    finally:
        server.stop()


# --- the frontier's rules, one at a time ---------------------------------------------

@pytest.fixture
def frontier(tmp_path: Path) -> Iterator[Frontier]:
    server = RedisServer(tmp_path).start()
    try:
        yield Frontier(server.url)
    finally:
        server.stop()


def test_a_lease_not_renewed_goes_back_to_the_queue_and_a_renewed_one_stays(frontier: Frontier) -> None:
    frontier.queue_feeds("t_online", ["http://a.invalid/feed", "http://a.invalid/other"], "2026-01-01T00:00:00+00:00")
    kept, _ = frontier.lease("t_online", 0.3)
    lost, _ = frontier.lease("t_online", 0.3)
    assert frontier.lease("t_online", 0.3) == (None, 0)
    for _ in range(3):
        time.sleep(0.15)
        frontier.renew([(frontier.lease_key("t_online"), kept.entry)], 0.3)
    again, reclaimed = frontier.lease("t_online", 10)
    assert (again, reclaimed) == (lost, 1)


def test_the_seen_filter_queues_an_article_again_only_when_its_feed_announces_a_later_change(frontier: Frontier) -> None:
    def queued(lastmod: str | None) -> int:
        return frontier.finish("t_online", None, "2026-05-01T12:00:00+00:00",
                               found=[Found("http://a.invalid/id_1/x.html", "article", lastmod)])

    assert queued(None) == 1
    assert queued(None) == 0
    assert queued("2026-05-01T11:00:00+00:00") == 0  # older than the time it was queued
    assert queued("2026-05-02T08:00:00+00:00") == 1


def test_a_host_gets_at_most_its_concurrency_and_starts_no_closer_than_the_delay(frontier: Frontier) -> None:
    def take(token: str) -> float:
        return frontier.acquire_slot("h.invalid", token, 2, 0.2, 5)

    assert take("a") == 0
    assert take("b") > 0, "a's request has not gone out yet"
    frontier.slot_started("h.invalid", "a")
    assert 0 < take("b") <= 0.2
    time.sleep(0.21)
    assert take("b") == 0
    frontier.slot_started("h.invalid", "b")
    time.sleep(0.21)
    assert take("c") > 0, "two slots taken: a third must wait"
    frontier.release_slot("h.invalid", "a")
    assert take("c") == 0


def test_the_cluster_table_of_the_config_is_read_and_checked() -> None:
    config = parse_config({"cluster": {"redis_url": "redis://:pw@10.0.0.5:6379/0", "lease_seconds": 10}})
    assert (config.cluster.redis_url, config.cluster.lease_seconds) == ("redis://:pw@10.0.0.5:6379/0", 10.0)
    assert parse_config({}).cluster.redis_url == ""
    with pytest.raises(ConfigError, match="cluster.redis_url must start with"):
        parse_config({"cluster": {"redis_url": "http://10.0.0.5"}})
    with pytest.raises(ConfigError, match="cluster.lease_seconds must be positive"):
        parse_config({"cluster": {"lease_seconds": 0}})
