"""Extraction quality and speed on real pages: newsagg's extract_article against trafilatura (and
against lxml's parse alone), measured in the same run.

    python benchmarks/extract.py [--rounds 10] [--pages] [--misses] [--without json-ld,meta]

Two page sets: the three outlets' fixture pages (tests/fixtures/pages) and ../shared/fixtures/generic-de
(39 pages of 25 publishers newsagg has no template for, with Fundus's hand-checked expected values).
Every page is read with its real URL and **no template**, the generic reading a new outlet gets; the
outlets' pages read with their templates are tested in tests/test_extract.py.

Quality, per page and in total, scored as the issue (11) says:
- body recall: share of the expected paragraphs found — rapidfuzz ratio ≥ 90 against one output
  paragraph, or against two neighbouring ones joined (a paragraph split in two);
- body precision: share of the output paragraphs that match an expected paragraph, subheading or
  lead the same way;
- title: exact, whitespace normalised; date: within 60 s (a time without offset is Berlin time);
- authors: as a set, the outlet's own names dropped on both sides;
- rejected: pages extract_article refuses as NotAnArticle.
The generic-de pages are also scored per half, the publishers split alternately in alphabetical
order, so that a rule tuned on one half can be checked on the other. ``--misses`` prints what was read
and what was expected for every wrong title, date and author list. ``--without json-ld`` (or
``json-ld,meta``) scores generic-de once more with the JSON-LD blocks (and meta tags) taken out of
every page: how well the reading of what the page shows stands in for a publisher's missing or
unusual structured data.

Speed: each round reads every page once with each contender, the contenders taking turns within a
round so that a busy machine slows them alike; a contender's time is the sum of its best time on
each page, which a machine busy with other work disturbs least. Goals (issue 11): recall ≥ 0.98,
precision ≥ 0.92, title ≥ 0.90, date ≥ 0.97, authors ≥ 0.85, no page rejected, ≥ 5× trafilatura's
pages/s, ≥ half the parse's. Needs the `bench` extra (trafilatura).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from statistics import mean
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import lxml.html
from rapidfuzz import fuzz

from crawlers.extract import NotAnArticle, extract_article

REPO = Path(__file__).resolve().parent.parent
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"
GENERIC_DE = REPO.parent / "shared" / "fixtures" / "generic-de"
BERLIN = ZoneInfo("Europe/Berlin")
MATCH_RATIO = 90
DATE_TOLERANCE_SECONDS = 60
GOALS = {"recall": 0.98, "precision": 0.92, "title": 0.90, "date": 0.97, "authors": 0.85}
GOAL_VS_TRAFILATURA = 5.0
GOAL_VS_PARSE = 0.5
OURS, TRAFILATURA, PARSE = "newsagg extract_article", "trafilatura.extract", "lxml.html parse only"


@dataclass(frozen=True)
class Expected:
    title: str | None
    authors: list[str] | None
    published: str | None
    paragraphs: list[str] | None  # the text's paragraphs: what recall counts
    other_blocks: list[str] = field(default_factory=list)  # lead and subheadings: body, but not counted


@dataclass(frozen=True)
class Page:
    name: str
    publisher: str
    html: bytes
    url: str
    expected: Expected


@dataclass(frozen=True)
class Reading:
    """What a contender read from a page: None for a field it gave nothing for."""

    title: str | None
    authors: list[str]
    published: str | None
    paragraphs: list[str]
    rejected: str | None = None


@dataclass(frozen=True)
class Score:
    recall: float | None
    precision: float | None
    title: bool | None
    date: bool | None
    authors: bool | None
    rejected: str | None


def fixture_pages() -> list[Page]:
    pages = []
    for path in sorted(FIXTURE_PAGES.glob("*/*.html.gz")):
        values = json.loads(path.with_name(path.name.replace(".html.gz", ".expected.json")).read_text("utf-8"))
        expected = Expected(
            title=values["title"], authors=values["authors"], published=values["published"],
            paragraphs=values["paragraphs"], other_blocks=[values["teaser"] or "", *(values["subheadlines"] or [])],
        )
        pages.append(Page(path.name, values["outlet"], gzip.decompress(path.read_bytes()), values["source_url"], expected))
    return pages


def generic_de_pages(folder: Path) -> list[Page]:
    pages = []
    for entry in json.loads((folder / "manifest.json").read_text("utf-8")):
        values = json.loads((folder / "expected" / f"{entry['publisher']}.json").read_text("utf-8"))
        values = values[entry["fundus_version"]]
        sections = values["body"]["sections"]
        expected = Expected(
            title=values.get("title"), authors=values.get("authors"), published=values.get("publishing_date"),
            paragraphs=[p for section in sections for p in section["paragraphs"]],
            other_blocks=[*values["body"]["summary"], *(h for section in sections for h in section["headline"])],
        )
        html = gzip.decompress((folder / "pages" / entry["file"]).read_bytes())
        pages.append(Page(entry["file"], entry["publisher"], html, entry["url"], expected))
    return pages


_STRUCTURED_DATA = {
    "json-ld": re.compile(rb"<script[^>]*application/ld\+json.*?</script>", re.DOTALL | re.IGNORECASE),
    "meta": re.compile(rb"<meta\b[^>]*>", re.IGNORECASE),
}


def without(pages: Sequence[Page], kinds: Sequence[str]) -> list[Page]:
    """The pages with their structured data of ``kinds`` ("json-ld", "meta") taken out."""
    stripped = []
    for page in pages:
        html = page.html
        for kind in kinds:
            html = _STRUCTURED_DATA[kind].sub(b"", html)
        stripped.append(replace(page, html=html))
    return stripped


def halves(pages: Sequence[Page]) -> dict[str, list[Page]]:
    """The pages split by publisher: alternate publishers in alphabetical order go to each half."""
    publishers = sorted({page.publisher for page in pages})
    first = set(publishers[::2])
    return {
        "half A": [page for page in pages if page.publisher in first],
        "half B": [page for page in pages if page.publisher not in first],
    }


# -- reading ------------------------------------------------------------------------------------


def read_with_newsagg(page: Page) -> Reading:
    try:
        article = extract_article(page.html, page.url, ())
    except NotAnArticle as refusal:
        return Reading(None, [], None, [], rejected=str(refusal))
    return Reading(article["title"], article["authors"], article["published"], article["body"].split("\n\n"))


def read_with_trafilatura(page: Page) -> Reading:
    import trafilatura  # imported here: only the benchmark needs it

    document = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    if document is None:
        return Reading(None, [], None, [], rejected="nothing extracted")
    values = document.as_dict() if hasattr(document, "as_dict") else document
    authors = [name.strip() for name in re.split(r";|,", values.get("author") or "") if name.strip()]
    paragraphs = [line for line in (values.get("text") or "").split("\n") if line.strip()]
    return Reading(values.get("title"), authors, values.get("date"), paragraphs)


# -- scoring ------------------------------------------------------------------------------------


def normalized(text: str) -> str:
    return " ".join(text.split())


def _squeezed(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.lower())


def outlet_names(page: Page) -> set[str]:
    """The outlet's own names: the publisher's, the site name and publisher the page gives, the host's."""
    root = lxml.html.document_fromstring(page.html)
    names = [page.publisher, *root.xpath("//meta[@property='og:site_name']/@content")]
    host = (urlsplit(page.url).hostname or "").removeprefix("www.")
    names.extend([host, *host.split(".")[:-1]])
    return {squeezed for squeezed in map(_squeezed, names) if len(squeezed) > 2}


