"""OVB Oberbayerisches Volksblatt (ovb-online.de), the Rosenheim daily, an Ippen site: feed and
sitemaps at the Ippen addresses, by analogy (neither Fundus nor a public feed list names them)."""

from crawlers.outlets._ippen import ippen_outlet

OUTLET = ippen_outlet("ovb", "OVB Oberbayerisches Volksblatt", "ovb-online.de", region="Rosenheim")
