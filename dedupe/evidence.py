"""What tells one incident from another, read from an article's headline and lead.

Two reports of one event name the same people, places and days; two reports of different events
that share a template ("Zeugen gesucht", "Am Montag … gegen … Uhr") name different ones. This
module reads those names: ages ("89-Jährige", "41 Jahre alt", "a 34-year-old"), calendar days the
text names ("03.08.2026", "1. Januar", "am Freitagnachmittag" — a weekday is resolved against the
publishing date), streets and squares ("Ludwigsfelder Straße", "Emstaler Platz"), the dateline's
town ("MARKTOBERDORF."), and the marks of a follow-up ("Folgemeldung", "Nachtrag", "Update", a
release number it cites). ``conflicts`` says when two such readings cannot be one event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from wordfreq import zipf_frequency

from dedupe.text import fold

_NUMBER_WORDS = {
    "ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
    "zehn": 10, "elf": 11, "zwölf": 12, "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16,
    "siebzehn": 17, "achtzehn": 18, "neunzehn": 19, "zwanzig": 20,
}
# The patterns without capitals below are matched against lower-cased text (``event_marks``):
# several times faster than IGNORECASE on a lead of 1,000 characters.
_AGE = re.compile(
    r"\b(\d{1,3})\s?[-‐–]?\s?(?:j[äa]hrig|j\.|year[- ]old|yo\b)"
    r"|\b(\d{1,3}) jahre alte?[nrms]?\b"
    r"|\baged (\d{1,3})\b"
    rf"|\b({'|'.join(_NUMBER_WORDS)})j[äa]hrig",
)
_MONTHS = {
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7,
    "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12,
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "october": 10, "december": 12,
}
# "03.08.2026", "07.08.26", "3.8." — a day and month with the closing period (so "19.30 Uhr" is no date).
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(?:(\d{4}|\d{2})\b)?")
_NAMED_DATE = re.compile(rf"\b(\d{{1,2}})\.\s?({'|'.join(_MONTHS)})\b|\b({'|'.join(_MONTHS)}) (\d{{1,2}})\b")
# Days a reader knows by name: "in der Silvesternacht", "an Heiligabend", "zum Jahreswechsel".
_FEASTS = {"silvester": (12, 31), "jahreswechsel": (12, 31), "neujahr": (1, 1), "neujahrstag": (1, 1),
           "heiligabend": (12, 24), "new year's eve": (12, 31), "new year's day": (1, 1), "christmas eve": (12, 24)}
_FEAST = re.compile(r"\b(silvester|jahreswechsel|neujahr(?:stag)?|heiligabend|new year's eve|new year's day|christmas eve)"
                    r"(?:s|nacht|abend|tag|einsatz)?\b")
_WEEKDAYS = {"montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5, "sonnabend": 5,
             "sonntag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
             "sunday": 6}
# "am Freitagnachmittag", "Montagabend", "on Sunday": a weekday is the last such day up to publication.
_WEEKDAY = re.compile(rf"\b({'|'.join(_WEEKDAYS)})(?:s|früh|morgen|vormittag|mittag|nachmittag|abend|nacht)?\b")
_STREET_WORDS = r"straße|strasse|str\.|weg|allee|platz|gasse|damm|ufer|chaussee|ring|steig|pfad|markt|brücke|promenade|kai"
# "Mühsamstraße", "Simon-Dach-Straße", and two words whose first is an adjective of a place name
# ("Ludwigsfelder Straße", "Emstaler Platz", "Prenzlauer Allee").
_STREET = re.compile(rf"\b[A-ZÄÖÜ][\w-]*[a-zäöüß](?:{_STREET_WORDS})\b|\b[A-ZÄÖÜ][\w-]*-(?:{_STREET_WORDS.title()})\b|\b[A-ZÄÖÜ][\w-]*er (?:{_STREET_WORDS.title()})\b")
_ALWAYS_STREETS = ("straße", "strasse", "str.", "allee", "chaussee")
COMMON_NAME_ZIPF = 1.5   # a compound the language uses this often is a common noun, not a name
# A dateline in capitals opens many press releases, on one of their first lines: "MARKTOBERDORF.
# Erst gegen …", "NERSINGEN –", "MÜNCHBERG, LKR. HOF. Bei einer …".
_CAPITAL_DATELINE = re.compile(r"^\s*([A-ZÄÖÜ][A-ZÄÖÜ/,. -]{2,40}[A-ZÄÖÜ])\s*[.:–—-]\s", re.MULTILINE)
DATELINE_LINES = 3
# What a report says when it continues an earlier one of its outlet.
_FOLLOW_UP = re.compile(
    r"\b(?:folgemeldung|nachtrag(?:smeldung)?|fortschreibung|ergänzung zu|erstmeldung|update|aktualisier\w*|"
    r"wie (?:bereits )?berichtet|wir berichteten|(?:bereits )?berichtet(?:e|en)? (?:bereits|wir)|"
    r"follow-?up|as reported)\b",
)
# Release numbers and file numbers a follow-up cites: "Nr. 0014", "250101-1", "1139."
_IDENTIFIER = re.compile(r"(?<![\d.,:])(\d{3,}(?:[-/]\d+)*)(?![\d,]|\.\d)")
PAST_REFERENCE_DAYS = 2     # a day named this long before publication is an earlier event's day …
FOLLOW_UP_DAYS = 60         # … up to this long before
EVENT_DAYS = 7              # the days before publication on which the reported event may have happened


@dataclass(frozen=True)
class EventMarks:
    ages: frozenset[int] = frozenset()
    days: frozenset[date] = frozenset()           # calendar days the text names ("03.08.2026", "1. Januar")
    weekdays: frozenset[date] = frozenset()       # … and the days of the weekdays it names, by the publishing date
    streets: frozenset[str] = frozenset()
    dateline: str = ""
    follow_up: bool = False
    identifiers: frozenset[str] = frozenset()
    past_days: frozenset[date] = frozenset()      # named days well before publication: an earlier event

    def conflicts(self, other: EventMarks) -> bool:
        """Whether the two name different people, days or places where both name some."""
        return any(mine and theirs and mine.isdisjoint(theirs) for mine, theirs in (
            (self.ages, other.ages), (self.days, other.days), (self.streets, other.streets),
            (self.dateline and {self.dateline}, other.dateline and {other.dateline}),
        ))


def event_marks(title: str, text: str, published: float | None) -> EventMarks:
    """The marks of the event that a headline and lead name; ``published`` in epoch seconds."""
    passage = f"{title}\n{text}"
    lowered = passage.lower()
    day = datetime.fromtimestamp(published, timezone.utc).date() if published else None
    named = _days(lowered, day)
    past = frozenset(d for d in named if day and PAST_REFERENCE_DAYS <= (day - d).days <= FOLLOW_UP_DAYS)
    # Only days of the week before publication tell the event's day; older ones are background.
    days = frozenset(d for d in named if day and -1 <= (day - d).days <= EVENT_DAYS)
    weekdays = _weekdays(lowered, day) if day else frozenset()
    dateline = _CAPITAL_DATELINE.search("\n".join(text.lstrip().splitlines()[:DATELINE_LINES]))
    return EventMarks(
        ages=frozenset(_ages(lowered)),
        days=days,
        weekdays=weekdays,
        streets=frozenset(_streets(passage)),
        dateline=fold(dateline.group(1)) if dateline else "",
        follow_up=bool(_FOLLOW_UP.search(passage[:600].lower())),
        identifiers=frozenset(match.group(1) for match in _IDENTIFIER.finditer(passage[:600]) if not _is_year(match.group(1))),
        past_days=past,
    )


def _ages(lowered: str) -> list[int]:
    found = []
    for match in _AGE.finditer(lowered):
        digits = match.group(1) or match.group(2) or match.group(3)
        age = int(digits) if digits else _NUMBER_WORDS[match.group(4)]
        if 0 < age < 120:
            found.append(age)
    return found


def _days(lowered: str, published: date | None) -> frozenset[date]:
    found = set()
    for match in _NUMERIC_DATE.finditer(lowered):
        found.add(_day(int(match.group(1)), int(match.group(2)), match.group(3), published))
    for match in _NAMED_DATE.finditer(lowered):
        day_text, month_text = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        found.add(_day(int(day_text), _MONTHS[month_text], None, published))
    for match in _FEAST.finditer(lowered):
        month, day = _FEASTS[match.group(1)]
        found.add(_day(day, month, None, published))
    return frozenset(day for day in found if day is not None)


def _weekdays(lowered: str, published: date) -> frozenset[date]:
    """The days of the weekdays a text names: the last such day up to its publication. Only as
    good as the publishing date, so these tell a follow-up's first report, not two events apart."""
    found = set()
    for match in _WEEKDAY.finditer(lowered):
        back = (published.weekday() - _WEEKDAYS[match.group(1)]) % 7
        found.add(published - timedelta(days=back))
    return frozenset(found)


def _day(day: int, month: int, year_text: str | None, published: date | None) -> date | None:
    """The date a text names; one without its year is the last such day up to publication
    ("31. Dezember" on 3 January is the one before)."""
    try:
        if year_text:
            return date(int(year_text) + (2000 if len(year_text) == 2 else 0), month, day)
        if published is None:
            return date(2000, month, day)
        named = date(published.year, month, day)
        return named if named <= published + timedelta(days=1) else date(published.year - 1, month, day)
    except ValueError:   # no such day (31.02., or 29 February of the year before)
        return None


def _streets(text: str) -> list[str]:
    """Street keys; a compound that is a common word ("Spielplatz", "Gehweg", "Supermarkt") is no street."""
    found = []
    for match in _STREET.finditer(text):
        name = match.group(0)
        if " " in name or name.casefold().endswith(_ALWAYS_STREETS) or zipf_frequency(name.casefold(), "de") < COMMON_NAME_ZIPF:
            found.append(fold(name).replace("strasse", "str").replace("str.", "str"))
    return found


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and digits[:2] in ("19", "20")
