"""Shared by the benchmarks: where the data is, and articles from the fixture pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_DATA = ROOT / "tests" / "data"
FIXTURE_PAGES = ROOT / "tests" / "fixtures" / "pages"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def fixture_articles() -> dict[str, dict[str, Any]]:
    """The real fixture pages as import lines, keyed "fixture:<outlet>/<name>" (Fundus's expected values)."""
    found = {}
    for path in sorted(FIXTURE_PAGES.glob("*/*.expected.json")):
        page = json.loads(path.read_text(encoding="utf-8"))
        key = f"fixture:{path.parent.name}/{path.name.removesuffix('.expected.json')}"
        found[key] = {
            "url": page["source_url"],
            "outlet": page["outlet"],
            "title": page["title"].strip(),
            "teaser": page.get("teaser"),
            "body": "\n\n".join(page.get("paragraphs") or []) or None,
            "published": page["published"].replace(" ", "T") if page.get("published") else None,
        }
    return found
