"""n-tv (n-tv.de): the news sitemap of Fundus's NTV declaration and the /rss feed."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="n_tv",
    title="n-tv",
    home_url="https://www.n-tv.de/",
    feeds=("https://www.n-tv.de/rss",),
    sitemaps=("https://www.n-tv.de/news.xml",),
    # /<section…>/<Slug>-article24075843.html, since 2025 <Slug>-id30134161.html
    article_path=r"-(article|id)\d{7,}\.html$",
    excluded_path=r"(?i)/(mediathek|bilderserie|videos?)/|ticker|liveblog",
)
