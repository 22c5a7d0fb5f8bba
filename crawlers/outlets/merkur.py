"""Münchner Merkur (merkur.de), an Ippen site: the feed, sitemaps and page template of Fundus's
Merkur declaration (the saved pages of tests/fixtures/pages/rosenheim24 are merkur.de pages)."""

from crawlers.outlets._ippen import ippen_outlet

OUTLET = ippen_outlet("merkur", "Münchner Merkur", "merkur.de", region="München", feed_sections=("", "welt/"))
