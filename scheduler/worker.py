"""`newsagg worker`: a crawl worker of the cluster, taking requests from the shared frontier until stopped."""

from __future__ import annotations

import logging

import click

from crawlers.outlets import DECLARED
from scheduler.options import config_option, load, open_frontier, redis_option

logger = logging.getLogger(__name__)


@click.command()
@redis_option
@config_option
@click.option("--outlet", "outlets", multiple=True, type=click.Choice(sorted(DECLARED)),
              help="Work only on this outlet's queue (repeatable; default: every enabled outlet).")
def worker(redis_url: str | None, config_file: str | None, outlets: tuple[str, ...]) -> None:
    """Run a crawl worker: fetch requests from the cluster's queue in Redis until stopped.

    Start any number, on any machines: they share the queue, the seen-URL
    filter and the politeness limits (at most 2 requests at once and 1 s
    between requests per host, for all workers together). Feeds' articles go
    back into the queue, parsed articles onto the stream that `newsagg
    ingest` stores. A killed worker's requests return to the queue when
    their lease (cluster.lease_seconds) expires. SIGTERM or Ctrl-C stop it
    and hand its requests back at once. Exits 1 if Redis cannot be reached.

    \b
    Example:
        newsagg worker --redis redis://:secret@10.0.0.5:6379/0 --outlet t_online
    """
    config = load(config_file)
    chosen = list(outlets) or config.enabled_outlets
    if not chosen:
        raise click.ClickException("no outlet is enabled: enable one in the config or name it with --outlet")
    frontier = open_frontier(redis_url, config)
    from scrapy.crawler import CrawlerProcess   # Scrapy and Twisted only when crawling

    from crawlers.cluster import CLUSTER_SPIDERS, cluster_overrides
    from crawlers.frontier import redact, worker_id
    from scheduler.crawl_child import configure_logging, project_settings, user_agent

    # Scrapy reports its start-up (version lists) and resets the loggers' levels while it sets up;
    # our logging is in place already (load), so silence that and set the levels again after it.
    logging.disable(logging.INFO)
    process = CrawlerProcess(project_settings(
        **cluster_overrides(frontier.url, config.cluster.lease_seconds),
        DOWNLOAD_TIMEOUT=config.download_timeout,
        LOG_ENABLED=False,  # our own handler, as in the crawl child
        **({"USER_AGENT": user_agent(config.contact)} if config.contact else {}),
    ))
    for name in chosen:
        process.crawl(CLUSTER_SPIDERS[name])
    logging.disable(logging.NOTSET)
    configure_logging(config.log_level)
    logger.info("worker %s on %s: %s", worker_id(), redact(frontier.url), ", ".join(chosen))
    process.start()
    logger.info("worker %s stopped", worker_id())
