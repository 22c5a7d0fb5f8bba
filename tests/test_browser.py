"""A reader's path through `newsagg serve` in real headless Chromium (tests/chromium.py)."""

from __future__ import annotations

import sqlite3
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from chromium import chromium
from local_outlets import OutletServer
from serve_store import (
    KING_TITLE_START, MADE_UP_TANKER_REPORT, TANKER_TITLE, ServedStore, build_store, import_samples, served,
)


# One browser and one server for the module: the tests only read, and each start costs seconds.
@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        driver.implicitly_wait(5)
        yield driver


PAGE_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStore]:
    db_path = tmp_path_factory.mktemp("browser") / "news.db"
    with served(db_path, build_store(db_path)) as running:
        yield running


@contextmanager
def _next_page(browser: WebDriver) -> Iterator[None]:
    """Wait, after the action inside, until the browser has left the current page (else the
    next lookups may still read the old one and meet stale elements)."""
    old_page = browser.find_element(By.TAG_NAME, "html")
    yield
    WebDriverWait(browser, PAGE_TIMEOUT_SECONDS).until(expected_conditions.staleness_of(old_page))


def _result_titles(browser: WebDriver) -> list[str]:
    return [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns td.col-title")]


def test_stories_page_lists_stories_newest_first(browser: WebDriver, server: ServedStore) -> None:
    browser.get(f"{server.base_url}/stories")
    titles = _result_titles(browser)
    assert len(titles) == 5
    assert titles[0] == "Berliner Imam über Kinderlosigkeit: Es geht um unser Leben"
    assert "sorted by last_updated descending" in browser.find_element(By.TAG_NAME, "h3").text


def test_a_reader_runs_a_canned_query_from_the_database_page(browser: WebDriver, server: ServedStore) -> None:
    browser.get(server.base_url)
    with _next_page(browser):
        browser.find_element(By.LINK_TEXT, "Stories only one outlet reports").click()
    assert browser.current_url.endswith("/single_outlet_stories")
    titles = _result_titles(browser)
    assert len(titles) == 4 and TANKER_TITLE not in titles


def test_a_reader_searches_stories_for_a_word_and_finds_the_story(browser: WebDriver, server: ServedStore) -> None:
    browser.get(f"{server.base_url}/stories")
    with _next_page(browser):
        browser.find_element(By.ID, "_search").send_keys("konig", Keys.ENTER)
    titles = _result_titles(browser)
    assert len(titles) == 1 and titles[0].startswith(KING_TITLE_START)

    browser.get(f"{server.base_url}/search_stories")
    with _next_page(browser):
        browser.find_element(By.CSS_SELECTOR, "form.sql input[name=q]").send_keys("Schattenflotte", Keys.ENTER)
    assert _result_titles(browser) == [TANKER_TITLE]


def test_a_reader_follows_a_story_from_the_stories_table_to_its_page_and_its_raw_sources(
    browser: WebDriver, server: ServedStore
) -> None:
    browser.get(f"{server.base_url}/stories")
    row = browser.find_element(By.XPATH, f"//tr[td[@class='col-title type-str'][text()='{TANKER_TITLE}']]")
    with _next_page(browser):
        row.find_element(By.CSS_SELECTOR, "td.col-id a").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == TANKER_TITLE
    with _next_page(browser):
        browser.find_element(By.LINK_TEXT, "Quellen in articles").click()
    assert sorted(_result_titles(browser)) == sorted([TANKER_TITLE, MADE_UP_TANKER_REPORT["title"]])
    source_link = browser.find_element(By.CSS_SELECTOR, f"td.col-url a[href='{MADE_UP_TANKER_REPORT['url']}']")
    assert source_link.is_displayed()


@dataclass(frozen=True)
class StandIn:
    """The served German samples and the local server standing in for their original pages."""

    site: ServedStore
    originals: OutletServer

    def rows(self, sql: str, *params: object) -> list[dict[str, Any]]:
        with sqlite3.connect(self.site.db_path) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql, params)]


