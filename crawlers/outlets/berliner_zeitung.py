"""Berliner Zeitung (berliner-zeitung.de): feed and news sitemap as in Fundus's declaration."""

from datetime import date

from crawlers.outlets import Outlet
from crawlers.templates import Template, has_class

_BODY_2026 = "//div[contains(@class, 'article-content-blz')]"
_HEADER_2023 = "//div[@data-testid='article-header']"

TEMPLATES = (
    # /article/<slug>-10035612, Tailwind classes (Fundus: BerlinerZeitung V2, from 2026-04-23).
    Template(
        valid_from=date(2026, 4, 23),
        body=(  # paragraphs also inside wrappers, but not in the related-article cards (nested <article>s)
            f"//p[{has_class('leading-7')}][ancestor::div[contains(@class, 'article-content-blz')]]"
            "[not(ancestor::article[2])]"
            f" | {_BODY_2026}/*[self::p or self::h2 or self::h3 or self::ul or self::ol]"
        ),
        title="//h1[@id='article-title']",
        teaser="//h1[@id='article-title']/following-sibling::p[1]",
        kicker="//h1[@id='article-title']/../preceding-sibling::div[1]/p[contains(@class, 'uppercase')]",
        keywords=f"{_BODY_2026}/div[contains(@class, 'flex-wrap')]/a",
    ),
    # /<section>/<slug>-li.327487, CSS-module classes; body in div#articleBody.
    Template(
        valid_from=date(2023, 3, 14),
        body="//div[@id='articleBody']/*[self::p or self::h2 or self::h3 or self::ul or self::ol]",
        title=f"{_HEADER_2023}/h1",
        teaser=f"{_HEADER_2023}/p",
        authors=f"{_HEADER_2023}/div[@data-testid='author-section']/a",
    ),
)

OUTLET = Outlet(
    name="berliner_zeitung",
    title="Berliner Zeitung",
    home_url="https://www.berliner-zeitung.de/",
    feeds=("https://www.berliner-zeitung.de/feed.xml",),
    sitemaps=(
        "https://www.berliner-zeitung.de/news-sitemap.xml",
        "https://www.berliner-zeitung.de/sitemap.xml",
    ),
    # 2023 template: /<section>/<slug>-li.327487 (agency items under /news/…-li.N);
    # 2026 template: /article/<slug>-10035612 (ids of six digits and more).
    article_path=r"/[^/]+(-li\.\d+|-\d{6,})/?$",
    excluded_path=r"/(video|videos|bildergalerie|galerie|gallery|podcast)s?/|live-?ticker|liveblog|newsblog",
    templates=TEMPLATES,
    region="Berlin",
    enabled_by_default=True,
    picture_hosts=("berliner-zeitung.imgix.net", "berliner-zeitung-msp-prod.imgix.net"),
)
