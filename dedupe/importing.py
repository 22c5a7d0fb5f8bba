"""`newsagg import`: articles from a JSON Lines file into the store, grouped as a crawl groups them."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from db.store import content_hash, name_outlets, transaction, upsert_article
from dedupe.assign import Grouper, grouping_key
from dedupe.features import parse_time
from dedupe.settings import GroupingSettings
from dedupe.text import repair

OPTIONAL_TEXT = ("outlet", "publisher", "teaser", "body", "published")
# Some exports escape punctuation in names: "Seattle Post Intelligencer \(blog\)", "24\/7 Wall St.".
_ESCAPED = re.compile(r"\\(?=[^\w\s])")
@dataclass
class ImportResult:
    read: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "updated": 0, "unchanged": 0})
    errors: list[str] = field(default_factory=list)   # "line N: why", one per bad line

    @property
    def imported(self) -> int:
        return sum(self.counts.values())


class BadLine(ValueError):
    """A line that cannot be imported; the message says why."""


def parse_line(text: str, fetched_at: str) -> dict[str, Any]:
    """One JSON line → an article row for ``db.store.upsert_article`` (raises BadLine)."""
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise BadLine(f"not JSON ({error.msg})") from None
    if not isinstance(raw, dict):
        raise BadLine("not a JSON object")
    for required in ("url", "title"):
        if not isinstance(raw.get(required), str) or not raw[required].strip():
            raise BadLine(f"no {required}")
    for name in OPTIONAL_TEXT:
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise BadLine(f"{name} is not a string")
    if raw.get("published") and parse_time(raw["published"]) is None:
        raise BadLine(f"unreadable date {raw['published']!r}")
    authors = raw.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise BadLine("authors is not a list of names")
    url = raw["url"].strip()
    article = {
        "url": url,
        "canonical_url": url,
        "outlet": (raw.get("outlet") or "").strip() or urlsplit(url).hostname or "unknown",
        # Text is repaired where it enters (mojibake, entities), as the crawl does; never normalised.
        "title": repair(raw["title"]).strip(),
        "teaser": repair(raw["teaser"]) if raw.get("teaser") else None,
        "body": repair(raw["body"]) if raw.get("body") else None,
        "published": raw.get("published") or None,
        "authors": [repair(author) for author in authors],
        "fetched_at": fetched_at,
        "publisher": _ESCAPED.sub("", repair(raw.get("publisher") or "")).strip() or None,
    }
    article["content_hash"] = content_hash(article)
    return article


def outlet_names(articles: Iterable[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Each outlet's name — the publisher its articles give most often (ties: the first) — and home
    URL, for the outlets whose articles name a publisher."""
    publishers: dict[str, Counter[str]] = {}
    homes: dict[str, str] = {}
    for article in articles:
        if article["publisher"]:
            publishers.setdefault(article["outlet"], Counter())[article["publisher"]] += 1
            parts = urlsplit(article["url"])
            homes.setdefault(article["outlet"], f"{parts.scheme}://{parts.netloc}/")
    return {outlet: (counts.most_common(1)[0][0], homes[outlet]) for outlet, counts in publishers.items()}


def read_articles(lines: TextIO, result: ImportResult, fetched_at: str) -> Iterator[dict[str, Any]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        result.read += 1
        try:
            yield parse_line(text, fetched_at)
        except BadLine as error:
            result.errors.append(f"line {number}: {error}")


def import_file(
    conn: sqlite3.Connection,
    path: str | Path,
    settings: GroupingSettings,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Store every good line and group it; bad lines are listed in the result and skipped.

    The articles are grouped in date order (then URL), whatever order the file has, so the
    stories do not depend on how the file was sorted. Each batch is one transaction.
    """
    result = ImportResult()
    fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with open(path, encoding="utf-8", errors="replace") as lines:
        articles = sorted(read_articles(lines, result, fetched_at), key=grouping_key)
    grouper = Grouper(conn, settings)
    with transaction(conn):   # before grouping, so the first stories already name them
        name_outlets(conn, outlet_names(articles))
    for start in range(0, len(articles), batch_size):
        batch = articles[start:start + batch_size]
        try:
            with transaction(conn):
                to_group = []
                for article in batch:
                    article_id, outcome = upsert_article(conn, article)
                    result.counts[outcome] += 1
                    to_group.append(article_id)
                grouper.add_many(to_group)
        except BaseException:
            grouper.reset()
            raise
        if progress:
            progress(start + len(batch), len(articles))
    return result
