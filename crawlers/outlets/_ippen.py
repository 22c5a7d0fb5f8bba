"""What the Ippen sites (merkur.de, tz.de, rosenheim24.de, ovb-online.de, fr.de …) share: one
platform, so one URL shape, one set of feed and sitemap addresses and one page template.

The addresses follow Fundus's Merkur and Frankfurter Rundschau declarations: an RDF feed per
section (``/<section>/rssfeed.rdf``, the whole site at ``/rssfeed.rdf``), a news sitemap
(``/news.xml``) and a sitemap index (``/sitemap-index.xml``).
"""

from collections.abc import Sequence
from datetime import date

from crawlers.outlets import Outlet
from crawlers.templates import Template, has_class

TEMPLATES = (
    # Minified markup with id-StoryElement-* classes (from 2023 on merkur.de); fact boxes are not
    # body (as in Fundus).
    Template(
        valid_from=date(2023, 3, 14),
        body=(
            f"//p[{has_class('id-StoryElement-paragraph')}] | //h2[{has_class('id-StoryElement-crosshead')}]"
            f" | //article/ul | //article/ol | //ul[{has_class('id-StoryElement-list')}]"
        ),
        # the <h1> (where it holds a kicker besides the headline, og:title is taken, see extract)
        title=f"//h1[{has_class('id-StoryElement-headline')}]",
        teaser=f"//p[{has_class('id-StoryElement-leadText')}]",
        authors=f"//p[{has_class('id-StoryElement-authors')}]//a",
        published=f"//span[{has_class('id-StoryElement-timestamp-published')}]//time/@datetime",
    ),
)


def ippen_outlet(name: str, title: str, host: str, region: str, feed_sections: Sequence[str] = ("",),
                 enabled_by_default: bool = False) -> Outlet:
    """The Ippen site at ``www.<host>``; ``feed_sections`` are the paths of its section feeds ("" is the whole site)."""
    home = f"https://www.{host}/"
    return Outlet(
        name=name,
        title=title,
        home_url=home,
        feeds=tuple(f"{home}{section}rssfeed.rdf" for section in feed_sections),
        sitemaps=(f"{home}news.xml", f"{home}sitemap-index.xml"),
        # Article URLs end in an id of seven to nine digits: /<section…>/<slug>-92243692.html.
        article_path=r"-\d{7,9}\.html$",
        # Only galleries and videos by their section, and live tickers: words like "bilder" or "live"
        # also stand in the slugs of ordinary articles ("polizei-veroeffentlicht-bilder-…", "…-live-im-tv-…").
        excluded_path=r"/(bilder|video|videos|galerie|fotostrecke)/|ticker|liveblog",
        templates=TEMPLATES,
        region=region,
        enabled_by_default=enabled_by_default,
    )
