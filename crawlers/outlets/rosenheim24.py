"""rosenheim24 (rosenheim24.de), an Ippen site on the same templates as merkur.de and fr.de.

Ippen sites publish an RDF feed per section and a news sitemap; the addresses follow
Fundus's Merkur declaration (/rssfeed.rdf, /news.xml, /sitemap-index.xml).
"""

from crawlers.templates import IPPEN_TEMPLATES
from crawlers.outlets import Outlet

OUTLET = Outlet(
    name="rosenheim24",
    title="rosenheim24",
    home_url="https://www.rosenheim24.de/",
    domains=("www.rosenheim24.de", "rosenheim24.de"),
    feeds=(
        "https://www.rosenheim24.de/rssfeed.rdf",
        "https://www.rosenheim24.de/rosenheim/rssfeed.rdf",
        "https://www.rosenheim24.de/bayern/rssfeed.rdf",
    ),
    sitemaps=("https://www.rosenheim24.de/news.xml", "https://www.rosenheim24.de/sitemap-index.xml"),
    # Ippen article URLs end in an eight-digit id: /<section…>/<slug>-92243692.html.
    article_path=r"-\d{7,9}\.html$",
    # Only galleries and videos by their section, and live tickers: words like "bilder" or "live"
    # also stand in the slugs of ordinary articles ("polizei-veroeffentlicht-bilder-…", "…-live-im-tv-…").
    excluded_path=r"/(bilder|video|videos|galerie|fotostrecke)/|ticker|liveblog",
    templates=IPPEN_TEMPLATES,
)
