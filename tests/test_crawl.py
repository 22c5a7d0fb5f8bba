"""`newsagg crawl` end to end: real Scrapy, pipeline and SQLite against real pages on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import REPO
from crawlers.outlets import DECLARED
from local_outlets import OutletServer, fixture_pages, local_outlets, outlet_env

ALL_PAGES = fixture_pages()


def squash(text: str) -> str:
    return " ".join(text.split())


def paragraph_recall(expected: list[str], body: str) -> float:
    flat = squash(body)
    return sum(squash(p) in flat for p in expected) / len(expected)


@pytest.fixture(scope="module")
def crawled_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every fixture page crawled once by `newsagg crawl`; stored rows by canonical path."""
    db = tmp_path_factory.mktemp("crawl") / "news.db"
    with local_outlets() as servers:
        env = {**os.environ, **outlet_env(servers)}
        done = subprocess.run([sys.executable, "-m", "scheduler", "crawl", "--db", str(db)],
                              env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = {re.sub(r"^https?://[^/]+", "", row["url"]): dict(row) for row in conn.execute("SELECT * FROM articles")}
    conn.close()
    return rows


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda page: page.name)
def test_crawl_stores_each_page_with_its_expected_fields(crawled_store: dict[str, dict], page) -> None:
    row = crawled_store[page.path]
    expected = page.expected
    assert row["outlet"] == page.outlet
    assert row["title"] == expected["title"].strip()
    assert set(json.loads(row["authors"])) == set(expected["authors"])
    published = datetime.fromisoformat(row["published"])
    assert published.utcoffset() is not None, "published needs an offset"
    assert abs((published - datetime.fromisoformat(expected["published"])).total_seconds()) <= 60
    if expected.get("paragraphs"):
        assert paragraph_recall(expected["paragraphs"], row["body"]) >= 0.95
        expected_length = len(squash(" ".join(expected["paragraphs"] + (expected.get("subheadlines") or []))))
        assert len(squash(row["body"])) <= 1.3 * expected_length
    for subheading in expected.get("subheadlines") or []:
        assert squash(subheading) in squash(row["body"])
    if expected.get("teaser"):
        assert squash(row["teaser"]) == squash(expected["teaser"])
    assert row["canonical_url"].startswith("https://"), "canonical URL is the outlet's own"


def test_crawl_prints_a_summary_per_outlet_and_progress_on_stderr(crawl) -> None:
    with OutletServer("t_online") as server:
        outcome = crawl(server)
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert re.search(r"t_online\s+ok\s+1\s+1\s+1\s+0\s+0\s+0", outcome.stdout), outcome.stdout
    assert "articles/s" in outcome.stderr
    run = outcome.run("t_online")
    assert (run["status"], run["discovered"], run["fetched"], run["new"]) == ("ok", 1, 1, 1)


def test_second_crawl_fetches_no_article_again_and_changes_nothing(crawl) -> None:
    with OutletServer("rosenheim24") as server:
        first = crawl(server)
        before = first.articles()
        server.requests.clear()
        second = crawl(server)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.articles() == before
    assert len(before) == len(server.pages)
    assert server.article_paths_requested() == []
    assert any(headers.get("If-None-Match") for _, _, headers in server.requests), "feeds are fetched conditionally"


def test_second_crawl_skips_stored_articles_even_when_the_feed_changes(crawl) -> None:
    with OutletServer("berliner_zeitung") as server:
        crawl(server)
        for feed in server.outlet.feeds + server.outlet.sitemaps:
            server.routes[re.sub(r"^https?://[^/]+", "", feed)].headers["ETag"] = '"changed"'  # feeds look new
        server.requests.clear()
        second = crawl(server)
    assert server.article_paths_requested() == []
    assert second.run("berliner_zeitung")["unchanged"] == len(server.pages)


def test_changed_article_is_updated_not_duplicated(crawl) -> None:
    with OutletServer("rosenheim24") as server:
        crawl(server)
        page = next(page for page in server.pages if b"Nostradamus" in page.html)
        server.changed = datetime.fromisoformat("2030-01-01T00:00:00+00:00")  # the feeds announce a change
        server.reset_routes()
        server.set_page(page.path, page.html.replace(b"Nostradamus", b"Nostradamus (changed)"))
        outcome = crawl(server)
    articles = outcome.articles()
    assert len(articles) == len(server.pages)
    run = outcome.run("rosenheim24")
    assert (run["updated"], run["new"]) == (1, 0)
    assert any("(changed)" in article["title"] + (article["body"] or "") for article in articles)


