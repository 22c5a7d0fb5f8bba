"""Süddeutsche Zeitung (sueddeutsche.de): the RSS feed of Fundus's SZ declaration."""

from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="sueddeutsche",
    title="Süddeutsche Zeitung",
    home_url="https://www.sueddeutsche.de/",
    domains=("www.sueddeutsche.de", "sueddeutsche.de", "rss.sueddeutsche.de"),
    feeds=("https://rss.sueddeutsche.de/alles",),
    # /<section…>/<slug>-1.5827206, since 2024 also <slug>.GoPAarjxoHNezv1hVvgdhr and <slug>-li.3549371
    article_path=r"(-1\.\d{6,}|-li\.\d{6,}|\.[A-Za-z0-9]{20,})$",
    excluded_path=r"/(video|bildstrecke|podcasts?)/|ticker|liveblog",
)
