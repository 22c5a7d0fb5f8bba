"""DER SPIEGEL (spiegel.de): RSS feed and news sitemap of Fundus's SpiegelOnline declaration."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="spiegel",
    title="DER SPIEGEL",
    home_url="https://www.spiegel.de/",
    feeds=("https://www.spiegel.de/schlagzeilen/index.rss",),
    sitemaps=("https://www.spiegel.de/sitemaps/news-de.xml",),
    # /<section…>/<slug>-a-<uuid>, before 2019 /<section…>/<slug>-a-1234567.html
    article_path=r"-a-([0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|\d+\.html)$",
    excluded_path=r"/(video|fotostrecke|audio|podcasts?)/|ticker|liveblog|newsblog",
)
