"""`newsagg status`: whether a daemon runs, how each outlet's last run went, and what comes next."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawlers.outlets import DECLARED
from db.runs import error_count_since, last_runs, read_schedule, recent_errors
from db.store import RUN_COUNTERS, count_rows
from scheduler.daemon import iso, running_daemon, utc_now
from scheduler.options import config_option, db_option, load, open_store, redis_option

if TYPE_CHECKING:
    from crawlers.frontier import Frontier

RECENT_ERRORS_SHOWN = 10
ERRORS_PER_RUN_SHOWN = 3


def _run_summary(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "run_id": run["run_id"], "started_at": run["started_at"], "ended_at": run["ended_at"],
        "status": run["status"], **{name: run[name] for name in RUN_COUNTERS},
        "error_count": len(run["errors"]), "errors": run["errors"][:ERRORS_PER_RUN_SHOWN],
    }


def _frontier(url: str) -> Frontier:
    from crawlers.frontier import Frontier   # Redis only for a cluster's status

    return Frontier(url)


def cluster_figures(frontier: Frontier) -> dict[str, Any]:
    """The cluster's state in Redis: queue per outlet (those with any figure), workers, the writer's lag."""
    from crawlers.frontier import RedisUnavailable, redact

    try:
        outlets = {name: frontier.outlet_figures(name) for name in sorted(DECLARED)}
        return {
            "redis": redact(frontier.url), "reachable": True,
            "workers_last_minute": sorted(frontier.workers_seen()),
            "writer": frontier.writer_figures(),
            "outlets": {name: figures for name, figures in outlets.items() if any(figures.values())},
        }
    except RedisUnavailable as error:
        return {"redis": redact(frontier.url), "reachable": False, "error": str(error)}


def gather_status(db: str, frontier: Frontier | None = None, enabled: Iterable[str] = ()) -> dict[str, Any]:
    """Everything `newsagg status` shows, as one JSON-ready dict (with the cluster's, given its Redis):
    the ``enabled`` outlets and every outlet that ran or is scheduled, not every one declared."""
    holder = running_daemon(db)
    day_ago = iso(utc_now() - timedelta(hours=24))
    conn = open_store(db, readonly=True)
    try:
        runs = last_runs(conn)
        # A schedule left behind by a killed daemon means nothing once no daemon holds the lock.
        schedule = read_schedule(conn) if holder else {}
        articles, stories = count_rows(conn, "articles"), count_rows(conn, "stories")
        messages, bad_runs = error_count_since(conn, day_ago)
        errors = recent_errors(conn, day_ago, RECENT_ERRORS_SHOWN)
    finally:
        conn.close()
    outlets = {}
    for name in sorted(set(enabled) | set(runs) | set(schedule)):
        planned = schedule.get(name) or {}
        outlets[name] = {
            "scheduled": bool(planned),
            "interval_seconds": planned.get("interval_seconds"),
            "next_run": planned.get("next_run_at"),
            "last_run": _run_summary(runs.get(name)),
        }
    return {
        "store": str(Path(db).resolve()),
        "checked_at": iso(utc_now()),
        "daemon": {"running": holder is not None, "pid": holder.pid if holder else None,
                   "since": holder.since if holder else None},
        "articles": articles,
        "stories": stories,
        "outlets": outlets,
        "errors_last_24h": {"messages": messages, "failed_or_interrupted_runs": bad_runs, "recent": errors},
        **({"cluster": cluster_figures(frontier)} if frontier else {}),
    }


def format_status(report: dict[str, Any]) -> str:
    daemon = report["daemon"]
    lines = [
        f"daemon  {'running, pid %s since %s' % (daemon['pid'], daemon['since']) if daemon['running'] else 'not running'}",
        f"store   {report['store']}: {report['articles']} articles, {report['stories']} stories",
        f"errors  {report['errors_last_24h']['messages']} in the last 24 h "
        f"({report['errors_last_24h']['failed_or_interrupted_runs']} failed or interrupted runs)",
        "",
    ]
    header = f"{'outlet':<18} {'last run':<26} {'result':<12}" + "".join(f"{name:>10}" for name in RUN_COUNTERS[2:]) + "  next run"
    lines += [header, "-" * len(header)]
    for name, outlet in report["outlets"].items():
        run = outlet["last_run"]
        next_run = outlet["next_run"] or ("-" if daemon["running"] else "(daemon not running)")
        if run is None:
            lines.append(f"{name:<18} {'never':<26} {'-':<12}" + " " * 10 * len(RUN_COUNTERS[2:]) + f"  {next_run}")
            continue
        counts = "".join(f"{run[counter]:>10}" for counter in RUN_COUNTERS[2:])
        lines.append(f"{name:<18} {run['started_at']:<26} {run['status']:<12}{counts}  {next_run}")
        lines.extend(f"{'':<18} ! {error}" for error in run["errors"])
    recent = report["errors_last_24h"]["recent"]
    if recent:
        lines += ["", f"newest errors of the last 24 h (up to {RECENT_ERRORS_SHOWN}):"]
        lines.extend(f"  {error['started_at']} {error['outlet']}: {error['message']}" for error in recent)
    if "cluster" in report:
        lines += ["", *format_cluster(report["cluster"])]
    return "\n".join(lines)


def format_cluster(cluster: dict[str, Any]) -> list[str]:
    if not cluster["reachable"]:
        return [f"cluster {cluster['error']}"]
    workers = cluster["workers_last_minute"]
    writer = cluster["writer"]
    lines = [
        f"cluster {cluster['redis']}: {len(workers)} worker(s) seen in the last minute"
        + (f" ({', '.join(workers)})" if workers else ""),
        f"writer  {writer['pending']} article(s) read and not yet stored (pending), {writer['unread']} not yet read; "
        f"oldest unstored {writer['oldest_unstored_seconds']:g} s old",
        "",
    ]
    from crawlers.frontier import OUTLET_COUNTERS

    columns = ("queued", "in_flight", "seen", *OUTLET_COUNTERS)
    header = f"{'outlet':<18}" + "".join(f"{name.replace('_', ' '):>11}" for name in columns)
    lines += [header, "-" * len(header)]
    lines.extend(f"{name:<18}" + "".join(f"{figures[column]:>11}" for column in columns)
                 for name, figures in cluster["outlets"].items())
    return lines


@click.command()
@db_option
@config_option
@redis_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def status(db_path: str | None, config_file: str | None, redis_url: str | None, as_json: bool) -> None:
    """Show whether a daemon runs on the store, each outlet's last and next run,
    how many articles and stories it holds, and the errors of the last 24 hours.

    In cluster mode (--redis, or cluster.redis_url in the config) also the
    queue per outlet, the workers seen in the last minute, and the writer's
    lag: articles read and not yet stored, not yet read, the oldest one's age.

    Reads only; safe while the daemon writes.

    \b
    Example:
        newsagg status --db news.db
        newsagg status --db news.db --json | jq .outlets.t_online.last_run
    """
    config = load(config_file)
    db = db_path or config.db
    url = redis_url or config.cluster.redis_url
    try:
        frontier = _frontier(url) if url else None
    except ValueError as error:  # not a Redis URL
        raise click.ClickException(str(error)) from None
    try:
        report = gather_status(db, frontier, config.enabled_outlets)
    except PermissionError as error:  # e.g. not the service's user
        raise click.ClickException(f"cannot read {error.filename}: permission denied") from None
    click.echo(json.dumps(report, ensure_ascii=False) if as_json else format_status(report))
