"""Frankfurter Allgemeine (faz.net): RSS feeds and news sitemap of Fundus's FAZ declaration."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="faz",
    title="Frankfurter Allgemeine Zeitung",
    home_url="https://www.faz.net/",
    feeds=tuple(f"https://www.faz.net/rss/aktuell/{s}" for s in ("", "politik", "wirtschaft", "gesellschaft", "sport")),
    sitemaps=("https://www.faz.net/sitemap-news.xml",),
    # /aktuell/<section…>/<slug>-18857107.html (ids of eight digits and more)
    article_path=r"^/aktuell/.+-\d{8,}\.html$",
    excluded_path=r"/(video|videos|bilder|podcasts?)/|liveblog|live-?ticker",
)
