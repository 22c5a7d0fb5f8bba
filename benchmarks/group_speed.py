"""Import+group throughput with 10k and with 100k articles already stored.

    python benchmarks/group_speed.py [--sizes 10000 100000] [--data ../shared/data]

The stored articles are SYNTHETIC: the real UCI headlines, cycled, each cycle's words of five
letters or more respelled (``respelled``: other events of the same shape) and given new URLs, dated at 1,000 articles a day (a busy regional news day for three
outlets) so that the 72-hour window holds the same few thousand articles whatever the size of
the store. The store is built through the same import. Then the 3,266 real headlines, dated
after the store's newest article, are imported and timed in a fresh process. Process start-up (word lists and the
gazetteer, about 5 s once per process) is done before timing. Wall time counts on a quiet
machine; the CPU figure (this process's CPU time) is the one to compare on a shared one.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SHARED_DATA, read_jsonl, write_jsonl  # noqa: E402
from db.schema import connect  # noqa: E402
from db.store import count_rows  # noqa: E402
from dedupe.importing import import_file  # noqa: E402
from dedupe.location import places_in  # noqa: E402
from dedupe.settings import GroupingSettings  # noqa: E402

ARTICLES_PER_DAY = 1000
START = datetime(2014, 1, 1, tzinfo=timezone.utc)
_LONG_WORD = re.compile(r"[^\W\d_]{5,}")


def respelled(title: str, cycle: int) -> str:
    """The headline with its words of five letters or more given the cycle's ending, so that
    each cycle of the headlines reports other events (a store holds news, not the same texts
    again and again) with the same shape: as many stories, as alike within, as long."""
    if not cycle:
        return title
    ending = "".join(chr(ord("a") + int(digit)) for digit in str(cycle))
    return _LONG_WORD.sub(lambda match: f"{match.group()}q{ending}", title)


def synthetic_store(headlines: list[dict], count: int) -> tuple[list[dict], datetime]:
    """``count`` respelled copies of the headlines, 1,000 a day from 2014-01-01; and the last date."""
    rows = []
    step = timedelta(days=1) / ARTICLES_PER_DAY
    for number in range(count):
        source = headlines[number % len(headlines)]
        rows.append({
            "url": f"https://synthetic.invalid/{number}",
            "outlet": source["outlet"],
            "title": respelled(source["title"], number // len(headlines)),
            "published": (START + number * step).isoformat(),
        })
    return rows, START + count * step


def timed_batch(headlines: list[dict], after: datetime) -> list[dict]:
    """The real headlines with new URLs, moved to start just after ``after`` (same spacing)."""
    first = datetime.fromisoformat(headlines[0]["published"])
    return [{**row, "url": row["url"] + "#timed",
             "published": (after + (datetime.fromisoformat(row["published"]) - first)).isoformat()}
            for row in headlines]


def measure(headlines: list[dict], stored: int, folder: Path, settings: GroupingSettings) -> float:
    """Seconds per article of importing the real headlines into a store of ``stored`` articles,
    timed in a fresh process, as ``newsagg import`` runs (this one built the store: its heap and
    caches are not what an import starts with)."""
    store_rows, end = synthetic_store(headlines, stored)
    write_jsonl(folder / "store.jsonl", store_rows)
    write_jsonl(folder / "batch.jsonl", timed_batch(headlines, end))
    store = folder / f"news-{stored}.db"
    conn = connect(str(store))
    started = time.perf_counter()
    import_file(conn, folder / "store.jsonl", settings)
    built = time.perf_counter() - started
    stories = count_rows(conn, "stories")
    conn.close()
    timed = subprocess.run([sys.executable, __file__, "--time-import", str(store), str(folder / "batch.jsonl")],
                           check=True, capture_output=True, text=True)
    figures = json.loads(timed.stdout)
    per_article = figures["seconds"] / figures["imported"]
    print(f"{stored:>7,} stored (built in {built:.0f} s, {stories:,} stories): "
          f"{figures['imported']:,} imported+grouped in {figures['seconds']:.2f} s = {1 / per_article:,.0f} articles/s "
          f"({per_article * 1000:.2f} ms each; CPU {figures['imported'] / figures['cpu_seconds']:,.0f} articles/s, "
          f"peak {figures['peak_mib']:,.0f} MiB)")
    return per_article


def time_import(store: Path, batch: Path, settings: GroupingSettings) -> None:
    """Import the batch into the store and print the figures as JSON (the fresh process's side)."""
    places_in("Warm-up in München", "de")  # loads the word lists and the gazetteer before any timing
    conn = connect(str(store))
    started, cpu_started = time.perf_counter(), time.process_time()
    result = import_file(conn, batch, settings)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    conn.close()
    print(json.dumps({"imported": result.imported, "seconds": seconds, "cpu_seconds": cpu_seconds,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="folder with uci-news/")
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--time-import", type=Path, nargs=2, metavar=("STORE", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    settings = GroupingSettings()
    if args.time_import:
        time_import(*args.time_import, settings)
        return
    headlines = read_jsonl(args.data / "uci-news" / "dev.jsonl")
    with tempfile.TemporaryDirectory() as folder:
        small, large = (measure(headlines, size, Path(folder), settings) for size in args.sizes)
    print(f"cost per article at {args.sizes[1]:,} / at {args.sizes[0]:,}: {large / small:.2f}x   (target <= 1.3x; "
          f"throughput target >= 2,000/s)")


if __name__ == "__main__":
    main()
