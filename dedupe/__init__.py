"""Grouping articles that report the same event into merged stories (no Scrapy here)."""
