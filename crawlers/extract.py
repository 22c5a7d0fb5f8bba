"""Page HTML → article fields.

Order of trust: the page's JSON-LD article object, then its meta tags, then the DOM as the
outlet's template describes it (``crawlers.templates``), then a generic reading of the DOM for
pages whose template is not known yet. The page is parsed once, its head read in one pass, and
every XPath compiled once per process, so extraction costs little beyond the parse
(``benchmarks/extract.py`` measures it).
"""

from __future__ import annotations

import codecs
import html as html_entities
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property, lru_cache
from itertools import islice
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawlers.outlets import http_url
from crawlers.templates import Template
from db.dates import GERMAN_DATE, publication_datetime
from dedupe.location import dateline_of

__all__ = [
    "NotAnArticle",
    "Template",
    "extract_article",
    "page_encoding",
]


# One parser for every page: pages in other charsets are re-encoded to UTF-8 first, and an explicit
# parser encoding overrides whatever <meta charset> the page declares. (lxml parsers must not be
# shared between threads; the crawl and the benchmark run extraction in one thread.)
_PARSER = lxml.html.HTMLParser(encoding="utf-8")

# What libxml2 reports for bytes that are not UTF-8 (it goes on with U+FFFD in their place).
_ENCODING_ERRORS = {etree.ErrorTypes.ERR_INVALID_ENCODING, etree.ErrorTypes.ERR_INVALID_CHAR}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with that one's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_ARTICLE_TYPES = ("BlogPosting", "LiveBlogPosting")  # besides every type ending in "Article"
_OUTLET_NAME_MIN_INSIDE = 5  # shorter outlet names ("blz") count only as a whole author name
_DIGIT = re.compile(r"\d")
_AUTHOR_SEPARATORS = re.compile(r"\s*(?:[,;/&|]|\bund\b|\band\b)\s*")
# "Von", "Kommentar von", "Eine Analyse von" (alone, a label: no name)
_BYLINE_PREFIX = re.compile(
    r"^(?:(?:eine?\s+)?(?:kommentar|analyse|gastbeitrag|interview|reportage|essay|glosse|bericht|text)\s+)?(?:von|by)\b\s*:?\s*",
    re.IGNORECASE,
)
# A read-more line names itself and then links: "Lesen Sie auch: <a>…</a>", "Auch interessant » <a>…</a>".
_READ_MORE = re.compile(
    r"(?:Lesen Sie (?:auch|mehr|hier)|Auch interessant|Mehr zum Thema|Das könnte Sie auch interessieren"
    r"|Zum Weiterlesen|Weiterlesen|Empfehlungen der Redaktion)\b\s*(?P<pointer>[:»>|–-])?",
    re.IGNORECASE,
)
_READ_MORE_MAX_CHARS = 300  # a read-more line is a link or two, never a paragraph of text
_CONSENT_WORDS = re.compile(r"cookie|zustimm|einwillig|consent|datenschutzeinstellung|tracking", re.IGNORECASE)
_PAYWALL_TEASER_MAX_CHARS = 300  # a paywalled page with less text than this shows only a teaser
_UNMARKED_ARTICLE_MIN_CHARS = 800  # a page typed other than an article is read as one with this much text
# What sites append to a headline in og:title, <title> or JSON-LD: " | Sport", " - WELT", " – DW – 13.06.2023".
_TITLE_SEPARATOR = re.compile(r"\s+[|–—-]\s+")
_TITLE_SUFFIX = re.compile(r"\s*[|–—-]\s+\S")

_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished", "date", "pubdate",
    "publishdate", "publish-date", "publish_date", "publication_date", "date_published", "dc.date.issued",
    "dcterms.issued", "dc.date", "dcterms.date", "dc.date.created", "dcterms.created", "parsely-pub-date",
    "sailthru.date",
)
# Last resorts: the element the page marks as the publication time (schema.org microdata, HTML's
# pubdate, hAtom's "published"), else the article's first time element, the page's, its text.
_PUBLISHED_IN_DOM = (
    "//*[@itemprop='datePublished']/@datetime | //*[@itemprop='datePublished'][not(self::meta)]/@content",
    "//time[@pubdate]/@datetime",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' published ')]/@datetime"
    " | //abbr[contains(concat(' ', normalize-space(@class), ' '), ' published ')]/@title",
    "//article//time/@datetime",
    "//time/@datetime",
    "//article//time",  # a time element without a datetime: its text ("11.07.2026, 09:30 Uhr")
)
# Then the fields the page labels in words: "<li><strong>Datum</strong> 28.04.2023</li>",
# "<dt>Autorin/Autor</dt><dd>…</dd>", "Von: <a>…</a>, <a>…</a>" (a label alone in its text node, or
# followed by a colon and the value).
# A label followed by its value in one text node needs a colon where the label word also starts
# sentences ("Von der Leyen sagte …"): the group "colon" is None then; a date label needs none.
_DATE_LABEL = re.compile(r"(?:Datum|(?:Veröffentlicht|Erschienen|Publiziert|Erstellt)(?: am)?)\b\s*(?P<colon>:?)\s*")
_AUTHOR_LABEL = re.compile(r"(?:Autor(?:in)?(?:nen|en)?(?:/Autor(?:in)?)?|Von)\b\s*(?P<colon>:)?\s*")
_LABEL_WORDS = ("Datum", "Veröffentlicht", "Erschienen", "Publiziert", "Erstellt", "Autor", "Von", "von")
_NEXT_LABEL = re.compile(r"\s*[;|]?\s*\b[A-ZÄÖÜ][\w ]{1,30}:\s.*$")  # "Von: Anna Muster; Fotos: …" ends at "Fotos:"
# A byline in words, an element of its own whatever its class: "von Anna Muster und Ben Beispiel"
_NAME = r"[A-ZÄÖÜ][\w'’.-]+(?:\s+[A-ZÄÖÜ][\w'’.-]+){1,3}"
_BYLINE_PHRASE = re.compile(rf"[Vv]on\s+{_NAME}(?:\s*(?:,|und|&)\s*{_NAME})*")
# A date's last resort, after the labelled ones: the first element named as a date that shows one,
# outside teasers of other articles
# ("<span class="article__date">05.08.2024, 20:59 Uhr</span>")
_DATE_BOXES = (
    "//*[contains(@class, 'date') or contains(@class, 'datum') or contains(@class, 'time')]"
    "[not(*[contains(@class, 'date') or contains(@class, 'datum') or contains(@class, 'time')])]"
    "[string-length(normalize-space()) < 80][not(ancestor-or-self::*[contains(@class, 'teaser')])]"
)

