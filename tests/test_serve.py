"""`newsagg serve`: datasette on the store, loopback by default, read-only, described for a reader."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import types
import urllib.request
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from datasette.plugins import pm

from crawlers.outlets import DECLARED
from db.canned import CANNED_QUERIES
from db.schema import connect
from db.store import transaction
from scheduler import serve as serve_module
from scheduler.cli import cli
from serve_store import (
    KING_TITLE_START, MADE_UP_TANKER_REPORT, TANKER_FAILED_RUN_ERROR, TANKER_TITLE, build_store, free_port,
    import_samples, served, write_story,
)

PARAMETERLESS_QUERIES = [query.name for query in CANNED_QUERIES if not query.parameters]


@pytest.fixture
def store(db_path: Path) -> dict[str, int]:
    return build_store(db_path)


class InProcess:
    """The datasette `newsagg serve` builds, asked in-process (no socket)."""

    def __init__(self, db_path: Path) -> None:
        self.datasette = serve_module.build_datasette(str(db_path))
        self.name = db_path.stem
        asyncio.run(self.datasette.invoke_startup())

    def get(self, path: str, **params: Any) -> Any:
        return asyncio.run(self.datasette.client.get(f"/{self.name}{path}", params=params))

    def rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        response = self.get(f"/{query}.json", _shape="array", **params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def site(db_path: Path, store: dict[str, int]) -> InProcess:
    return InProcess(db_path)


def _listening_addresses(port: int) -> list[str]:
    """Local addresses of sockets listening on this TCP port, from /proc/net/tcp and tcp6 (hex)."""
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == port:
                addresses.append(address)
    return addresses


def test_serve_listens_on_loopback_only_and_its_json_shows_queries_search_and_stories(
    db_path: Path, store: dict[str, int]
) -> None:
    with served(db_path, store) as server:
        assert _listening_addresses(server.port) == ["0100007F"]  # 127.0.0.1, no IPv6, no 0.0.0.0
        database = json.loads(urllib.request.urlopen(server.base_url + ".json").read())
        for name in PARAMETERLESS_QUERIES:
            answer = json.loads(urllib.request.urlopen(f"{server.base_url}/{name}.json").read())
            assert answer["ok"], name
    assert len(database["queries"]) >= 4
    assert {"stories", "articles_fts", "stories_fts"} <= {table["name"] for table in database["tables"]}
    assert all(query["title"] and query["description"] for query in database["queries"])
    assert not any(query.get("write") for query in database["queries"])


def test_serve_binds_loopback_by_default_and_warns_for_another_host(
    db_path: Path, store: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    bound: list[str] = []

    def record(datasette: object, listening: socket.socket) -> None:
        bound.append(listening.getsockname()[0])
        listening.close()

    monkeypatch.setattr(serve_module, "run_server", record)
    monkeypatch.setenv("NEWSAGG_CONFIG", "")
    quiet = CliRunner().invoke(cli, ["serve", "--db", str(db_path), "--port", str(free_port())])
    loud = CliRunner().invoke(cli, ["serve", "--db", str(db_path), "--host", "0.0.0.0", "--port", str(free_port())])
    assert quiet.exit_code == 0 and loud.exit_code == 0, quiet.output + loud.output
    assert bound == ["127.0.0.1", "0.0.0.0"]
    assert "anyone who can reach this machine" not in quiet.stderr
    assert "listening on 0.0.0.0: anyone who can reach this machine can read the store" in loud.stderr


def test_serve_refuses_a_store_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSAGG_CONFIG", "")
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(cli, ["serve", "--db", str(missing)])
    assert result.exit_code == 1
    assert f"no store at {missing}" in result.stderr
    assert not missing.exists()


def test_every_table_view_and_column_of_the_store_is_described(db_path: Path) -> None:
    conn = connect(str(db_path))
    names = [row["name"] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' "
        "AND name NOT GLOB '*_fts_*'"
    )]
    tables = serve_module.build_metadata("news")["databases"]["news"]["tables"]
    for name in names:
        columns = [row["name"] for row in conn.execute(f"PRAGMA table_info({name})")]
        assert tables[name]["description"], name
        assert set(tables[name]["columns"]) == set(columns), name
        assert all(tables[name]["columns"].values()), name


def test_every_canned_query_has_a_title_and_description_for_a_reader() -> None:
    assert len(CANNED_QUERIES) >= 4
    assert len({query.name for query in CANNED_QUERIES}) == len(CANNED_QUERIES)
    for query in CANNED_QUERIES:
        assert query.title and len(query.description) > 40, query.name


def test_latest_stories_come_newest_first_with_their_outlets(site: InProcess) -> None:
    rows = site.rows("latest_stories")
    assert [row["title"] for row in rows][0] == "Berliner Imam über Kinderlosigkeit: Es geht um unser Leben"
    assert [row["last_updated"] for row in rows] == sorted((row["last_updated"] for row in rows), reverse=True)
    tanker = next(row for row in rows if row["title"] == TANKER_TITLE)
    assert (tanker["articles"], tanker["outlets"]) == (2, 2)
    assert tanker["reported_by"] == "t-online, Berliner Zeitung"


def test_story_sources_lists_every_article_of_one_story_with_links(
    site: InProcess, store: dict[str, int]
) -> None:
    story_id = store[TANKER_TITLE]
    rows = site.rows("story_sources", story_id=story_id)
    assert [(row["outlet"], row["title"]) for row in rows] == [
        ("t-online", TANKER_TITLE), ("Berliner Zeitung", MADE_UP_TANKER_REPORT["title"])
    ]
    page = site.get("/story_sources", story_id=story_id).text
    assert f'<a href="{MADE_UP_TANKER_REPORT["url"]}">' in page


def test_single_outlet_stories_leave_out_stories_two_outlets_report(site: InProcess) -> None:
    titles = [row["title"] for row in site.rows("single_outlet_stories")]
    assert len(titles) == 4
    assert TANKER_TITLE not in titles


def test_most_covered_stories_rank_the_latest_days_stories_by_outlets(site: InProcess, db_path: Path) -> None:
    assert [row["title"] for row in site.rows("most_covered_stories")] == [
        "Berliner Imam über Kinderlosigkeit: Es geht um unser Leben"]  # the only story of its day
    writer = connect(str(db_path))
    with transaction(writer):
        write_story(writer, [_made_up_article("t_online", "Made-up: Sturm über Berlin", "2026-05-17T09:00:00+00:00"),
                             _made_up_article("berliner_zeitung", "Made-up: Sturm in Berlin", "2026-05-17T10:00:00+00:00")],
                    "Unwetter", "Berlin")
    writer.close()
    assert [row["title"] for row in site.rows("most_covered_stories")] == [
        "Made-up: Sturm über Berlin", "Berliner Imam über Kinderlosigkeit: Es geht um unser Leben"]


def test_crawl_health_shows_each_outlets_last_run_and_its_error(site: InProcess) -> None:
    health = {row["outlet"]: row for row in site.rows("crawl_health")}
    assert set(health) == set(DECLARED)
    assert (health["t_online"]["last_status"], health["t_online"]["last_new"]) == ("ok", 3)
    assert (health["rosenheim24"]["last_status"], health["rosenheim24"]["last_error"]) == (
        "failed", TANKER_FAILED_RUN_ERROR)
    assert health["berliner_zeitung"]["last_run"] is None
    assert health["t_online"]["newest_article"].startswith("2026-01-07T17:34")


@pytest.mark.parametrize("words", ["König Charles", "konig charles", "KÖNIG", "Thronfolger"])
def test_story_search_finds_words_with_or_without_umlauts(site: InProcess, words: str) -> None:
    titles = [row["title"] for row in site.rows("search_stories", q=words)]
    assert len(titles) == 1 and titles[0].startswith(KING_TITLE_START)


@pytest.mark.parametrize("words", ['"Bella 1', "Bella-1", "Marinera OR", "*"])
def test_story_search_takes_punctuation_as_text_not_as_syntax(site: InProcess, words: str) -> None:
    response = site.get("/search_stories.json", q=words, _shape="array")
    assert response.status_code == 200, response.text


def test_articles_show_their_story_by_title_and_tables_open_newest_first_with_facets(
    site: InProcess, store: dict[str, int]
) -> None:
    articles = site.get("/articles.json", _labels="on").json()
    story_of = {row["title"]: row["story_id"] for row in articles["rows"]}
    assert story_of[MADE_UP_TANKER_REPORT["title"]] == {"value": store[TANKER_TITLE], "label": TANKER_TITLE}
    assert "sorted by published descending" in articles["human_description_en"]
    assert set(articles["facet_results"]) == {"outlet", "section"}
    stories = site.get("/stories.json").json()
    assert "sorted by last_updated descending" in stories["human_description_en"]
    assert set(stories["facet_results"]) == {"category", "location"}


def test_the_web_cannot_write_to_the_store(site: InProcess, db_path: Path) -> None:
    refused = site.get(".json", sql="DELETE FROM stories")
    assert refused.status_code == 400
    attempt = asyncio.run(site.datasette.client.post(f"/{site.name}/latest_stories", data={"sql": "DELETE FROM stories"}))
    assert attempt.status_code >= 400
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 5


def test_plugins_installed_in_the_environment_are_not_loaded(db_path: Path, store: dict[str, int]) -> None:
    made_up_write_plugin = types.ModuleType("made_up_write_plugin")
    pm.register(made_up_write_plugin, "made_up_write_plugin")
    try:
        InProcess(db_path)
        assert pm.get_plugin("made_up_write_plugin") is None
    finally:
        if pm.get_plugin("made_up_write_plugin") is not None:
            pm.unregister(made_up_write_plugin)


def test_the_site_shows_what_is_written_while_it_serves(site: InProcess, db_path: Path) -> None:
    assert len(site.rows("latest_stories")) == 5
    writer = connect(str(db_path))
    with transaction(writer):
        write_story(writer, [_made_up_article("t_online", "Made-up: Meldung während datasette läuft",
                                              "2026-06-01T08:00:00+00:00")], None, None)
    writer.close()
    assert site.rows("latest_stories")[0]["title"] == "Made-up: Meldung während datasette läuft"
    assert site.rows("search_stories", q="wahrend")[0]["title"].startswith("Made-up")


def _made_up_article(outlet: str, title: str, published: str) -> dict[str, Any]:
    url = f"https://example.org/made-up/{outlet}/{published}"
    return {"url": url, "canonical_url": url, "outlet": outlet, "title": title, "teaser": None, "body": "",
            "published": published, "fetched_at": published, "content_hash": f"made up {url}"}


# A word of the police sample's "Raub am Modeon - Zeugen gesucht" only, which is not the
# representative of its story (its follow-up "Vorgetäuschter Raub am Modeon" is).
ONLY_IN_A_FOLLOWED_UP_SOURCE = "Mountainbike"


@pytest.fixture(scope="module")
def german_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real German samples of tests/data, imported and grouped by `newsagg import`."""
    db_path = tmp_path_factory.mktemp("german") / "news.db"
    import_samples(db_path)
    return db_path


