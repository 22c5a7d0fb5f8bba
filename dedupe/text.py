"""Text normalisation, language guess, tokens and their weights (German first, English too).

A token's weight says how much sharing it tells about two texts reporting the same event. It
comes from the word's frequency in the language at large (the ``wordfreq`` lists), not from the
articles seen so far, so a weight never depends on the order in which articles arrive: that is
what lets ``regroup`` give the same stories whatever that order was.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from wordfreq import top_n_list, zipf_frequency

DEFAULT_LANGUAGE = "de"

# A word this common (Zipf scale: log10 of uses per billion words) carries no weight; rarer words
# weigh more, up to MAX_WEIGHT for words the lists do not know (names, places, new compounds).
COMMON_ZIPF = 5.6
MAX_WEIGHT = 5.0
NUMBER_WEIGHT = 2.0        # a figure such as 425 or 3.5 names the event well …
SMALL_NUMBER_WEIGHT = 0.5  # … one or two digits ("2 senators", "5 things") hardly
YEAR_WEIGHT = 0.5
SHORT_WORD_WEIGHT = 1.0    # "DP", "tz": initials and abbreviations, too ambiguous to name an event
KEY_LENGTH = 8

_QUOTES = str.maketrans({c: " " for c in "\"'„“”‚‘’«»‹›`´"})
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "æ": "ae", "ø": "o", "å": "a"})
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")
# Wire-service prefixes ("UPDATE 2-", "RPT-", "EXCLUSIVE-") and an outlet's name after the last bar.
_WIRE_PREFIX = re.compile(r"^(?:[A-Z]{2,}(?: \d+)?-)+(?=\S)")
_OUTLET_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")
# Sentences a site puts on every page (consent banners, share buttons, "read more" links,
# comment forms): they say nothing about the event, and two unrelated articles of one outlet
# share them word for word.
_BOILERPLATE = re.compile(
    r"cookie|datenschutz|web-?site|webseite|newsletter|werbung|lesen sie|mehr zum thema|mehr aus |"
    r"vollst[aä]ndigen artikel|jetzt teilen|weiterleiten|tweeten|kommentar-?profil|netiquette|pflichtfeld|"
    r"anmeld|registrier|abonn|javascript|browser|einwillig|akzeptier|ihre zustimmung|ihrer (?:pers[oö]nlichen )?daten|"
    r"privacy|subscribe|sign up|read more|advertisement|all rights reserved|click here",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\s*\n\s*")
# Picture and page credits name photographers and outlets, not the event:
# "Foto: Frank Rumpenhorst/dpa", "© Fränkische Nachrichten, Mittwoch, 18.03.2020".
_CREDIT = re.compile(r"(?:\b(?:Fotos?|Bild|Bildquelle|Quelle|Symbolbild|Archivbild|Archivfoto)\s*:|©)(?:\s*[\w.,@-]+(?:\s*/\s*[\w.-]+)*){1,4}")
# Agency and page furniture words that every article of an outlet may carry.
_FURNITURE = frozenset({"dpa", "afx", "afp", "apa", "sda", "epd", "kna", "lnw", "dts", "reuters", "ap",
                        "anzeige", "anzeigeanzeige", "teilen", "foto", "fotos"})
_SUFFIXES = {
    "de": ("innen", "ungen", "ern", "en", "er", "es", "em", "e", "n", "s"),
    "en": ("ies", "es", "s", "ing", "ed"),
}


@lru_cache(maxsize=4)
def _function_words(language: str) -> frozenset[str]:
    return frozenset(top_n_list(language, 150))


def normalise(text: str) -> str:
    """NFKC, no quotes, one space between words (case and letters kept)."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())


def clean_title(title: str, outlet_names: tuple[str, ...] = ()) -> str:
    """The headline without wire prefixes or a trailing outlet name (" | t-online")."""
    title = _WIRE_PREFIX.sub("", normalise(title))
    suffix = _OUTLET_SUFFIX.search(title)
    if suffix and (not outlet_names or _looks_like_outlet(suffix.group(0), outlet_names)):
        title = title[: suffix.start()]
    return title.strip()


def _looks_like_outlet(segment: str, outlet_names: tuple[str, ...]) -> bool:
    folded = fold(segment)
    return any(fold(name) in folded or folded.strip(" |-–—") in fold(name) for name in outlet_names if name)


def strip_boilerplate(text: str) -> str:
    """The text without credits and without sentences that belong to the page, not the article."""
    text = _CREDIT.sub(" ", text)
    return " ".join(part for part in _SENTENCE_BREAK.split(text) if part and not _BOILERPLATE.search(part))


def fold(text: str) -> str:
    """Lower case with umlauts and ß folded, so "Straße" and "Strasse" compare equal."""
    return text.casefold().translate(_FOLD)


def words(text: str) -> list[str]:
    """Lower-cased word and number tokens, possessive 's removed."""
    tokens = []
    for token in _TOKEN.findall(text):
        token = token.casefold()
        if token.endswith(("'s", "’s")):
            token = token[:-2]
        tokens.append(token)
    return tokens


def guess_language(tokens: list[str]) -> str:
    """German or English, by which language's commonest words the text uses more."""
    german = english = 0
    for token in tokens[:200]:
        german += token in _function_words("de")
        english += token in _function_words("en")
    if english > german:
        return "en"
    if german > english:
        return "de"
    return _language_by_frequency(tokens)


def _language_by_frequency(tokens: list[str]) -> str:
    lean = sum(_english_lean(token) for token in tokens[:50] if not token[0].isdigit())
    return "en" if lean > 0 else DEFAULT_LANGUAGE


@lru_cache(maxsize=200_000)
def _english_lean(token: str) -> float:
    return zipf_frequency(token, "en") - zipf_frequency(token, "de")


@lru_cache(maxsize=200_000)
def term(token: str, language: str) -> tuple[str, float]:
    """A token's matching key (folded, light suffix stripped, cut) and its weight."""
    if token[0].isdigit():
        digits = token.replace(",", ".")
        if len(digits) <= 2:
            return "#" + digits, SMALL_NUMBER_WEIGHT
        is_year = len(digits) == 4 and digits[:2] in ("19", "20")
        return "#" + digits, YEAR_WEIGHT if is_year else NUMBER_WEIGHT
    if token in _FURNITURE:
        return token, 0.0
    weight = max(0.0, min(MAX_WEIGHT, COMMON_ZIPF - zipf_frequency(token, language)))
    if len(token) <= 2:
        weight = min(weight, SHORT_WORD_WEIGHT)
    return _stem(fold(token), language), weight


def _stem(word: str, language: str) -> str:
    if len(word) > 4:
        for suffix in _SUFFIXES[language]:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
    return word[:KEY_LENGTH]