# Last resort for authors: links to author pages in the byline of the page's (first) article.
_BYLINE_LINKS = (
    "(//article)[1]//a[@rel='author' or contains(@href, '/autor') or contains(@href, '/author/')]"
)
# and after them, the innermost elements named as a byline ("<p class="author">von <a>…</a></p>"), where short
_BYLINE_BOXES = (
    "//*[contains(@class, 'author') or contains(@class, 'byline')]"
    "[not(.//*[contains(@class, 'author') or contains(@class, 'byline')])]"
    "[not(ancestor-or-self::*[contains(@class, 'teaser')])]"  # another article's byline
    "[not(contains(@class, 'position') or contains(@class, 'role') or contains(@class, 'job'))]"  # "Korrespondent"
)
_BYLINE_GROUP_DEPTH = 2  # the article's byline boxes sit this close to its first one; farther ones are other articles
_BYLINE_MAX_CHARS = 80  # longer, it is an author's biography or a box of their articles
# schema.org microdata: the author item's name, else its text
_MICRODATA_AUTHORS = "//*[@itemprop='author'][not(self::meta)]"

# Generic reading, for pages no template version matches.
# Where a page has neither <article> nor <main>, the element its markup names as the article's text
# (looked for only then: a search of every element's attributes costs a third of the page's parse).
_GENERIC_BODY_MARKS = "//*[@itemprop='articleBody'] | //div[@id='articleBody']"
_GENERIC_BLOCKS = ("p", "h2", "h3")
_GENERIC_MIN_WORDS = 3  # shorter paragraphs outside a template are labels ("Embed", "Mehr")
_CORE_SHARE = 0.9  # inside it, the most specific element holding this share of its text is the article's
# What a <div> may hold and still be one paragraph of text
_INLINE_TAGS = {
    "a", "abbr", "b", "br", "cite", "code", "em", "i", "mark", "q", "s", "small", "span", "strong", "sub", "sup",
    "time", "u",
}
_LD_BODY_SHARE = 0.5  # a JSON-LD articleBody shorter than this share of the text read is a teaser
_LD_OPENING_CHARS = 40
_LD_BODY_MIN_CHARS = 1000  # a JSON-LD articleBody of this many letters and digits is an article, not a teaser
# Inside the article container, text under these is not body: boxes, links, nested teaser articles.
# Lists are left out too: beside the text they are tag lists, sources, product lists and key points
# repeating it, and Fundus's readers, whose expected values this reading is measured by, leave them out;
# a <blockquote> in a news article is a pull quote repeating a sentence of the text.
_NOISE_TAGS = {
    "a", "article", "aside", "nav", "figure", "figcaption", "footer", "form", "header", "button", "ul", "ol",
    "blockquote", "video", "audio",
}
_NOISE_NAMES = re.compile(
    r"related|teaser|recommend|newsletter|caption|promo|advert(?!orial)|\bads?\b|ad-|share|social|comment|breadcrumb"
    r"|byline|author|timestamp|paywall|consent|cookie|footer|modal|\bcmp|head(?:er)?(?:\b|_)|media|video|player"
    r"|embed|quote|zitat|citation",
)  # matched against lowered names: a case-blind search of every class name costs a fifth of the parse
_INVISIBLE = {"script", "style", "noscript", "template"}
# Where a <br> breaks a block's text: a vertical tab, which str.split() takes as whitespace (so a
# break joins words with a space in _text) and which HTML text practically never holds.
_LINE_BREAK = "\v"
_MAX_LINK_SHARE = 0.5  # a block whose text is more than half link text is navigation, not article


class NotAnArticle(ValueError):
    """The page holds no article (empty, consent wall, paywall teaser, section front).

    The message is a short one-line reason.
    """


AddressCheck = Callable[[str], str | None]  # an address as it may be stored, or None


def extract_article(
    html: bytes, url: str, templates: Sequence[Template], encoding: str | None = None,
    page_url: AddressCheck = http_url, picture_url: AddressCheck = http_url,
) -> dict[str, Any]:
    """The article fields of the page ``html`` fetched from ``url``.

    ``templates`` are the outlet's template versions, newest first; ``encoding`` is the charset
    the HTTP header declared, if any (it may be wrong: valid UTF-8 is read as UTF-8 regardless,
    see page_encoding). ``page_url`` and ``picture_url`` give the address a canonical link or
    og:url, and a picture, may be stored as, or None when the page may not name it (another
    outlet's, not http(s)); the next source is asked then. Raises NotAnArticle for a page
    without an article.
    """
    if not html.strip():
        raise NotAnArticle("empty page")
    root = _parse(html)
    if any(error.type in _ENCODING_ERRORS for error in _PARSER.error_log):
        # Not UTF-8 after all (checking first would cost a decode of every page): read it again.
        codec = page_encoding(html, encoding)
        root = _parse(html if codec == "utf-8" else html.decode(codec, errors="replace").encode("utf-8"))
    return _Page(root, url, templates, page_url, picture_url).fields()


