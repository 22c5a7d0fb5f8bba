"""Writers at once on one store: two imports and a crawl beside them leave every story agreeing
with its articles (`newsagg check`), and every line and page stored once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from local_outlets import local_outlets, outlet_env

DATA = Path(__file__).parent / "data"
SAMPLES = ("uci-news-sample.jsonl", "police-de-sample.jsonl", "semeval-de-labeled-sample.jsonl", "story-text-sample.jsonl")


def test_two_imports_and_a_crawl_at_once_leave_every_story_agreeing_with_its_articles(tmp_path: Path) -> None:
    lines = [json.loads(line) for name in SAMPLES for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    # The same real lines twice, the second time at other addresses: both imports fill and merge
    # the same stories at once, in batches of one another's size.
    files = []
    for copy in ("a", "b"):
        path = tmp_path / f"{copy}.jsonl"
        path.write_text("".join(json.dumps({**line, "url": f"{line['url']}#{copy}"}, ensure_ascii=False) + "\n"
                                for line in lines), encoding="utf-8")
        files.append(path)
    db = tmp_path / "news.db"
    command = [sys.executable, "-m", "scheduler"]
    with local_outlets() as servers:
        env = {**os.environ, **outlet_env(servers), "NEWSAGG_CONFIG": ""}
        running = [subprocess.Popen([*command, "import", str(path), "--db", str(db)], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for path in files]
        running.append(subprocess.Popen([*command, "crawl", "--db", str(db)], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outcomes = [(process.wait(timeout=300), process.communicate()) for process in running]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    checked = subprocess.run([*command, "check", "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert checked.stdout == "every story agrees with its articles\n", checked.stdout + checked.stderr
    conn = sqlite3.connect(db)
    imported = conn.execute("SELECT count(*) FROM articles WHERE url LIKE '%#a' OR url LIKE '%#b'").fetchone()[0]
    assert imported == 2 * len(lines)
    assert conn.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0] == 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
