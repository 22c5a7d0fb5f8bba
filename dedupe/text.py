"""Text normalisation, language guess, tokens and their weights (German first, English too);
and, apart from those matching keys, the text a reader sees: the headline cut from run-on text
(text is repaired where it enters the store, ``db.article``).

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
)   # matched against lower-cased text (``_is_page_furniture``): four times faster than IGNORECASE
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
    if not _is_page_furniture(text):
        return text   # most texts: no sentence to drop (white space between them is the caller's)
    return " ".join(part for part in _SENTENCE_BREAK.split(text) if part and not _is_page_furniture(part))


def _is_page_furniture(text: str) -> bool:
    return _BOILERPLATE.search(text.lower()) is not None


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


# --- what a reader sees ----------------------------------------------------------------
# Matching keys above drop quotes and fold letters; a reader's text keeps the source's quotes,
# apostrophes, dashes and case. These functions never feed the matching.

def tidy(text: str) -> str:
    """One space between words, nothing else changed."""
    return " ".join(text.split())


HEADLINE_WORDS = 25        # a "title" line longer than this has text run on after its headline
MAX_HEADLINE_CHARS = 160   # a cut headline longer than this is cut again (at a dash, colon, comma, else a space)
MIN_HEADLINE_WORDS = 3     # a cut leaves at least this much headline
FURNITURE_WORDS = 6        # at most this much page furniture between headline and text ("| Tiroler Tageszeitung Online")
# A German sentence runs on after a headline without a full stop: "… im Irak Der TV-Sender …".
# These words start sentences and are written small inside one (formal "Sie" is not among them).
_SENTENCE_STARTS_DE = (
    "Der Die Das Den Dem Des Ein Eine Einen Einem Einer Eines Am Im In Bei Nach Mit Seit Auf Aus Von "
    "Vor Zum Zur Für Um Unter Über Laut Als Wenn Wie Wer Was Wo Es Er Wir Ich Nun Jetzt Doch Aber Auch "
    "Dabei Damit Dass Denn Dort Hier Heute Gestern Bereits Zwei Drei Vier Fünf Mehrere Trotz Wegen "
    "Während Nachdem Bis Ab Diese Dieser Dieses Man Noch Gegen"
).split()
_AFTER_WORD = r"(?<=[\w)»“”\"'’])\s+"
_RUN_ON_DE = re.compile(rf"{_AFTER_WORD}(?=[„«»\"‚]?(?:{'|'.join(_SENTENCE_STARTS_DE)})\s)")
# Where an article's text starts after its headline, in any language: a dateline with an agency
# ("Rust (dpa) - …", "KÖLN (dpa-AFX) - …"), an ad label.
_TEXT_STARTS = re.compile(r"\s+(?=[A-ZÄÖÜ][\w./-]*\s\([^()]{2,20}\)\s[-–—]\s|Anzeige\s)")
# … or a dateline of a place and a full stop ("… gestiegen Essen. Auf dem Weg …", "Speyer.Zur …"),
# or a quote that opens a sentence ("… auf Soleimani «Sie sagten …"), unless the word before makes
# them part of a sentence ("… im Irak. Die …", "… mit „Entschiedenheit“ …").
_TEXT_STARTS_AFTER_WORD = re.compile(rf"{_AFTER_WORD}(?=[A-ZÄÖÜ][\w/-]{{3,}}\.(?:\s|[A-ZÄÖÜ])|[„«][A-ZÄÖÜ])")
_OUTLET_BAR = re.compile(r"\s+\|\s+")
_CLAUSE_BREAK = re.compile(r"\s+[-–—]\s|[,:;](?=\s)")
_TRAILING_PUNCTUATION = re.compile(r"(?:\s+[-–—|]|[,;:])+$")
# A sentence ends at . ! ? … before a capital — not after a number ("am 2. Januar"), an initial
# ("Jos. A. Bank") or a common abbreviation.
_SENTENCE_END = re.compile(r"[.!?…]+[\"“”»«'’)]*(?=\s+[„\"«»‚'(]?[A-ZÄÖÜ])")
_NOT_AN_END = re.compile(r"(?:^|\s)(?:\d+|\w|(?i:dr|prof|nr|st|str|bzw|ca|vgl|inkl|mio|mrd|mr|mrs|ms|jr|sr|abs|evtl|ggf|usw|z\.b|u\.a|d\.h))$")
_AD_LABEL = re.compile(r"^(?:Anzeige\s+)+")


def sentence_ends(text: str) -> list[int]:
    """Where each sentence of ``text`` but the last ends (the offset after its punctuation)."""
    return [match.end() for match in _SENTENCE_END.finditer(text) if not _NOT_AN_END.search(text[: match.start()])]


def split_headline(title: str, language: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """A title as (headline, the text run on after it). The headline is the start of the title as
    the source wrote it: its first line, and of a first line of more than HEADLINE_WORDS words the
    part before its text starts (else its first sentence), at most MAX_HEADLINE_CHARS, never cut
    mid-word."""
    first, _, rest = title.strip().partition("\n")
    first = first.rstrip()
    if len(first.split()) <= HEADLINE_WORDS:
        return first, rest.strip()
    end, start = _text_start(first, language)
    if end > MAX_HEADLINE_CHARS:   # at the last dash, colon or comma within the bound, else word
        bound = first[: MAX_HEADLINE_CHARS + 1]
        clauses = [m.start() for m in _CLAUSE_BREAK.finditer(bound) if len(bound[: m.start()].split()) >= MIN_HEADLINE_WORDS]
        end = start = max(clauses, default=bound.rfind(" "))
    headline = _TRAILING_PUNCTUATION.sub("", first[:end])
    return headline, f"{first[start:].strip()}\n{rest}".strip()


def _text_start(line: str, language: str) -> tuple[int, int]:
    """Where a run-on line's headline ends and its text starts: at the earliest sign of text after
    MIN_HEADLINE_WORDS words, else after the first sentence, else at the line's end."""
    def headline_long_enough(offset: int) -> bool:
        return len(line[:offset].split()) >= MIN_HEADLINE_WORDS

    starts = [(m.start(), m.end()) for m in _TEXT_STARTS.finditer(line)]
    starts += [(m.start(), m.end()) for m in _TEXT_STARTS_AFTER_WORD.finditer(line)
               if line[: m.start()].split()[-1].casefold() not in _function_words(language)]
    if language == "de":
        starts += [(m.start(), m.end()) for m in _RUN_ON_DE.finditer(line)]
    for bar in _OUTLET_BAR.finditer(line):   # "… gekommen | Tiroler Tageszeitung Online Bei einem …"
        after = [start for end, start in starts if end > bar.end() and len(line[bar.end():end].split()) <= FURNITURE_WORDS]
        starts.append((bar.start(), min(after, default=bar.end())))
    repeat = _repeated_headline(line)
    if repeat:
        starts.append(repeat)
    starts = [cut for cut in starts if headline_long_enough(cut[0])]
    if starts:   # the earliest end; of two signs there, the one that skips more furniture
        return min(starts, key=lambda cut: (cut[0], -cut[1]))
    end = next((offset for offset in sentence_ends(line) if headline_long_enough(offset)), len(line))
    return end, end


