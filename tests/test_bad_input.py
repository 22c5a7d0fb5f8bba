"""Bad input: one clear log line each, counted in crawl_runs, no half row, the rest still stored.

Every hostile answer here is MADE UP by these tests (named made_up_*); the good pages
beside them are the real fixture pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from local_outlets import OutletServer, Reply

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><item><title>&lol3;</title><link>http://x/</link></item></channel></rss>"""

MADE_UP_CONSENT_WALL = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Datenschutz-Einstellungen</title></head>
<body><div class="consent"><h2>Wir brauchen Ihre Zustimmung</h2><p>Wir und unsere Partner verwenden Cookies
und ähnliche Technologien, um Inhalte zu personalisieren. Klicken Sie auf „Alle akzeptieren“.</p>
<button>Alle akzeptieren</button><button>Ablehnen</button></div></body></html>""".encode()

FIRST_FEED = "/rssfeed.rdf"      # rosenheim24's first feed path
HOSTILE_PAGE_TITLE = "Nostradamus"  # which of the two real pages gets the hostile answer


def _hostile_page(server: OutletServer):
    return next(page for page in server.pages if HOSTILE_PAGE_TITLE.encode() in page.html)


def made_up_feed_damage(body: Callable[[bytes], bytes]) -> Callable[[OutletServer], None]:
    """Every feed and sitemap answers with a damaged body except the first sitemap, so pages are still found."""

    def setup(server: OutletServer) -> None:
        server.routes[FIRST_FEED] = Reply(body=body(server.routes[FIRST_FEED].body))
    return setup


def made_up_page_reply(make: Callable[[OutletServer, bytes], Reply]) -> Callable[[OutletServer], None]:
    def setup(server: OutletServer) -> None:
        page = _hostile_page(server)
        server.routes[page.path] = make(server, page.html)
    return setup


CASES = {
    "malformed_feed": (made_up_feed_damage(lambda body: body.replace(b"</item>", b"</itm>", 1)),
                       r"feed \S+rssfeed\.rdf: malformed XML", 2),
    "truncated_feed": (made_up_feed_damage(lambda body: body[: len(body) // 2]), r"feed \S+: malformed XML", 2),
    "xml_bomb": (made_up_feed_damage(lambda body: BILLION_LAUGHS), r"refused \(possible XML bomb\)", 2),
    "empty_page": (made_up_page_reply(lambda server, html: Reply(body=b"", headers={"Content-Type": "text/html"})),
                   r"no article at \S+: empty page", 1),
    "consent_wall": (made_up_page_reply(lambda server, html: Reply(body=MADE_UP_CONSENT_WALL, headers={"Content-Type": "text/html; charset=utf-8"})),
                     r"no article at \S+", 1),
    "http_404": (made_up_page_reply(lambda server, html: Reply(status=404)), r"article \S+: HTTP 404", 1),
    "http_410": (made_up_page_reply(lambda server, html: Reply(status=410)), r"article \S+: HTTP 410", 1),
    "http_429": (made_up_page_reply(lambda server, html: Reply(status=429, headers={"Retry-After": "0"})), r"article \S+: HTTP 429", 1),
    "http_500": (made_up_page_reply(lambda server, html: Reply(status=500)), r"article \S+: HTTP 500", 1),
    "timeout": (made_up_page_reply(lambda server, html: Reply(body=html, delay=4)), r"article \S+: timed out", 1),
    "redirect_off_the_outlet": (made_up_page_reply(lambda server, html: Reply(status=302, headers={"Location": "http://made-up-elsewhere.invalid/a.html"})),
                                r"refused http://made-up-elsewhere\.invalid/a\.html: not on rosenheim24's hosts \(redirected from", 1),
    "page_over_the_size_limit": (made_up_page_reply(lambda server, html: Reply(body=html + b" " * (6 * 1024 * 1024), headers={"Content-Type": "text/html"})),
                                 r"article \S+: page over the size limit of 5242880 bytes", 1),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_once_and_the_rest_is_stored(crawl, case: str) -> None:
    setup, message, stored = CASES[case]
    with OutletServer("rosenheim24") as server:
        setup(server)
        outcome = crawl(server, config="[crawl]\ndownload_timeout = 1.5\n")
    run = outcome.run("rosenheim24")
    matching = [error for error in run["errors"] if re.search(message, error)]
    assert len(matching) == 1, run["errors"]
    assert run["status"] == "partial" and run["failed"] >= 1
    assert len([line for line in outcome.stderr.splitlines() if re.search(message, line)]) == 1, outcome.stderr[-3000:]
    articles = outcome.articles()
    assert len(articles) == stored
    assert all(article["title"] and article["content_hash"] for article in articles)
    assert outcome.rows("PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert outcome.returncode == 0


def test_retries_back_off_before_giving_up_on_429(crawl) -> None:
    with OutletServer("rosenheim24") as server:
        page = _hostile_page(server)
        server.routes[page.path] = Reply(status=429)
        crawl(server)
    assert server.article_paths_requested().count(page.path) == 3  # the first try and two retries


@pytest.mark.parametrize("charset", ["windows-1252", "iso-8859-15"])
def test_page_in_another_charset_is_stored_as_correct_text(crawl, charset: str) -> None:
    with OutletServer("rosenheim24") as server:
        page = next(page for page in server.pages if "Zwangssanierungen".encode() in page.html)
        text = page.html.decode("utf-8").replace("utf-8", charset).replace("UTF-8", charset)
        server.routes[page.path] = Reply(body=text.encode(charset, errors="xmlcharrefreplace"),
                                         headers={"Content-Type": f"text/html; charset={charset}"})
        outcome = crawl(server)
    titles = [article["title"] for article in outcome.articles()]
    assert page.expected["title"].strip() in titles


def test_page_with_a_wrong_charset_header_is_stored_as_correct_text(crawl) -> None:
    with OutletServer("rosenheim24") as server:
        page = next(page for page in server.pages if "Zwangssanierungen".encode() in page.html)
        server.routes[page.path] = Reply(body=page.html, headers={"Content-Type": "text/html; charset=iso-8859-1"})
        outcome = crawl(server)
    titles = [article["title"] for article in outcome.articles()]
    assert page.expected["title"].strip() in titles