def people(names: Iterable[str], outlet: set[str]) -> set[str]:
    """``names`` without the outlet's own: equal to one of its names or holding one of four letters or more."""
    kept = set()
    for name in names:
        squeezed = _squeezed(name)
        if squeezed and not any(squeezed == own or (len(own) >= 4 and own in squeezed) for own in outlet):
            kept.add(normalized(name).lower())
    return kept


def _matches(text: str, others: Sequence[str]) -> bool:
    """Whether ``text`` matches one of ``others``, or two neighbours of them joined (one split in two)."""
    candidates = [*others, *(f"{a} {b}" for a, b in zip(others, others[1:]))]
    return any(fuzz.ratio(text, other) >= MATCH_RATIO for other in candidates)


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=BERLIN)


def _same_time(found: str | None, expected: str) -> bool:
    try:
        return found is not None and abs((_moment(found) - _moment(expected)).total_seconds()) <= DATE_TOLERANCE_SECONDS
    except ValueError:
        return False


def score(page: Page, reading: Reading, outlet: set[str]) -> Score:
    expected = page.expected
    output = [normalized(p) for p in reading.paragraphs if p.strip()]
    wanted = [normalized(p) for p in expected.paragraphs or []]
    recall = precision = None
    if expected.paragraphs is not None:
        recall = mean(_matches(p, output) for p in wanted) if wanted else 1.0
        body_blocks = [*wanted, *(normalized(b) for b in expected.other_blocks if b.strip())]
        precision = mean(_matches(p, body_blocks) for p in output) if output else 0.0
    title = None if expected.title is None else normalized(reading.title or "") == normalized(expected.title)
    date = None if expected.published is None else _same_time(reading.published, expected.published)
    authors = None if expected.authors is None else people(reading.authors, outlet) == people(expected.authors, outlet)
    return Score(recall, precision, title, date, authors, reading.rejected)


