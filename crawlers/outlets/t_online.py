"""t-online (t-online.de): the section RSS feeds Fundus declares; t-online has no news sitemap."""

from datetime import date

from crawlers.outlets import Outlet
from crawlers.templates import Template, has_class

_FEED_SECTIONS = (
    "nachrichten", "nachrichten/ukraine", "nachrichten/panorama", "nachrichten/deutschland",
    "region/berlin", "region/muenchen", "sport", "finanzen", "digital", "gesundheit", "klima",
)

# The article's stream, not the sidebar, pictures, source list or teaser links in it. (Each XPath
# below starts from a tag name, "//p[...] | //h3[...]": libxml2 finds those fast, where
# "//*[self::p or …]" tests every element.)
_IN_ARTICLE = (
    "[ancestor::div[@data-testid='ArticleBody.StreamLayout']]"
    "[not(ancestor::aside or ancestor::figure or ancestor::details or ancestor::a)]"
)

TEMPLATES = (
    # Next.js stream layout; the bold first paragraph is the teaser. Title: the JSON-LD headline,
    # as in Fundus (the visible one is kicker | headline). Paragraphs are every <p> of the stream
    # but the teaser and small uppercase labels ("Embed"), not only those of today's text size
    # class (text-18), so that pages in an older or newer size still come out whole.
    Template(
        valid_from=date(2026, 1, 7),
        body=(
            f"//p[not({has_class('font-bold')} or {has_class('uppercase')})]{_IN_ARTICLE}"
            f" | //h3{_IN_ARTICLE}"
            f" | //ul[{has_class('text-18')}]{_IN_ARTICLE}"
            f" | //ol[{has_class('text-18')}]{_IN_ARTICLE}"
        ),
        teaser=f"//p[{has_class('font-bold')}]{_IN_ARTICLE}",
        kicker="//article//h2/span[@data-external-article-kicker]",
        authors=f"//a[contains(@href, '/author/')]{_IN_ARTICLE}",
        # the breadcrumb's last link, just before the small <h1> that ends the breadcrumb
        section="//h1[ancestor::div[@data-testid='BreadcrumbArea']]/preceding-sibling::a[1]",
    ),
)

OUTLET = Outlet(
    name="t_online",
    title="t-online",
    home_url="https://www.t-online.de/",
    feeds=tuple(f"https://www.t-online.de/{section}/feed.rss" for section in _FEED_SECTIONS),
    # Every article lives at /<section…>/id_<number>/<slug>.html.
    article_path=r"/id_\d+/[^/]+\.html$",
    # Live coverage is named "ticker", "liveblog" or "newsblog"; a bare "-live-" is also in ordinary
    # articles ("…-live-im-tv-…").
    excluded_path=r"/(video|videos|bilder|fotoserie|gallery|spiele|podcasts?)/|ticker|liveblog|newsblog",
    templates=TEMPLATES,
    enabled_by_default=True,
)