def _parse(html: bytes) -> lxml.html.HtmlElement:
    try:
        return lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError) as error:
        raise NotAnArticle(f"unparseable page ({error})") from None


def page_encoding(html: bytes, declared: str | None = None) -> str:
    """The Python codec that turns the page ``html`` into text.

    A byte-order mark decides. Otherwise valid UTF-8 is taken as UTF-8 whatever was declared:
    text in a single-byte charset with any non-ASCII letter is practically never valid UTF-8,
    while a UTF-8 page declared as latin-1 is a common server mistake. Failing that, the
    declared charset, then the page's <meta charset>, then windows-1252 (which browsers also
    read for "latin-1" and "ascii").
    """
    for bom, codec in _BOMS:
        if html.startswith(bom):
            return codec
    try:
        html.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(html, 0, 4096)
    for label in (declared, meta and meta.group(1).decode("ascii")):
        codec = _single_byte_codec(label)
        if codec:
            return codec
    return "cp1252"


def _single_byte_codec(label: str | None) -> str | None:
    """Python's codec for a charset label, or None for unknown labels and UTF-8 (known invalid here)."""
    try:
        name = codecs.lookup((label or "").strip().strip("\"'")).name
    except LookupError:
        return None
    if name in ("iso8859-1", "ascii"):
        return "cp1252"
    return None if name.startswith("utf-8") else name


@lru_cache(maxsize=None)
def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def _select(root: lxml.html.HtmlElement, expression: str | None) -> list[Any]:
    return _xpath(expression)(root) if expression else []


def _text(node: Any) -> str:
    """The node's visible text (an element's, or an XPath string result) with whitespace collapsed."""
    if not isinstance(node, lxml.html.HtmlElement):
        return " ".join(str(node).split())
    if next(node.iter(*_INVISIBLE, "br"), None) is None:
        return " ".join(node.text_content().split())
    return " ".join("".join(_visible_strings(node)).split())


def _block_texts(element: lxml.html.HtmlElement) -> list[str]:
    """The texts of a body block: one, or one per line where <br> breaks it (the 2026 Berliner
    Zeitung template puts several paragraphs into one <p>, split by <br><br>)."""
    if next(element.iter("br"), None) is None:
        text = _text(element)
        return [text] if text else []
    lines = "".join(_visible_strings(element)).split(_LINE_BREAK)
    return [text for text in (" ".join(line.split()) for line in lines) if text]


def _visible_strings(element: lxml.html.HtmlElement) -> Iterator[str]:
    """The element's text without that of scripts, styles and comments inside it; <br> as _LINE_BREAK."""
    if element.text and element.tag not in _INVISIBLE:
        yield element.text
    for child in element:
        if child.tag == "br":
            yield _LINE_BREAK
        elif isinstance(child.tag, str) and child.tag not in _INVISIBLE:
            yield from _visible_strings(child)
        if child.tail:
            yield child.tail


def _first_text(nodes: Iterable[Any]) -> str | None:
    return next((text for text in map(_text, nodes) if text), None)


def _clean(value: Any) -> str | None:
    """A JSON-LD or meta string, unescaped and with whitespace collapsed; None for anything else."""
    if not isinstance(value, str):
        return None
    text = " ".join((html_entities.unescape(value) if "&" in value else value).split())
    return text or None


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _squeeze(name: str) -> str:
    """A name reduced for comparison: "t-online.de" and "T-Online" both become "tonlinede"/"tonline"."""
    return re.sub(r"[\W_]+", "", name.lower())


def _is_article_type(node: dict[str, Any]) -> bool:
    return any(
        isinstance(kind, str) and (kind.endswith("Article") or kind in _ARTICLE_TYPES)
        for kind in _listed(node.get("@type"))
    )


def _json_ld(text: str) -> Any:
    """A JSON-LD block's data, also where the JSON is wrapped in CDATA, a comment or a trailing ";"."""
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    for opening, closing in ("{}", "[]"):  # an object, or a list of them
        start, end = text.find(opening), text.rfind(closing) + 1
        if not 0 <= start < end:
            continue
        try:
            return json.loads(text[start:end], strict=False)
        except ValueError:
            continue
    return None


def _ld_objects(data: Any) -> Iterator[dict[str, Any]]:
    """The objects of one JSON-LD block: top level, @graph members and nested main entities."""
    pending = [data]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(reversed(node))
        elif isinstance(node, dict):
            yield node
            pending.extend(node[key] for key in ("breadcrumb", "mainEntity", "@graph") if key in node)


