"""Extraction speed on the real fixture pages: newsagg's extract_article against trafilatura and
against lxml's parse alone, measured in the same run and printed as ratios.

    python benchmarks/extract.py [--rounds 30]

Each round reads every fixture page once with each contender, the contenders taking turns within a
round so that a busy machine slows them alike; a contender's time is the sum of its best time on
each page, which a machine busy with other work disturbs least. Goals (issue 3):
extraction at least 3× as fast as trafilatura and at least half as fast as the parse alone.
Needs the `bench` extra (trafilatura).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from crawlers.extract import extract_article
from crawlers.outlets import DECLARED
from crawlers.templates import Template

PAGES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"
GOAL_VS_TRAFILATURA = 3.0
GOAL_VS_PARSE = 0.5


@dataclass(frozen=True)
class Page:
    name: str
    html: bytes
    url: str
    templates: tuple[Template, ...]


def load_pages() -> list[Page]:
    pages = []
    for path in sorted(PAGES.glob("*/*.html.gz")):
        expected = json.loads(path.with_name(path.name.replace(".html.gz", ".expected.json")).read_text("utf-8"))
        html = gzip.decompress(path.read_bytes())
        pages.append(Page(path.name, html, expected["source_url"], DECLARED[expected["outlet"]].templates))
    return pages


def contenders() -> dict[str, Callable[[Page], object]]:
    import trafilatura  # imported here: only the benchmark needs it

    return {
        "newsagg extract_article": lambda page: extract_article(page.html, page.url, page.templates),
        "trafilatura.extract": lambda page: trafilatura.extract(page.html, url=page.url),
        "lxml.html parse only": lambda page: lxml.html.document_fromstring(page.html),
    }


def best_seconds(pages: list[Page], runs: dict[str, Callable[[Page], object]], rounds: int) -> dict[str, float]:
    """Per contender, the sum over the pages of each page's best time in ``rounds`` rounds."""
    best = {name: [float("inf")] * len(pages) for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            for index, page in enumerate(pages):
                started = time.perf_counter()
                run(page)
                best[name][index] = min(best[name][index], time.perf_counter() - started)
    return {name: sum(times) for name, times in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="rounds over all pages per contender (default 30)")
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore")  # trafilatura warns about pages it finds too short
    pages = load_pages()
    runs = contenders()
    print(f"{len(pages)} real fixture pages, {sum(len(p.html) for p in pages) / 1e6:.2f} MB, "
          f"best of {args.rounds} rounds per page", file=sys.stderr)
    best_seconds(pages, runs, 1)  # warm-up: imports, compiled XPaths, caches
    seconds = best_seconds(pages, runs, args.rounds)

    rate = {name: len(pages) / elapsed for name, elapsed in seconds.items()}
    for name, pages_per_second in rate.items():
        print(f"{name:<26} {pages_per_second:8.0f} pages/s  ({seconds[name] / len(pages) * 1000:6.2f} ms/page)")
    ours = rate["newsagg extract_article"]
    vs_trafilatura = ours / rate["trafilatura.extract"]
    vs_parse = ours / rate["lxml.html parse only"]
    print(f"extract_article / trafilatura     = {vs_trafilatura:5.1f}×  (goal ≥ {GOAL_VS_TRAFILATURA:g}×)")
    print(f"extract_article / lxml parse only = {vs_parse:5.0%}   (goal ≥ {GOAL_VS_PARSE:.0%})")
    met = vs_trafilatura >= GOAL_VS_TRAFILATURA and vs_parse >= GOAL_VS_PARSE
    print("goals met" if met else "goals NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
