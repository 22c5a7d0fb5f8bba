"""The `newsagg` command line."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from crawlers.outlets import DECLARED
from scheduler.crawl import format_summary, run_crawl_child
from scheduler.daemon import daemon
from scheduler.feed import DEFAULT_LIMIT, MAX_LIMIT, FeedQuery, build_feed
from scheduler.grouping_cli import check, import_command, regroup, stories
from scheduler.ingest import ingest
from scheduler.options import config_option, db_option, load, open_store
from scheduler.serve import database_name, serve
from scheduler.status import status
from scheduler.worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsagg")
def cli() -> None:
    """Crawl German news outlets, group articles that report the same event, keep
    merged stories in a SQLite store.

    \b
    Quick start:
        newsagg crawl --max-articles 20     # crawl every outlet into ./news.db
        newsagg stories                     # the newest merged stories
    """


@cli.command()
@db_option
@config_option
@click.option("--outlet", "outlets", multiple=True, type=click.Choice(sorted(DECLARED)),
              help="Crawl only this outlet (repeatable; default: every enabled outlet).")
@click.option("--max-articles", type=click.IntRange(min=0), default=None,
              help="Fetch at most N articles per outlet (0 = no limit).")
def crawl(db_path: str | None, config_file: str | None, outlets: tuple[str, ...], max_articles: int | None) -> None:
    """Crawl the outlets once into the store, then group the new articles.

    Runs Scrapy in a child process; progress goes to stderr, a summary per
    outlet to stdout. Exits 1 when an outlet failed entirely.

    \b
    Example:
        newsagg crawl --db news.db --outlet t_online --max-articles 20
    """
    config = load(config_file)
    chosen = list(outlets) or config.enabled_outlets
    if not chosen:
        raise click.ClickException("no outlet is enabled: enable one in the config or name it with --outlet")
    limit = config.max_articles if max_articles is None else max_articles
    db = db_path or config.db
    open_store(db).close()  # a store that cannot be opened is one line here, not a crawl that fails
    result = run_crawl_child(db, chosen, limit, config)
    click.echo(format_summary(result.runs))
    problems = [f"{status}: {', '.join(names)}" for status in ("failed", "interrupted")
                if (names := result.outlets_with_status(status))]
    if problems:
        raise click.ClickException("; ".join(problems))


@cli.command()
@db_option
@config_option
@click.option("--category", help="Only stories of this Vorfall, e.g. Unfall (any case).")
@click.option("--location", help="Only stories at this Ort: a place (Berlin) or a country (Deutschland).")
@click.option("--search", help="Only stories whose text or any source's text has these words.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=DEFAULT_LIMIT, show_default=True,
              help="At most N stories, the most recently updated.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the feed to this file (default: stdout).")
def feed(db_path: str | None, config_file: str | None, category: str | None, location: str | None,
         search: str | None, limit: int, output: str | None) -> None:
    """Write an Atom feed of the merged stories, the latest first.

    One entry per story: its headline, teaser, body, Vorfall and Ort, and a
    link to every source. An entry keeps its id as the story gains sources
    and its updated time moves, so a feed reader shows each story once.
    `newsagg serve` serves the same feed at /-/feed.atom.

    \b
    Example:
        newsagg feed --db news.db --category Unfall --output unfall.atom
    """
    config = load(config_file)
    path = db_path or config.db
    conn = open_store(path, readonly=True)
    document = build_feed(conn, database_name(path), FeedQuery(category, location, search, limit))
    if output is None:
        click.echo(document.decode("utf-8"), nl=False)
        return
    try:
        _write_whole(Path(output), document)
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror or error}") from None


def _write_whole(path: Path, data: bytes) -> None:
    # A web server or reader may read the file while a cron job rewrites it: never half a feed.
    umask = os.umask(0)
    os.umask(umask)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as temporary:
        try:
            temporary.write(data)
            # The temporary file is private; the feed is for whoever may read new files here.
            os.chmod(temporary.name, 0o666 & ~umask)
        except BaseException:
            os.unlink(temporary.name)
            raise
    os.replace(temporary.name, path)


cli.add_command(serve)
cli.add_command(daemon)
cli.add_command(status)
cli.add_command(worker)
cli.add_command(ingest)
cli.add_command(import_command)
cli.add_command(regroup)
cli.add_command(stories)
cli.add_command(check)
