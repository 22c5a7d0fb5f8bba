"""tagesschau.de (ARD): the RSS feed of Fundus's Tagesschau declaration."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="tagesschau",
    title="tagesschau.de",
    home_url="https://www.tagesschau.de/",
    feeds=("https://www.tagesschau.de/xml/rss2/",),
    # /<section…>/<slug>-100.html; sections of audio, video, broadcasts and live blogs are no articles
    article_path=r"/[^/]+-\d+\.html$",
    excluded_path=r"/(multimedia|video|audio|sendung|newsticker)/|liveblog|ticker",
)
