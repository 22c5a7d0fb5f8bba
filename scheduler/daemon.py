"""`newsagg daemon`: keep the store current with one APScheduler job per enabled outlet.

Each run is a crawl child process (`scheduler.crawl.CrawlChild`), because Twisted's
reactor cannot restart inside one process. Nothing about jobs is kept in an APScheduler
job store: run history lives in the store's `crawl_runs`, and the next run times are
published to `daemon_schedule` for `newsagg status`. One daemon per store, enforced by an
flock on ``<store>.lock`` that the kernel releases whatever way the daemon ends.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from crawlers.outlets import DECLARED, resolve
from db.runs import clear_schedule, publish_schedule
from db.schema import connect
from db.store import store_error_message
from scheduler.config import Config, ConfigError, load_config
from scheduler.crawl import CrawlChild, settle_abandoned_runs
from scheduler.options import config_option, db_option, load, open_frontier, open_store, redis_option, setup_logging

if TYPE_CHECKING:
    from crawlers.frontier import Frontier

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# `newsagg status` holds the lock shared for an instant to see whether it is taken;
# a starting daemon that meets such a probe (no live holder) tries again this long.
PROBE_PATIENCE_SECONDS = 2.0
JITTER_SHARE_OF_INTERVAL = 0.1


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- one daemon per store ------------------------------------------------------------

@dataclass(frozen=True)
class LockHolder:
    pid: int | None  # None while a starting daemon has not written it yet
    since: str | None


class DaemonAlreadyRunning(RuntimeError):
    def __init__(self, db: str, holder: LockHolder | None):
        who = f"pid {holder.pid}, running since {holder.since}" if holder and holder.pid else "pid unknown"
        super().__init__(f"another newsagg daemon already runs on {db} ({who}); lock: {lock_path(db)}")
        self.holder = holder


def lock_path(db: str) -> Path:
    return Path(f"{db}.lock")


def _read_holder(path: Path) -> LockHolder | None:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(int(content["pid"]), str(content["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_daemon(db: str) -> LockHolder | None:
    """The daemon that holds the store's lock, or None when no daemon runs on it."""
    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_holder(path) or LockHolder(None, None)
    else:
        return None  # the lock was free; closing the file releases it
    finally:
        os.close(fd)


class StoreLock:
    """An exclusive flock on ``<store>.lock`` holding the daemon's pid and start time.

    The kernel drops the lock when the process ends, even by kill -9, so a stale
    lock file never blocks the next start.
    """

    def __init__(self, db: str):
        self.db = db
        self.path = lock_path(db)
        self.fd: int | None = None

    def acquire(self) -> LockHolder:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + PROBE_PATIENCE_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_holder(self.path)
                if (holder and holder.pid and pid_alive(holder.pid)) or time.monotonic() > deadline:
                    os.close(fd)
                    raise DaemonAlreadyRunning(self.db, holder) from None
                time.sleep(0.05)
        me = LockHolder(os.getpid(), iso(utc_now()))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": me.pid, "since": me.since}).encode(), 0)
        self.fd = fd
        return me

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def jitter_for(interval_seconds: float, jitter_seconds: float) -> float:
    """The configured jitter, but never more than a tenth of the interval (short test intervals)."""
    return min(jitter_seconds, interval_seconds * JITTER_SHARE_OF_INTERVAL)


# --- the daemon ----------------------------------------------------------------------

