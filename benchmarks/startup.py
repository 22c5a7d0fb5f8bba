"""Start time of the quick commands against a bare Python start, measured in the same run.

    python benchmarks/startup.py [--runs 5]

Each command runs as its own process (`python -m scheduler …`) on a store made by importing the
real UCI sample of tests/data; the figure is the median wall time of --runs runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 0.5


def seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = str(Path(folder) / "news.db")
        newsagg = [sys.executable, "-m", "scheduler"]
        subprocess.run([*newsagg, "import", "tests/data/uci-news-sample.jsonl", "--db", store], capture_output=True, check=True, cwd=ROOT)
        baseline = seconds([sys.executable, "-c", "pass"], args.runs)
        print(f"{'python -c pass':<28} {baseline:.2f} s")
        for name, arguments in (("newsagg --help", ["--help"]), ("newsagg status", ["status", "--db", store]),
                                ("newsagg stories --limit 5", ["stories", "--db", store, "--limit", "5"])):
            taken = seconds([*newsagg, *arguments], args.runs)
            verdict = "ok" if taken < GOAL_SECONDS else f"over the {GOAL_SECONDS} s goal"
            print(f"{name:<28} {taken:.2f} s  ({taken / baseline:.1f}x a bare start; {verdict})")


if __name__ == "__main__":
    main()
