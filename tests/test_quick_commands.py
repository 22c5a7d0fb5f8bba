"""Commands start quickly: the CLI loads Scrapy, Twisted, datasette, APScheduler and Redis only
in the commands that use them (the start times: benchmarks/startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("scrapy", "twisted", "datasette", "apscheduler", "redis", "uvicorn")


def loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_the_command_line_loads_none_of_the_heavy_libraries():
    assert loaded_after("import scheduler.cli") == []


def test_help_status_and_stories_load_none_of_them(tmp_path):
    store = tmp_path / "news.db"
    subprocess.run([sys.executable, "-m", "scheduler", "import", "tests/data/uci-news-sample.jsonl", "--db", str(store)],
                   capture_output=True, timeout=120, check=True)
    for arguments in (["--help"], ["status", "--db", str(store)], ["stories", "--db", str(store), "--limit", "1"]):
        run = f"from scheduler.cli import cli\ntry:\n    cli({arguments!r}, prog_name='newsagg')\nexcept SystemExit:\n    pass"
        assert loaded_after(run) == [], arguments
