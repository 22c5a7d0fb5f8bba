"""Page templates, as data: where an outlet's pages keep the headline, teaser and body.

An outlet that the generic reading does not serve well declares its versions in its own module
(``crawlers/outlets/<name>.py``), newest first. ``crawlers.extract`` reads a page with the
first version whose body XPath finds the article's text there, so an older article still served
in an older template keeps working after a redesign, and a redesign adds a version instead of
breaking the old one (Fundus's idea of parser versions). Everything a template does not say, or
does not find on a page, comes from the page's JSON-LD and meta tags or a generic reading of the
DOM. An XPath may select elements (their text counts) or attribute values such as a meta tag's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def has_class(name: str) -> str:
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
