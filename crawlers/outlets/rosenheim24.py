"""rosenheim24 (rosenheim24.de), an Ippen site: its feeds and sitemaps are at the Ippen addresses
(by analogy with Fundus's Merkur declaration; rosenheim24 has none in Fundus)."""

from crawlers.outlets._ippen import ippen_outlet

OUTLET = ippen_outlet("rosenheim24", "rosenheim24", "rosenheim24.de", region="Rosenheim",
                      feed_sections=("", "rosenheim/", "bayern/"), enabled_by_default=True)
