"""Stores that are busy, full, missing, foreign or read-only, and values out of range: one line
on stderr and exit 1, nothing created or changed that should not be, every committed batch kept."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import get_type_hints

import pytest
from click.testing import CliRunner

from db.schema import connect
from dedupe.importing import ImportStopped, import_file
from dedupe.settings import GroupingSettings
from hostile import needs_mount_namespace, newsagg, one_error_line, read_only_bind, with_own_mounts
from scheduler import grouping_cli
from scheduler.cli import cli
from scheduler.config import GROUPING_RANGES, ConfigError, parse_config

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "semeval-de-pairs-sample.jsonl"


def _articles(count: int, body_words: int = 0) -> str:
    return "".join(json.dumps({
        "url": f"https://made-up.invalid/{number}", "title": f"Meldung {number}: Brand in Halle {number}",
        "published": f"2026-05-{1 + number % 28:02d}T10:00:00+02:00",
        "body": " ".join(f"wort{number}x{word}" for word in range(body_words)),
    }) + "\n" for number in range(count))


# --- a busy store ----------------------------------------------------------------------------

def test_an_import_waits_for_a_held_write_lock_as_long_as_configured_then_fails_in_one_line_keeping_its_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "news.db"
    source = tmp_path / "in.jsonl"
    source.write_text(_articles(5), encoding="utf-8")
    connect(str(db)).close()
    (tmp_path / "newsagg.toml").write_text("[store]\nbusy_timeout = 0.5\n", encoding="utf-8")
    holder = sqlite3.connect(db, isolation_level=None)
    locked_at: list[float] = []

    def lock_after_first_batch(done: int, total: int) -> None:
        # Another process's long write (a regroup, a backup) starts between two batches.
        if not holder.in_transaction:
            holder.execute("BEGIN IMMEDIATE")
            locked_at.append(time.monotonic())

    def import_in_batches_of_two(conn, file, settings, progress, limits):  # type: ignore[no-untyped-def]
        return import_file(conn, file, settings, batch_size=2, progress=lock_after_first_batch, limits=limits)

    monkeypatch.setattr(grouping_cli, "import_file", import_in_batches_of_two)
    result = CliRunner().invoke(cli, ["import", str(source), "--db", str(db), "--config", str(tmp_path / "newsagg.toml")])
    waited = time.monotonic() - locked_at[0]
    holder.execute("ROLLBACK")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: store {db} is busy: another process held its write lock for more than 0.5 s "
        "(store.busy_timeout in the config); 2 of 5 lines were imported before and are kept "
        "(importing the file again adds the rest)")
    assert 0.5 <= waited < 5
    conn = connect(str(db))
    assert conn.execute("SELECT count(*) FROM articles WHERE story_id IS NOT NULL").fetchone()[0] == 2
    assert newsagg("check", "--db", db).returncode == 0


def test_the_import_library_says_how_much_its_committed_batches_hold(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    source = tmp_path / "in.jsonl"
    source.write_text(_articles(7), encoding="utf-8")
    conn = connect(str(db), busy_timeout=0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    with pytest.raises(ImportStopped) as stopped:
        import_file(conn, source, GroupingSettings(), batch_size=3,
                    progress=lambda done, total: holder.in_transaction or holder.execute("BEGIN IMMEDIATE"))
    holder.execute("ROLLBACK")
    assert stopped.value.result.imported == 3
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 3


def test_a_regroup_of_a_busy_store_fails_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    newsagg("import", SAMPLE, "--db", db)
    (tmp_path / "newsagg.toml").write_text("[store]\nbusy_timeout = 0.5\n", encoding="utf-8")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        done = newsagg("regroup", "--db", db, "--config", tmp_path / "newsagg.toml")
    finally:
        holder.execute("ROLLBACK")
    assert done.returncode == 1
    assert one_error_line(done.stderr).startswith(f"Error: store {db} is busy: another process held its write lock "
                                                  "for more than 0.5 s (store.busy_timeout in the config)")


# --- a full disk -----------------------------------------------------------------------------

@needs_mount_namespace
def test_an_import_onto_a_full_disk_is_one_line_naming_the_store_and_the_free_space_and_keeps_its_batches(
    tmp_path: Path
) -> None:
    source = tmp_path / "big.jsonl"
    source.write_text(_articles(3000, body_words=60), encoding="utf-8")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = with_own_mounts(
        'mount -t tmpfs -o size=3m tmpfs "$1"\n'
        '$NEWSAGG import "$2" --db "$1/news.db" || echo "exit $?"\n'
        '$NEWSAGG check --db "$1/news.db" >/dev/null && python -c "import sqlite3, sys; '
        'print(sqlite3.connect(sys.argv[1]).execute(\'select count(*) from articles\').fetchone()[0])" "$1/news.db"\n',
        disk, source)
    lines = done.stdout.splitlines()
    assert lines[0] == "exit 1", done.stdout + done.stderr
    error = one_error_line(done.stderr)
    match = re.fullmatch(rf"Error: store {disk}/news.db: disk full \(([\d.,]+ (bytes|kB)) free on its disk\); "
                         r"(\d+) of 3000 lines were imported before and are kept \(importing the file again adds the rest\)",
                         error)
    assert match, error
    assert int(match.group(3)) % 1000 == 0 and int(lines[1]) == int(match.group(3))


@needs_mount_namespace
def test_a_regroup_on_a_full_disk_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    done = with_own_mounts(
        'mount -t tmpfs -o size=4m tmpfs "$1"\n'
        '$NEWSAGG import "$2" --db "$1/news.db" >/dev/null\n'
        # Read-only, so that closing it leaves the write-ahead log and its index as the import left them.
        'grouping() { python -c "import sqlite3, sys; print(sorted(sqlite3.connect(sys.argv[1], uri=True)'
        '.execute(\'select id, story_id from articles\')))" "file:$1/news.db?mode=ro"; }\n'
        'grouping "$1"\n'
        'dd if=/dev/zero of="$1/filler" bs=4096 2>/dev/null || true\n'
        '$NEWSAGG regroup --db "$1/news.db" || echo "exit $?"\n'
        'rm "$1/filler"\n'
        'grouping "$1"\n',
        disk, SAMPLE)
    before, exit_line, after = done.stdout.splitlines()
    assert exit_line == "exit 1", done.stdout + done.stderr
    assert one_error_line(done.stderr) == (f"Error: store {disk}/news.db: disk full (0 bytes free on its disk); "
                                           "nothing changed (a regroup is one transaction)")
    assert before == after


# --- a store that is missing, or not a newsagg store ------------------------------------------

READERS_AND_WRITERS = [("regroup",), ("serve",), ("status",), ("stories",), ("check",), ("check", "--repair"), ("feed",)]


@pytest.mark.parametrize("command", READERS_AND_WRITERS)
def test_a_store_that_does_not_exist_is_never_created_and_every_command_says_so_alike(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing, empty = tmp_path / "typo.db", tmp_path / "empty.db"
    empty.touch()
    for path in (missing, empty):
        done = newsagg(*command, "--db", path)
        assert done.returncode == 1
        assert one_error_line(done.stderr) == f"Error: no store at {path}; create one with newsagg crawl or newsagg import"
    assert not missing.exists() and empty.stat().st_size == 0
    assert {path.name for path in tmp_path.iterdir()} == {"empty.db"}


def _foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('my own data')")
    conn.commit()
    conn.close()


# Not crawl: were it to miss the check, it would go to the outlets' real sites.
@pytest.mark.parametrize("command", [*READERS_AND_WRITERS, ("import", str(SAMPLE))])
def test_a_file_that_is_not_a_newsagg_store_is_refused_and_left_unchanged(tmp_path: Path, command: tuple[str, ...]) -> None:
    sqlite_file, text_file = tmp_path / "notes.db", tmp_path / "notes.txt"
    _foreign_sqlite(sqlite_file)
    text_file.write_text("not a database at all\n" * 10, encoding="utf-8")
    expected = {sqlite_file: f"Error: {sqlite_file} is a SQLite database but not a newsagg store (its tables: notes); "
                             "it is left unchanged",
                text_file: f"Error: {text_file} is not a SQLite database"}
    before = {path: path.read_bytes() for path in expected}
    for path, message in expected.items():
        done = newsagg(*command, "--db", path)
        assert done.returncode == 1
        assert one_error_line(done.stderr) == message
        assert path.read_bytes() == before[path]
    assert {path.name for path in tmp_path.iterdir()} == {"notes.db", "notes.txt"}


# --- a read-only directory -------------------------------------------------------------------

@needs_mount_namespace
@pytest.mark.parametrize("writer_left", ["its write-ahead log", "nothing"])
def test_status_and_stories_read_a_store_in_a_read_only_directory(tmp_path: Path, writer_left: str) -> None:
    store = tmp_path / "store"
    store.mkdir()
    newsagg("import", SAMPLE, "--db", store / "news.db")
    if writer_left == "nothing":
        conn = sqlite3.connect(store / "news.db")
        conn.execute("SELECT count(*) FROM articles").fetchone()
        conn.close()  # the last connection to close removes -wal and -shm
        assert not (store / "news.db-wal").exists()
    before = sorted(path.name for path in store.iterdir())
    done = with_own_mounts(
        read_only_bind(store)
        + 'touch "$1/probe" 2>/dev/null && echo "still writable"\n'
        + '$NEWSAGG status --db "$1/news.db" | head -2\n'
        + '$NEWSAGG stories --db "$1/news.db" --limit 1 --json\n',
        store)
    assert done.returncode == 0 and "still writable" not in done.stdout, done.stdout + done.stderr
    assert "4 articles, 3 stories" in done.stdout
    assert json.loads(done.stdout.splitlines()[-1])["source_count"] >= 1
    assert done.stderr == ""
    assert sorted(path.name for path in store.iterdir()) == before


# --- values out of range ---------------------------------------------------------------------

@pytest.mark.parametrize(("since", "shown"), [("yesterday", "'yesterday'"), ("2026-13-01", "'2026-13-01'"),
                                              ("0001-01-01T00:00:00+14:00", "'0001-01-01T00:00:00+14:00'")])
def test_stories_since_a_date_it_cannot_read_is_one_line_with_the_accepted_form(tmp_path: Path, since: str, shown: str) -> None:
    newsagg("import", SAMPLE, "--db", tmp_path / "news.db")
    done = newsagg("stories", "--db", tmp_path / "news.db", "--since", since)
    assert done.returncode == 1
    assert one_error_line(done.stderr) == (
        f"Error: --since: {shown} is not a date or time from 0001-01-01 to 9999-12-31 in ISO 8601, "
        "e.g. 2026-05-18 or 2026-05-18T06:00:00+02:00")


def test_stories_since_a_time_with_an_offset_compares_as_that_moment(tmp_path: Path) -> None:
    newsagg("import", SAMPLE, "--db", tmp_path / "news.db")  # every story last updated 2020-06-15T12:00:00+00:00
    at_noon_utc = newsagg("stories", "--db", tmp_path / "news.db", "--since", "2020-06-15T13:30:00+02:00")
    after_noon_utc = newsagg("stories", "--db", tmp_path / "news.db", "--since", "2020-06-15T14:00:01+02:00")
    assert sum(line.startswith("#") for line in at_noon_utc.stdout.splitlines()) == 3
    assert after_noon_utc.stdout == ""


@pytest.mark.parametrize(("toml", "message"), [
    ("[grouping]\nthreshold = 7", "grouping.threshold must be between 0 and 1, not 7.0"),
    ("[grouping]\ncopy_threshold = -0.1", "grouping.copy_threshold must be between 0 and 1, not -0.1"),
    ("[grouping]\nthreshold = nan", "grouping.threshold must be between 0 and 1, not nan"),
    ("[grouping]\nwindow_hours = 0", "grouping.window_hours must be between 1 and 8760, not 0.0"),
    ("[grouping]\nmax_candidates = 0", "grouping.max_candidates must be at least 1, not 0"),
    ("[store]\nbusy_timeout = -1", "store.busy_timeout must be between 0 and 86400, not -1.0"),
    ("[import]\nmax_line_bytes = 10", "import.max_line_bytes must be at least 1000, not 10"),
])
def test_a_config_value_out_of_range_is_named_with_the_accepted_range(toml: str, message: str) -> None:
    import tomllib

    with pytest.raises(ConfigError) as error:
        parse_config(tomllib.loads(toml), "newsagg.toml")
    assert str(error.value) == f"newsagg.toml: {message}"


def test_every_numeric_grouping_setting_has_an_accepted_range() -> None:
    numeric = {name for name, kind in get_type_hints(GroupingSettings).items() if kind in (int, float)}
    assert set(GROUPING_RANGES) == numeric
