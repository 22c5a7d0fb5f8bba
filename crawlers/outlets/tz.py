"""tz (tz.de, München), an Ippen site: its /rssfeed.rdf (public feed lists) and the Ippen sitemaps."""

from crawlers.outlets._ippen import ippen_outlet

OUTLET = ippen_outlet("tz", "tz", "tz.de", region="München")