def test_max_articles_limits_the_fetches_per_outlet(crawl) -> None:
    with OutletServer("rosenheim24") as server:
        outcome = crawl(server, args=("--max-articles", "1"))
    assert len(outcome.articles()) == 1
    assert len(server.article_paths_requested()) == 1


def test_robots_txt_is_obeyed(crawl) -> None:
    with OutletServer("rosenheim24") as server:
        server.routes["/robots.txt"].body = b"User-agent: *\nDisallow: /welt/\n"
        outcome = crawl(server)
    stored_paths = {re.sub(r"^https?://[^/]+", "", a["url"]) for a in outcome.articles()}
    assert stored_paths and not any(path.startswith("/welt/") for path in stored_paths)
    assert not any(path.startswith("/welt/") for path in server.article_paths_requested())


def test_requests_carry_an_honest_user_agent(crawl) -> None:
    with OutletServer("t_online") as server:
        crawl(server)
    agents = {headers.get("User-Agent") for _, _, headers in server.requests}
    assert agents and all(agent.startswith("newsagg/") for agent in agents)


def test_crawl_without_any_outlet_reachable_exits_non_zero(crawl) -> None:
    with OutletServer("t_online") as server:
        for path in list(server.routes):
            if path != "/robots.txt":
                del server.routes[path]
        outcome = crawl(server)
    assert outcome.returncode == 1
    assert outcome.run("t_online")["status"] == "failed"
    assert "HTTP 404" in outcome.stdout


