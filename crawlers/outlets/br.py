"""BR24 (br.de, Bayerischer Rundfunk): the news sitemap of Fundus's BR declaration, the BR24 feed."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="br",
    title="BR24",
    home_url="https://www.br.de/",
    feeds=("https://www.br.de/nachrichten/feed/",),
    sitemaps=("https://www.br.de/nachrichten/sitemaps/news.xml",),
    article_path=r"^/nachrichten/.+,[A-Za-z0-9]{6,}$",  # /nachrichten/<section>/<slug>,TMD4uSM
    excluded_path=r"ticker|liveblog",
    region="Bayern",
)