class Daemon:
    """Schedules a crawl job per enabled outlet until SIGTERM or SIGINT; SIGHUP reloads the config."""

    def __init__(self, db: str, config_file: str | None, config: Config, frontier: Frontier | None = None):
        self.db = db
        self.frontier = frontier  # cluster mode: each run queues the outlet's feeds for the workers
        self.config_file = config_file
        self.config = config
        # APScheduler and Redis are imported by the daemon, not by every command that reads its lock.
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=len(DECLARED))}, timezone=timezone.utc
        )
        self.children: dict[str, CrawlChild] = {}
        self.children_lock = threading.Lock()
        self.stopping = False
        self.stop_signals: list[int] = []  # appended by the signal handler, read by the main loop
        self.reload_requested = False
        self.failure: str | None = None  # why the daemon must exit non-zero

    def run(self) -> None:
        """Schedule and crawl until a stop signal; raises RuntimeError when it cannot go on."""
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGHUP, self._on_reload_signal)
        try:
            settle_abandoned_runs(self.db, self.config.busy_timeout)
        except sqlite3.Error as error:
            raise RuntimeError(self._store_trouble(error)) from None
        self.scheduler.start(paused=True)
        self._schedule()
        self.scheduler.resume()
        self._publish_schedule()
        from crawlers.frontier import redact

        mode = f"; cluster mode, feeds queued in {redact(self.frontier.url)}" if self.frontier else ""
        logger.info("daemon started on %s (pid %d): %s%s", self.db, os.getpid(), self._describe_jobs(), mode)
        while not self.stop_signals and not self.failure:
            time.sleep(POLL_SECONDS)
            if self.reload_requested:
                self.reload_requested = False
                self.reload()
        if self.stop_signals:
            logger.info("%s received: stopping", signal.Signals(self.stop_signals[0]).name)
        self.stop()
        if self.failure:
            raise RuntimeError(self.failure)

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signals.append(signum)

    def _on_reload_signal(self, signum: int, frame: FrameType | None) -> None:
        self.reload_requested = True

    # scheduling

    def _schedule(self) -> None:
        """Make the jobs match the config: add, remove, or re-time one job per enabled outlet."""
        from apscheduler.triggers.interval import IntervalTrigger

        settings = self.config.daemon
        grace = max(1, round(settings.misfire_grace_seconds))
        wanted = {name: s.interval_minutes * 60 for name, s in self.config.outlets.items() if s.enabled}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
                logger.info("%s: no longer scheduled", job.id)
        for outlet, interval in wanted.items():
            trigger = IntervalTrigger(seconds=interval, jitter=jitter_for(interval, settings.jitter_seconds),
                                      timezone=timezone.utc)
            job = self.scheduler.get_job(outlet)
            if job is None:
                # The first run starts right away, not one interval after the start.
                self.scheduler.add_job(
                    self._crawl, trigger, args=(outlet,), id=outlet, name=f"crawl {outlet}",
                    next_run_time=utc_now(), max_instances=1, coalesce=True, misfire_grace_time=grace,
                )
                continue
            job.modify(misfire_grace_time=grace)
            if (job.trigger.interval.total_seconds(), job.trigger.jitter) != (interval, trigger.jitter):
                job.reschedule(trigger)

    def _describe_jobs(self) -> str:
        jobs = self.scheduler.get_jobs()
        return ", ".join(f"{job.id} every {job.trigger.interval.total_seconds():g} s" for job in jobs) or "no outlet enabled"

    def _publish_schedule(self) -> None:
        jobs = [
            (job.id, job.trigger.interval.total_seconds(), iso(job.next_run_time) if job.next_run_time else None)
            for job in self.scheduler.get_jobs()
        ]
        try:
            conn = connect(self.db, self.config.busy_timeout)
            try:
                publish_schedule(conn, jobs, iso(utc_now()))
            finally:
                conn.close()
        except sqlite3.Error as error:  # only `newsagg status` reads it; crawling goes on
            logger.warning("could not publish the schedule: %s", self._store_trouble(error))

    def _store_trouble(self, error: sqlite3.Error) -> str:
        return store_error_message(error, self.db, self.config.busy_timeout)

    def reload(self) -> None:
        try:
            config = load_config(self.config_file)
        except ConfigError as error:
            logger.error("SIGHUP: config not reloaded, keeping the running one: %s", error)
            return
        setup_logging(config.log_level)
        if config.db != self.config.db:
            logger.warning("SIGHUP: store.path changed; the daemon keeps %s until it is restarted", self.db)
        self.config = config
        self._schedule()
        self._publish_schedule()
        logger.info("SIGHUP: config reloaded from %s: %s", config.source or "built-in defaults", self._describe_jobs())

    # one run

    def _crawl(self, outlet: str) -> None:
        if self.frontier:
            self._queue_discovery(outlet)
            return
        config = self.config
        try:
            live = settle_abandoned_runs(self.db, config.busy_timeout)
        except RuntimeError as error:
            # A newer newsagg (an upgrade) migrated the store: exit non-zero so that the
            # service manager restarts the daemon on the new code.
            self.failure = str(error)
            return
        except sqlite3.Error as error:  # the next run tries again
            logger.error("%s: %s; this run is skipped", outlet, store_error_message(error, self.db, config.busy_timeout))
            return
        if any(run["outlet"] == outlet for run in live):
            logger.info("%s: skipped, another crawl process is crawling it", outlet)
            return
        with self.children_lock:
            if self.stopping:
                return
            child = CrawlChild(self.db, [outlet], config.max_articles, config)
            self.children[outlet] = child
        self._publish_schedule()
        try:
            result = child.wait()
        finally:
            with self.children_lock:
                self.children.pop(outlet, None)
        self._publish_schedule()  # a run that lasted past its next fire time moved it on
        for run in result.runs:
            logger.info("%s: %s; %d new, %d updated, %d unchanged, %d failed (run %s)", run["outlet"], run["status"],
                        run["new"], run["updated"], run["unchanged"], run["failed"], run["run_id"])

    def _queue_discovery(self, outlet: str) -> None:
        from crawlers.frontier import RedisUnavailable

        moved = resolve(outlet)
        feeds = (*moved.feeds, *moved.sitemaps)
        try:
            queued = self.frontier.queue_feeds(outlet, feeds, iso(utc_now()))
        except RedisUnavailable as error:  # the next run tries again
            logger.warning("%s: feeds not queued this time: %s", outlet, error)
            return
        self._publish_schedule()
        logger.info("%s: %d of %d feeds and sitemaps queued for the workers (the others still are)",
                    outlet, queued, len(feeds))

    # stopping

    def _running_children(self) -> list[CrawlChild]:
        with self.children_lock:
            return list(self.children.values())

    def stop(self) -> None:
        """No new runs; running crawls close gracefully, or are killed after stop_timeout_seconds."""
        with self.children_lock:
            self.stopping = True
        self.scheduler.pause()
        for child in self._running_children():
            child.stop()
        deadline = time.monotonic() + self.config.daemon.stop_timeout_seconds
        # A second stop signal means: do not wait.
        while self._running_children() and time.monotonic() < deadline and len(self.stop_signals) < 2:
            time.sleep(0.1)
        for child in self._running_children():
            logger.warning("%s: crawl did not close in time, killing it", ", ".join(child.outlets))
            child.kill()
        self.scheduler.shutdown(wait=True)  # job threads record how their runs ended
        try:
            conn = connect(self.db, self.config.busy_timeout)
            try:
                clear_schedule(conn)
            finally:
                conn.close()
        except sqlite3.Error as error:
            logger.warning("could not clear the schedule: %s", self._store_trouble(error))
        logger.info("daemon stopped")


