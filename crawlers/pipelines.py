"""Item pipeline: clean an extracted article, then store and group it in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.extensions import connect_store, count, record_error, stopping_for_the_store, store_failed, store_failure
from db.article import Article, NoHeadline, clean_article as article_from
from db.store import UpsertResult, transaction, upsert_article
from dedupe.assign import Grouper
from dedupe.settings import GroupingSettings


def clean_article(item: Mapping[str, Any]) -> Article:
    """``db.article.clean_article`` for a Scrapy item: DropItem for a page without a headline."""
    try:
        return article_from(item)
    except NoHeadline as reason:
        raise DropItem(str(reason)) from None


class StorePipeline:
    """Upsert keyed by canonical URL and group new or changed articles, all or nothing."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.grouping = GroupingSettings(**crawler.settings.getdict("NEWSAGG_GROUPING"))
        self.conn: sqlite3.Connection | None = None
        self.grouper: Grouper | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.conn = connect_store(self.crawler)
        self.grouper = Grouper(self.conn, self.grouping)

    def close_spider(self) -> None:
        if self.conn:
            self.conn.close()

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if not store_failed(self.crawler):
            with stopping_for_the_store(self.crawler):
                return self._store(item)
        # The store failed on this article, or before it (pages that were in flight): not waited for again.
        count(self.crawler, "failed")
        raise DropItem(f"{item.get('url')}: not stored, the crawl stopped for its store")

    def _store(self, item: dict[str, Any]) -> dict[str, Any]:
        name = self.crawler.spider.name
        try:
            article, article_id, result = store_article(self.conn, self.grouper, item)
        except DropItem as reason:
            record_error(self.crawler, f"{name}: dropped {reason}")
            raise
        except Exception as error:
            if store_failure(error):
                raise
            # The article is not stored; the crawl goes on with the next.
            record_error(self.crawler, f"{name}: could not store {item.get('url')}: {type(error).__name__}: {error}")
            raise DropItem(str(error)) from None
        count(self.crawler, result)
        return {**article, "id": article_id}


def store_article(conn: sqlite3.Connection, grouper: Grouper, item: Mapping[str, Any]) -> tuple[Article, int, UpsertResult]:
    """Clean, upsert and group one article in one transaction (the crawl's pipeline and the cluster's
    writer alike); DropItem when it has no headline."""
    article = clean_article(item)
    ((article_id, result),) = store_cleaned(conn, grouper, [article])
    return article, article_id, result


def store_cleaned(conn: sqlite3.Connection, grouper: Grouper, articles: list[Article]) -> list[tuple[int, UpsertResult]]:
    """Upsert cleaned articles and group the changed ones, all in one transaction (the cluster's
    writer stores a batch so); nothing is written when any of them fails."""
    try:
        with transaction(conn):
            stored = [upsert_article(conn, article) for article in articles]
            changed = [article_id for article_id, result in stored if result != "unchanged"]
            if changed:
                grouper.add_many(changed)
    except Exception:
        grouper.reset()  # its in-memory window may hold the rolled-back story
        raise
    return stored
