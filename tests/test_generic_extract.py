"""The generic reading (no template) of real pages of publishers newsagg has no template for, against
Fundus's expected values, and of small made-up pages for the rules behind it.

The real pages are in tests/fixtures/generic-de (provenance there); the whole shared set is scored by
benchmarks/extract.py.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from rapidfuzz import fuzz

from crawlers.extract import extract_article
from db.dates import iso_datetime

GENERIC_DE = Path(__file__).parent / "fixtures" / "generic-de"
MANIFEST = {entry["file"].removesuffix(".html.gz"): entry for entry in json.loads((GENERIC_DE / "manifest.json").read_text("utf-8"))}


def read(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The article read from the page ``name`` with its real URL and no template, and Fundus's values."""
    entry = MANIFEST[name]
    html = gzip.decompress((GENERIC_DE / "pages" / entry["file"]).read_bytes())
    expected = json.loads((GENERIC_DE / "expected" / f"{entry['publisher']}.json").read_text("utf-8"))
    return extract_article(html, entry["url"], ()), expected[entry["fundus_version"]]


def normalized(text: str) -> str:
    return " ".join(text.split())


def matches_one(text: str, candidates: list[str]) -> bool:
    return any(fuzz.ratio(normalized(text), normalized(candidate)) >= 90 for candidate in candidates)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_title_is_the_expected_headline_without_site_suffix(name: str) -> None:
    article, expected = read(name)
    assert article["title"] == normalized(expected["title"])