@click.command()
@db_option
@config_option
@redis_option
def daemon(db_path: str | None, config_file: str | None, redis_url: str | None) -> None:
    """Keep the store current: crawl every enabled outlet now, then again every interval.

    One job per outlet (default every 15 minutes, with jitter), each run a crawl
    child process. One daemon per store: a second one exits 1 naming the pid of
    the first. SIGTERM or SIGINT stop it (a running crawl closes gracefully),
    SIGHUP reloads the config. Logs go to stderr; `newsagg status` shows progress.

    In cluster mode (--redis, or cluster.redis_url in the config) it crawls
    nothing itself: each run queues the outlet's feeds and sitemaps for the
    workers (`newsagg worker`), and `newsagg ingest` stores what they find.

    \b
    Example:
        newsagg daemon --db /var/lib/newsagg/news.db --config /etc/newsagg/newsagg.toml
    """
    config = load(config_file)
    db = db_path or config.db
    frontier = open_frontier(redis_url, config) if redis_url or config.cluster.redis_url else None
    lock = StoreLock(db)
    try:
        lock.acquire()
    except DaemonAlreadyRunning as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot lock the store {db}: {error}") from None
    try:
        open_store(db, busy_timeout=config.busy_timeout).close()  # create or migrate the store before scheduling anything
        Daemon(db, config_file, config, frontier).run()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    finally:
        lock.release()
