"""The Scrapy project: outlets declared as data, one generic news spider, the store pipeline."""