def totals(scores: Sequence[Score]) -> dict[str, float]:
    """Per measure the mean over the pages that have an expected value for it."""
    result = {}
    for measure in GOALS:
        values = [float(value) for value in (getattr(s, measure) for s in scores) if value is not None]
        result[measure] = mean(values) if values else float("nan")
    result["rejected"] = sum(s.rejected is not None for s in scores)
    return result


def _figures(result: dict[str, float]) -> str:
    return "  ".join(f"{measure} {result[measure]:.3f}" for measure in GOALS) + f"  rejected {result['rejected']:.0f}"


def _page_line(page: Page, ours: Score, theirs: Score) -> str:
    def cell(score: Score) -> str:
        if score.rejected:
            return f"REJECTED ({score.rejected})"
        flags = "".join(
            letter if value else ("-" if value is None else ".")
            for letter, value in (("T", score.title), ("D", score.date), ("A", score.authors))
        )
        recall = "  -  " if score.recall is None else f"{score.recall:.2f}"
        precision = "  -  " if score.precision is None else f"{score.precision:.2f}"
        return f"R {recall} P {precision} {flags}"

    return f"  {page.name:<44} {cell(ours):<22} | {cell(theirs)}"


def _misses(page: Page, reading: Reading, result: Score) -> Iterator[str]:
    """Lines naming each wrong title, date and author list of ``reading``: what was read, what expected."""
    expected = page.expected
    for measure, found, wanted in (("title", reading.title, expected.title), ("date", reading.published, expected.published),
                                   ("authors", reading.authors, expected.authors)):
        if getattr(result, measure) is False:
            yield f"      {page.name} {measure}: read {found!r}, expected {wanted!r}"


def report_quality(label: str, pages: Sequence[Page], per_page: bool, misses: bool = False) -> dict[str, float]:
    """Prints the quality figures of both readers on ``pages``; returns newsagg's totals."""
    print(f"\n{label}: {len(pages)} pages, read without a template (newsagg | trafilatura; "
          "T title, D date, A authors right)")
    ours, theirs = [], []
    for page in pages:
        outlet = outlet_names(page)
        reading = read_with_newsagg(page)
        ours.append(score(page, reading, outlet))
        theirs.append(score(page, read_with_trafilatura(page), outlet))
        if per_page:
            print(_page_line(page, ours[-1], theirs[-1]))
        if misses:
            for line in _misses(page, reading, ours[-1]):
                print(line)
    result = totals(ours)
    print(f"  {'newsagg':<12} {_figures(result)}")
    print(f"  {'trafilatura':<12} {_figures(totals(theirs))}")
    return result


