"""Stores of real German articles for the `newsagg serve` tests, and the served store.

``build_store``: the five articles are the real fixture pages' expected values
(tests/fixtures/pages), one story each. One source is MADE UP (named made_up_*): a second
outlet's report of the tanker story, so that one story has two sources from two outlets.
``import_samples``: real sample lines of tests/data, grouped by the real `newsagg import`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawlers.outlets import register_outlets
from db.schema import connect
from db.store import finish_run, start_run, transaction, upsert_article
from db.stories import create_story, place_article, update_story

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
DATA = Path(__file__).resolve().parent / "data"
# The real German samples a reader's pages are shown with (tests/data/PROVENANCE.md).
GERMAN_SAMPLES = ("semeval-de-labeled-sample.jsonl", "police-de-sample.jsonl")

TANKER_TITLE = "Russlands Schattenflotte: USA stoppen sanktioniertes Geisterschiff"
KING_TITLE_START = "Nostradamus-Vorhersage"
MADE_UP_TANKER_REPORT = {
    "url": "https://www.berliner-zeitung.de/made-up/tanker-marinera-beschlagnahmt",
    "outlet": "berliner_zeitung",
    "title": "US-Militär setzt Tanker „Marinera“ im Nordatlantik fest",
    "teaser": "Der frühere „Bella 1“ fuhr zuletzt unter russischer Flagge.",
    "body": "Made-up test article: US-Streitkräfte haben den Öltanker im Nordatlantik beschlagnahmt.",
    "published": "2026-01-07T19:02:00+00:00",
}
TANKER_FAILED_RUN_ERROR = "made up: rosenheim24 feed answered 503"


@dataclass(frozen=True)
class ServedStore:
    db_path: Path
    port: int
    stories: dict[str, int]  # title → story id

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.db_path.stem}"


def real_articles() -> list[dict[str, Any]]:
    """The fixture pages' expected values as stored articles."""
    articles = []
    for expected_file in sorted(PAGES.glob("*/*.expected.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        articles.append(_article(
            url=expected["source_url"], outlet=expected["outlet"], title=expected["title"].strip(),
            teaser=expected["teaser"], body="\n\n".join(expected["paragraphs"] or []),
            published=expected["published"].replace(" ", "T", 1),
        ))
    return articles


def _article(url: str, outlet: str, title: str, teaser: str | None, body: str, published: str) -> dict[str, Any]:
    return {
        "url": url, "canonical_url": url, "outlet": outlet, "title": title, "teaser": teaser, "body": body,
        "published": published, "fetched_at": published, "language": "de", "content_hash": f"hash of {url}",
    }


def build_store(db_path: Path) -> dict[str, int]:
    """Fill a fresh store: outlets, the real articles as stories, crawl runs; return title → story id."""
    conn = connect(str(db_path))
    stories: dict[str, int] = {}
    with transaction(conn):
        register_outlets(conn)
        for article in sorted(real_articles(), key=lambda a: a["published"]):
            members = [article]
            if article["title"] == TANKER_TITLE:
                members.append(_article(**MADE_UP_TANKER_REPORT))
            location = "Berlin" if article["outlet"] == "berliner_zeitung" else None
            stories[article["title"]] = write_story(conn, members, "Politik", location)
        _write_runs(conn)
    conn.close()
    return stories


def write_story(conn: Any, members: list[dict[str, Any]], category: str | None, location: str | None) -> int:
    """One story of these articles, titled after the first, as the grouping would store it."""
    story_id = create_story(conn)
    article_ids = []
    for article in members:
        article_id, _ = upsert_article(conn, article)
        place_article(conn, article_id, story_id, None)
        article_ids.append(article_id)
    first = members[0]
    update_story(conn, story_id, {
        "title": first["title"], "teaser": first["teaser"],
        "body": "\n\n".join(f"Laut {a['outlet']}: {a['teaser'] or a['title']}" for a in members),
        "category": category, "location": location,
        "first_seen": first["published"], "last_updated": members[-1]["published"],
        "source_count": len(members), "outlet_count": len({a["outlet"] for a in members}),
        "representative_article_id": article_ids[0],
    })
    return story_id


def _write_runs(conn: Any) -> None:
    start_run(conn, "run-1", "t_online", 1, "2026-01-07T22:00:00+00:00")
    finish_run(conn, "run-1", "t_online", "2026-01-07T22:01:00+00:00", "ok",
               {"discovered": 40, "fetched": 3, "new": 3}, [])
    start_run(conn, "run-1", "rosenheim24", 1, "2026-01-07T22:00:00+00:00")
    finish_run(conn, "run-1", "rosenheim24", "2026-01-07T22:00:30+00:00", "failed",
               {"failed": 1}, [TANKER_FAILED_RUN_ERROR])


def import_samples(db_path: Path, names: tuple[str, ...] = GERMAN_SAMPLES, moved_to: str | None = None) -> dict[str, int]:
    """Import these files of tests/data with one `newsagg import` (which groups its lines in date
    order, whatever file they come from), each URL moved onto the base ``moved_to`` (a local
    server standing in for the originals) where given; return story title → story id."""
    lines = [json.loads(line) for name in names for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    if moved_to:
        lines = [{**line, "url": moved_url(line["url"], moved_to)} for line in lines]
    samples = db_path.parent / "samples.jsonl"
    samples.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "scheduler", "import", str(samples), "--db", str(db_path)],
                          env={**os.environ, "NEWSAGG_CONFIG": ""}, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"newsagg import failed: {done.stdout}{done.stderr}")
    conn = connect(str(db_path))
    try:
        return {row["title"]: row["id"] for row in conn.execute("SELECT id, title FROM stories")}
    finally:
        conn.close()


def moved_url(url: str, base: str) -> str:
    """``url`` on ``base``: the same path, query and fragment (one page of police releases
    holds several, told apart by their fragment)."""
    return base + urlsplit(url)._replace(scheme="", netloc="").geturl()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(db_path: Path, stories: dict[str, int], *extra_args: str) -> Iterator[ServedStore]:
    """The real `newsagg serve --db PATH --port N` in a child process, until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "scheduler", "serve", "--db", str(db_path), "--port", str(port), *extra_args]
    process = subprocess.Popen(command, cwd=db_path.parent, env={**os.environ, "NEWSAGG_CONFIG": ""},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = ServedStore(db_path, port, stories)
    try:
        _wait_until_answering(store.base_url + ".json", process)
        yield store
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _wait_until_answering(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"newsagg serve exited: {process.communicate()[1]}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"newsagg serve did not answer {url} within 60 s")
