"""One generic news spider; `crawlers.spiders.news` declares one subclass per outlet."""
