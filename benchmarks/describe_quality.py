"""Category (Vorfall) and location (Ort) accuracy of merged stories on the made-by-us labels.

    python benchmarks/describe_quality.py [--data ../shared/data] [--misses tune|held-out|new|third|all]

Reads tests/data/describe-labels.made-by-us.jsonl: 112 articles we labeled by reading them (the 5
fixture pages, 71 German SemEval articles, 36 English UCI headlines), split into a tune half,
which the cue words and place rules were fitted to, and a held-out half, which they were not;
each becomes a one-source story (``dedupe.merge.merged_story``). And
tests/data/describe-new-sample.made-by-us.jsonl (half "new"): 105 stories labeled before the
rules of issue 10 were written — 45 SemEval articles, 40 police releases, and 20 UCI stories
made of 8 headlines each, so that a story's Vorfall is what its sources say together. And
tests/data/describe-third-sample.made-by-us.jsonl (half "third"): 105 more stories of the same kinds
(50 SemEval articles, 40 police releases, 15 UCI stories), labeled before the rules were changed again
and never tuned on: read its misses only to report. A location is right
when it equals the label, or one of the label's ``also`` answers, after case and umlaut folding
(None = the article names no clear place). Also prints how often the category agrees with the
UCI data set's own topic labels (b/t/e/m) on all its dev headlines.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SHARED_DATA, TEST_DATA, fixture_articles, read_jsonl  # noqa: E402
from dedupe.merge import merged_story  # noqa: E402
from dedupe.text import fold  # noqa: E402

LABELS = TEST_DATA / "describe-labels.made-by-us.jsonl"
SAMPLES = {"new": TEST_DATA / "describe-new-sample.made-by-us.jsonl",
           "third": TEST_DATA / "describe-third-sample.made-by-us.jsonl"}
HALVES = ("tune", "held-out", *SAMPLES)
UCI_TOPICS = {"b": "Wirtschaft", "t": "Technik", "e": "Kultur", "m": "Gesundheit"}


def story_of(articles: list[dict[str, Any]]) -> dict[str, Any]:
    members = [{"id": number, "copy_of": None, "dateline": None, "fetched_at": article.get("published"),
                "teaser": None, "body": None, **article} for number, article in enumerate(articles, 1)]
    return merged_story(members)


def location_is_right(predicted: str | None, label: dict[str, Any]) -> bool:
    accepted = [label["location"], *label.get("also", [])]
    return any(fold(predicted or "") == fold(answer or "") for answer in accepted)


def articles_by_source(data: Path) -> dict[str, dict[str, Any]]:
    sources = fixture_articles()
    for path in (data / "semeval-de" / "dev-articles.jsonl", data / "uci-news" / "dev.jsonl",
                 data / "police-de" / "dev.jsonl"):
        for row in read_jsonl(path):
            sources.setdefault(row["url"], row)
    return sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="folder with uci-news/ and semeval-de/")
    parser.add_argument("--misses", choices=(*HALVES, "all"), help="list the misses of a half")
    args = parser.parse_args()
    sources = articles_by_source(args.data)
    right: dict[str, Counter[str]] = {half: Counter() for half in HALVES}
    misses = []
    labels = read_jsonl(LABELS) + [{"half": half, **label} for half, path in SAMPLES.items() for label in read_jsonl(path)]
    for label in labels:
        articles = [sources[source] for source in label.get("sources", [label.get("source")])]
        story = story_of(articles)
        counts = right[label["half"]]
        counts["articles"] += 1
        counts["category"] += story["category"] == label["category"]
        counts["location"] += location_is_right(story["location"], label)
        if args.misses in (label["half"], "all") and (story["category"] != label["category"]
                                                      or not location_is_right(story["location"], label)):
            misses.append(f"  [{label['half']}] {articles[0]['title'][:70]!r}\n      got {story['category']} / "
                          f"{story['location']}; labeled {label['category']} / {label['location']}"
                          + (f" (also {label['also']})" if label.get("also") else ""))
    for half, counts in right.items():
        print(f"{half:>8} ({counts['articles']} articles): category {counts['category'] / counts['articles']:.2f}"
              f"  location {counts['location'] / counts['articles']:.2f}")
    uci = read_jsonl(args.data / "uci-news" / "dev.jsonl")
    agree = sum(story_of([row])["category"] == UCI_TOPICS[row["category"]] for row in uci)
    print(f"UCI topic labels (b/t/e/m as Wirtschaft/Technik/Kultur/Gesundheit), {len(uci)} headlines:"
          f" category agrees {agree / len(uci):.2f}")
    if misses:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
