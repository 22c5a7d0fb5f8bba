"""`newsagg import`, `newsagg regroup`, `newsagg stories`, `newsagg check`: grouping from the command line."""

from __future__ import annotations

import json
import sys
import time
from datetime import timezone
from typing import Any

import click

from crawlers.outlets import register_outlets
from db.dates import parse_datetime
from db.store import store_error_message
from db.stories import newest_stories, sources_of
from dedupe.assign import regroup as regroup_all
from dedupe.consistency import disagreements, repair
from dedupe.importing import ImportResult, ImportStopped, import_file
from scheduler.options import config_option, db_option, load, open_store, store_errors

PROGRESS_EVERY_SECONDS = 2.0
LARGE = 5000  # articles; smaller runs print no progress
MAX_LISTED = 20


class Progress:
    """At most one line every two seconds on stderr, and one at the end (large runs only)."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.started = self.shown = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if total < LARGE:
            return
        if now - self.shown >= PROGRESS_EVERY_SECONDS or (done == total and now - self.started >= PROGRESS_EVERY_SECONDS):
            self.shown = now
            rate = done / max(now - self.started, 1e-9)
            click.echo(f"{self.verb} {done:,}/{total:,} articles ({rate:,.0f}/s)", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
@config_option
def import_command(file: str, db_path: str | None, config_file: str | None) -> None:
    """Import articles from a JSON Lines FILE and group them as a crawl does.

    One JSON object per line: `url` and `title` required; `outlet` (default: the
    URL's host), `teaser`, `body`, `published` (ISO 8601), `authors` optional;
    other keys are ignored. A bad line is reported with its number and skipped.
    Exits 0 only when every line was imported.

    \b
    Example:
        newsagg import articles.jsonl --db news.db
    """
    config = load(config_file)
    path = db_path or config.db
    conn = open_store(path, busy_timeout=config.busy_timeout)
    with store_errors(path, config.busy_timeout):
        register_outlets(conn)  # so that stories name the known outlets by their titles
    try:
        result = import_file(conn, file, config.grouping, progress=Progress("imported"), limits=config.import_limits)
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror or error}") from None
    except ImportStopped as stopped:
        _report_bad_lines(file, stopped.result)
        kept = stopped.result
        raise click.ClickException(
            f"{store_error_message(stopped.cause, path, config.busy_timeout)}; {kept.imported} of {kept.read} lines "
            "were imported before and are kept (importing the file again adds the rest)") from None
    _report_bad_lines(file, result)
    counts = ", ".join(f"{count} {name}" for name, count in result.counts.items())
    click.echo(f"{result.imported} of {result.read} lines imported ({counts}); {result.bad} bad")
    if result.bad:
        sys.exit(1)


def _report_bad_lines(file: str, result: ImportResult) -> None:
    for error in result.errors:
        click.echo(f"{file}: {error}", err=True)
    if result.bad > len(result.errors):
        click.echo(f"{file}: … and {result.bad - len(result.errors):,} more bad lines", err=True)


@click.command()
@db_option
@config_option
def regroup(db_path: str | None, config_file: str | None) -> None:
    """Rebuild every story from scratch, in one transaction.

    Articles are grouped in date order, then URL, so the stories are the same
    whatever order the articles arrived in.

    \b
    Example:
        newsagg regroup --db news.db
    """
    config = load(config_file)
    path = db_path or config.db
    conn = open_store(path, create=False, busy_timeout=config.busy_timeout)
    with store_errors(path, config.busy_timeout, "nothing changed (a regroup is one transaction)"):
        count = regroup_all(conn, config.grouping, progress=Progress("regrouped"))
    click.echo(f"{count} stories")


@click.command()
@db_option
@config_option
@click.option("--repair", "fix", is_flag=True, help="Rewrite each story that disagrees from its articles.")
def check(db_path: str | None, config_file: str | None, fix: bool) -> None:
    """Check that every story agrees with its articles: counts, dates, a
    representative among them, no story without articles.

    Lists each story that disagrees and exits 1; with --repair rewrites them
    from their articles (in one transaction) and exits 0.

    \b
    Example:
        newsagg check --db news.db --repair
    """
    config = load(config_file)
    path = db_path or config.db
    conn = open_store(path, readonly=not fix, create=False, busy_timeout=config.busy_timeout)
    with store_errors(path, config.busy_timeout, "nothing changed" if fix else None):
        found = disagreements(conn)
        for disagreement in found[:MAX_LISTED]:
            click.echo(str(disagreement))
        if len(found) > MAX_LISTED:
            click.echo(f"… and {len(found) - MAX_LISTED} more")
        rewritten = repair(conn, found, config.grouping.place_names) if fix and found else 0
    if rewritten:
        click.echo(f"{rewritten} {'story' if rewritten == 1 else 'stories'} rewritten from their articles")
    elif found:
        raise click.ClickException(f"{len(found)} {'story disagrees' if len(found) == 1 else 'stories disagree'} "
                                   "with their articles; newsagg check --repair rewrites them")
    else:
        click.echo("every story agrees with its articles")


@click.command()
@db_option
@config_option
@click.option("--since", help="Only stories updated at or after this ISO 8601 date (e.g. 2026-05-18).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most N stories.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per story, with its sources.")
def stories(db_path: str | None, config_file: str | None, since: str | None, limit: int, as_json: bool) -> None:
    """The newest merged stories, each with its sources.

    \b
    Example:
        newsagg stories --since 2026-05-18 --limit 5
    """
    config = load(config_file)
    since_utc = _utc_since(since) if since is not None else None
    path = db_path or config.db
    conn = open_store(path, readonly=True, busy_timeout=config.busy_timeout)
    with store_errors(path, config.busy_timeout):
        found = newest_stories(conn, since_utc, limit)
        sources = sources_of(conn, [story["id"] for story in found])
    for story in found:
        if as_json:
            click.echo(json.dumps({**story, "sources": sources[story["id"]]}, ensure_ascii=False))
        else:
            click.echo(format_story(story, sources[story["id"]]))


def _utc_since(value: str) -> str:
    """--since as the stored times are written (UTC, with offset), so that they compare as text;
    a time without offset is a Berlin time, as everywhere."""
    moment = parse_datetime(value.strip())
    try:
        if moment is None:
            raise ValueError(value)
        return moment.astimezone(timezone.utc).isoformat()
    except (ValueError, OverflowError):
        raise click.ClickException(
            f"--since: {value!r} is not a date or time from 0001-01-01 to 9999-12-31 in ISO 8601, "
            "e.g. 2026-05-18 or 2026-05-18T06:00:00+02:00") from None


def format_story(story: dict[str, Any], sources: list[dict[str, Any]]) -> str:
    facts = " · ".join(filter(None, [story["category"], story["location"], story["last_updated"]]))
    lines = [f"#{story['id']} {_short(story['title'])}",
             f"   {facts} · {_count(story['source_count'], 'source')}, {_count(story['outlet_count'], 'outlet')}"]
    if story["teaser"]:
        lines.append(f"   {_short(story['teaser'], 200)}")
    for source in sources:
        copy = " (copy)" if source["copy_of"] else ""
        lines.append(f"   - {source['outlet_title']}: {_short(source['title'])}{copy}\n     {source['url']}")
    return "\n".join(lines) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _short(text: str, limit: int = 120) -> str:
    """One line, cut at a word (some feeds put the whole text in the title)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