class _Page:
    """One parsed page; each field is read at most once, in the order of trust."""

    def __init__(self, root: lxml.html.HtmlElement, url: str, templates: Sequence[Template],
                 page_url: AddressCheck = http_url, picture_url: AddressCheck = http_url) -> None:
        self.root = root
        self.url = url
        self.templates = templates
        self.page_url, self.picture_url = page_url, picture_url
        self.meta: dict[str, list[str]] = {}
        self.canonical_link: str | None = None
        self.ld_objects: list[dict[str, Any]] = []
        self._read_head()

    def _read_head(self) -> None:
        """Meta tags, the canonical link and the JSON-LD objects, in one pass over the tree."""
        for element in self.root.iter("meta", "link", "script"):
            if element.tag == "meta":
                key = element.get("property") or element.get("name") or element.get("itemprop")
                content = element.get("content")
                if key and content and content.strip():
                    self.meta.setdefault(key.lower(), []).append(content.strip())
            elif element.tag == "link":
                if self.canonical_link is None and "canonical" in (element.get("rel") or "").lower().split():
                    self.canonical_link = (element.get("href") or "").strip() or None
            elif (element.get("type") or "").strip().lower() == "application/ld+json" and element.text:
                data = _json_ld(element.text)
                if data is not None:  # a broken block is skipped: the meta tags and the DOM still count
                    self.ld_objects.extend(_ld_objects(data))

    def first_meta(self, *keys: str) -> str | None:
        return next((self.meta[key][0] for key in keys if key in self.meta), None)

    @cached_property
    def ld(self) -> dict[str, Any]:
        """The page's JSON-LD article object ({} if it has none)."""
        return next((node for node in self.ld_objects if _is_article_type(node)), {})

    @cached_property
    def _matched(self) -> tuple[Template | None, list[str]]:
        """The newest template version whose body XPath finds text on this page, and that text."""
        for template in self.templates:
            paragraphs = self._template_body(template)
            if paragraphs:
                return template, paragraphs
        return None, []

    @property
    def template(self) -> Template | None:
        return self._matched[0]

    def _template_body(self, template: Template) -> list[str]:
        paragraphs: list[str] = []
        for element in _select(self.root, template.body):
            blocks = element.iterchildren("li") if element.tag in ("ul", "ol") else (element,)
            for block in blocks:
                if block.tag == "li" and _mostly_links(block):
                    continue  # a list of links to other articles
                paragraphs.extend(text for text in _block_texts(block) if not _is_read_more(text, block))
        return paragraphs

    def template_text(self, field: str) -> str | None:
        return _first_text(_select(self.root, getattr(self.template, field, None)))

    def template_texts(self, field: str) -> list[str]:
        return [text for text in map(_text, _select(self.root, getattr(self.template, field, None))) if text]

    # -- fields ---------------------------------------------------------------------------------

    def fields(self) -> dict[str, Any]:
        self._reject_non_article()
        body = self.paragraphs
        if not body:
            raise NotAnArticle(self._why_no_text())
        title = self.title
        if not title:
            raise NotAnArticle("no headline")
        if not self._marked_as_article and _CONSENT_WORDS.search(" ".join([title, *body[:3]])):
            raise NotAnArticle("consent wall without the article text")
        if self._paywalled and sum(map(len, body)) < _PAYWALL_TEASER_MAX_CHARS:
            raise NotAnArticle("paywall teaser without the article text")
        return {
            "title": title,
            "seo_title": self.seo_title,
            "kicker": self.template_text("kicker"),
            "teaser": self.teaser,
            "body": "\n\n".join(body),
            "authors": self.authors,
            "published": self.published,
            "modified": publication_datetime(
                self.ld.get("dateModified") or self.first_meta("article:modified_time", "og:updated_time")
            ),
            "section": self.section,
            "keywords": self.keywords,
            "language": self.language,
            "image": self.image,
            "canonical_url": self.canonical_url,
            "dateline": dateline_of(body[0]),
        }

    def _reject_non_article(self) -> None:
        # A page the outlet's article template reads is an article whatever its og:type says, and
        # so is one with an article's worth of text outside boxes (some article pages are typed
        # "website"; a section front's teasers are boxes, and short).
        page_type = (self.first_meta("og:type") or "").lower()
        if not self.ld and page_type and page_type != "article" and self.template is None:
            if sum(map(len, self.paragraphs)) < _UNMARKED_ARTICLE_MIN_CHARS:
                raise NotAnArticle(f"not an article page (og:type {page_type}): a section front or other page")

    @property
    def _marked_as_article(self) -> bool:
        """Whether anything but generic text says this is an article page."""
        return bool(self.ld) or self.first_meta("og:type") == "article" or self.template is not None

    @property
    def _paywalled(self) -> bool:
        return str(self.ld.get("isAccessibleForFree", "")).lower() == "false"

    def _why_no_text(self) -> str:
        if self._paywalled:
            return "paywall teaser without the article text"
        visible = " ".join([self.root.findtext("head/title") or "", _text(self.root)[:3000]])
        if _CONSENT_WORDS.search(visible):
            return "consent wall without the article text"
        return "no article text found"

    @cached_property
    def paragraphs(self) -> list[str]:
        if self.template:
            return self._matched[1]
        return self._generic_body() or _ld_body(self.ld.get("articleBody"))

    def _generic_body(self) -> list[str]:
        """Paragraphs of the container holding the most text outside boxes and navigation,
        narrowed to the part of it that holds nearly all of that text, and where the JSON-LD gives
        the article's text, minus what that text does not hold."""
        reading = self._generic_reading()
        if reading is None:
            return []
        container, paragraphs = reading
        core = _densest(paragraphs, container)
        kept = [(block.tag, text) for block, text in paragraphs if _within(block, core)]
        article_text = _ld_body_text(self.ld.get("articleBody"))
        body = _held_by(kept, article_text)
        if len(article_text) >= _LD_BODY_MIN_CHARS and _covered(body, article_text) < _LD_BODY_SHARE:
            # the text read is some box beside the article (whose text the page sets in a way this
            # reading misses, <br>-separated in a table cell, say): the JSON-LD holds the article
            return _ld_body(self.ld.get("articleBody"))
        return body

    def _generic_reading(self) -> tuple[lxml.html.HtmlElement, list[tuple[lxml.html.HtmlElement, str]]] | None:
        """The article-like element with the most text of its own, and its paragraphs (block, text).

        The candidates are the <article>s and <main>s, else the element marked as the article's
        text, else <body>. Each counts only the text outside its boxes, so a <main> whose reader
        comments outweigh its nested <article> does not win with the comments, and a nested
        teaser <article> does not win with the text around it.
        """
        containers = (
            list(self.root.iter("article", "main")) or _select(self.root, _GENERIC_BODY_MARKS) or self.root.findall("body")
        )
        readings = [(element, self._generic_paragraphs(element)) for element in containers]
        return max(readings, key=lambda reading: sum(len(text) for _, text in reading[1]), default=None)

    def _generic_paragraphs(self, container: lxml.html.HtmlElement) -> list[tuple[lxml.html.HtmlElement, str]]:
        paragraphs = []
        for block in _generic_blocks(container):
            for text in _block_texts(block):
                if block.tag not in ("h2", "h3") and len(text.split()) < _GENERIC_MIN_WORDS:
                    continue
                if text != self.title and not _is_read_more(text, block):
                    paragraphs.append((block, text))
        return paragraphs

    @cached_property
    def title(self) -> str | None:
        if self.template is None:
            return self._generic_title()
        # The visible headline where the template knows it; otherwise the JSON-LD headline, which
        # these outlets word for search engines at times but which is the article's own headline
        # all the same (t-online words og:title for social media).
        return self._visible_headline() or self._title_texts["ld"] or self._title_texts["h1"] or self._title_texts["og:title"]

    def _generic_title(self) -> str | None:
        """The headline of a page no template describes, from what its head and <h1> say.

        og:title is the editors' headline on most sites, while the JSON-LD headline is often
        worded for search engines; but where og:title only repeats the page's <title>, the site
        fills it automatically and the JSON-LD headline is the one written for the article. Each
        candidate is read without a site or section suffix (" - WELT", " | DW | 28.04.2023").
        """
        social, structured = self._title_candidates("og:title"), self._title_candidates("ld")
        document = self._title_candidates("title")
        # (an og:title cut short at a quotation mark in its attribute repeats it too)
        repeats_document = bool(social and document and document.startswith(social))
        if social and structured and _squeeze(social) != _squeeze(structured) and repeats_document:
            return structured
        return social or structured or self._title_texts["h1"] or document

    @cached_property
    def _title_texts(self) -> dict[str, str | None]:
        return {
            "og:title": _clean(self.first_meta("og:title")),
            "ld": _clean(self.ld.get("headline")),
            "title": _clean(self.root.findtext("head/title")),
            "twitter:title": _clean(self.first_meta("twitter:title")),
            "h1": _first_text(self.root.iter("h1")),
        }

    def _title_candidates(self, source: str) -> str | None:
        """The headline ``source`` gives, without the suffix by which it extends another source's
        headline or that names the outlet."""
        text = self._title_texts[source]
        if not text:
            return None
        others = [other for other in self._title_texts.values() if other and len(other) < len(text)]
        for other in sorted(others, key=len):
            if text.startswith(other) and _TITLE_SUFFIX.match(text, len(other)):
                return other
        for separator in reversed(list(_TITLE_SEPARATOR.finditer(text))):
            suffix = text[separator.end() :]
            if not (_is_outlet(_squeeze(suffix), self._outlet_names) or GERMAN_DATE.fullmatch(suffix)):
                break
            text = text[: separator.start()]
        return text

    def _visible_headline(self) -> str | None:
        """The headline the template shows; where that element holds more than the headline
        (a kicker inside the <h1>), og:title, which then is the headline alone."""
        shown = self.template_text("title")
        social = _clean(self.first_meta("og:title"))
        if shown and social and social != shown and social in shown:
            return social
        return shown

    @property
    def seo_title(self) -> str | None:
        """The search-engine headline (JSON-LD headline or <title>), where it differs from the title."""
        for candidate in (_clean(self.ld.get("headline")), _clean(self.root.findtext("head/title"))):
            if candidate and candidate != self.title and not candidate.startswith(f"{self.title} "):
                return candidate
        return None

    @cached_property
    def teaser(self) -> str | None:
        return (
            self.template_text("teaser")
            or _clean(self.ld.get("description"))
            or _clean(self.first_meta("og:description", "description"))
        )

    @property
    def authors(self) -> list[str]:
        """The names the page gives for the article's authors, without the outlet's own.

        A JSON-LD author is the article's own: where it is only the outlet, the outlet wrote the
        text, unless the meta author tag names people (and no outlet) instead. The other sources
        are read in turn until one names someone: an outlet's name there is often a site-wide
        default ("mdr.de") while the byline names the writer.
        """
        declared = _ld_names(self.ld.get("author"))
        if declared:
            meta_names = _split_names(self.meta.get("author", []))
            people = _people(declared, self._outlet_names)
            if people:
                return people
            if meta_names and _people(meta_names, self._outlet_names) == _unique(meta_names):
                return _unique(meta_names)
            # the outlet is declared the author, yet the byline the reader sees may say "Von <name>"
            return _people(_split_names(self._stated_bylines()[:1]), self._outlet_names)
        for names in self._undeclared_authors():
            people = _people(names, self._outlet_names)
            if people:
                return people
        return []

    def _undeclared_authors(self) -> Iterator[list[str]]:
        """Author names outside the JSON-LD, by source, most trusted first, each looked up only if needed."""
        yield _split_names(self.meta.get("article:author", []))
        yield _split_names(self.template_texts("authors"))
        meta_names = _split_names(self.meta.get("author", []))
        # the meta tag often names the first author only, where the byline's links name them all
        yield self._linked_authors if meta_names and set(meta_names) < set(self._linked_authors) else meta_names
        yield _split_names(map(_microdata_name, _select(self.root, _MICRODATA_AUTHORS)))
        yield self._linked_authors
        yield _split_names(self._byline_texts())
        yield _split_names(islice(_byline_phrases(self.root), 1))
        yield _split_names(islice(_labelled_values(self.root, _AUTHOR_LABEL), 1))

    @cached_property
    def _linked_authors(self) -> list[str]:
        """The names of the links to author pages in the article's byline."""
        return _split_names(map(_text, _select(self.root, _BYLINE_LINKS)))

    def _byline_texts(self) -> list[str]:
        """The short texts of the article's byline: of the first element named as a byline that
        names someone, and of the others under its grandparent (two authors in two boxes), in page order."""
        boxes = [(box, text) for box, text in ((box, _text(box)) for box in _select(self.root, _BYLINE_BOXES))
                 if len(text) <= _BYLINE_MAX_CHARS and _split_names([text])]
        if not boxes:
            return []
        group = boxes[0][0]
        for _ in range(_BYLINE_GROUP_DEPTH):
            group = group.getparent() if group.getparent() is not None else group
        return [text for box, text in boxes if _within(box, group)]

    def _stated_bylines(self) -> list[str]:
        """Bylines that state the authorship in words: "Von Anna Muster"."""
        return [text for text in self._byline_texts() if _BYLINE_PREFIX.match(text)]

    @cached_property
    def _outlet_names(self) -> set[str]:
        """The outlet's own names, squeezed: site name, publisher names, and the host names."""
        names = [*self.meta.get("og:site_name", []), *self.meta.get("application-name", [])]
        for node in [self.ld.get("publisher"), *self.ld_objects]:
            if isinstance(node, dict) and any("Organization" in str(kind) for kind in _listed(node.get("@type"))):
                names.extend(name for name in [node.get("name"), *_listed(node.get("alternateName"))] if name)
        for address in (self.canonical_url, self.url):
            host = (urlsplit(address).hostname or "").removeprefix("www.")
            names.extend([host, *host.split(".")[:-1]])  # "www1.wdr.de": "wdr" too
        return {squeezed for squeezed in map(_squeeze, names) if len(squeezed) > 2}

    @property
    def published(self) -> str | None:
        # A placeholder ("0001-01-01", "9999-12-31") is no date: the next source is asked.
        return next(filter(None, map(publication_datetime, self._publication_times())), None)

    def _publication_times(self) -> Iterator[Any]:
        """Candidates for the publication time, most trusted first, each looked up only if needed."""
        yield self.ld.get("datePublished")
        yield self.first_meta(*_PUBLISHED_META)
        yield from _select(self.root, self.template.published if self.template else None)[:1]
        yield self.ld.get("dateCreated")
        # pages whose JSON-LD holds no article object may still date the page (a WebPage, say)
        yield next((node["datePublished"] for node in self.ld_objects if "datePublished" in node), None)
        for expression in _PUBLISHED_IN_DOM:
            yield from map(_text, _select(self.root, expression)[:1])
        yield from islice(_labelled_values(self.root, _DATE_LABEL), 1)
        yield from map(_text, _select(self.root, _DATE_BOXES))

    @property
    def section(self) -> str | None:
        section = _listed(self.ld.get("articleSection"))
        return (
            (_clean(section[0]) if section else None)
            or _clean(self.first_meta("article:section"))
            or self.template_text("section")
            or self._breadcrumb_section()
        )

    def _breadcrumb_section(self) -> str | None:
        for node in self.ld_objects:
            if node.get("@type") == "BreadcrumbList":
                items = [item for item in _listed(node.get("itemListElement")) if isinstance(item, dict)]
                names = [_clean(item.get("name")) for item in items]
                sections = [name for name in names if name and name.lower() not in ("home", "startseite")]
                sections = [name for name in sections if name not in (self.title, _clean(self.ld.get("headline")))]
                if sections:
                    return sections[-1]
        return None

    @property
    def keywords(self) -> list[str]:
        listed: list[Any] = _listed(self.ld.get("keywords"))
        if not listed:
            listed = self.meta.get("keywords") or self.meta.get("news_keywords") or []
        words = [word for value in listed if isinstance(value, str) for word in value.split(",")]
        if not words:
            words = self.meta.get("article:tag") or self.template_texts("keywords")
        # t-online appends its internal topic id to the keywords
        return _unique(word for word in (" ".join(w.split()) for w in words) if word and not word.isdigit())

    @property
    def language(self) -> str | None:
        in_language = self.ld.get("inLanguage")
        if isinstance(in_language, dict):
            in_language = in_language.get("alternateName") or in_language.get("name")
        label = (
            _clean(in_language)
            or _clean(self.root.get("lang"))
            or _clean(self.first_meta("language", "content-language", "og:locale"))
        )
        return re.split(r"[-_]", label, maxsplit=1)[0].lower() if label else None

    @property
    def image(self) -> str | None:
        first = next(iter(_listed(self.ld.get("image"))), None)
        candidates = (self.first_meta("og:image"), first.get("url") if isinstance(first, dict) else first,
                      self.first_meta("twitter:image"))
        return self._address(candidates, self.picture_url)

    @cached_property
    def canonical_url(self) -> str:
        return self._address((self.canonical_link, self.first_meta("og:url")), self.page_url) or self.url

    def _address(self, candidates: Iterable[Any], accepted: AddressCheck) -> str | None:
        """The first candidate address (relative to the page) that ``accepted`` lets through."""
        for candidate in candidates:
            if isinstance(candidate, str) and candidate.strip():
                if (address := accepted(urljoin(self.url, candidate.strip()))) is not None:
                    return address
        return None


