"""Atom feeds of the merged stories: `newsagg feed` and `/-/feed.atom` of `newsagg serve`.

The stores are built by the real `newsagg import` of real samples (tests/data/PROVENANCE.md);
every feed is read back with feedparser, as a feed reader would.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner, Result

from db.schema import connect
from scheduler.cli import cli
from scheduler.feed import CATEGORY_SCHEME, LOCATION_SCHEME
from serve_store import served, write_story

DATA = Path(__file__).parent / "data"
SAMPLES = ("uci-news-sample.jsonl", "police-de-sample.jsonl")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def imported(db_path: Path, *files: Path) -> Path:
    for file in files:
        result = run("import", str(file), "--db", str(db_path))
        assert result.exit_code == 0, result.output
    return db_path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """English and German real articles, imported: stories of one to ten sources."""
    return imported(tmp_path_factory.mktemp("feed") / "news.db", *(DATA / name for name in SAMPLES))


def feed_of(db_path: Path, *args: str) -> Any:
    result = run("feed", "--db", str(db_path), *args)
    assert result.exit_code == 0, result.output
    parsed = feedparser.parse(result.stdout_bytes)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def rows(db_path: Path, sql: str, *params: object) -> list[dict[str, Any]]:
    conn = connect(str(db_path))
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def story_id(entry: Any) -> int:
    return int(entry.id.rsplit("/", 1)[1])


def terms(entry: Any, scheme: str) -> list[str]:
    return [tag.term for tag in entry.get("tags", []) if tag.scheme == scheme]


def related(entry: Any) -> set[str]:
    return {link.href for link in entry.links if link.rel == "related"}


def test_the_feed_has_one_entry_per_story_newest_first_and_is_as_new_as_its_newest(store: Path) -> None:
    stories = rows(store, "SELECT id FROM stories WHERE source_count > 0 ORDER BY last_updated DESC, id DESC")
    feed = feed_of(store, "--limit", "500")
    assert [story_id(entry) for entry in feed.entries] == [story["id"] for story in stories]
    assert feed.feed.updated == feed.entries[0].updated
    assert len(feed_of(store, "--limit", "3").entries) == 3
    assert len({entry.id for entry in feed.entries}) == len(feed.entries)


def test_every_entry_shows_its_story_and_links_every_source_with_outlet_and_headline(store: Path) -> None:
    feed = feed_of(store, "--limit", "500")
    for entry in feed.entries:
        story = rows(store, "SELECT * FROM stories WHERE id = ?", story_id(entry))[0]
        sources = rows(store, "SELECT url, title FROM articles WHERE story_id = ?", story["id"])
        assert related(entry) == {source["url"] for source in sources}
        assert entry.title == story["title"]
        assert terms(entry, CATEGORY_SCHEME) == [story["category"]]
        assert terms(entry, LOCATION_SCHEME) == ([story["location"]] if story["location"] else [])
        content = entry.content[0].value
        for source in sources:
            assert f'href="{source["url"]}"' in content.replace("&amp;", "&")
        titles = {link.title for link in entry.links if link.rel == "related"}
        assert all(any(title.endswith(": " + source["title"]) for title in titles) for source in sources)
    many = [entry for entry in feed.entries if len(related(entry)) >= 10]
    assert many, "the sample has a story of ten sources"


def test_a_category_feed_holds_only_that_category_whatever_its_case(store: Path) -> None:
    wanted = rows(store, "SELECT id FROM stories WHERE category = 'Kriminalität' AND source_count > 0")
    feed = feed_of(store, "--category", "kriminalität", "--limit", "500")
    assert {story_id(entry) for entry in feed.entries} == {story["id"] for story in wanted}
    assert {term for entry in feed.entries for term in terms(entry, CATEGORY_SCHEME)} == {"Kriminalität"}
    assert "Vorfall: kriminalität" in feed.feed.title


def test_a_location_feed_takes_a_town_or_a_whole_country(store: Path) -> None:
    town = feed_of(store, "--location", "Memmingen")
    country = feed_of(store, "--location", "Deutschland", "--limit", "500")
    assert town.entries and {terms(entry, LOCATION_SCHEME)[0] for entry in town.entries} == {"Memmingen, Deutschland"}
    in_germany = rows(store, "SELECT id FROM stories WHERE location LIKE '%, Deutschland' OR location = 'Deutschland'")
    assert {story_id(entry) for entry in country.entries} == {story["id"] for story in in_germany}
    assert not feed_of(store, "--location", "Memming").entries


def _word_only_a_minor_source_has(db_path: Path) -> tuple[int, str]:
    """A story and a word of one of its sources other than the representative that no story's
    own text (title, teaser, body) has: only a search over the sources finds it."""
    conn = connect(str(db_path))
    try:
        stories = conn.execute("SELECT * FROM stories WHERE source_count > 1 ORDER BY id").fetchall()
        for story in stories:
            others = conn.execute("SELECT title, teaser, body FROM articles WHERE story_id = ? AND id != ?",
                                  (story["id"], story["representative_article_id"])).fetchall()
            words = {word for source in others for word in re.findall(r"\w{6,}", " ".join(filter(None, source)).lower())}
            for word in sorted(words):
                if conn.execute("SELECT count(*) FROM stories_fts WHERE stories_fts MATCH ?", (f'"{word}"',)).fetchone()[0] == 0:
                    return story["id"], word
    finally:
        conn.close()
    raise AssertionError("every word of every source is in some story's own text")


def test_a_search_finds_a_story_through_the_text_of_any_of_its_sources(store: Path) -> None:
    story, word = _word_only_a_minor_source_has(store)
    found = feed_of(store, "--search", word.upper())
    assert story in {story_id(entry) for entry in found.entries}
    assert not feed_of(store, "--search", "Wattenscheid Drillinge").entries


def test_an_unknown_category_gives_an_empty_valid_feed(store: Path) -> None:
    feed = feed_of(store, "--category", "Gibtsnicht")
    assert feed.entries == []
    assert feed.feed.updated and feed.feed.id


def test_the_feed_is_written_whole_to_a_file_and_an_unwritable_one_is_one_error_line(
    store: Path, tmp_path: Path
) -> None:
    output = tmp_path / "kriminalitaet.atom"
    written = run("feed", "--db", str(store), "--category", "Kriminalität", "--output", str(output))
    assert written.exit_code == 0 and written.output == ""
    assert output.read_bytes() == run("feed", "--db", str(store), "--category", "Kriminalität").stdout_bytes
    assert [path.name for path in tmp_path.iterdir()] == [output.name]  # no temporary file left
    failed = run("feed", "--db", str(store), "--output", str(tmp_path / "missing" / "feed.atom"))
    assert failed.exit_code == 1
    assert failed.output.splitlines() == [f"Error: cannot write {tmp_path / 'missing' / 'feed.atom'}: No such file or directory"]


def test_an_entry_keeps_its_id_and_moves_its_updated_when_a_reimport_adds_a_source(tmp_path: Path) -> None:
    lines = (DATA / "uci-news-sample.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    latest = max(lines, key=lambda line: json.loads(line)["published"])
    first, later = tmp_path / "first.jsonl", tmp_path / "later.jsonl"
    first.write_text("".join(line for line in lines if line != latest), encoding="utf-8")
    later.write_text(latest, encoding="utf-8")
    db_path = imported(tmp_path / "news.db", first)
    before = {entry.id: entry for entry in feed_of(db_path).entries}
    imported(db_path, later)
    after = {entry.id: entry for entry in feed_of(db_path).entries}

    added = json.loads(latest)["url"]
    [grown] = [entry for entry in after.values() if added in related(entry)]
    assert grown.id in before, "the story that gained a source has the entry id it had"
    assert related(grown) == related(before[grown.id]) | {added}
    assert grown.updated > before[grown.id].updated
    assert set(after) == set(before)
    assert all(after[key].updated == before[key].updated for key in after if key != grown.id)
    assert feedparser.parse(run("feed", "--db", str(db_path)).stdout_bytes).feed.updated == grown.updated


def test_text_xml_cannot_carry_is_dropped_and_markup_in_text_stays_text(tmp_path: Path) -> None:
    db_path = tmp_path / "news.db"
    conn = connect(str(db_path))
    made_up = {  # MADE UP: a page with control characters, markup and a script link in its text
        "url": "https://www.example.org/made-up/steuerzeichen", "canonical_url": "https://www.example.org/made-up/steuerzeichen",
        "outlet": "made_up", "title": "Made-up \x07Meldung <b>fett</b> & \x1b[0mmehr", "teaser": "Vorher\x00nachher ]]> Ende",
        "body": "", "published": "2026-05-18T10:00:00+02:00",
        "fetched_at": "2026-05-18T10:00:00+02:00", "content_hash": "made up",
    }
    script_link = {**made_up, "url": "javascript:alert(1)", "canonical_url": "javascript:alert(1)", "title": "Skript"}
    write_story(conn, [made_up, script_link], "Sonstiges", None)
    conn.close()

    [entry] = feed_of(db_path).entries
    assert entry.title == "Made-up Meldung <b>fett</b> & [0mmehr"
    assert entry.summary == "Vorhernachher ]]> Ende"
    assert related(entry) == {made_up["url"]}
    assert "javascript:" not in entry.content[0].value
    assert "<p><strong>Vorhernachher ]]&gt; Ende</strong></p>" in entry.content[0].value


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_newsagg_serve_serves_the_same_feeds_linking_story_pages_and_its_pages_announce_them(store: Path) -> None:
    with served(store, {}) as server:
        site = f"http://127.0.0.1:{server.port}"
        status, content_type, body = _get(f"{site}/-/feed.atom?category=Kriminalit%C3%A4t&limit=500")
        page = _get(f"{server.base_url}/stories?category=Kriminalit%C3%A4t")[2].decode("utf-8")
        [announced] = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]* href="([^"]+)"', page)
        announced_feed = feedparser.parse(_get(site + announced.replace("&amp;", "&"))[2])
        feed = feedparser.parse(body)
        story_pages = {_get(entry.link)[0] for entry in feed.entries}
        bad_limit = _get(f"{site}/-/feed.atom?limit=lots")
        searched = feedparser.parse(_get(f"{site}/-/feed.atom?q=Point72")[2])

    assert (status, content_type) == (200, "application/atom+xml; charset=utf-8")
    assert not feed.bozo
    cli_feed = feed_of(store, "--category", "Kriminalität", "--limit", "500")
    assert [entry.id for entry in feed.entries] == [entry.id for entry in cli_feed.entries]
    assert [related(entry) for entry in feed.entries] == [related(entry) for entry in cli_feed.entries]
    assert all(entry.link == f"{server.base_url}/stories/{story_id(entry)}" for entry in feed.entries)
    assert story_pages == {200}
    assert announced == "/-/feed.atom?category=Kriminalit%C3%A4t"
    assert [entry.id for entry in announced_feed.entries] == [entry.id for entry in feed.entries[:50]]
    assert bad_limit[0] == 400 and b"limit must be a whole number" in bad_limit[2]
    assert {entry.title for entry in searched.entries} and all(
        any("Point72" in link.get("title", "") for link in entry.links) for entry in searched.entries)
