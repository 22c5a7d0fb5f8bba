"""A hostile stand-in outlet on 127.0.0.1 against the real `newsagg crawl` child: pages that name
another outlet's URL, robots.txt that forbids everything, redirect loops, impossible dates, huge
feeds and hosts that cannot be reached. Nothing here leaves the machine."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import REPO
from crawlers.discovery import MAX_FEED_ENTRIES
from crawlers.outlets import DECLARED
from db.schema import connect
from db.article import content_hash
from db.store import OtherOutletsArticle, transaction, upsert_article
from hostile import WriteLockAtTheSecondPage, needs_mount_namespace, with_own_mounts
from local_outlets import OutletServer, Reply, made_up_feed, outlet_env


def _t_online_page(server: OutletServer) -> tuple[str, bytes]:
    page = server.pages[0]
    return page.path, page.html


def _canonical_of(html: bytes) -> bytes:
    return re.search(rb'<link rel="canonical" href="([^"]+)"', html)[1]


def test_a_page_naming_another_outlets_article_as_canonical_leaves_that_article_alone(crawl) -> None:
    with OutletServer("berliner_zeitung") as berliner_zeitung:
        stored = crawl(berliner_zeitung).articles()
    victim = next(row for row in stored if "10035612" in row["canonical_url"])
    with OutletServer("t_online") as t_online:
        path, html = _t_online_page(t_online)
        t_online.set_page(path, html.replace(_canonical_of(html), victim["canonical_url"].encode()))
        outcome = crawl(t_online)
    after = {row["id"]: row for row in outcome.articles()}
    assert after[victim["id"]] == victim, "the Berliner Zeitung article is unchanged"
    (own,) = [row for row in after.values() if row["outlet"] == "t_online"]
    assert own["canonical_url"].startswith("https://www.t-online.de/")
    assert outcome.run("t_online")["new"] == 1


def test_canonical_og_url_and_pictures_that_are_scripts_data_or_foreign_are_not_stored(crawl) -> None:
    with OutletServer("t_online") as t_online:
        path, html = _t_online_page(t_online)
        hostile = re.sub(rb'<link rel="canonical" href="[^"]+"', b'<link rel="canonical" href="javascript:alert(1)"', html)
        hostile = re.sub(rb'(<meta property="og:url" content=")[^"]+"', rb'\1data:text/html,<script>alert(1)</script>"', hostile)
        hostile = re.sub(rb'(<meta property="og:image" content=")[^"]+"', rb'\1javascript:alert(2)"', hostile)
        hostile = hostile.replace(b"<head>", b'<head><meta name="twitter:image" content="https://tracker.example/pixel.gif">', 1)
        assert hostile.count(b"javascript:") == 2 and b"data:text/html" in hostile
        t_online.set_page(path, hostile)
        outcome = crawl(t_online)
    (article,) = outcome.articles()
    assert article["canonical_url"] == article["url"] == f"{t_online.base_url}{path}"
    assert article["image"] is None or re.match(r"https://([\w-]+\.)*t-online\.de/", article["image"]), article["image"]


def test_the_store_never_gives_an_article_to_another_outlet(tmp_path: Path) -> None:
    conn = connect(str(tmp_path / "news.db"))
    article = {"url": "https://www.berliner-zeitung.de/a-li.1", "canonical_url": "https://www.berliner-zeitung.de/a-li.1",
               "outlet": "berliner_zeitung", "title": "Original", "fetched_at": "2026-01-01T00:00:00+00:00"}
    with transaction(conn):
        upsert_article(conn, {**article, "content_hash": content_hash(article)})
    intruder = {**article, "url": "https://www.t-online.de/id_1/x.html", "outlet": "t_online", "title": "Replaced"}
    with pytest.raises(OtherOutletsArticle, match="berliner_zeitung's article 1; that article is left unchanged"):
        with transaction(conn):
            upsert_article(conn, {**intruder, "content_hash": content_hash(intruder)})
    row = conn.execute("SELECT outlet, title, url FROM articles").fetchone()
    assert tuple(row) == ("berliner_zeitung", "Original", article["url"])


def test_an_outlet_takes_only_its_own_http_addresses_as_canonical_and_pictures() -> None:
    t_online = DECLARED["t_online"]
    assert t_online.own_page_url("https://www.t-online.de/id_1/a.html", t_online) == "https://www.t-online.de/id_1/a.html"
    assert t_online.own_page_url("https://www.berliner-zeitung.de/a-li.1", t_online) is None
    assert t_online.own_page_url("javascript:alert(1)", t_online) is None
    assert t_online.own_picture_url("https://images.t-online.de/x.jpg", t_online) == "https://images.t-online.de/x.jpg"
    assert t_online.own_picture_url("https://tracker.example/pixel.gif", t_online) is None
    assert t_online.own_picture_url("data:image/png;base64,AAAA", t_online) is None


def test_robots_txt_that_disallows_everything_keeps_every_feed_and_sitemap_unfetched(crawl) -> None:
    with OutletServer("t_online") as t_online:  # eleven feeds, requested at once
        t_online.routes["/robots.txt"] = Reply(body=b"User-agent: *\nDisallow: /\n")
        outcome = crawl(t_online)
    assert [path for _, path, _ in t_online.requests] == ["/robots.txt"]
    assert outcome.articles() == []
    assert outcome.stderr.count("is forbidden by robots.txt") == len(t_online.outlet.feeds)


def test_a_redirect_loop_is_one_error_line_and_counted_as_failed(crawl) -> None:
    with OutletServer("t_online") as t_online:
        path, _ = _t_online_page(t_online)
        t_online.routes[path] = Reply(status=302, headers={"Location": "/elsewhere.html"})
        t_online.routes["/elsewhere.html"] = Reply(status=301, headers={"Location": path})
        outcome = crawl(t_online)
    (line,) = [line for line in outcome.stderr.splitlines() if "redirect loop" in line]
    assert f"{path} → {t_online.base_url}/elsewhere.html → {t_online.base_url}{path}" in line
    run = outcome.run("t_online")
    assert run["failed"] == 1 and any("redirect loop" in error for error in run["errors"])
    assert "Traceback" not in outcome.stderr


def test_impossible_publication_dates_give_way_to_the_pages_next_date(crawl) -> None:
    with OutletServer("t_online") as t_online:
        path, html = _t_online_page(t_online)
        hostile = re.sub(rb'"datePublished":"[^"]+"', b'"datePublished":"9999-12-31T23:59:59-14:00"', html)
        hostile = re.sub(rb'(article:published_time" content=")[^"]+"', rb'\g<1>0001-01-01T00:00:00Z"', hostile)
        t_online.set_page(path, hostile)
        outcome = crawl(t_online)
    assert "Traceback" not in outcome.stderr and "Error" not in outcome.stderr, outcome.stderr[-2000:]
    (article,) = outcome.articles()
    assert article["published"] is None or datetime(1990, 1, 1, tzinfo=timezone.utc) <= datetime.fromisoformat(article["published"]) <= datetime.now(timezone.utc)
    assert outcome.run("t_online")["new"] == 1


def test_a_placeholder_change_date_in_a_sitemap_gives_way_to_its_next_date(crawl) -> None:
    with OutletServer("berliner_zeitung") as berliner_zeitung:
        crawl(berliner_zeitung)
        page = next(page for page in berliner_zeitung.pages if page.expected.get("paragraphs"))
        opening = page.expected["paragraphs"][0][:40].encode()
        berliner_zeitung.set_page(page.path, page.html.replace(opening, opening + b" (changed)"))
        now = datetime.now(timezone.utc)
        sitemap = made_up_feed("newsmap", berliner_zeitung.base_url, [page.path], now)
        sitemap = sitemap.replace(b"<news:news>", b"<lastmod>0001-01-01T00:00:00Z</lastmod><news:news>")
        news_sitemap = urlsplit(berliner_zeitung.outlet.sitemaps[0]).path
        berliner_zeitung.routes[news_sitemap] = Reply(body=sitemap, headers={"Content-Type": "application/xml"})
        outcome = crawl(berliner_zeitung)
    assert outcome.run("berliner_zeitung")["updated"] == 1, outcome.stderr[-2000:]


def test_a_feed_of_ten_thousand_entries_is_followed_only_to_the_cap_with_one_line(crawl) -> None:
    with OutletServer("t_online") as t_online:
        paths = [f"/nachrichten/id_{number}/made-up.html" for number in range(10_000)]
        huge = made_up_feed("rss", t_online.base_url, paths, t_online.changed)
        t_online.routes[urlsplit(t_online.outlet.feeds[0]).path] = Reply(body=huge, headers={"Content-Type": "application/rss+xml"})
        outcome = crawl(t_online, args=("--max-articles", "1"))
    (line,) = [line for line in outcome.stderr.splitlines() if "left out" in line]
    assert f"lists {10_000 - MAX_FEED_ENTRIES} entries more than the {MAX_FEED_ENTRIES} followed per feed" in line
    assert outcome.run("t_online")["discovered"] == MAX_FEED_ENTRIES + len(t_online.pages)


# A fresh process gzips a sitemap of 250,000 entries (49 MB unpacked, under the 50 MB limit) piece by
# piece, then reads it: its peak RSS must not grow by the tree (parsed whole it grew by 139 MB).
_PARSE_A_HUGE_SITEMAP = """
import gzip, io, resource
from crawlers.discovery import parse_feed
packed = io.BytesIO()
with gzip.GzipFile(fileobj=packed, mode="wb") as out:
    out.write(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    for number in range(250_000):
        out.write(b"<url><loc>https://www.t-online.de/nachrichten/id_%d/made-up-article.html</loc>"
                  b"<lastmod>2026-01-01T00:00:00Z</lastmod></url>" % number)
    out.write(b"</urlset>")
body = packed.getvalue()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
found = parse_feed(body)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(len(found.articles), found.left_out, grown // 1024)
"""


def test_a_huge_gzipped_sitemap_is_read_without_holding_its_tree() -> None:
    done = subprocess.run([sys.executable, "-c", _PARSE_A_HUGE_SITEMAP], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    followed, left_out, grown_mb = map(int, done.stdout.split())
    assert (followed, left_out) == (MAX_FEED_ENTRIES, 250_000 - MAX_FEED_ENTRIES)
    assert grown_mb < 30


def test_with_no_network_the_crawl_says_so_once_and_stops_asking_the_host(db_path: Path) -> None:
    # The real crawl child with one setting changed: a resolver that fails every .invalid name.
    child = ("import sys; sys.path.insert(0, 'tests'); import crawlers.settings as settings; "
             "settings.TWISTED_DNS_RESOLVER = 'local_outlets.FailingResolver'; from scheduler.crawl_child import main; main()")
    env = {**os.environ, "NEWSAGG_T_ONLINE_BASE_URL": "http://no-network.invalid"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", child, "--db", str(db_path), "--run-id", "r1", "t_online"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert time.monotonic() - started < 20
    problems = [line for line in done.stderr.splitlines() if " WARNING " in line or " ERROR " in line or "Traceback" in line]
    assert len(problems) == 1, done.stderr[-3000:]
    assert "host name no-network.invalid not found; no network?" in problems[0]
    conn = sqlite3.connect(db_path)
    failed, errors = conn.execute("SELECT failed, errors FROM crawl_runs").fetchone()
    conn.close()
    assert failed == len(DECLARED["t_online"].feeds) and len(json.loads(errors)) == 1


# --- a store another process holds ---------------------------------------------------------------

def test_a_write_lock_held_past_the_busy_timeout_stops_the_crawl_in_one_line_keeping_what_it_stored(
        crawl, db_path: Path) -> None:
    with OutletServer("rosenheim24") as server:
        lock = WriteLockAtTheSecondPage(server, db_path)
        started = time.monotonic()
        try:
            outcome = crawl(server, config="[store]\nbusy_timeout = 0.5\n", timeout=60)
        finally:
            lock.release()
        took = time.monotonic() - started
        check = subprocess.run([sys.executable, "-m", "scheduler", "check", "--db", str(db_path)],
                               capture_output=True, text=True, timeout=60)
        stored_while_busy = outcome.articles()
        again = crawl(server)  # the store is free again: the next crawl records the stopped run and stores the rest
    assert lock.taken, "the second page was asked for"
    assert took < 30, "writes waited 0.5 s at a time, not the built-in 30 s"
    assert "Traceback" not in outcome.stderr
    problems = [line for line in outcome.stderr.splitlines() if " WARNING " in line or " ERROR " in line]
    assert len(problems) == 1, outcome.stderr[-3000:]
    assert problems[0].endswith(
        f"rosenheim24: store {db_path} is busy: another process held its write lock for more than 0.5 s "
        "(store.busy_timeout in the config); the crawl stops and keeps the 1 article it stored before; "
        "the rest is left for the next crawl")
    assert outcome.returncode == 1
    assert outcome.stderr.strip().splitlines()[-1] == "Error: interrupted: rosenheim24"
    assert re.search(r"rosenheim24\s+interrupted", outcome.stdout)
    assert len(stored_while_busy) == 1
    assert check.returncode == 0, check.stdout + check.stderr  # its stories agree with their articles
    assert again.returncode == 0, again.stderr[-3000:]
    assert [(run["status"], run["new"]) for run in again.rows("SELECT status, new FROM crawl_runs ORDER BY id")] == [
        ("interrupted", 0), ("ok", 1)]
    assert len(again.articles()) == 2
    assert again.rows("PRAGMA integrity_check") == [{"integrity_check": "ok"}]


def test_a_write_lock_held_shorter_than_the_busy_timeout_is_waited_for(crawl, db_path: Path) -> None:
    with OutletServer("rosenheim24") as server:
        lock = WriteLockAtTheSecondPage(server, db_path, seconds=2)
        try:
            outcome = crawl(server, config="[store]\nbusy_timeout = 20\n", timeout=90)
        finally:
            lock.release()
    assert lock.taken, "the second page was asked for"
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    assert "busy" not in outcome.stderr
    assert outcome.run("rosenheim24")["status"] == "ok"
    assert len(outcome.articles()) == len(server.pages) == 2


def _crawl_on_a_small_disk(tmp_path: Path, fill: str, after: str = "") -> tuple[subprocess.CompletedProcess[str], Path, int]:
    """A crawl of the rosenheim24 stand-in into a new store on a 4 MB disk of its own, filled by
    the shell line ``fill`` first; then the shell lines ``after``. (outcome, the disk, pages served)"""
    disk = tmp_path / "disk"
    disk.mkdir()
    with OutletServer("rosenheim24") as server:
        moved = " ".join(f"{name}={value}" for name, value in outlet_env({"rosenheim24": server}).items())
        done = with_own_mounts(
            'mount -t tmpfs -o size=4m tmpfs "$1"\n'
            'python -c "import sys; from db.schema import connect; connect(sys.argv[1]).close()" "$1/news.db"\n'
            f"{fill}\n"
            f'env {moved} $NEWSAGG crawl --db "$1/news.db" --outlet rosenheim24 >/dev/null || echo "exit $?"\n'
            f"{after}",
            disk)
    return done, disk, len(server.pages)


@needs_mount_namespace
def test_a_disk_that_fills_during_a_crawl_stops_it_in_one_line_keeping_what_it_stored(tmp_path: Path) -> None:
    done, disk, pages = _crawl_on_a_small_disk(
        tmp_path,
        # About 200 kB left: room for some of the crawl's writes, not for all.
        'dd if=/dev/zero of="$1/filler" bs=1024 count=$(( $(df -k --output=avail "$1" | tail -1) - 200 )) 2>/dev/null',
        'rm "$1/filler"\n'
        '$NEWSAGG check --db "$1/news.db" >/dev/null && python -c "import sqlite3, sys; '
        'print(sqlite3.connect(sys.argv[1]).execute(\'select count(*) from articles\').fetchone()[0])" "$1/news.db"\n')
    exit_line, stored = done.stdout.splitlines()
    assert exit_line == "exit 1", done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    problems = [line for line in done.stderr.splitlines() if " WARNING " in line or " ERROR " in line]
    assert len(problems) == 1, done.stderr[-3000:]
    kept = re.search(rf"rosenheim24: store {disk}/news.db: disk full \([\d.,]+ (bytes|kB) free on its disk\); "
                     r"the crawl stops and keeps the (\d+) articles? it stored before; the rest is left for the next crawl$",
                     problems[0])
    assert kept, problems[0]
    assert int(stored) == int(kept.group(2)) < pages


@needs_mount_namespace
def test_a_crawl_onto_a_disk_already_full_is_one_line_saying_so(tmp_path: Path) -> None:
    done, disk, _ = _crawl_on_a_small_disk(tmp_path, 'dd if=/dev/zero of="$1/filler" bs=1024 2>/dev/null || true')
    assert done.stdout.splitlines() == ["exit 1"], done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    problems = [line for line in done.stderr.splitlines() if " WARNING " in line or " ERROR " in line or line.startswith("Error: ")]
    assert problems and all(f"store {disk}/news.db: disk full (" in line for line in problems), done.stderr[-3000:]
