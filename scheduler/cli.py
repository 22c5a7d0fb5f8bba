"""The `newsagg` command line."""

from __future__ import annotations

import click

from crawlers.outlets import DECLARED
from scheduler.crawl import format_summary, run_crawl_child
from scheduler.daemon import daemon
from scheduler.grouping_cli import import_command, regroup, stories
from scheduler.options import config_option, db_option, load, open_store
from scheduler.serve import serve
from scheduler.status import status


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


cli.add_command(serve)
cli.add_command(daemon)
cli.add_command(status)
cli.add_command(import_command)
cli.add_command(regroup)
cli.add_command(stories)