@pytest.fixture(scope="module")
def german_site(german_store: Path) -> InProcess:
    return InProcess(german_store)


def _html(site: InProcess, path: str, **params: Any) -> Any:
    response = site.get(path, **params)
    assert response.status_code == 200, response.text
    return lxml.html.fromstring(response.text)


def _text(page: Any, xpath: str) -> str:
    return " ".join(" ".join(page.xpath(f"string({xpath})").split()).split())


def _db_rows(db_path: Path, sql: str, *params: object) -> list[dict[str, Any]]:
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def test_every_story_page_shows_its_title_teaser_details_and_a_link_to_every_source(
    german_site: InProcess, german_store: Path
) -> None:
    stories = _db_rows(german_store, "SELECT * FROM stories WHERE source_count > 0")
    assert len(stories) > 30
    for story in stories:
        page = _html(german_site, f"/stories/{story['id']}")
        assert _text(page, "//h1") == story["title"]
        assert _text(page, "//p[@class='newsagg-teaser']") == " ".join(story["teaser"].split())
        assert len(page.xpath("//div[@class='newsagg-body']/p")) == len([p for p in story["body"].split("\n\n") if p.strip()])
        assert _text(page, "//dd[@class='newsagg-category']") == (story["category"] or "–")
        assert _text(page, "//dd[@class='newsagg-location']") == (story["location"] or "–")
        sources = _db_rows(german_store, "SELECT url, title FROM articles WHERE story_id = ?", story["id"])
        links = {link.get("href"): link.get("title") for link in page.xpath("//ul[@class='newsagg-sources']/li/a")}
        assert links == {source["url"]: source["title"] for source in sources}, story["id"]
        assert len(page.xpath("//section[@class='newsagg-timeline']/ol/li")) == len(sources)