def _listening_socket_inodes(pid: int) -> set[str]:
    """Inodes of LISTEN-state TCP sockets held by process ``pid`` (Linux /proc)."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(target[8:-1])
    listening = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                listening.add(fields[9])
    return held & listening


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux /proc")
def test_crawl_opens_no_listening_socket(db_path: Path) -> None:
    from local_outlets import Reply

    with OutletServer("t_online") as server:
        page = server.pages[0]
        server.routes[page.path] = Reply(body=page.html, headers={"Content-Type": "text/html"}, delay=4)
        env = {**os.environ, **outlet_env({"t_online": server})}
        child = subprocess.Popen([sys.executable, "-m", "scheduler.crawl_child", "--db", str(db_path), "--run-id", "socket-test", "t_online"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while page.path not in server.article_paths_requested() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert page.path in server.article_paths_requested(), "the crawl reached the slow page"
            assert _listening_socket_inodes(child.pid) == set()
        finally:
            child.wait(timeout=60)


def test_scrapy_list_names_every_declared_outlet() -> None:
    done = subprocess.run(["scrapy", "list"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == sorted(DECLARED)


def test_scrapy_crawl_from_the_repo_root_uses_the_project_policy(db_path: Path) -> None:
    with OutletServer("t_online") as server:
        env = {**os.environ, **outlet_env({"t_online": server})}
        done = subprocess.run(["scrapy", "crawl", "t_online", "-s", f"NEWSAGG_DB={db_path}"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert ("GET", "/robots.txt") in {(method, path) for method, path, _ in server.requests}
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_a_sitemap_index_leads_to_its_gzipped_sitemaps(crawl) -> None:
    from local_outlets import Reply, made_up_feed

    with OutletServer("rosenheim24") as server:
        empty_rss = made_up_feed("rss", server.base_url, [], server.changed)
        for path in ("/rssfeed.rdf", "/rosenheim/rssfeed.rdf", "/bayern/rssfeed.rdf", "/news.xml"):
            server.routes[path] = Reply(body=empty_rss)
        server.routes["/sitemap-index.xml"] = Reply(body=(
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{server.base_url}/made-up-sitemap-1.xml.gz</loc></sitemap></sitemapindex>").encode())
        newsmap = made_up_feed("newsmap", server.base_url, [page.path for page in server.pages], server.changed)
        server.routes["/made-up-sitemap-1.xml.gz"] = Reply(body=gzip.compress(newsmap), headers={"Content-Type": "application/x-gzip"})
        outcome = crawl(server)
    assert outcome.run("rosenheim24")["status"] == "ok"
    assert len(outcome.articles()) == len(server.pages) == 2


def test_a_local_feed_that_keeps_the_pages_original_hosts_is_followed_on_the_stand_in(crawl) -> None:
    from local_outlets import Reply, made_up_feed

    with OutletServer("rosenheim24") as server:  # the rosenheim24 stand-in serves merkur.de pages
        listing = made_up_feed("rss", "https://www.merkur.de", [page.path for page in server.pages], server.changed)
        for feed in server.outlet.feeds + server.outlet.sitemaps:
            server.routes[re.sub(r"^https?://[^/]+", "", feed)] = Reply(body=listing)
        outcome = crawl(server)
    assert len(outcome.articles()) == len(server.pages)
    assert all(article["url"].startswith(server.base_url) for article in outcome.articles())


def test_a_crawl_cut_short_by_max_articles_leaves_the_rest_for_the_next_crawl(crawl) -> None:
    with OutletServer("rosenheim24") as server:
        first = crawl(server, args=("--max-articles", "1"))
        assert len(first.articles()) == 1
        second = crawl(server)
    assert len(second.articles()) == len(server.pages) == 2


def test_a_page_that_failed_is_fetched_again_by_the_next_crawl(crawl) -> None:
    from local_outlets import Reply

    with OutletServer("rosenheim24") as server:
        page = server.pages[0]
        server.routes[page.path] = Reply(status=503)
        first = crawl(server)
        assert len(first.articles()) == 1
        server.set_page(page.path, page.html)
        second = crawl(server)
    assert len(second.articles()) == 2


def _make_feeds_look_new(server: OutletServer, tag: str) -> None:
    for feed in server.outlet.feeds + server.outlet.sitemaps:
        server.routes[re.sub(r"^https?://[^/]+", "", feed)].headers["ETag"] = f'"{tag}"'


def test_an_announced_change_to_an_unchanged_page_is_checked_once(crawl) -> None:
    with OutletServer("rosenheim24") as server:
        crawl(server)
        time.sleep(1.5)  # stored times have whole seconds
        server.changed = datetime.now(timezone.utc).replace(microsecond=0)  # the feeds announce a change
        server.reset_routes()
        second = crawl(server)
        assert second.run("rosenheim24")["unchanged"] == 2
        _make_feeds_look_new(server, "same-entries-new-etag")
        server.requests.clear()
        crawl(server)
    assert server.article_paths_requested() == []


def test_an_article_reached_through_a_redirect_is_not_fetched_again(crawl) -> None:
    from local_outlets import Reply, made_up_feed

    with OutletServer("rosenheim24") as server:
        page = server.pages[0]
        old_path = "/made-up/old-address-12345678.html"
        server.routes[old_path] = Reply(status=301, headers={"Location": f"{server.base_url}{page.path}"})
        listing = made_up_feed("rss", server.base_url, [old_path], server.changed)
        for feed in server.outlet.feeds + server.outlet.sitemaps:
            server.routes[re.sub(r"^https?://[^/]+", "", feed)] = Reply(body=listing)
        first = crawl(server)
        assert [article["url"] for article in first.articles()] == [f"{server.base_url}{old_path}"]
        server.requests.clear()
        crawl(server)
    assert [path for _, path, _ in server.requests if path in (old_path, page.path)] == []


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_stopping_newsagg_crawl_closes_the_crawl_and_keeps_its_counts(db_path: Path, stop_signal: int) -> None:
    from local_outlets import Reply

    with OutletServer("rosenheim24") as server:
        slow = server.pages[0]
        server.routes[slow.path] = Reply(body=slow.html, headers={"Content-Type": "text/html"}, delay=5)
        env = {**os.environ, **outlet_env({"rosenheim24": server})}
        parent = subprocess.Popen([sys.executable, "-m", "scheduler", "crawl", "--db", str(db_path)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while slow.path not in server.article_paths_requested() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # the other page is stored meanwhile
        parent.send_signal(stop_signal)
        stdout, stderr = parent.communicate(timeout=60)
    assert parent.returncode == 1
    assert "interrupted: rosenheim24" in stderr
    conn = sqlite3.connect(db_path)
    status, new = conn.execute("SELECT status, new FROM crawl_runs").fetchone()
    stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert (status, new) == ("interrupted", stored) and stored >= 1
    leftovers = subprocess.run(["pgrep", "-f", f"scheduler.crawl_child --db {db_path}"], capture_output=True, text=True)
    assert leftovers.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (("--db", "/nonexistent-dir/news.db"), "cannot open store /nonexistent-dir/news.db"),
    (("--config", "made-up-all-off.toml"), "no outlet is enabled"),
])
def test_crawl_refuses_what_it_cannot_do_in_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "made-up-all-off.toml").write_text(
        "".join(f"[outlets.{name}]\nenabled = false\n" for name in DECLARED))
    done = subprocess.run([sys.executable, "-m", "scheduler", "crawl", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {message}") and done.stderr.count("\n") == 1


def test_a_sitemap_index_is_read_again_even_when_it_has_not_changed(crawl) -> None:
    from local_outlets import Reply, made_up_feed

    with OutletServer("rosenheim24") as server:
        empty_rss = made_up_feed("rss", server.base_url, [], server.changed)
        for path in ("/rssfeed.rdf", "/rosenheim/rssfeed.rdf", "/bayern/rssfeed.rdf", "/news.xml"):
            server.routes[path] = Reply(body=empty_rss, headers={"ETag": '"empty"'})
        server.routes["/sitemap-index.xml"] = Reply(headers={"ETag": '"index"'}, body=(
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{server.base_url}/made-up-sitemap-1.xml</loc></sitemap></sitemapindex>").encode())
        server.routes["/made-up-sitemap-1.xml"] = Reply(body=made_up_feed("newsmap", server.base_url, [server.pages[0].path], server.changed))
        first = crawl(server)
        assert len(first.articles()) == 1
        server.routes["/made-up-sitemap-1.xml"] = Reply(body=made_up_feed("newsmap", server.base_url, [p.path for p in server.pages], server.changed))
        second = crawl(server)
    assert len(second.articles()) == 2


def test_a_run_whose_feeds_answer_not_modified_is_not_failed_by_one_broken_sitemap(crawl) -> None:
    from local_outlets import Reply

    with OutletServer("rosenheim24") as server:
        crawl(server)
        server.routes["/news.xml"] = Reply(status=500)
        outcome = crawl(server)
    assert outcome.run("rosenheim24")["status"] == "partial"
    assert outcome.returncode == 0


def test_the_contact_from_the_config_is_in_the_user_agent(crawl) -> None:
    with OutletServer("t_online") as server:
        crawl(server, config='[crawl]\ncontact = "mailto:news@example.org"\n')
    agents = {headers.get("User-Agent") for _, _, headers in server.requests}
    assert agents == {"newsagg/0.1 (news aggregation crawler; +mailto:news@example.org)"}


def test_a_second_crawl_of_an_outlet_being_crawled_skips_it(db_path: Path, crawl) -> None:
    from local_outlets import Reply

    with OutletServer("rosenheim24") as server:
        slow = server.pages[0]
        server.routes[slow.path] = Reply(body=slow.html, headers={"Content-Type": "text/html"}, delay=4)
        env = {**os.environ, **outlet_env({"rosenheim24": server})}
        first = subprocess.Popen([sys.executable, "-m", "scheduler", "crawl", "--db", str(db_path)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while slow.path not in server.article_paths_requested() and time.monotonic() < deadline:
            time.sleep(0.1)
        second = crawl(server)
        first.wait(timeout=60)
    assert second.returncode == 0
    assert re.search(r"rosenheim24\s+skipped", second.stdout)
    assert server.article_paths_requested().count(slow.path) == 1
    statuses = sorted(row["status"] for row in second.rows("SELECT status FROM crawl_runs"))
    assert statuses == ["ok", "skipped"]


def test_a_killed_crawl_leaves_its_counts_so_far(db_path: Path) -> None:
    from local_outlets import Reply

    with OutletServer("rosenheim24") as server:
        slow = server.pages[0]
        server.routes[slow.path] = Reply(body=slow.html, headers={"Content-Type": "text/html"}, delay=30)
        env = {**os.environ, **outlet_env({"rosenheim24": server})}
        child = subprocess.Popen(["scrapy", "crawl", "rosenheim24", "-s", f"NEWSAGG_DB={db_path}",
                                  "-s", "NEWSAGG_PROGRESS_INTERVAL=0.3"], cwd=REPO, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def saved_counts() -> tuple | None:
            if not db_path.exists():
                return None
            conn = sqlite3.connect(db_path)
            try:
                return conn.execute("SELECT status, fetched, new FROM crawl_runs").fetchone()
            except sqlite3.OperationalError:  # not created yet
                return None
            finally:
                conn.close()

        deadline = time.monotonic() + 60
        while saved_counts() != ("running", 1, 1) and time.monotonic() < deadline:
            time.sleep(0.2)
        child.kill()
        child.wait(timeout=30)
    assert saved_counts() == ("running", 1, 1)  # what the daemon later records as interrupted


def test_scrapy_check_runs_from_the_repo_root() -> None:
    done = subprocess.run(["scrapy", "check"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


# One value of every kind the crawl takes from the config; each shows in what the crawl does.
WHOLE_CONFIG = """
[store]
path = "{db}"
busy_timeout = 5
[log]
level = "WARNING"
[crawl]
max_articles = 1
download_timeout = 1
contact = "mailto:news@example.org"
[grouping]
place_names = "en"
"""
SLOW_FEED = "/rssfeed.rdf"  # one of rosenheim24's feeds, answered long after the download timeout
# (by far: the first grouping holds the reactor for seconds while it loads the gazetteer, and a reply
# that arrived meanwhile is read before the timeout fires)
SLOW_FEED_SECONDS = 10


@pytest.mark.parametrize("path", ["newsagg crawl", "crawl child", "scrapy crawl from the repo root", "scrapy crawl elsewhere"])
def test_every_crawl_path_takes_the_whole_config(tmp_path: Path, path: str) -> None:
    db = tmp_path / "from-config.db"
    config = tmp_path / "newsagg.toml"
    config.write_text(WHOLE_CONFIG.format(db=db), encoding="utf-8")
    with OutletServer("rosenheim24") as server:
        server.routes[SLOW_FEED].delay = SLOW_FEED_SECONDS
        env = {key: value for key, value in os.environ.items() if key != "NEWSAGG_CONFIG"} | outlet_env({"rosenheim24": server})
        if path == "newsagg crawl":
            command, cwd = [sys.executable, "-m", "scheduler", "crawl", "--outlet", "rosenheim24", "--config", str(config)], tmp_path
        elif path == "crawl child":  # given only the file, as `newsagg crawl` and the daemon give it
            command = [sys.executable, "-m", "scheduler.crawl_child", "--run-id", "r1", "--config", str(config), "rosenheim24"]
            cwd = REPO
        elif path == "scrapy crawl from the repo root":
            command, cwd, env = ["scrapy", "crawl", "rosenheim24"], REPO, env | {"NEWSAGG_CONFIG": str(config)}
        else:  # ./newsagg.toml of the working directory, as `newsagg crawl` reads it
            command, cwd = ["scrapy", "crawl", "rosenheim24"], tmp_path
            env |= {"SCRAPY_SETTINGS_MODULE": "crawlers.settings", "PYTHONPATH": str(REPO)}
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    conn = sqlite3.connect(db)  # store.path
    try:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        (errors,) = conn.execute("SELECT errors FROM crawl_runs").fetchone()
        locations = [location for (location,) in conn.execute("SELECT location FROM stories")]
    finally:
        conn.close()
    assert articles == 1  # crawl.max_articles
    assert {headers.get("User-Agent") for _, _, headers in server.requests} == {  # crawl.contact
        "newsagg/0.1 (news aggregation crawler; +mailto:news@example.org)"}
    assert any(SLOW_FEED in error and "timed out after 1 s" in error for error in json.loads(errors))  # crawl.download_timeout
    assert [location.rpartition(", ")[2] in ("France", "United Kingdom") for location in locations] == [True]  # grouping.place_names
    assert "timed out after 1 s" in done.stderr and " done: " not in done.stderr  # log.level: warnings, no progress lines


def test_scrapy_crawl_with_a_wrong_config_stops_in_one_line_creating_nothing(tmp_path: Path) -> None:
    config = tmp_path / "newsagg.toml"
    config.write_text("[crawl]\nmax_artciles = 3\n", encoding="utf-8")
    env = {**os.environ, "NEWSAGG_CONFIG": str(config), "NEWSAGG_T_ONLINE_BASE_URL": "http://127.0.0.1:9"}
    done = subprocess.run(["scrapy", "crawl", "t_online", "-s", f"NEWSAGG_DB={tmp_path / 'news.db'}"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"Error: config: {config}: unknown key crawl.max_artciles"
    assert not (tmp_path / "news.db").exists()
