"""`newsagg import`: articles from a JSON Lines file into the store, grouped as a crawl groups them."""

from __future__ import annotations

import codecs
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from db.dates import LATEST_PUBLICATION_AHEAD, epoch_seconds
from db.article import Article, NoHeadline, clean_article
from db.store import OtherOutletsArticle, name_outlets, transaction, upsert_article
from dedupe.assign import Grouper, grouping_key
from dedupe.settings import GroupingSettings, ImportLimits

OPTIONAL_TEXT = ("outlet", "publisher", "teaser", "body", "published")
TEXT_FIELDS = ("url", "title", *OPTIONAL_TEXT)
# Some exports escape punctuation in names: "Seattle Post Intelligencer \(blog\)", "24\/7 Wall St.".
_ESCAPED = re.compile(r"\\(?=[^\w\s])")
# Half a UTF-16 pair: JSON can spell it ("\ud800"), but it is no text and cannot be stored.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Dates a news article can have; beyond them the grouping's date arithmetic has no calendar.
EARLIEST_PUBLISHED = datetime(1900, 1, 1, tzinfo=timezone.utc)
LISTED_BAD_LINES = 20
_SKIP_CHUNK = 1 << 20  # bytes read at a time past the end of a line that is too long


@dataclass
class ImportResult:
    read: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "updated": 0, "unchanged": 0})
    errors: list[str] = field(default_factory=list)   # "line N: why", for the first LISTED_BAD_LINES bad lines
    bad: int = 0

    @property
    def imported(self) -> int:
        return sum(self.counts.values())

    def add_bad_line(self, number: int, reason: str) -> None:
        self.bad += 1
        if len(self.errors) < LISTED_BAD_LINES:
            self.errors.append(f"line {number}: {reason}")


class BadLine(ValueError):
    """A line that cannot be imported; the message says why."""


class ImportStopped(Exception):
    """The store failed (busy, disk full) after ``result.imported`` lines were committed, which stay."""

    def __init__(self, result: ImportResult, cause: sqlite3.Error) -> None:
        super().__init__(str(cause))
        self.result, self.cause = result, cause


