"""t-online (t-online.de): the section RSS feeds Fundus declares; t-online has no news sitemap."""

from crawlers.templates import T_ONLINE_TEMPLATES
from crawlers.outlets import Outlet

_FEED_SECTIONS = (
    "nachrichten", "nachrichten/ukraine", "nachrichten/panorama", "nachrichten/deutschland",
    "region/berlin", "region/muenchen", "sport", "finanzen", "digital", "gesundheit", "klima",
)

OUTLET = Outlet(
    name="t_online",
    title="t-online",
    home_url="https://www.t-online.de/",
    domains=("www.t-online.de", "t-online.de"),
    feeds=tuple(f"https://www.t-online.de/{section}/feed.rss" for section in _FEED_SECTIONS),
    # Every article lives at /<section…>/id_<number>/<slug>.html.
    article_path=r"/id_\d+/[^/]+\.html$",
    # Live coverage is named "ticker", "liveblog" or "newsblog"; a bare "-live-" is also in ordinary
    # articles ("…-live-im-tv-…").
    excluded_path=r"/(video|videos|bilder|fotoserie|gallery|spiele|podcasts?)/|ticker|liveblog|newsblog",
    templates=T_ONLINE_TEMPLATES,
)
