"""`newsagg serve`: browse the store in datasette, read-only, with the project's metadata.

Datasette reads a store it is given as a file through ``mode=ro`` connections, so it
sees what the crawl daemon writes (WAL) without ever writing itself. Datasette 0.65 writes
only through canned queries marked ``write`` (there are none) and through plugins, so
third-party plugins found in the environment are not loaded.

Anyone who can reach the site can run SQL, so what one query may return is capped: at most
MAX_RETURNED_ROWS rows (datasette's setting) and MAX_RESULT_BYTES of text and blobs (datasette/result_cap.py), counted
as the rows are fetched, before datasette holds them or renders a response from them.
"""

from __future__ import annotations

import asyncio
import errno
import importlib
import json
import logging
import os
import socket
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawlers.outlets import is_loopback
from db.canned import CANNED_QUERIES
from db.schema import OlderStore, StoreError, connect_readonly, is_frozen
from scheduler.options import config_option, db_option, load, open_store, store_errors

if TYPE_CHECKING:
    from datasette.app import Datasette

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
STATIC_MOUNT = "newsagg-static"
_DATA = resources.files("scheduler.datasette")
MAX_RETURNED_ROWS = 1000


# Our own plugins (modules of scheduler.datasette) by the names datasette lists them under.
OWN_PLUGINS = {"newsagg": "feed_route", "newsagg-story-pages": "story_pages", "newsagg-result-cap": "result_cap"}

SETTINGS: dict[str, Any] = {
    "max_returned_rows": MAX_RETURNED_ROWS,
    "default_page_size": 50,
    # Each suggestion is a GROUP BY over a whole table: seconds on a million articles.
    "suggest_facets": False,
    # The declared facets count through indexes; a million articles take a few hundred ms.
    "facet_time_limit_ms": 1000,
    # Ten values per facet keep the stories themselves near the top of the page.
    "default_facet_size": 10,
    # Datasette offers a download of immutable files only, but say so: the store is live.
    "allow_download": False,
    # Article and story bodies run to pages; a row's own page shows them whole.
    "truncate_cells_html": 160,
}


def database_name(db_path: str) -> str:
    """The name datasette gives the store in its URLs: the file name without extension."""
    return Path(db_path).stem


def build_metadata(db_name: str) -> dict[str, Any]:
    """The bundled metadata, with the canned queries of ``db.canned``, for the store named db_name."""
    bundled = json.loads(_DATA.joinpath("metadata.json").read_text("utf-8"))
    database = bundled.pop("database")
    database["queries"] = {query.name: query.as_metadata() for query in CANNED_QUERIES}
    return {
        **bundled,
        "extra_css_urls": [f"/{STATIC_MOUNT}/newsagg.css"],
        "databases": {db_name: database},
    }


def build_datasette(db_path: str) -> Datasette:
    """A datasette instance on the store with the bundled metadata, settings, style, templates
    and the newsagg plugins (the Atom feed, the story pages, the result cap)."""
    # Datasette and its plugins are imported here, not with the module: every newsagg command
    # loads this one, and only serve needs them.
    from datasette.app import Datasette
    from datasette.plugins import pm

    own = {name: importlib.import_module(f"scheduler.datasette.{module}") for name, module in OWN_PLUGINS.items()}
    _unload_third_party_plugins(set(own.values()))
    for name, plugin in own.items():
        if not pm.is_registered(plugin):
            pm.register(plugin, name=name)
    frozen = is_frozen(db_path)
    return Datasette(
        [] if frozen else [db_path],
        immutables=[db_path] if frozen else [],
        metadata=build_metadata(database_name(db_path)),
        settings=SETTINGS,
        static_mounts=[(STATIC_MOUNT, str(_DATA.joinpath("static")))],
        template_dir=str(_DATA.joinpath("templates")),
    )


def _unload_third_party_plugins(own: set[Any]) -> None:
    from datasette.plugins import DEFAULT_PLUGINS, pm

    # Plugins installed in the environment load themselves; a write plugin must not.
    for plugin in list(pm.get_plugins()):
        name = pm.get_name(plugin)
        if name not in DEFAULT_PLUGINS and plugin not in own:
            logger.info("not loading datasette plugin %s: newsagg serve is read-only", name)
            pm.unregister(plugin)


@click.command()
@db_option
@config_option
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on; anything but loopback lets other machines read the store.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to listen on.")
def serve(db_path: str | None, config_file: str | None, host: str, port: int) -> None:
    """Browse the store in datasette: merged stories, their sources, full-text
    search and crawl health, read-only, while the daemon keeps writing.

    The store's page (/news for news.db) lists the latest stories with
    filters by Vorfall and Ort and a search through all their sources; each
    story has its page (/news/stories/ID: text, Details with every source,
    Verlauf). Below: the tables and SQL, and canned queries for the latest
    stories, the most covered ones, the sources of one story, stories only
    one outlet reports, crawl health per outlet and a search over stories.
    An Atom feed of the stories is at /-/feed.atom (?category=, ?location=,
    ?q=, ?limit=; see `newsagg feed`). Listens on 127.0.0.1 unless --host
    says otherwise. Stop with Ctrl-C.

    \b
    Example:
        newsagg serve --db news.db --port 8001    # then open http://127.0.0.1:8001/news
    """
    config = load(config_file)
    path = db_path or config.db
    with store_errors(path, config.busy_timeout):
        try:
            connect_readonly(path, config.busy_timeout).close()
        except OlderStore:
            # Migrating here, not in datasette (which cannot write): search tables and indexes must exist.
            open_store(path, create=False, busy_timeout=config.busy_timeout).close()
        except StoreError as error:
            raise click.ClickException(str(error)) from None
    shown_host = f"[{host}]" if ":" in host else host
    listening = listen(host, port, shown_host)
    if not is_loopback(host):
        logger.warning("listening on %s: anyone who can reach this machine can read the store", host)
    if is_frozen(path):
        logger.info("%s is in a directory this process cannot write and no writer is at work: "
                    "serving it as it is now", path)
    datasette = build_datasette(path)
    asyncio.run(datasette.invoke_startup())
    logger.info("serving %s read-only at http://%s:%d/%s (Ctrl-C to stop)",
                path, shown_host, port, database_name(path))
    run_server(datasette, listening)


def listen(host: str, port: int, shown_host: str) -> socket.socket:
    """The listening socket, bound before anything is logged: a busy port is one line, not a
    "serving …" line followed by uvicorn's failure."""
    try:
        return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as error:
        hint = "; choose another with --port" if error.errno == errno.EADDRINUSE else ""
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise click.ClickException(f"cannot listen on {shown_host}:{port}: {reason}{hint}") from None


def run_server(datasette: Datasette, listening: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(datasette.app(), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[listening])
