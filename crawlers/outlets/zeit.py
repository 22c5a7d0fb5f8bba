"""ZEIT ONLINE (zeit.de): the news feed and URL filter of Fundus's DieZeit declaration."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="zeit",
    title="ZEIT ONLINE",
    home_url="https://www.zeit.de/",
    domains=("www.zeit.de", "zeit.de", "newsfeed.zeit.de"),
    feeds=("https://newsfeed.zeit.de/news/index",),
    # /<section…>/2024-04/<slug> and agency news at /news/2023-04/28/<slug>
    article_path=r"/\d{4}-\d{2}/(\d{2}/)?[^/]+$",
    excluded_path=r"/(zett|angebote|kaenguru-comics|administratives|video)/|/elbvertiefung-\d\d-\d\d|liveblog|ticker",
)