def _repeated_headline(line: str) -> tuple[int, int] | None:
    """(end of the headline, end of its repetition) when the text starts by repeating the headline
    ("Silberdistel ehrt Jahresmeister Silberdistel ehrt Jahresmeister Von …"), perhaps after a word
    or two of page furniture ("… in 2020 - Politikexpress Deutsches Kinderhilfswerk …")."""
    spans = [(m.start(), m.end(), fold(re.sub(r"\W", "", m.group()))) for m in re.finditer(r"\S+", line)]
    spans = [span for span in spans if span[2]][: HEADLINE_WORDS * 2]   # " : " is no word
    for later in range(MIN_HEADLINE_WORDS, len(spans)):
        same = 0
        while later + same < len(spans) and same < later and spans[same][2] == spans[later + same][2]:
            same += 1
        if same >= MIN_HEADLINE_WORDS and same >= later - 3:
            return spans[same - 1][1], spans[later + same - 1][1]
    return None


def split_lead(paragraphs: list[str], minimum: int = 120, maximum: int = 400) -> tuple[str, list[str]]:
    """A text's lead — its first sentences, at least ``minimum`` characters where it has them,
    without sentences of the page (cookie notes, "Anzeige") — and the paragraphs after it (the rest
    of the one it ends in first). A lead longer than ``maximum`` is cut at a word boundary, with "…"."""
    taken: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        start = 0
        for end in [*sentence_ends(paragraph), len(paragraph)]:
            sentence = _AD_LABEL.sub("", paragraph[start:end].strip())
            start = end
            if sentence and not _is_page_furniture(sentence):
                taken.append(sentence)
            if len(" ".join(taken)) >= minimum:
                rest = paragraph[start:].strip()
                return _at_most(" ".join(taken), maximum), [rest] * bool(rest) + paragraphs[index + 1:]
    return _at_most(" ".join(taken), maximum), []


def _at_most(text: str, maximum: int) -> str:
    if len(text) <= maximum:
        return text
    return _TRAILING_PUNCTUATION.sub("", text[: text.rfind(" ", 0, maximum)]) + " …"
