"""Outlets as data: article URL filters and the move onto a local base URL."""

from __future__ import annotations

import pytest

from crawlers.outlets import DECLARED, resolve
from local_outlets import fixture_pages

ARTICLES = [
    ("berliner_zeitung", "https://www.berliner-zeitung.de/article/es-geht-nicht-darum-ob-wir-kinder-wollen-oder-nicht-es-geht-um-unser-leben-10035612"),
    ("berliner_zeitung", "https://www.berliner-zeitung.de/politik-gesellschaft/einmalzahlung-an-studenten-verpufft-frueher-haette-ich-510-gurken-gekriegt-heute-nur-66-li.327487"),
    ("berliner_zeitung", "https://www.berliner-zeitung.de/news/polizei-razzia-wegen-kinderpornografie-in-berlin-li.307767"),
    ("berliner_zeitung", "https://www.berliner-zeitung.de/news/bund-klagt-gegen-baumfaellungen-wohnungsprojekt-in-lichtenberg-vorerst-gestoppt-li.10019710"),
    ("t_online", "https://www.t-online.de/nachrichten/ausland/id_101072480/russlands-schattenflotte-usa-stoppen-sanktioniertes-geisterschiff.html"),
    ("t_online", "https://www.t-online.de/region/berlin/id_100512345/berlin-feuer-in-kreuzberg.html"),
    ("rosenheim24", "https://www.rosenheim24.de/rosenheim/rosenheim-stadt/unfall-auf-der-a8-bei-rosenheim-92243692.html"),
    ("rosenheim24", "https://www.rosenheim24.de/welt/england-koenig-king-charles-iii-kroenung-zeremonie-nostradamus-vorhersage-prophezeiung-thronfolger-92243692.html"),
    # made-up slugs of ordinary articles holding words that also name galleries and live coverage
    ("rosenheim24", "https://www.rosenheim24.de/rosenheim/polizei-veroeffentlicht-bilder-vom-taeter-92243693.html"),
    ("rosenheim24", "https://www.rosenheim24.de/sport/tsv-1860-rosenheim-live-im-tv-und-stream-zr-92243694.html"),
    ("rosenheim24", "https://www.rosenheim24.de/bayern/hochwasser-deggendorf-deich-osterhofen-gebrochen-2942216.html"),
    ("t_online", "https://www.t-online.de/sport/fussball/id_100512346/champions-league-heute-live-im-tv-wer-uebertraegt-.html"),
    ("t_online", "https://www.t-online.de/nachrichten/id_85588052/dieselskandal-staatsanwaltschaft-erhebt-anklage.html"),
]

NOT_ARTICLES = [
    ("berliner_zeitung", "https://www.berliner-zeitung.de/politik-gesellschaft"),
    ("berliner_zeitung", "https://www.berliner-zeitung.de/news/"),
    ("berliner_zeitung", "https://www.berliner-zeitung.de/video/berlin-marathon-li.327499"),
    ("berliner_zeitung", "https://www.berliner-zeitung.de/news/ukraine-krieg-im-liveticker-li.327400"),
    ("t_online", "https://www.t-online.de/nachrichten/"),
    ("t_online", "https://www.t-online.de/nachrichten/video/id_101072481/so-sieht-der-tanker-aus.html"),
    ("t_online", "https://www.t-online.de/nachrichten/ausland/id_100000001/ukraine-news-ticker-alle-entwicklungen.html"),
    ("t_online", "https://www.t-online.de/nachrichten/ausland/usa/id_100000002/newsblog-zur-us-politik-alle-entwicklungen.html"),
    ("rosenheim24", "https://www.rosenheim24.de/rosenheim/"),
    ("rosenheim24", "https://www.rosenheim24.de/bilder/bilder-vom-herbstfest-92243699.html"),
    ("rosenheim24", "https://www.rosenheim24.de/rosenheim/unfall-a8-live-ticker-92243698.html"),
    ("rosenheim24", "https://www.merkur.de/welt/england-koenig-92243692.html"),  # another outlet's host
]


@pytest.mark.parametrize(("outlet", "url"), ARTICLES)
def test_article_urls_of_every_shape_are_accepted(outlet: str, url: str) -> None:
    assert DECLARED[outlet].is_article_url(url)


@pytest.mark.parametrize(("outlet", "url"), NOT_ARTICLES)
def test_fronts_galleries_videos_tickers_and_other_hosts_are_rejected(outlet: str, url: str) -> None:
    assert not DECLARED[outlet].is_article_url(url)


@pytest.mark.parametrize("page", fixture_pages(), ids=lambda page: page.name)
def test_every_fixture_page_path_is_an_article_of_its_outlet(page) -> None:
    outlet = resolve(page.outlet, {f"NEWSAGG_{page.outlet.upper()}_BASE_URL": "http://127.0.0.1:9"})
    assert outlet.is_article_url(f"http://127.0.0.1:9{page.path}")


def test_base_url_moves_feeds_sitemaps_and_articles_onto_the_local_server() -> None:
    outlet = resolve("berliner_zeitung", {"NEWSAGG_BERLINER_ZEITUNG_BASE_URL": "http://127.0.0.1:8001/"})
    assert outlet.local and outlet.domains == ("127.0.0.1:8001",)
    assert outlet.feeds == ("http://127.0.0.1:8001/feed.xml",)
    assert outlet.sitemaps[0] == "http://127.0.0.1:8001/news-sitemap.xml"
    real = DECLARED["berliner_zeitung"]
    assert outlet.rebase("https://www.berliner-zeitung.de/news/a-li.1", real) == "http://127.0.0.1:8001/news/a-li.1"
    assert outlet.rebase("https://www.merkur.de/news/a-li.1", real) == "http://127.0.0.1:8001/news/a-li.1"
    assert not outlet.owns("https://www.berliner-zeitung.de/news/a-li.1")


def test_a_stand_in_that_is_not_loopback_follows_only_the_outlets_own_urls() -> None:
    outlet = resolve("berliner_zeitung", {"NEWSAGG_BERLINER_ZEITUNG_BASE_URL": "https://mirror.example.org"})
    real = DECLARED["berliner_zeitung"]
    assert not outlet.local
    assert outlet.rebase("https://www.berliner-zeitung.de/news/a-li.1", real) == "https://mirror.example.org/news/a-li.1"
    assert outlet.rebase("https://www.merkur.de/news/a-li.1", real) is None


def test_real_outlets_are_not_local_and_have_feeds() -> None:
    for outlet in DECLARED.values():
        assert not outlet.local and outlet.feeds and outlet.home_url.startswith("https://")


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="NEWSAGG_T_ONLINE_BASE_URL"):
        resolve("t_online", {"NEWSAGG_T_ONLINE_BASE_URL": "ftp://127.0.0.1"})
