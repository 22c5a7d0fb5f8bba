"""`newsagg daemon` as a real process against local outlets: scheduling, the store lock,
signals, and kill -9 in the middle of a crawl."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers.locks import outlet_crawl_running
from crawlers.outlets import DECLARED
from db.schema import MIGRATIONS, connect
from db.store import start_run, transaction
from hostile import WriteLockAtTheSecondPage
from local_outlets import OutletServer, Reply, fixture_pages, local_outlets, outlet_env
from scheduler.crawl import settle_abandoned_runs
from scheduler.daemon import DaemonAlreadyRunning, StoreLock, jitter_for, running_daemon
from scheduler.status import gather_status

# Generous: the suite runs on a loaded 2-core machine, and every run starts Scrapy.
PATIENCE = 120.0
FAST_INTERVAL_MINUTES = 0.05  # 3 s
SLOW_PAGE_SECONDS = 15.0


def wait_until(condition: Callable[[], object], what: str, timeout: float = PATIENCE) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def schedule_config(intervals: dict[str, float], extra: str = "") -> str:
    """A config crawling only the given outlets, every given number of minutes."""
    lines = []
    for name in DECLARED:
        lines.append(f"[outlets.{name}]")
        lines.append(f"interval_minutes = {intervals[name]}" if name in intervals else "enabled = false")
    return "\n".join(lines) + "\n" + extra


def slow_down(server: OutletServer, page_number: int, seconds: float = SLOW_PAGE_SECONDS) -> str:
    """Make one article page answer only after ``seconds``; returns its path."""
    page = server.pages[page_number]
    server.routes[page.path] = Reply(body=page.html, headers={"Content-Type": "text/html; charset=utf-8"}, delay=seconds)
    return page.path


def announce_new_version(server: OutletServer) -> None:
    """The outlet's feeds change (new dates, new ETags), as a live outlet's do between crawls."""
    server.changed = server.changed.replace(year=server.changed.year + 1)
    server.reset_routes()


@dataclass
class DaemonProcess:
    process: subprocess.Popen
    db: Path
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rows(self, sql: str, *params: object) -> list[dict]:
        conn = sqlite3.connect(self.db, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute(sql, params)]
        finally:
            conn.close()

    def runs(self, outlet: str) -> list[dict]:
        return self.rows("SELECT * FROM crawl_runs WHERE outlet = ? ORDER BY id", outlet)

    def article_count(self, outlet: str | None = None) -> int:
        if not self.db.exists():
            return 0
        try:
            if outlet:
                return self.rows("SELECT count(*) AS n FROM articles WHERE outlet = ?", outlet)[0]["n"]
            return self.rows("SELECT count(*) AS n FROM articles")[0]["n"]
        except sqlite3.OperationalError:  # the store is still being created
            return 0

    def running_crawl(self, outlet: str) -> dict | None:
        return next((run for run in self.runs(outlet) if run["status"] == "running"), None) if self.db.exists() else None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait_exit(self, timeout: float) -> int:
        return self.process.wait(timeout)


def assert_store_intact_without_duplicates(daemon: DaemonProcess) -> None:
    assert daemon.rows("PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    urls = [row["canonical_url"] for row in daemon.rows("SELECT canonical_url FROM articles")]
    assert len(urls) == len(set(urls))
    assert daemon.rows("SELECT * FROM articles WHERE title IS NULL OR title = '' OR content_hash = ''") == []


StartDaemon = Callable[..., DaemonProcess]


def daemon_owns_migrated_store(daemon: DaemonProcess, any_owner: bool = False) -> bool:
    holder = running_daemon(str(daemon.db))
    if not any_owner and (holder is None or holder.pid != daemon.pid):
        return False
    if not daemon.db.exists():
        return False
    return daemon.rows("PRAGMA user_version")[0]["user_version"] == len(MIGRATIONS)


@pytest.fixture
def start_daemon(tmp_path: Path, db_path: Path) -> Iterator[StartDaemon]:
    """Start `newsagg daemon --db` as a real process; everything it started is ended afterwards."""
    started: list[DaemonProcess] = []

    def start(servers: dict[str, OutletServer], config: str | None = None, ready: bool = True) -> DaemonProcess:
        env = {key: value for key, value in os.environ.items() if key != "NEWSAGG_CONFIG"} | outlet_env(servers)
        command = [sys.executable, "-m", "scheduler", "daemon", "--db", str(db_path)]
        if config is not None:
            config_file = tmp_path / "newsagg.toml"
            config_file.write_text(config, encoding="utf-8")
            command += ["--config", str(config_file)]
        log = tmp_path / f"daemon-{len(started)}.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(command, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=stderr)
        daemon = DaemonProcess(process, db_path, log)
        started.append(daemon)
        if ready:
            wait_until(lambda: daemon_owns_migrated_store(daemon), "the daemon to lock and migrate the store")
        return daemon

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait(30)
    if started and daemon_owns_migrated_store(started[0], any_owner=True):  # crawls that outlived a killed daemon
        for run in started[0].rows("SELECT pid, outlet FROM crawl_runs WHERE status = 'running'"):
            if outlet_crawl_running(str(started[0].db), run["outlet"]):
                os.kill(run["pid"], signal.SIGKILL)


# --- scheduling ----------------------------------------------------------------------

def test_daemon_without_config_crawls_every_outlet_at_once(start_daemon: StartDaemon) -> None:
    with local_outlets() as servers:
        daemon = start_daemon(servers)
        started = time.monotonic()
        wait_until(lambda: daemon.article_count() == len(fixture_pages()), "every fixture page stored", 90)
        assert time.monotonic() - started < 90
        for name in servers:
            wait_until(lambda: any(run["status"] == "ok" for run in daemon.runs(name)), f"{name}'s run closed")
        shown = subprocess.run([sys.executable, "-m", "scheduler", "status", "--db", str(daemon.db), "--json"],
                               capture_output=True, text=True, timeout=60)
        assert daemon.process.poll() is None
    report = json.loads(shown.stdout)
    assert report["daemon"]["pid"] == daemon.pid
    ran = {name: outlet for name, outlet in report["outlets"].items() if outlet["last_run"]}  # not those off by default
    assert {name: outlet["last_run"]["status"] for name, outlet in ran.items()} == dict.fromkeys(servers, "ok")
    assert all(outlet["next_run"] for outlet in ran.values())
    assert_store_intact_without_duplicates(daemon)


def test_daemon_crawls_again_every_interval_without_duplicates(start_daemon: StartDaemon) -> None:
    with local_outlets("rosenheim24") as servers:
        daemon = start_daemon(servers, schedule_config({"rosenheim24": FAST_INTERVAL_MINUTES}))
        wait_until(lambda: len([r for r in daemon.runs("rosenheim24") if r["status"] == "ok"]) >= 3, "three runs")
        runs = daemon.runs("rosenheim24")
    assert runs[0]["new"] == 2
    assert sum(run["new"] for run in runs) == 2
    assert len({run["run_id"] for run in runs}) == len(runs)
    assert daemon.article_count() == 2
    assert_store_intact_without_duplicates(daemon)


@pytest.mark.parametrize(("interval", "jitter", "expected"), [(900, 60, 60), (3, 60, 0.3), (900, 0, 0)])
def test_jitter_never_exceeds_a_tenth_of_the_interval(interval: float, jitter: float, expected: float) -> None:
    assert jitter_for(interval, jitter) == pytest.approx(expected)


def test_bad_daemon_setting_fails_at_once_naming_the_key(tmp_path: Path, db_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[daemon]\nstop_timeout_seconds = -5\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "scheduler", "daemon", "--db", str(db_path), "--config", str(config)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "daemon.stop_timeout_seconds" in done.stderr
    assert not db_path.exists()


def test_sighup_reloads_the_config_and_keeps_the_old_one_when_the_new_is_bad(
    start_daemon: StartDaemon, tmp_path: Path
) -> None:
    with local_outlets("rosenheim24", "t_online") as servers:
        daemon = start_daemon(servers, schedule_config({"rosenheim24": 60}))
        wait_until(lambda: daemon.article_count("rosenheim24") == 2, "the first crawl")
        config_file = tmp_path / "newsagg.toml"
        config_file.write_text("[outlets.t_online]\ninterval_minutes = 'often'\n", encoding="utf-8")
        daemon.signal(signal.SIGHUP)
        wait_until(lambda: "config not reloaded" in daemon.log_text(), "the bad config to be refused")
        assert "outlets.t_online.interval_minutes" in daemon.log_text()
        assert daemon.process.poll() is None
        config_file.write_text(schedule_config({"rosenheim24": 60, "t_online": 60}), encoding="utf-8")
        daemon.signal(signal.SIGHUP)
        wait_until(lambda: daemon.article_count("t_online") == 1, "the newly enabled outlet to be crawled")
        daemon.signal(signal.SIGTERM)
        assert daemon.wait_exit(60) == 0
    assert len(daemon.runs("rosenheim24")) == 1  # its hour-long interval was kept


# --- one daemon per store ------------------------------------------------------------

def test_second_daemon_on_the_same_store_exits_at_once_naming_the_first(start_daemon: StartDaemon) -> None:
    with local_outlets("t_online") as servers:
        first = start_daemon(servers, schedule_config({"t_online": 60}))
        wait_until(lambda: running_daemon(str(first.db)), "the first daemon to take the lock")
        second = start_daemon(servers, schedule_config({"t_online": 60}), ready=False)
        assert second.wait_exit(30) != 0
        assert f"pid {first.pid}" in second.log_text()
        assert first.process.poll() is None


def test_lock_refuses_a_second_holder_and_frees_itself_on_release(db_path: Path) -> None:
    first = StoreLock(str(db_path))
    me = first.acquire()
    with pytest.raises(DaemonAlreadyRunning, match=f"pid {os.getpid()}"):
        StoreLock(str(db_path)).acquire()
    assert running_daemon(str(db_path)) == me
    first.release()
    assert running_daemon(str(db_path)) is None
    second = StoreLock(str(db_path))
    assert second.acquire().pid == os.getpid()
    second.release()


def test_lock_of_a_kill_9ed_daemon_does_not_block_the_next_start(start_daemon: StartDaemon) -> None:
    with local_outlets("t_online") as servers:
        first = start_daemon(servers, schedule_config({"t_online": 60}))
        wait_until(lambda: first.article_count() == 1, "the first crawl")
        first.process.kill()
        first.wait_exit(30)
        assert json.loads(Path(f"{first.db}.lock").read_text())["pid"] == first.pid  # the stale lock file
        second = start_daemon(servers, schedule_config({"t_online": 60}))
        holder = wait_until(lambda: running_daemon(str(second.db)), "the second daemon to take the lock")
        assert holder.pid == second.pid
        assert second.process.poll() is None


# --- signals ------------------------------------------------------------------------

@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_stop_signal_mid_crawl_stops_it_and_exits_0_within_30_s(start_daemon: StartDaemon, stop_signal: int) -> None:
    with local_outlets("rosenheim24") as servers:
        slow_path = slow_down(servers["rosenheim24"], 1)
        daemon = start_daemon(servers, schedule_config({"rosenheim24": 60}))
        wait_until(lambda: slow_path in servers["rosenheim24"].article_paths_requested(), "the crawl to be mid-way")
        daemon.signal(stop_signal)
        started = time.monotonic()
        assert daemon.wait_exit(30) == 0
        assert time.monotonic() - started < 30
    assert [run["status"] for run in daemon.runs("rosenheim24")] == ["interrupted"]
    assert daemon.rows("SELECT * FROM daemon_schedule") == []
    assert running_daemon(str(daemon.db)) is None
    assert_store_intact_without_duplicates(daemon)


# --- a busy store --------------------------------------------------------------------

def test_a_store_held_past_the_busy_timeout_fails_one_run_in_one_line_and_the_next_completes(
        start_daemon: StartDaemon, db_path: Path) -> None:
    with local_outlets("rosenheim24") as servers:
        lock = WriteLockAtTheSecondPage(servers["rosenheim24"], db_path, seconds=3)
        try:
            daemon = start_daemon(servers, schedule_config({"rosenheim24": FAST_INTERVAL_MINUTES}, "[store]\nbusy_timeout = 0.5\n"))
            wait_until(lambda: daemon.article_count() == 2, "a later run to store the page the busy store refused")
        finally:
            lock.release()
        assert daemon.process.poll() is None
        log = daemon.log_text()
    assert lock.taken
    assert "Traceback" not in log
    stopped = [line for line in log.splitlines() if "the crawl stops" in line]
    assert len(stopped) == 1 and "held its write lock for more than 0.5 s" in stopped[0], log[-3000:]
    statuses = [run["status"] for run in daemon.runs("rosenheim24")]
    assert statuses[0] in ("interrupted", "failed") and "ok" in statuses
    assert_store_intact_without_duplicates(daemon)


# --- kill -9 ------------------------------------------------------------------------

def test_kill_9_of_a_crawl_child_is_recorded_and_the_next_run_completes(start_daemon: StartDaemon) -> None:
    with local_outlets("rosenheim24") as servers:
        server = servers["rosenheim24"]
        slow_path = slow_down(server, 1)
        daemon = start_daemon(servers, schedule_config({"rosenheim24": FAST_INTERVAL_MINUTES}))
        wait_until(lambda: slow_path in server.article_paths_requested(), "the crawl to be mid-way")
        crawl = daemon.running_crawl("rosenheim24")
        os.kill(crawl["pid"], signal.SIGKILL)
        wait_until(lambda: daemon.runs("rosenheim24")[0]["status"] == "interrupted", "the killed run to be recorded")
        announce_new_version(server)
        wait_until(lambda: daemon.article_count() == 2, "the next runs to store every page")
        first = daemon.runs("rosenheim24")[0]
        assert daemon.process.poll() is None
    assert first["run_id"] == crawl["run_id"]
    assert "before finishing" in " ".join(json.loads(first["errors"]))
    assert_store_intact_without_duplicates(daemon)


def test_kill_9_of_daemon_and_crawl_then_restart_records_the_run_and_carries_on(start_daemon: StartDaemon) -> None:
    with local_outlets("rosenheim24") as servers:
        server = servers["rosenheim24"]
        slow_path = slow_down(server, 1)
        config = schedule_config({"rosenheim24": 60})
        first = start_daemon(servers, config)
        wait_until(lambda: slow_path in server.article_paths_requested(), "the crawl to be mid-way")
        crawl = first.running_crawl("rosenheim24")
        first.process.kill()  # the whole service at once, as a power cut or an OOM kill of the unit
        os.kill(crawl["pid"], signal.SIGKILL)
        first.wait_exit(30)
        wait_until(lambda: not outlet_crawl_running(str(first.db), "rosenheim24"), "the crawl to be gone")
        assert first.running_crawl("rosenheim24")["id"] == crawl["id"]  # left behind as 'running'
        announce_new_version(server)
        second = start_daemon(servers, config)
        wait_until(lambda: second.article_count() == 2, "the restarted daemon to store every page")
        wait_until(lambda: second.running_crawl("rosenheim24") is None, "the new run to close")
        runs = second.runs("rosenheim24")
    assert runs[0]["id"] == crawl["id"] and runs[0]["status"] == "interrupted"
    assert f"crawl process {crawl['pid']} ended" in runs[0]["errors"]
    assert runs[-1]["status"] == "ok"
    assert_store_intact_without_duplicates(second)


def test_crawl_that_outlived_a_killed_daemon_finishes_and_is_not_crawled_twice(start_daemon: StartDaemon) -> None:
    with local_outlets("rosenheim24") as servers:
        server = servers["rosenheim24"]
        slow_path = slow_down(server, 1, seconds=8)
        config = schedule_config({"rosenheim24": 60})
        first = start_daemon(servers, config)
        wait_until(lambda: slow_path in server.article_paths_requested(), "the crawl to be mid-way")
        orphan = first.running_crawl("rosenheim24")
        first.process.kill()
        first.wait_exit(30)
        second = start_daemon(servers, config)
        wait_until(lambda: "rosenheim24: skipped, another crawl process" in second.log_text(), "the new daemon to skip")
        wait_until(lambda: first.runs("rosenheim24")[0]["status"] != "running", "the orphaned crawl to finish")
        runs = second.runs("rosenheim24")
    assert [(run["id"], run["status"]) for run in runs] == [(orphan["id"], "ok")]
    assert second.article_count() == 2
    assert_store_intact_without_duplicates(second)


# --- readers ------------------------------------------------------------------------

def test_readers_are_never_locked_out_while_the_daemon_crawls(start_daemon: StartDaemon) -> None:
    with local_outlets() as servers:
        daemon = start_daemon(servers, schedule_config({name: FAST_INTERVAL_MINUTES for name in servers}))
        wait_until(lambda: daemon.db.exists() and daemon.article_count() > 0, "the first articles")
        finished_before = len(daemon.rows("SELECT id FROM crawl_runs WHERE status != 'running'"))
        reads = 0
        deadline = time.monotonic() + PATIENCE
        # Read until six more runs have finished, i.e. alongside several crawls and their writes.
        while len(daemon.rows("SELECT id FROM crawl_runs WHERE status != 'running'")) < finished_before + 6:
            assert time.monotonic() < deadline, "the daemon stopped crawling"
            report = gather_status(str(daemon.db))  # raises on "database is locked"
            assert report["daemon"]["pid"] == daemon.pid
            reads += 1
            time.sleep(0.05)
    assert reads > 20


def test_settling_abandoned_runs_leaves_live_crawls_alone(db_path: Path) -> None:
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    holds_the_lock = ("import sys, time; from crawlers.locks import acquire_outlet_lock; "
                      "lock = acquire_outlet_lock(sys.argv[1], 'rosenheim24'); time.sleep(60)")
    live = subprocess.Popen([sys.executable, "-c", holds_the_lock, str(db_path)])
    try:
        wait_until(lambda: outlet_crawl_running(str(db_path), "rosenheim24"), "the live crawl to hold its lock")
        conn = connect(str(db_path))
        with transaction(conn):
            start_run(conn, "run-dead", "t_online", dead_pid.pid, "2026-01-01T00:00:00+00:00")
            start_run(conn, "run-live", "rosenheim24", live.pid, "2026-01-01T00:00:00+00:00")
        still_live = settle_abandoned_runs(str(db_path), busy_timeout=5.0)
        statuses = {row["run_id"]: row["status"] for row in conn.execute("SELECT run_id, status FROM crawl_runs")}
        conn.close()
    finally:
        live.kill()
        live.wait()
    assert [run["run_id"] for run in still_live] == ["run-live"]
    assert statuses == {"run-dead": "interrupted", "run-live": "running"}


def test_daemon_exits_non_zero_when_a_newer_newsagg_migrated_the_store(start_daemon: StartDaemon) -> None:
    with local_outlets("t_online") as servers:
        daemon = start_daemon(servers, schedule_config({"t_online": FAST_INTERVAL_MINUTES}))
        wait_until(lambda: daemon.article_count() == 1, "the first crawl")
        daemon.rows(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")  # what an upgrade's crawl child would do
        assert daemon.wait_exit(PATIENCE) == 1  # so that systemd restarts it on the new code
    assert "newer than this newsagg" in daemon.log_text()
