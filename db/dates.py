"""Dates, read one way everywhere: pages, feeds, imported lines and the store.

The store keeps ISO 8601 with an offset. What comes in may have none, or be written as a page
shows it; a time without an offset is a Berlin time (the outlets' and the readers' zone), in
grouping as in extraction. A date is ``None`` when it cannot be read or lies outside what a
computer's calendar holds, never an exception.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
# A publication date before this, or more than this far ahead of now, is a placeholder
# ("0001-01-01", "9999-12-31") or a typo, not the date of a news article.
EARLIEST_PUBLICATION = datetime(1990, 1, 1, tzinfo=timezone.utc)
LATEST_PUBLICATION_AHEAD = timedelta(days=2)

_JS_DATE = re.compile(r"\w{3} (\w{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT([+-]\d{4})")  # Date.toString()
_RFC_2822_DATE = re.compile(r"[A-Z][a-z]{2}, \d")  # "Fri, 28 Apr 2023 18:16:04 +0200" (feeds, some meta tags)
# The dates pages show: "28.04.2023, 18:16 Uhr", "Erstellt: 28.04.2023 - 18:16"
GERMAN_DATE = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?:\D{1,12}?(?P<hour>\d{1,2})[:.](?P<minute>\d{2}))?")
# and with the month's name: "28. April 2023, 05:00 Uhr", "13. Mai 2026 um 15:44", "3. Okt. 2025"
_GERMAN_MONTHS = {
    "jan": 1, "feb": 2, "mär": 3, "mae": 3, "apr": 4, "mai": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "okt": 10,
    "nov": 11, "dez": 12,
}
_GERMAN_NAMED_DATE = re.compile(
    r"(?P<day>\d{1,2})\.\s*(?P<month>Jan(?:uar)?|Feb(?:ruar)?|M(?:ä|ae)rz?|Apr(?:il)?|Mai|Jun[io]?|Jul[io]?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Okt(?:ober)?|Nov(?:ember)?|Dez(?:ember)?)\.?\s+(?P<year>\d{4})"
    r"(?:\D{1,12}?(?P<hour>\d{1,2})[:.](?P<minute>\d{2}))?",
    re.IGNORECASE,
)
_ZONE_NAMES = {"CET": "+01:00", "MEZ": "+01:00", "CEST": "+02:00", "MESZ": "+02:00", "UTC": "+00:00", "GMT": "+00:00"}
_ZONE_SUFFIX = re.compile(r"\s*(?:\[[\w/+-]+\]|(?P<name>CEST|CET|MESZ|MEZ|UTC|GMT))$")  # "…+02:00[Europe/Berlin]", "…CEST"


def now_iso() -> str:
    """Now, as the store writes it (UTC, seconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime of any form ``iso_datetime`` reads; None if unreadable.

    Reads ISO 8601 with or without a colon in the offset, "Z", a space instead of "T", a zone
    name ("CEST") or bracketed zone ("[Europe/Berlin]") after it; RFC 2822 dates; JavaScript's
    Date.toString(); and the German dates pages show ("28.04.2023, 18:16 Uhr", "28. April 2023, 18:16 Uhr").
    """
    if not isinstance(value, str):
        return None
    text = " ".join((html.unescape(value) if "&" in value else value).split())
    if not text:
        return None
    try:
        moment = _datetime_of(text)
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BERLIN)
        moment.astimezone(timezone.utc)   # 9999-12-31 in a zone behind UTC overflows here, not later
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    return moment


def iso_datetime(value: Any) -> str | None:
    """The date as ISO 8601 in Berlin time with offset, e.g. "2023-04-28T18:16:04+02:00"; None if unreadable."""
    moment = parse_datetime(value)
    return _berlin_iso(moment) if moment else None


def _berlin_iso(moment: datetime) -> str | None:
    try:
        return moment.astimezone(BERLIN).isoformat(timespec="seconds")
    except OverflowError:
        return None


def epoch_seconds(value: Any) -> float | None:
    """Seconds since 1970 of a stored or given date (a time without offset: Berlin); None if unreadable."""
    if not value:
        return None
    text = str(value)
    try:
        # Most values are the store's own ISO 8601: read them without the slower forms.
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BERLIN)
        return moment.timestamp()
    except (ValueError, OverflowError):
        moment = parse_datetime(text)
    try:
        return moment.timestamp() if moment else None
    except (ValueError, OverflowError):
        return None


def publication_datetime(value: Any, now: datetime | None = None) -> str | None:
    """``iso_datetime``, where the date can be an article's publication (1990 … now + 2 days)."""
    moment = parse_datetime(value)
    latest = (now or datetime.now(timezone.utc)) + LATEST_PUBLICATION_AHEAD
    if moment is None or not EARLIEST_PUBLICATION <= moment <= latest:
        return None
    return _berlin_iso(moment)


def _datetime_of(text: str) -> datetime | None:
    if js_date := _JS_DATE.match(text):
        return datetime.strptime(js_date[1] + js_date[2], "%b %d %Y %H:%M:%S%z")
    if _RFC_2822_DATE.match(text):
        return parsedate_to_datetime(text)
    if german := GERMAN_DATE.search(text):
        parts = {name: int(number) for name, number in german.groupdict(default="0").items()}
        return datetime(**parts)
    if named := _GERMAN_NAMED_DATE.search(text):
        parts = {name: int(number) for name, number in named.groupdict(default="0").items() if name != "month"}
        return datetime(month=_GERMAN_MONTHS[named["month"][:3].lower()], **parts)
    if zone := _ZONE_SUFFIX.search(text):
        text = text[: zone.start()] + _ZONE_NAMES.get(zone["name"] or "", "")
    return datetime.fromisoformat(text)
