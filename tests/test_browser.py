"""A reader's path through `newsagg serve` in real headless Chromium (tests/chromium.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from chromium import chromium
from serve_store import KING_TITLE_START, MADE_UP_TANKER_REPORT, TANKER_TITLE, ServedStore, build_store, served


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