# A MADE UP page at each source's path on 127.0.0.1: where a source link leads, never the internet.
STAND_IN_PAGE = "<!doctype html><title>Stand-in of {path}</title><h1>Stand-in of {path}</h1>"


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The real German samples imported with their URLs moved onto a local stand-in server."""
    db_path = tmp_path_factory.mktemp("german-browser") / "news.db"
    with OutletServer("berliner_zeitung", pages=[]) as originals:
        stories = import_samples(db_path, moved_to=originals.base_url)
        with sqlite3.connect(db_path) as conn:
            for (url,) in conn.execute("SELECT url FROM articles"):
                path = urlsplit(url).path
                originals.set_page(path, STAND_IN_PAGE.format(path=path).encode())
        with served(db_path, stories) as site:
            yield StandIn(site, originals)


def test_a_reader_opens_a_story_from_the_front_page_reads_its_details_and_follows_a_source(
    browser: WebDriver, german: StandIn
) -> None:
    story = german.rows("SELECT * FROM stories ORDER BY source_count DESC, id LIMIT 1")[0]
    sources = german.rows("SELECT articles.url, articles.title, coalesce(outlets.title, articles.outlet) AS outlet "
                          "FROM articles LEFT JOIN outlets ON outlets.name = articles.outlet "
                          "WHERE story_id = ? ORDER BY published, articles.id", story["id"])
    assert len(sources) >= 2
    browser.get(german.site.base_url)
    with _next_page(browser):
        browser.find_element(By.CSS_SELECTOR, f"li[data-story-id='{story['id']}'] h2 a").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == story["title"]
    details = browser.find_element(By.CSS_SELECTOR, "aside.newsagg-details")
    assert details.find_element(By.CSS_SELECTOR, "dd.newsagg-category").text == story["category"]
    assert details.find_element(By.CSS_SELECTOR, "dd.newsagg-location").text == story["location"]
    quellen = details.find_elements(By.CSS_SELECTOR, "ul.newsagg-sources li")
    assert [item.find_element(By.CSS_SELECTOR, ".newsagg-outlet").text for item in quellen] == [s["outlet"] for s in sources]
    links = [item.find_element(By.TAG_NAME, "a") for item in quellen]
    assert [(link.text, link.get_attribute("href")) for link in links] == [(s["title"], s["url"]) for s in sources]

    with _next_page(browser):
        links[-1].click()
    assert browser.current_url == sources[-1]["url"]
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Stand-in of {urlsplit(sources[-1]['url']).path}"


def test_a_reader_filters_the_front_page_by_vorfall_and_finds_a_story_through_any_source(
    browser: WebDriver, german: StandIn
) -> None:
    browser.get(german.site.base_url)
    with _next_page(browser):
        browser.find_element(By.XPATH, "//nav[@data-facet='category']/a[starts-with(., 'Brand (')]").click()
    shown = browser.find_elements(By.CSS_SELECTOR, "li.newsagg-story-item span.newsagg-category")
    assert len(shown) == len(german.rows("SELECT id FROM stories WHERE category = 'Brand'")) > 0
    assert {item.text for item in shown} == {"Vorfall: Brand"}

    browser.get(german.site.base_url)
    with _next_page(browser):
        # Only the first report of its story says so; the story shows its follow-up.
        browser.find_element(By.ID, "newsagg-q").send_keys("Mountainbike", Keys.ENTER)
    found = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "li.newsagg-story-item h2")]
    assert found == ["Vorgetäuschter Raub am Modeon"]


def test_the_front_page_and_story_pages_offer_the_feed_of_what_they_show(browser: WebDriver, german: StandIn) -> None:
    browser.get(f"{german.site.base_url}?category=Brand")
    feed_url = browser.find_element(By.CSS_SELECTOR, "link[rel=alternate][type='application/atom+xml']").get_attribute("href")
    assert feed_url == f"http://127.0.0.1:{german.site.port}/-/feed.atom?category=Brand"
    feed = feedparser.parse(urllib.request.urlopen(feed_url, timeout=30).read())
    assert not feed.bozo and len(feed.entries) == len(german.rows("SELECT id FROM stories WHERE category = 'Brand'"))
    story_id = german.rows("SELECT id FROM stories LIMIT 1")[0]["id"]
    browser.get(f"{german.site.base_url}/stories/{story_id}")
    assert browser.find_element(By.CSS_SELECTOR, "link[rel=alternate][type='application/atom+xml']").get_attribute("href")


def test_the_stories_table_starts_with_its_rows_in_the_first_screen(browser: WebDriver, german: StandIn) -> None:
    browser.get(f"{german.site.base_url}/stories")
    # Above the rows: the title, the folded description, the search form and two facets of ten values.
    first_row = browser.find_element(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
    assert first_row.location["y"] < 600
    assert not browser.find_element(By.CSS_SELECTOR, "details.newsagg-about dl.column-descriptions").is_displayed()
