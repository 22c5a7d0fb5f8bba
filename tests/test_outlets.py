"""Outlets as data, tested for every declared outlet: its URL filter, template versions and saved
pages, discovery of the outlet modules, and the move onto a local base URL.

Each outlet's sample URLs and, for outlets read without a template, saved pages are in
tests/fixtures/outlets/<name>/ (see the README there).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest

import crawlers.outlets
from conftest import REPO, Crawl
from crawlers.extract import extract_article
from crawlers.outlets import DECLARED, discover, resolve
from crawlers.templates import Template
from local_outlets import FixturePage, OutletServer, fixture_pages

OUTLET_FIXTURES = Path(__file__).parent / "fixtures" / "outlets"
TEMPLATED_PAGES = fixture_pages()  # tests/fixtures/pages: outlets with templates
GENERIC_PAGES = fixture_pages(root=OUTLET_FIXTURES)  # outlets read without a template
MAX_LINES_OF_AN_OUTLET_WITHOUT_TEMPLATE = 15


def url_samples(name: str) -> dict[str, list[str]]:
    path = OUTLET_FIXTURES / name / "urls.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def samples(kind: str) -> list[tuple[str, str]]:
    return [(name, url) for name in DECLARED for url in url_samples(name).get(kind, [])]


def template_versions() -> dict[Template, list[str]]:
    """Each template version once, with the outlets read with it (the Ippen sites share theirs)."""
    users: dict[Template, list[str]] = {}
    for outlet in DECLARED.values():
        for version in outlet.templates:
            users.setdefault(version, []).append(outlet.name)
    return users


def squash(text: str) -> str:
    return " ".join(text.split())


# -- URL filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_every_outlet_has_sample_urls_of_articles_and_of_other_pages(name: str) -> None:
    found = url_samples(name)
    assert found.get("articles") and found.get("not_articles"), f"tests/fixtures/outlets/{name}/urls.toml"


@pytest.mark.parametrize(("outlet", "url"), samples("articles"))
def test_article_urls_of_every_shape_are_accepted(outlet: str, url: str) -> None:
    assert DECLARED[outlet].is_article_url(url)


@pytest.mark.parametrize(("outlet", "url"), samples("not_articles"))
def test_fronts_feeds_galleries_videos_tickers_and_other_hosts_are_rejected(outlet: str, url: str) -> None:
    assert not DECLARED[outlet].is_article_url(url)


@pytest.mark.parametrize("page", TEMPLATED_PAGES + GENERIC_PAGES, ids=lambda page: page.name)
def test_every_saved_page_path_is_an_article_of_its_outlet(page: FixturePage) -> None:
    outlet = resolve(page.outlet, {f"NEWSAGG_{page.outlet.upper()}_BASE_URL": "http://127.0.0.1:9"})
    assert outlet.is_article_url(f"http://127.0.0.1:9{page.path}")


# -- template versions ----------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "outlets"), template_versions().items(),
                         ids=[f"{'+'.join(users)}:{version.valid_from}" for version, users in template_versions().items()])
def test_every_template_version_reads_a_saved_page_of_its_outlets(version: Template, outlets: list[str]) -> None:
    """As in Fundus: a version no saved page shows is a version nobody has seen work."""
    read = []
    for page in (page for page in TEMPLATED_PAGES if page.outlet in outlets):
        url, all_versions = page.expected["source_url"], DECLARED[page.outlet].templates
        if lxml.html.fromstring(page.html).xpath(version.body) and (
            extract_article(page.html, url, (version,)) == extract_article(page.html, url, all_versions)
        ):
            read.append(page.name)
    assert read, f"no page in tests/fixtures/pages/{{{','.join(outlets)}}} is read with this version"


@pytest.mark.parametrize("name", sorted(name for name, outlet in DECLARED.items() if outlet.templates))
def test_template_versions_are_listed_newest_first(name: str) -> None:
    templates = DECLARED[name].templates
    assert list(templates) == sorted(templates, key=lambda template: template.valid_from, reverse=True)


def test_an_outlet_without_template_is_a_file_of_at_most_fifteen_lines() -> None:
    folder = Path(crawlers.outlets.__file__).parent
    untemplated = [name for name, outlet in DECLARED.items() if not outlet.templates]
    assert untemplated
    for name in untemplated:
        lines = (folder / f"{name}.py").read_text(encoding="utf-8").splitlines()
        assert len(lines) <= MAX_LINES_OF_AN_OUTLET_WITHOUT_TEMPLATE, name


# -- discovery ------------------------------------------------------------------------------------

MADE_UP_OUTLET = '''"""Made-up News: a MADE-UP outlet for the tests, shaped like welt.de (its saved page stands in)."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="made_up_news",
    title="Made-up News",
    home_url="https://www.made-up-news.example/",
    feeds=("https://www.made-up-news.example/feeds/latest.rss",),
    article_path=r"/article\\d+/[^/]+\\.html$",
)
'''


def test_discovery_finds_every_outlet_module_of_the_package() -> None:
    folder = Path(crawlers.outlets.__file__).parent
    modules = {path.stem for path in folder.glob("*.py") if not path.stem.startswith("_")}
    assert set(DECLARED) == modules
    assert len(DECLARED) >= 15


def test_a_module_added_to_the_folder_is_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "copy_of_outlets"
    shutil.copytree(Path(crawlers.outlets.__file__).parent, package, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    (package / "__init__.py").write_text("")
    (package / "made_up_news.py").write_text(MADE_UP_OUTLET, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover([str(package)], package.name)
    assert set(found) == set(DECLARED) | {"made_up_news"}
    assert found["made_up_news"].domains == ("www.made-up-news.example", "made-up-news.example")


@pytest.mark.parametrize(("module", "error"), [
    ("OUTLETS = []\n", "defines no OUTLET"),
    (MADE_UP_OUTLET.replace('name="made_up_news"', 'name="other_news"'), "not like its module"),
], ids=["no OUTLET", "named otherwise"])
def test_a_module_that_declares_no_outlet_of_its_name_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, error: str
) -> None:
    package = tmp_path / f"broken_outlets_{len(module)}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "made_up_news.py").write_text(module, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises((TypeError, ValueError), match=error):
        discover([str(package)], package.name)


def test_a_new_outlet_file_in_a_copy_of_the_project_is_crawled_through_a_local_stand_in(tmp_path: Path) -> None:
    """The one file is all it takes: no list, CLI choice or config default names the new outlet."""
    project = tmp_path / "project"
    for part in ("crawlers", "db", "dedupe", "scheduler"):
        shutil.copytree(REPO / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "scrapy.cfg", project)
    (project / "crawlers" / "outlets" / "made_up_news.py").write_text(MADE_UP_OUTLET, encoding="utf-8")
    pages = fixture_pages("welt", root=OUTLET_FIXTURES)
    db = tmp_path / "news.db"
    with OutletServer("welt", pages) as server:
        env = {**os.environ, "NEWSAGG_MADE_UP_NEWS_BASE_URL": server.base_url}
        done = subprocess.run([sys.executable, "-m", "scheduler", "crawl", "--db", str(db), "--outlet", "made_up_news"],
                              cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "made_up_news" in done.stdout and " ok " in done.stdout, done.stdout
    rows = sqlite3.connect(db).execute("SELECT outlet, title FROM articles").fetchall()
    assert rows == [("made_up_news", pages[0].expected["title"])]


# -- outlets read without a template, crawled from their saved pages --------------------------------


@pytest.mark.parametrize("name", sorted({page.outlet for page in GENERIC_PAGES}))
def test_an_outlet_without_template_is_crawled_from_its_saved_pages(crawl: Crawl, name: str) -> None:
    pages = [page for page in GENERIC_PAGES if page.outlet == name]
    assert not DECLARED[name].templates
    with OutletServer(name, pages) as server:
        outcome = crawl(server)
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    run = outcome.run(name)
    assert (run["status"], run["new"], run["failed"]) == ("ok", len(pages), 0), run["errors"]
    stored = {row["url"].split(server.base_url)[-1]: row for row in outcome.articles()}
    for page in pages:
        row, expected = stored[page.path], page.expected
        assert row["title"] == squash(expected["title"])
        published = datetime.fromisoformat(row["published"])
        assert abs((published - datetime.fromisoformat(expected["published"])).total_seconds()) <= 60
        found = [p for p in expected["paragraphs"] if squash(p) in squash(row["body"])]
        assert len(found) >= 0.8 * len(expected["paragraphs"])


# -- the move onto a local base URL ---------------------------------------------------------------


def test_base_url_moves_feeds_sitemaps_and_articles_onto_the_local_server() -> None:
    outlet = resolve("berliner_zeitung", {"NEWSAGG_BERLINER_ZEITUNG_BASE_URL": "http://127.0.0.1:8001/"})
    assert outlet.local and outlet.domains == ("127.0.0.1:8001",)
    assert outlet.feeds == ("http://127.0.0.1:8001/feed.xml",)
    assert outlet.sitemaps[0] == "http://127.0.0.1:8001/news-sitemap.xml"
    real = DECLARED["berliner_zeitung"]
    assert outlet.rebase("https://www.berliner-zeitung.de/news/a-li.1", real) == "http://127.0.0.1:8001/news/a-li.1"
    assert outlet.rebase("https://www.merkur.de/news/a-li.1", real) == "http://127.0.0.1:8001/news/a-li.1"
    assert not outlet.owns("https://www.berliner-zeitung.de/news/a-li.1")


def test_feeds_on_an_outlets_other_hosts_move_onto_the_base_too() -> None:
    outlet = resolve("sueddeutsche", {"NEWSAGG_SUEDDEUTSCHE_BASE_URL": "http://127.0.0.1:8001"})
    assert outlet.feeds == ("http://127.0.0.1:8001/alles",)


def test_a_stand_in_that_is_not_loopback_follows_only_the_outlets_own_urls() -> None:
    outlet = resolve("berliner_zeitung", {"NEWSAGG_BERLINER_ZEITUNG_BASE_URL": "https://mirror.example.org"})
    real = DECLARED["berliner_zeitung"]
    assert not outlet.local
    assert outlet.rebase("https://www.berliner-zeitung.de/news/a-li.1", real) == "https://mirror.example.org/news/a-li.1"
    assert outlet.rebase("https://www.merkur.de/news/a-li.1", real) is None


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_real_outlets_are_not_local_and_announce_their_articles_somewhere(name: str) -> None:
    outlet = DECLARED[name]
    assert not outlet.local and outlet.home_url.startswith("https://")
    assert outlet.feeds or outlet.sitemaps
    assert all(outlet.owns(url) for url in (*outlet.feeds, *outlet.sitemaps)), "feeds are fetched from the outlet's own hosts"


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="NEWSAGG_T_ONLINE_BASE_URL"):
        resolve("t_online", {"NEWSAGG_T_ONLINE_BASE_URL": "ftp://127.0.0.1"})