def expected_body(expected: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Fundus's paragraphs of the text, and every block it counts as body (with lead and subheadings)."""
    sections = expected["body"]["sections"]
    paragraphs = [p for section in sections for p in section["paragraphs"]]
    return paragraphs, [*paragraphs, *(h for section in sections for h in section["headline"]), *expected["body"]["summary"]]


def test_body_is_the_expected_text_where_json_ld_holds_it() -> None:
    article, expected = read("BSZ_2024_05_16")
    paragraphs, blocks = expected_body(expected)
    body = article["body"].split("\n\n")
    assert all(matches_one(paragraph, body) for paragraph in paragraphs)
    assert [text for text in body if not matches_one(text, blocks)] == []


def test_text_set_in_plain_divs_is_read() -> None:
    article, expected = read("ZDF_2024_04_22")  # no <p> in the text: each paragraph is a <div>
    paragraphs, _ = expected_body(expected)
    body = article["body"].split("\n\n")
    found = [paragraph for paragraph in paragraphs if matches_one(paragraph, body)]
    assert len(found) >= 0.85 * len(paragraphs)  # all but the lists, which Fundus joins into one paragraph each


def test_page_without_article_element_gives_its_text_box_without_dialogs_and_comments() -> None:
    article, expected = read("Gamestar_2024_04_28")  # neither <article> nor <main>; a consent dialog and comments
    paragraphs, blocks = expected_body(expected)
    body = article["body"].split("\n\n")
    assert all(matches_one(paragraph, body) for paragraph in paragraphs)
    assert [text for text in body if not matches_one(text, blocks)] == []


def page(head: str, body: str) -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


TEXT = "Die Stadt baut eine neue Brücke über den Fluss, sagte der Bürgermeister am Montag."
BOX = "Jetzt den Newsletter abonnieren und jeden Morgen die wichtigsten Nachrichten lesen."


def article_json_ld(article_body: str) -> str:
    data = {"@type": "NewsArticle", "headline": "Neue Brücke", "articleBody": article_body}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


@pytest.mark.parametrize(
    ("article_body", "paragraphs"),
    [
        (f"{TEXT}\n\nDie Arbeiten beginnen im Mai, sagte er noch.", [TEXT, "Die Arbeiten beginnen im Mai, sagte er noch."]),
        ("Kurz: eine Brücke.", [TEXT, "Die Arbeiten beginnen im Mai, sagte er noch.", BOX]),
    ],
    ids=["a box the JSON-LD text lacks is left out", "a JSON-LD teaser drops nothing"],
)
def test_json_ld_article_body_cross_checks_the_text(article_body: str, paragraphs: list[str]) -> None:
    html = page(
        article_json_ld(article_body),
        f"<article><h1>Neue Brücke</h1><p>{TEXT}</p><p>Die Arbeiten beginnen im Mai, sagte er noch.</p>"
        f"<p>{BOX}</p></article>",
    )
    assert extract_article(html, "https://example.org/a.html", ())["body"].split("\n\n") == paragraphs


MORE = "Die Arbeiten beginnen im Mai und sollen nach zwei Jahren abgeschlossen sein, sagte er noch."


@pytest.mark.parametrize(
    "box",
    [
        "<ul><li>Brücke: 120 Meter lang</li><li>Kosten: zwölf Millionen Euro für die Stadt</li></ul>",
        "<blockquote><p>Wir bauen die schönste Brücke des Landes.</p><div>Der Bürgermeister</div></blockquote>",
        '<div class="mediaInfo"><p class="infotext">Die alte Brücke im Winter, vom Ufer aus gesehen</p></div>',
        '<div class="article-header"><h2>Stadt plant: Neue Brücke für alle</h2></div>',
        '<div class="modal"><p>Bitte melden Sie sich an, um diese Funktion zu nutzen.</p></div>',
    ],
    ids=["list", "pull quote", "media caption", "header box", "dialog"],
)
def test_boxes_inside_the_article_are_left_out(box: str) -> None:
    html = page("", f"<article><h1>Neue Brücke</h1><p>{TEXT}</p>{box}<p>{MORE}</p></article>")
    assert extract_article(html, "https://example.org/a.html", ())["body"].split("\n\n") == [TEXT, MORE]


def test_article_container_named_advertorial_is_read() -> None:
    html = page("", f'<main><div class="advertorial-content"><h1>Neue Brücke</h1><p>{TEXT}</p><p>{MORE}</p></div></main>')
    assert extract_article(html, "https://example.org/a.html", ())["body"].split("\n\n") == [TEXT, MORE]


COMMENT = "Ich finde, die Stadt sollte das Geld lieber in die Schulen stecken, schrieb ein Leser dazu am Abend."


def test_reader_comments_in_main_do_not_outweigh_its_article() -> None:
    comments = "".join(f"<p>{COMMENT}</p>" for _ in range(4))
    html = page(
        "", f'<main><article><h1>Neue Brücke</h1><p>{TEXT}</p><p>{MORE}</p></article><section class="comments">{comments}</section></main>'
    )
    assert extract_article(html, "https://example.org/a.html", ())["body"].split("\n\n") == [TEXT, MORE]


@pytest.mark.parametrize("og_type", ["website", "webpage"])
def test_page_typed_other_than_article_is_read_where_it_holds_an_article_text(og_type: str) -> None:
    paragraphs = [f"{TEXT} {MORE} ({number})" for number in range(1, 6)]  # an article's length, not a teaser's
    html = page(
        f'<meta property="og:type" content="{og_type}">',
        "<div><h1>Neue Brücke</h1>" + "".join(f"<p>{text}</p>" for text in paragraphs) + "</div>",
    )
    assert extract_article(html, "https://example.org/a.html", ())["body"].split("\n\n") == paragraphs


def test_text_the_reading_misses_comes_from_a_long_json_ld_article_body() -> None:
    paragraphs = [f"{TEXT} {MORE} ({number})" for number in range(1, 9)]
    tariffs = "".join(f"<p>Tarif {number}: zwölf Monate lesen, danach monatlich kündbar, für 9,99 Euro.</p>" for number in (1, 2))
    html = page(
        article_json_ld("\n".join(paragraphs)),
        f'<table><tr><td>{"<br><br>".join(paragraphs)}</td></tr></table><div class="tarife">{tariffs}</div>',
    )
    assert extract_article(html, "https://example.org/a.html", ())["body"].split("\n\n") == paragraphs


def test_opening_paragraph_repeated_as_the_description_stays_in_the_body() -> None:
    html = page(f'<meta name="description" content="{TEXT}">', f"<article><h1>Neue Brücke</h1><p>{TEXT}</p><p>{MORE}</p></article>")
    article = extract_article(html, "https://example.org/a.html", ())
    assert (article["teaser"], article["body"].split("\n\n")) == (TEXT, [TEXT, MORE])


def test_lines_beside_the_text_box_are_left_out() -> None:
    # the byline sits beside the box that holds nearly all of the article's text
    html = page(
        "",
        f'<article><h1>Neue Brücke</h1><div class="meta"><p>Anna Muster, Korrespondentin in Berlin</p></div>'
        f'<div class="text"><p>{TEXT}</p><p>{MORE}</p><p>{TEXT} {MORE}</p></div></article>',
    )
    assert extract_article(html, "https://example.org/a.html", ())["body"].split("\n\n") == [TEXT, MORE, f"{TEXT} {MORE}"]


@pytest.mark.parametrize(
    ("head", "title"),
    [
        ('<meta property="og:title" content="Neue Brücke | Sport"><title>Neue Brücke | Sport | Beispielblatt</title>'
         '<meta property="og:site_name" content="Beispielblatt"><meta name="twitter:title" content="Neue Brücke">',
         "Neue Brücke"),
        ('<meta property="og:title" content="Neue Brücke - Beispielblatt"><title>Neue Brücke - Beispielblatt</title>'
         '<meta property="og:site_name" content="Beispielblatt">', "Neue Brücke"),
        ('<meta property="og:title" content="Brücke kommt"><title>Brücke kommt</title>' + article_json_ld(TEXT),
         "Neue Brücke"),
        ('<meta property="og:title" content="Brücke kommt"><title>Stadt: Neue Brücke</title>' + article_json_ld(TEXT),
         "Brücke kommt"),
    ],
    ids=[
        "suffix extending another source's headline", "suffix naming the outlet",
        "og:title repeating <title>: the JSON-LD headline", "og:title of its own: og:title",
    ],
)
def test_generic_title_rules(head: str, title: str) -> None:
    html = page(head, f"<article><h1>Neue Brücke</h1><p>{TEXT}</p></article>")
    assert extract_article(html, "https://www.beispielblatt.de/a.html", ())["title"] == title


def json_ld_author(name: str) -> str:
    data = {"@type": "NewsArticle", "headline": "Neue Brücke", "author": {"@type": "Organization", "name": name}}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


OUTLET = '<meta property="og:site_name" content="Beispielblatt">'


@pytest.mark.parametrize(
    ("head", "byline", "authors"),
    [
        (json_ld_author("Beispielblatt") + '<meta name="author" content="Anna Muster">', "", ["Anna Muster"]),
        (json_ld_author("Beispielblatt") + '<meta name="author" content="beispielblatt.de, Rosenheim">', "", []),
        ('<meta name="author" content="beispielblatt.de">',
         '<p class="author">von <a href="mailto:a@beispielblatt.de">Anna Muster, BEISPIELBLATT THÜRINGEN</a></p>',
         ["Anna Muster"]),
    ],
    ids=[
        "JSON-LD names the outlet, the meta tag the writer",
        "JSON-LD names the outlet, the meta tag the outlet and its town: the outlet wrote it",
        "the meta tag names the outlet, the byline the writer and the outlet's edition",
    ],
)
def test_authors_are_the_people_the_page_names_beside_the_outlet(head: str, byline: str, authors: list[str]) -> None:
    html = page(OUTLET + head, f"<article><h1>Neue Brücke</h1>{byline}<p>{TEXT}</p></article>")
    assert extract_article(html, "https://www.beispielblatt.de/a.html", ())["authors"] == authors


# -- authors and dates outside JSON-LD and meta tags: how pages of any publisher state them ---------


def test_date_and_author_in_a_labelled_list_are_read() -> None:
    # DW 2023: no JSON-LD article, no date meta; "<li><strong>Datum</strong> 28.04.2023</li>" and
    # "<li><strong>Autorin/Autor</strong> Roman Goncharenko</li>"
    article, expected = read("DW_2023_04_28")
    assert article["published"] == iso_datetime(expected["publishing_date"]) == "2023-04-28T00:00:00+02:00"
    assert article["authors"] == expected["authors"] == ["Roman Goncharenko"]


def test_the_visible_byline_names_the_writer_where_json_ld_names_the_outlet() -> None:
    # n-tv 2024: JSON-LD and meta author are "n-tv NACHRICHTEN", the byline says "Von Seb Dumitru, Lille"
    article, _ = read("NTV_2024_08_05")
    assert article["authors"][0] == "Seb Dumitru"


@pytest.mark.parametrize(
    ("head", "body", "authors"),
    [
        (json_ld_author("Beispielblatt"), '<p class="article__author">Von Anna Muster</p>', ["Anna Muster"]),
        (json_ld_author("Beispielblatt"), '<p class="article__author">amw</p>', []),
        ("", '<ul class="infos"><li>Von: <a href="/anna-muster">Anna Muster</a>, <a href="/ben-beispiel">Ben Beispiel</a>'
             "</li><li>Fotos: Carla Bild</li></ul>", ["Anna Muster", "Ben Beispiel"]),
        ("", "<dl><dt>Autorin</dt><dd>Anna Muster</dd></dl>", ["Anna Muster"]),
        ("", "<p>Von der Brücke aus sah man den Fluss, sagte der Bürgermeister.</p>", []),
        ("", '<div class="author">Von:</div><div class="author">Anna Muster</div>', ["Anna Muster"]),
        ("", '<p class="author">Von Anna Muster</p><div class="teaser"><span class="author">Ben Beispiel</span></div>',
         ["Anna Muster"]),
        ("", '<div itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Anna Muster'
             "</span> <span>Korrespondentin</span></div>", ["Anna Muster"]),
        ('<meta name="author" content="Anna Muster">',
         '<p class="meta"><a href="/autoren/anna-muster">Anna Muster</a> und <a href="/autoren/ben-beispiel">Ben Beispiel</a></p>',
         ["Anna Muster", "Ben Beispiel"]),
        ("", '<div class="author-details"><span><span class="author">Anna Muster</span></span><span>'
             '<span class="author">Ben Beispiel</span></span><span class="author-position">Korrespondentin</span></div>'
             f'<p>{TEXT}</p><div class="more"><div><div><span class="author">Carla Weiter</span></div></div></div>',
         ["Anna Muster", "Ben Beispiel"]),
        ("", '<p class="x7f3k">von Anna Muster und Ben Beispiel</p>', ["Anna Muster", "Ben Beispiel"]),
        ("", '<div class="author">Kommentar von Anna Muster</div>', ["Anna Muster"]),
        ("", '<p class="byline">Anna Muster | 18.05.2026, 12:00 Uhr</p>', ["Anna Muster"]),
    ],
    ids=[
        "JSON-LD names the outlet, the byline says 'Von' and a name",
        "JSON-LD names the outlet, the byline only initials: the outlet wrote it",
        "a 'Von:' label before author links, outside any author box",
        "a definition list labelling the author",
        "'Von' starting a sentence is no label",
        "a label alone in its byline box is no name",
        "a teaser's byline is another article's",
        "schema.org microdata author",
        "the meta tag names the first author, the byline links all",
        "two byline boxes side by side, a job title, another article's byline farther off",
        "a byline in words in an element of its own, whatever its class",
        "a genre before 'von'",
        "a byline box's date is no name",
    ],
)
def test_authors_stated_outside_json_ld_and_meta_tags(head: str, body: str, authors: list[str]) -> None:  # made-up pages
    html = page(OUTLET + head, f"<article><h1>Neue Brücke</h1>{body}<p>{TEXT}</p></article>")
    assert extract_article(html, "https://www.beispielblatt.de/a.html", ())["authors"] == authors


def test_a_subdomain_of_the_outlet_names_the_outlet() -> None:  # made-up page
    html = page('<meta property="article:author" content="BEISPIELBLATT"><meta name="author" content="Anna Muster">',
                f"<article><h1>Neue Brücke</h1><p>{TEXT}</p></article>")
    assert extract_article(html, "https://www1.beispielblatt.de/a.html", ())["authors"] == ["Anna Muster"]


NOON = "2026-05-18T12:00:00+02:00"


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ('<meta name="DC.date" content="2026-05-18T12:00:00+02:00">', ""),
        ("", f'<span itemprop="datePublished" content="{NOON}">18. Mai</span>'),
        ("", f'<time datetime="2026-05-19T08:00:00+02:00">aktualisiert</time> <time pubdate datetime="{NOON}">18. Mai</time>'),
        ("", f'<abbr class="published" title="{NOON}">18. Mai</abbr>'),
        ("", "<time>18.05.2026, 12:00 Uhr</time>"),
        ("", "<dl><dt>Datum</dt><dd>18.05.2026, 12:00 Uhr</dd></dl>"),
        ("", "<p>Veröffentlicht am 18. Mai 2026 um 12:00</p>"),
        ("", '<div class="teaser"><span class="date">17.05.2026</span></div><span class="article__date">18.05.2026, 12:00 Uhr</span>'),
    ],
    ids=[
        "Dublin Core meta tag", "schema.org microdata on a span", "HTML pubdate, not the update's time", "hAtom published", "time element's text",
        "labelled in a definition list", "labelled in words, the month named", "the date box, not a teaser's",
    ],
)
def test_publication_date_stated_outside_json_ld(head: str, body: str) -> None:  # made-up pages
    html = page(head, f"<article><h1>Neue Brücke</h1>{body}<p>{TEXT}</p></article>")
    assert extract_article(html, "https://www.beispielblatt.de/a.html", ())["published"] == NOON
