"""Each outlet's page templates, as data: where its pages keep the headline, teaser and body.

An outlet holds a tuple of versions, newest first. ``crawlers.extract`` reads a page with the
first version whose body XPath finds the article's text there, so an older article still served
in an older template keeps working after a redesign, and a redesign adds a version instead of
breaking the old one (Fundus's idea of parser versions). Everything a template does not say, or
does not find on a page, comes from the page's JSON-LD and meta tags or a generic reading of the
DOM. An XPath may select elements (their text counts) or attribute values such as a meta tag's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def _has_class(name: str) -> str:
    """XPath predicate: the element's class attribute holds the whole token ``name``.

    The plain substring test comes first because it is cheap and rules out nearly every element.
    """
    return f"(contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} '))"


@dataclass(frozen=True)
class Template:
    """One version of an outlet's article template."""

    valid_from: date  # earliest date a saved page of ours shows this version; orders the versions
    body: str  # paragraphs, subheadings and lists (ul/ol) of the text, in reading order
    title: str | None = None  # the visible headline; None: the JSON-LD headline is the title
    teaser: str | None = None
    kicker: str | None = None  # Dachzeile / topline above the headline
    authors: str | None = None  # byline names, read when JSON-LD and meta tags name nobody
    published: str | None = None  # attribute holding the publication time, when JSON-LD and meta lack it
    section: str | None = None  # read when JSON-LD and meta tags name no section
    keywords: str | None = None  # topic links, read when JSON-LD and meta tags list no keywords


_BZ_2026_BODY = "//div[contains(@class, 'article-content-blz')]"
_BZ_2023_HEADER = "//div[@data-testid='article-header']"

BERLINER_ZEITUNG_TEMPLATES = (
    # /article/<slug>-10035612, Tailwind classes (Fundus: BerlinerZeitung V2, from 2026-04-23).
    Template(
        valid_from=date(2026, 4, 23),
        body=(  # paragraphs also inside wrappers, but not in the related-article cards (nested <article>s)
            f"//p[{_has_class('leading-7')}][ancestor::div[contains(@class, 'article-content-blz')]]"
            "[not(ancestor::article[2])]"
            f" | {_BZ_2026_BODY}/*[self::p or self::h2 or self::h3 or self::ul or self::ol]"
        ),
        title="//h1[@id='article-title']",
        teaser="//h1[@id='article-title']/following-sibling::p[1]",
        kicker="//h1[@id='article-title']/../preceding-sibling::div[1]/p[contains(@class, 'uppercase')]",
        keywords=f"{_BZ_2026_BODY}/div[contains(@class, 'flex-wrap')]/a",
    ),
    # /<section>/<slug>-li.327487, CSS-module classes; body in div#articleBody.
    Template(
        valid_from=date(2023, 3, 14),
        body="//div[@id='articleBody']/*[self::p or self::h2 or self::h3 or self::ul or self::ol]",
        title=f"{_BZ_2023_HEADER}/h1",
        teaser=f"{_BZ_2023_HEADER}/p",
        authors=f"{_BZ_2023_HEADER}/div[@data-testid='author-section']/a",
    ),
)

# The article's stream, not the sidebar, pictures, source list or teaser links in it. (Each XPath
# below starts from a tag name, "//p[...] | //h3[...]": libxml2 finds those fast, where
# "//*[self::p or …]" tests every element.)
_IN_T_ONLINE_ARTICLE = (
    "[ancestor::div[@data-testid='ArticleBody.StreamLayout']]"
    "[not(ancestor::aside or ancestor::figure or ancestor::details or ancestor::a)]"
)

T_ONLINE_TEMPLATES = (
    # Next.js stream layout; the bold first paragraph is the teaser. Title: the JSON-LD headline,
    # as in Fundus (the visible one is kicker | headline). Paragraphs are every <p> of the stream
    # but the teaser and small uppercase labels ("Embed"), not only those of today's text size
    # class (text-18), so that pages in an older or newer size still come out whole.
    Template(
        valid_from=date(2026, 1, 7),
        body=(
            f"//p[not({_has_class('font-bold')} or {_has_class('uppercase')})]{_IN_T_ONLINE_ARTICLE}"
            f" | //h3{_IN_T_ONLINE_ARTICLE}"
            f" | //ul[{_has_class('text-18')}]{_IN_T_ONLINE_ARTICLE}"
            f" | //ol[{_has_class('text-18')}]{_IN_T_ONLINE_ARTICLE}"
        ),
        teaser=f"//p[{_has_class('font-bold')}]{_IN_T_ONLINE_ARTICLE}",
        kicker="//article//h2/span[@data-external-article-kicker]",
        authors=f"//a[contains(@href, '/author/')]{_IN_T_ONLINE_ARTICLE}",
        # the breadcrumb's last link, just before the small <h1> that ends the breadcrumb
        section="//h1[ancestor::div[@data-testid='BreadcrumbArea']]/preceding-sibling::a[1]",
    ),
)

# Ippen sites (rosenheim24, merkur.de, fr.de, tz.de …) share one template family.
IPPEN_TEMPLATES = (
    # Minified markup with id-StoryElement-* classes; fact boxes are not body (as in Fundus).
    Template(
        valid_from=date(2023, 3, 14),
        body=(
            f"//p[{_has_class('id-StoryElement-paragraph')}] | //h2[{_has_class('id-StoryElement-crosshead')}]"
            f" | //article/ul | //article/ol | //ul[{_has_class('id-StoryElement-list')}]"
        ),
        # the <h1> (where it holds a kicker besides the headline, og:title is taken, see extract)
        title=f"//h1[{_has_class('id-StoryElement-headline')}]",
        teaser=f"//p[{_has_class('id-StoryElement-leadText')}]",
        authors=f"//p[{_has_class('id-StoryElement-authors')}]//a",
        published=f"//span[{_has_class('id-StoryElement-timestamp-published')}]//time/@datetime",
    ),
    # The older markup (id-Article-*), which fr.de still served in 2024 (Fundus's FR parser reads
    # both); no saved page of ours shows it, so valid_from is only roughly when merkur.de used it.
    Template(
        valid_from=date(2021, 1, 1),
        body=(
            f"//p[{_has_class('id-Article-content-item-paragraph')}][text()]"
            f" | //h3[span[{_has_class('id-Article-content-item-headline-text')}]]"
            f" | //ul[ancestor::div[{_has_class('id-Article-body')}]][not(li[{_has_class('id-AuthorList-item')}])]"
        ),
        title="//meta[@property='og:title']/@content",
        teaser=f"//p[{_has_class('id-Article-content-item-summary')}]",
        kicker=f"//*[{_has_class('id-Article-kicker')}]",
        authors="//meta[@property='lp.article:author']/@content",
    ),
)
