"""Der Tagesspiegel (tagesspiegel.de, Berlin): Fundus's news sitemap and the /contentexport feed."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="tagesspiegel",
    title="Der Tagesspiegel",
    home_url="https://www.tagesspiegel.de/",
    feeds=("https://www.tagesspiegel.de/contentexport/feed/home",),
    sitemaps=("https://www.tagesspiegel.de/news.xml",),
    article_path=r"-\d{6,}\.html$",  # /<section…>/<slug>-11561990.html
    excluded_path=r"/(video|videos|fotostrecke|bilder|podcasts?)/|ticker|liveblog|newsblog",
    region="Berlin",
)