def test_a_story_pages_timeline_starts_with_the_first_report_and_names_each_outlet(german_site: InProcess, german_store: Path) -> None:
    story = _db_rows(german_store, "SELECT id FROM stories ORDER BY source_count DESC, id LIMIT 1")[0]
    sources = _db_rows(german_store, "SELECT title, published FROM articles WHERE story_id = ? ORDER BY published", story["id"])
    assert len(sources) >= 2
    page = _html(german_site, f"/stories/{story['id']}")
    steps = page.xpath("//section[@class='newsagg-timeline']/ol/li")
    assert [step.xpath("string(time/@datetime)") for step in steps] == [source["published"] for source in sources]
    assert [_text(step, "span[@class='newsagg-step']") for step in steps] == ["Erste Meldung"] + ["Update"] * (len(steps) - 1)
    assert all(f"Polizeipräsidium Schwaben Süd/West: {source['title']}" in _text(step, ".")
               for step, source in zip(steps, sources))


def test_a_source_whose_url_is_no_web_address_is_shown_but_not_linked(site: InProcess, db_path: Path) -> None:
    writer = connect(str(db_path))
    with transaction(writer):
        story_id = write_story(writer, [{**_made_up_article("t_online", "Made-up: Meldung mit Skript-Adresse",
                                                            "2026-06-02T08:00:00+00:00"), "url": "javascript:alert(1)"}],
                               None, None)
    writer.close()
    page = _html(site, f"/stories/{story_id}")
    assert "Made-up: Meldung mit Skript-Adresse" in _text(page, "//ul[@class='newsagg-sources']")
    assert not page.xpath("//ul[@class='newsagg-sources']//a")


