"""WELT (welt.de): RSS feed, news sitemap and URL filter of Fundus's DieWelt declaration."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="welt",
    title="WELT",
    home_url="https://www.welt.de/",
    feeds=("https://www.welt.de/feeds/latest.rss",),
    sitemaps=("https://www.welt.de/sitemaps/newssitemap/newssitemap.xml",),
    # /<section…>/article245055596/<Slug>.html, WELTplus articles /<section…>/plus245055596/<Slug>.html
    article_path=r"/(article|plus)\d+/[^/]+\.html$",
    excluded_path=r"(?i)/Anlegertipps-|/videos?\d{2}|/(mediathek|video|bilder)/|ticker|liveblog",
)