def parse_line(text: str, fetched_at: str, limits: ImportLimits = ImportLimits()) -> Article:
    """One JSON line → the article it holds (raises BadLine)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadLine(f"not JSON ({error.msg})") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise BadLine(f"not JSON ({error})") from None
    except RecursionError:
        raise BadLine("not JSON (nested too deeply)") from None
    if not isinstance(raw, dict):
        raise BadLine("not a JSON object")
    for name in TEXT_FIELDS:
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise BadLine(f"{name} is not a string")
    for required in ("url", "title"):
        if not (raw.get(required) or "").strip():
            raise BadLine(f"no {required}")
    authors = raw.get("authors")
    authors = [] if authors is None else [authors] if isinstance(authors, str) else authors
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise BadLine("authors is not a list of names")
    for name, value in [*((name, raw.get(name)) for name in TEXT_FIELDS),
                        *(("authors", author) for author in authors)]:
        _check_text(name, value or "", limits)
    if raw.get("published"):
        _check_published(raw["published"])
    url = raw["url"].strip()
    try:
        host = urlsplit(url).hostname
    except ValueError:  # e.g. "http://[x": a bracket that opens no IPv6 address
        raise BadLine(f"url {url[:100]!r} is not a URL") from None
    try:
        # Cleaned where it enters, exactly as the crawl cleans a page's article.
        return clean_article({
            "url": url,
            "canonical_url": url,
            "outlet": (raw.get("outlet") or "").strip() or host or "unknown",
            "title": raw["title"],
            "teaser": raw.get("teaser") or None,
            "body": raw.get("body") or None,
            "published": raw.get("published") or None,
            "authors": authors,
            "fetched_at": fetched_at,
            "publisher": _ESCAPED.sub("", raw.get("publisher") or "") or None,
        })
    except NoHeadline:
        raise BadLine("no title") from None


def _check_text(name: str, value: str, limits: ImportLimits) -> None:
    if len(value) > limits.max_text_chars:
        raise BadLine(f"{name} has {len(value):,} characters (at most {limits.max_text_chars:,}: import.max_text_chars)")
    if surrogate := _LONE_SURROGATE.search(value):
        raise BadLine(f"{name} has a lone surrogate \\u{ord(surrogate.group()):04x}, which is no text")


def _check_published(value: str) -> None:
    moment = epoch_seconds(value)
    if moment is None:
        raise BadLine(f"unreadable date {value!r}")
    latest = datetime.now(timezone.utc) + LATEST_PUBLICATION_AHEAD
    if not EARLIEST_PUBLISHED.timestamp() <= moment <= latest.timestamp():
        raise BadLine(f"published {value!r} is outside {EARLIEST_PUBLISHED:%Y-%m-%d} … {latest:%Y-%m-%d} (now + 2 days)")


def outlet_names(articles: Iterable[Article]) -> dict[str, tuple[str, str]]:
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


def read_articles(source: BinaryIO, result: ImportResult, fetched_at: str, limits: ImportLimits) -> Iterator[tuple[int, Article]]:
    """(line number, article) of each good line; bad ones go to ``result``."""
    for number, line in enumerate(_lines(source, limits.max_line_bytes), start=1):
        if line is not None and not line.strip():
            continue
        result.read += 1
        try:
            if line is None:
                raise BadLine(f"longer than {limits.max_line_bytes:,} bytes (import.max_line_bytes)")
            yield number, parse_line(_decode(line, number), fetched_at, limits)
        except BadLine as error:
            result.add_bad_line(number, str(error))


def _lines(source: BinaryIO, max_bytes: int) -> Iterator[bytes | None]:
    """Each line of the file, or None for one longer than ``max_bytes``, which is skipped unread."""
    while line := source.readline(max_bytes + 1):
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while (rest := source.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def _decode(line: bytes, number: int) -> str:
    if number == 1 and line.startswith(codecs.BOM_UTF8):
        line = line[len(codecs.BOM_UTF8):]
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        # Replacing the bytes would store text nobody wrote and count the line as good.
        raise BadLine(f"not UTF-8 (byte 0x{line[error.start]:02x} at byte {error.start + 1})") from None


def import_file(
    conn: sqlite3.Connection,
    path: str | Path,
    settings: GroupingSettings,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
    limits: ImportLimits = ImportLimits(),
) -> ImportResult:
    """Store every good line and group it; bad lines are listed in the result and skipped.

    The articles are grouped in date order (then URL), whatever order the file has, so the
    stories do not depend on how the file was sorted. Each batch is one transaction; when the
    store fails (busy, disk full), ImportStopped says how many lines the committed batches hold.
    """
    result = ImportResult()
    fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with open(path, "rb") as source:
        lines = sorted(read_articles(source, result, fetched_at, limits), key=lambda numbered: grouping_key(numbered[1]))
    grouper = Grouper(conn, settings)
    try:
        with transaction(conn):   # before grouping, so the first stories already name them
            name_outlets(conn, outlet_names(article for _, article in lines))
        for start in range(0, len(lines), batch_size):
            batch = lines[start:start + batch_size]
            counts = Counter[str]()
            try:
                with transaction(conn):
                    to_group = []
                    for number, article in batch:
                        try:
                            article_id, outcome = upsert_article(conn, article)
                        except OtherOutletsArticle as error:   # a line must not change another outlet's article
                            result.add_bad_line(number, str(error))
                            continue
                        counts[outcome] += 1
                        to_group.append(article_id)
                    grouper.add_many(to_group)
            except BaseException:
                grouper.reset()
                raise
            # Counted once committed: a batch rolled back holds nothing.
            for outcome, count in counts.items():
                result.counts[outcome] += count
            if progress:
                progress(start + len(batch), len(lines))
    except sqlite3.Error as error:
        raise ImportStopped(result, error) from error
    return result