def test_the_front_page_lists_the_latest_stories_newest_first_with_vorfall_ort_and_sources(
    german_site: InProcess, german_store: Path
) -> None:
    newest = _db_rows(german_store, "SELECT * FROM stories WHERE source_count > 0 "
                                    "ORDER BY last_updated DESC, id DESC LIMIT 50")
    page = _html(german_site, "")
    items = page.xpath("//ol[@class='newsagg-stories']/li")
    assert [int(item.get("data-story-id")) for item in items] == [story["id"] for story in newest]
    for item, story in zip(items, newest):
        assert item.xpath("string(h2/a/@href)") == f"/news/stories/{story['id']}"
        assert _text(item, "h2") == story["title"]
        for facet, label in (("category", "Vorfall"), ("location", "Ort")):
            shown = _text(item, f"p[@class='newsagg-meta']/span[@class='newsagg-{facet}']")
            assert shown == (f"{label}: {story[facet]}" if story[facet] else "")
        assert _text(item, "p[@class='newsagg-meta']/span[@class='newsagg-source-count']").startswith(f"{story['source_count']} Quelle")


@pytest.mark.parametrize("facet", ["category", "location"])
def test_the_front_pages_filter_links_show_only_the_stories_of_that_vorfall_or_ort(
    german_site: InProcess, german_store: Path, facet: str
) -> None:
    counts = _db_rows(german_store, f"SELECT {facet} AS value, count(*) AS stories FROM stories "
                                    f"WHERE {facet} IS NOT NULL GROUP BY {facet} ORDER BY stories DESC, value LIMIT 1")[0]
    links = _html(german_site, "").xpath(f"//nav[@data-facet='{facet}']/a")
    chosen = next(link for link in links if link.text_content().startswith(counts["value"] + " ("))
    assert chosen.text_content() == f"{counts['value']} ({counts['stories']})"
    filtered = lxml.html.fromstring(asyncio.run(german_site.datasette.client.get(chosen.get("href"))).text)
    items = filtered.xpath("//ol[@class='newsagg-stories']/li")
    label = {"category": "Vorfall", "location": "Ort"}[facet]
    assert len(items) == counts["stories"]
    assert all(_text(item, f"p/span[@class='newsagg-{facet}']") == f"{label}: {counts['value']}" for item in items)
    assert _text(filtered, f"//nav[@data-facet='{facet}']/strong[@class='newsagg-chosen']").startswith(counts["value"])