# -- speed --------------------------------------------------------------------------------------


def contenders() -> dict[str, Callable[[Page], object]]:
    import trafilatura

    return {
        OURS: lambda page: extract_article(page.html, page.url, ()),
        TRAFILATURA: lambda page: trafilatura.extract(page.html, url=page.url),
        PARSE: lambda page: lxml.html.document_fromstring(page.html),
    }


def best_seconds(pages: list[Page], runs: dict[str, Callable[[Page], object]], rounds: int) -> dict[str, float]:
    """Per contender, the sum over the pages of each page's best time in ``rounds`` rounds."""
    best = {name: [float("inf")] * len(pages) for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            for index, page in enumerate(pages):
                started = time.perf_counter()
                try:
                    run(page)
                except NotAnArticle:
                    pass  # a refusal costs its time like a reading; it is counted in the quality figures
                best[name][index] = min(best[name][index], time.perf_counter() - started)
    return {name: sum(times) for name, times in best.items()}


def report_speed(pages: list[Page], rounds: int) -> bool:
    runs = contenders()
    print(f"\nspeed: {len(pages)} pages, {sum(len(p.html) for p in pages) / 1e6:.2f} MB, best of {rounds} rounds per page")
    best_seconds(pages, runs, 1)  # warm-up: imports, compiled XPaths, caches
    seconds = best_seconds(pages, runs, rounds)
    rate = {name: len(pages) / elapsed for name, elapsed in seconds.items()}
    for name, pages_per_second in rate.items():
        print(f"  {name:<26} {pages_per_second:8.0f} pages/s  ({seconds[name] / len(pages) * 1000:6.2f} ms/page)")
    vs_trafilatura = rate[OURS] / rate[TRAFILATURA]
    vs_parse = rate[OURS] / rate[PARSE]
    print(f"  extract_article / trafilatura     = {vs_trafilatura:5.1f}×  (goal ≥ {GOAL_VS_TRAFILATURA:g}×)")
    print(f"  extract_article / lxml parse only = {vs_parse:5.0%}   (goal ≥ {GOAL_VS_PARSE:.0%})")
    return vs_trafilatura >= GOAL_VS_TRAFILATURA and vs_parse >= GOAL_VS_PARSE


def quality_met(result: dict[str, float]) -> bool:
    return result["rejected"] == 0 and all(result[measure] >= goal for measure, goal in GOALS.items())


def _structured_kinds(value: str) -> tuple[str, ...]:
    kinds = tuple(kind.strip() for kind in value.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in _STRUCTURED_DATA]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"{value!r}: give json-ld, meta or both (json-ld,meta)")
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="speed rounds over all pages per contender (default 10)")
    parser.add_argument("--pages", action="store_true", help="print the scores of every page")
    parser.add_argument("--misses", action="store_true", help="print what was read for every wrong title, date, authors")
    parser.add_argument("--without", type=_structured_kinds, default=(), metavar="json-ld,meta",
                        help="also score generic-de with this structured data taken out of every page")
    parser.add_argument("--generic-de", type=Path, default=GENERIC_DE, help=f"the generic-de folder (default {GENERIC_DE})")
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore")  # trafilatura warns about pages it finds too short
    fixtures, generic = fixture_pages(), generic_de_pages(args.generic_de)
    met = quality_met(report_quality("fixture pages", fixtures, args.pages, args.misses))
    met &= quality_met(report_quality("generic-de", generic, args.pages, args.misses))
    for label, half in halves(generic).items():
        publishers = sorted({page.publisher for page in half})
        print(f"\n{label}: {', '.join(publishers)}")
        report_quality(f"generic-de {label}", half, per_page=False)
    if args.without:
        # not a goal: what the page shows, read where the structured data is missing
        report_quality(f"generic-de without {','.join(args.without)}", without(generic, args.without), args.pages, args.misses)
    met &= report_speed(fixtures + generic, args.rounds)
    print("\ngoals met" if met else "\ngoals NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
