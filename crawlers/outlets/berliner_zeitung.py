"""Berliner Zeitung (berliner-zeitung.de): feed and news sitemap as in Fundus's declaration."""

from crawlers.templates import BERLINER_ZEITUNG_TEMPLATES
from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="berliner_zeitung",
    title="Berliner Zeitung",
    home_url="https://www.berliner-zeitung.de/",
    domains=("www.berliner-zeitung.de", "berliner-zeitung.de"),
    feeds=("https://www.berliner-zeitung.de/feed.xml",),
    sitemaps=(
        "https://www.berliner-zeitung.de/news-sitemap.xml",
        "https://www.berliner-zeitung.de/sitemap.xml",
    ),
    # 2023 template: /<section>/<slug>-li.327487 (agency items under /news/…-li.N);
    # 2026 template: /article/<slug>-10035612 (ids of six digits and more).
    article_path=r"/[^/]+(-li\.\d+|-\d{6,})/?$",
    excluded_path=r"/(video|videos|bildergalerie|galerie|gallery|podcast)s?/|live-?ticker|liveblog|newsblog",
    templates=BERLINER_ZEITUNG_TEMPLATES,
)
