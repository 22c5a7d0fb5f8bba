"""Take the README's screenshots of `newsagg serve`: its front page and a story's page.

Imports the real German samples of tests/data into a fresh store with `newsagg import`, serves
it with `newsagg serve` on 127.0.0.1 and photographs both pages in headless Chromium, with the
browser test's helpers (tests/chromium.py, tests/serve_store.py). Nothing leaves the machine.

    python docs/screenshots.py          # writes docs/screenshots/front-page.png and story-page.png
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from chromium import chromium  # noqa: E402  (tests/ is on the path only from here on)
from serve_store import import_samples, served  # noqa: E402

OUTPUT = REPO / "docs" / "screenshots"
WIDTH = 1200
MAX_HEIGHT = 1600


def main() -> None:
    OUTPUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="newsagg-screenshots-") as workdir:
        db_path = Path(workdir) / "news.db"
        stories = import_samples(db_path)
        with served(db_path, stories) as server, chromium() as browser:
            shoot(browser, server.base_url, OUTPUT / "front-page.png")
            shoot(browser, f"{server.base_url}/stories/{most_covered_story(db_path)}", OUTPUT / "story-page.png")


def most_covered_story(db_path: Path) -> int:
    """The story with the most sources that has Vorfall and Ort: the one that shows the most."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT id FROM stories WHERE category IS NOT NULL AND location IS NOT NULL "
            "ORDER BY source_count DESC, outlet_count DESC, id LIMIT 1").fetchone()[0]


def shoot(browser: WebDriver, url: str, path: Path) -> None:
    # A small window first: the page's height is then its own, not the last page's window.
    browser.set_window_size(WIDTH, 600)
    browser.get(url)
    # The whole page down to MAX_HEIGHT, not just the first window of it.
    height = min(MAX_HEIGHT, browser.execute_script("return document.documentElement.scrollHeight"))
    browser.set_window_size(WIDTH, height)
    browser.save_screenshot(str(path))
    print(f"{path.relative_to(REPO)}: {url}")


if __name__ == "__main__":
    main()