def test_search_finds_a_story_through_a_source_that_is_not_its_representative(
    german_site: InProcess, german_store: Path
) -> None:
    story = _db_rows(german_store, "SELECT stories.id FROM stories JOIN articles ON articles.story_id = stories.id "
                                   "WHERE articles.title = 'Raub am Modeon - Zeugen gesucht'")[0]
    assert not _db_rows(german_store, "SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?", ONLY_IN_A_FOLLOWED_UP_SOURCE)
    assert [row["story_id"] for row in german_site.rows("search_stories", q=ONLY_IN_A_FOLLOWED_UP_SOURCE)] == [story["id"]]
    found = _html(german_site, "", q=ONLY_IN_A_FOLLOWED_UP_SOURCE.lower()).xpath("//ol[@class='newsagg-stories']/li")
    assert [int(item.get("data-story-id")) for item in found] == [story["id"]]


@pytest.mark.parametrize("path, params", [
    ("/latest_stories", {}), ("/most_covered_stories", {}), ("/single_outlet_stories", {}),
    ("/search_stories", {"q": "Polizei"}),
])
def test_story_ids_of_canned_queries_link_to_their_story_pages(
    german_site: InProcess, path: str, params: dict[str, str]
) -> None:
    cells = _html(german_site, path, **params).xpath("//td[contains(@class, 'col-story_id')]")
    assert cells
    for cell in cells:
        assert cell.xpath("string(a/@href)") == f"/news/stories/{cell.text_content().strip()}"


def test_tables_fold_their_column_dictionary_and_the_front_page_keeps_tables_and_sql(german_site: InProcess) -> None:
    table = _html(german_site, "/stories")
    assert table.xpath("//details[@class='newsagg-about']/dl[@class='column-descriptions']/dt[text()='category']")
    front = _html(german_site, "")
    raw = front.xpath("//section[@id='rohdaten']")[0]
    assert {"/news/stories", "/news/articles", "/news/crawl_runs"} <= set(raw.xpath(".//h3/a/@href"))
    assert raw.xpath(".//form[@class='sql']//textarea[@name='sql']")
    assert front.xpath("//a[@href='#rohdaten']")


def test_crawl_health_lists_no_outlet_that_an_import_only_named(tmp_path: Path) -> None:
    db_path = tmp_path / "news.db"
    import_samples(db_path, ("uci-news-sample.jsonl",))
    assert _db_rows(db_path, "SELECT count(*) AS named FROM outlets WHERE domains = '[]'")[0]["named"] > 0
    assert {row["outlet"] for row in InProcess(db_path).rows("crawl_health")} == set(DECLARED)