def _generic_blocks(container: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    """The text blocks of ``container`` in page order: paragraphs, subheadings and <div>s that hold
    text of their own, outside boxes and navigation (whose subtrees are not walked at all)."""
    pending = list(reversed(container))
    while pending:
        node = pending.pop()
        if not isinstance(node.tag, str) or node.tag in _INVISIBLE or _is_box(node):
            continue
        if node.tag in _GENERIC_BLOCKS or (node.tag == "div" and _holds_prose(node)):
            if not _mostly_links(node):
                yield node
            continue  # a block's text is read whole, and none is nested in a <p> or a prose <div>
        pending.extend(reversed(node))


def _holds_prose(element: lxml.html.HtmlElement) -> bool:
    """Whether a <div> is a paragraph in all but name: text of its own beside nothing but inline
    elements (some sites set their whole text in plain <div>s, or in <br>-separated runs)."""
    if not (element.text or "").strip() and not any((child.tail or "").strip() for child in element):
        return False
    return all(node.tag in _INLINE_TAGS for node in element.iterdescendants() if isinstance(node.tag, str))


def _densest(paragraphs: list[tuple[lxml.html.HtmlElement, str]], container: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The most specific element inside ``container`` that holds nearly all the text of ``paragraphs``
    (block, text): the article's own text box, without the bylines, credits and notes around it."""
    weight: dict[lxml.html.HtmlElement, int] = {}
    for block, text in paragraphs:
        for node in (block, *block.iterancestors()):
            weight[node] = weight.get(node, 0) + len(text)
            if node is container:
                break
    total = weight.get(container, 0)
    core = container
    while True:
        heaviest = max(core.iterchildren(), key=lambda child: weight.get(child, 0), default=None)
        if heaviest is None or weight.get(heaviest, 0) < _CORE_SHARE * total:
            return core
        core = heaviest


def _within(element: lxml.html.HtmlElement, ancestor: lxml.html.HtmlElement) -> bool:
    return element is ancestor or any(node is ancestor for node in element.iterancestors())


def _mostly_links(element: lxml.html.HtmlElement) -> bool:
    link_length = _link_text_length(element)  # first: most blocks hold no link, and then need no more
    return link_length > 0 and link_length > _MAX_LINK_SHARE * len(_text(element))


def _link_text_length(element: lxml.html.HtmlElement) -> int:
    return sum(len(_text(link)) for link in element.iter("a"))


def _is_read_more(text: str, element: lxml.html.HtmlElement) -> bool:
    """Whether ``text`` (of ``element``) is a pointer to other articles, not a sentence of this one:
    "Lesen Sie auch: …" and "Auch interessant <a>…</a>" are, "Auch interessant ist, dass …" is not."""
    if len(text) > _READ_MORE_MAX_CHARS:
        return False
    label = _READ_MORE.match(text)
    if label is None:
        return False
    # nothing but the label stands outside the links (the 1 allows for the space before a link)
    return label["pointer"] is not None or len(text) - _link_text_length(element) <= label.end() + 1


def _is_box(element: lxml.html.HtmlElement) -> bool:
    """Whether the element is navigation, a caption, a box or a teaser, by its tag or its names."""
    if element.tag in _NOISE_TAGS:
        return True
    names = element.get("class"), element.get("id")
    return any(names) and _NOISE_NAMES.search(f"{names[0] or ''} {names[1] or ''}".lower()) is not None


def _ld_body_text(article_body: Any) -> str:
    """The JSON-LD articleBody squeezed for comparison (some sites put HTML into it)."""
    if not isinstance(article_body, str):
        return ""
    return _squeeze(html_entities.unescape(re.sub(r"<[^>]+>", " ", article_body)))


def _held_by(paragraphs: list[tuple[str, str]], article_text: str) -> list[str]:
    """The texts of ``paragraphs`` (tag, text) that ``article_text`` (squeezed) holds, and the
    subheadings just before them; all of them where ``article_text`` is missing, a mere teaser, or
    holds less than half of them (then it is not this text, or worded otherwise)."""
    texts = [text for _, text in paragraphs]
    # a paragraph's opening is enough: sites put links or notes into the page's text, not the JSON-LD's
    held = [_squeeze(text[: 2 * _LD_OPENING_CHARS])[:_LD_OPENING_CHARS] in article_text for text in texts]
    if len(article_text) < _LD_BODY_SHARE * len(_squeeze("".join(texts))) or sum(held) < len(held) / 2:
        return texts
    return [
        text for index, (tag, text) in enumerate(paragraphs)
        if held[index] or (tag in ("h2", "h3") and index + 1 < len(held) and held[index + 1])
    ]


def _covered(paragraphs: list[str], article_text: str) -> float:
    """The share of ``article_text`` (squeezed) that ``paragraphs`` whose opening it holds make up."""
    squeezed = [_squeeze(text) for text in paragraphs]
    return sum(len(text) for text in squeezed if text[:_LD_OPENING_CHARS] in article_text) / len(article_text)


def _ld_body(article_body: Any) -> list[str]:
    """The paragraphs of a JSON-LD articleBody: split at blank lines, or at line breaks where it has none."""
    text = article_body if isinstance(article_body, str) else ""
    paragraphs = re.split(r"\n\s*\n", text)
    if len(paragraphs) == 1:
        paragraphs = text.splitlines()
    return [paragraph for paragraph in map(_clean, paragraphs) if paragraph]


def _microdata_name(author: lxml.html.HtmlElement) -> str:
    """A microdata author's name: its itemprop="name" (text or content), else its text."""
    name = _select(author, ".//*[@itemprop='name']")
    if name:
        return name[0].get("content") or _text(name[0])
    return author.get("content") or _text(author)


def _labelled_values(root: lxml.html.HtmlElement, label: re.Pattern[str]) -> Iterator[str]:
    """The values the page labels with ``label`` in words, in page order: the text after the label
    in the element that holds it ("<li><strong>Datum</strong> 28.04.2023</li>", "Von: <a>…</a>"),
    or the <dd> after a <dt> holding the label alone."""
    for holder, node in _label_texts(root):
        text = " ".join(node.split())
        labelled = label.match(text)
        if labelled is None or (labelled.end() < len(text) and labelled["colon"] is None):
            continue
        while holder is not None and len(_text(holder)) <= labelled.end() and holder.tag != "dt":
            holder = holder.getparent()
        if holder is None:
            continue
        if holder.tag == "dt":
            following = holder.getnext()
            value = _text(following) if following is not None and following.tag == "dd" else ""
        else:
            text = _text(holder)
            shown = label.match(text)
            value = text[shown.end() :] if shown else ""
        value = _NEXT_LABEL.sub("", value).strip(" :")
        if value and len(value) <= _BYLINE_MAX_CHARS:
            yield value


def _byline_phrases(root: lxml.html.HtmlElement) -> Iterator[str]:
    """The texts of the elements that hold nothing but a byline in words, in page order."""
    return (text for text in (_text(holder) for holder, _ in _label_texts(root)) if _BYLINE_PHRASE.fullmatch(text))


def _label_texts(root: lxml.html.HtmlElement) -> Iterator[tuple[lxml.html.HtmlElement, str]]:
    """The visible text nodes of the page's body that start with a label word, each with the element
    that holds it (a loop over the elements: an XPath over every text node costs three times as much)."""
    for body in root.iterchildren("body"):
        for element in body.iter():
            if not isinstance(element.tag, str):
                continue
            if element.text and element.tag not in _INVISIBLE and element.text.lstrip().startswith(_LABEL_WORDS):
                yield element, element.text
            if element.tail and element.tail.lstrip().startswith(_LABEL_WORDS):
                parent = element.getparent()
                if parent is not None:
                    yield parent, element.tail


def _ld_names(value: Any) -> list[str]:
    """Author names from JSON-LD: a string, a Person/Organization object, or a list of them."""
    names: list[str] = []
    for item in _listed(value):
        name = _ld_name(item) if isinstance(item, dict) else item
        names.extend(_split_names(name for name in _listed(name) if isinstance(name, str)))
    return names


def _ld_name(person: dict[str, Any]) -> Any:
    """A JSON-LD Person's or Organization's name, or its given and family name joined."""
    if person.get("name"):
        return person["name"]
    parts = [person.get(key) for key in ("givenName", "additionalName", "familyName")]
    return " ".join(part for part in parts if isinstance(part, str) and part.strip()) or None


def _split_names(values: Iterable[str]) -> list[str]:
    """Single names from strings such as "Von: Anna Muster und Ben Beispiel" or "Anna Muster/dpa"."""
    names = []
    for value in values:
        if value.startswith(("http://", "https://")):
            continue  # some outlets put the author's profile page into article:author
        text = _BYLINE_PREFIX.sub("", _clean(value) or "")
        # a name holds no digits: "Veröffentlicht am 27.04.24", "03:07 Min." are a byline box's other lines
        names.extend(name.strip() for name in _AUTHOR_SEPARATORS.split(text) if name.strip() and not _DIGIT.search(name))
    return names


def _people(names: list[str], outlet_names: set[str]) -> list[str]:
    """``names`` without the outlet's own names.

    News agencies stay, beside people too ("Anna Muster, dpa"): the page names them among the
    authors, and Fundus, whose hand-checked expectations this project follows, keeps them (its
    Berliner Zeitung /news/ page expects ["AFP"]; its parsers pass JSON-LD and meta authors on
    without dropping agencies).
    """
    return [
        name for name in _unique(names)
        if _squeeze(name) and not _is_outlet(_squeeze(name), outlet_names)
        # an edition of the outlet: "MDR THÜRINGEN", "WELT AM SONNTAG"
        and _squeeze(name.split()[0]) not in outlet_names
    ]


def _is_outlet(squeezed_name: str, outlet_names: set[str]) -> bool:
    """Whether a squeezed author name is the outlet's own: equal to one of its names, or holding a
    name long enough not to turn up inside a person's ("Redaktion Berliner Zeitung", not "blz")."""
    return any(
        squeezed_name == outlet or (len(outlet) >= _OUTLET_NAME_MIN_INSIDE and outlet in squeezed_name)
        for outlet in outlet_names
    )
