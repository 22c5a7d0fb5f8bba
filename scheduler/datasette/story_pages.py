"""newsagg's datasette plugin for readers: the story page, the front page's list of stories and
links from every story id to its page.

A story's page is datasette's own row page of ``stories`` (``/<db>/stories/<id>``, the address
the Atom feed links to), shown through templates/row.html; the front page is the database page
(templates/database.html). Both read with the functions of ``db.feeds`` through datasette's
read-only connection, so the front page lists what the feed of the same filters lists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from datasette import hookimpl
from datasette.app import Datasette
from datasette.database import Database
from datasette.utils.asgi import Request
from jinja2 import Environment
from markupsafe import Markup, escape

from db.feeds import feed_stories, story_by_id, story_facet
from db.stories import sources_of
from db.dates import BERLIN, parse_datetime
from scheduler.feed import is_web_url, paragraphs

FRONT_PAGE_STORIES = 50
FILTER_CHOICES = 12
# The front page's URL parameters, by the names the feed takes too (base.html links that feed).
FRONT_PAGE_FILTERS = ("category", "location", "q")
# The product is German: its readers' month names (their time is db.dates.BERLIN).
READER_LOCALE = "de_DE"


@hookimpl
def prepare_jinja2_environment(env: Environment) -> None:
    env.filters["newsagg_time"] = reader_time


@hookimpl
def extra_template_vars(view_name: str, database: str | None, table: str | None, request: Request | None,
                        datasette: Datasette) -> Callable[[], Awaitable[dict[str, Any]]] | dict[str, Any]:
    """``newsagg_front`` for the database page, ``newsagg_story`` for a story's row page."""
    if request is None:
        return {}
    if view_name == "database":
        return lambda: _front_page(request, datasette, database)
    pk = request.url_vars.get("pks", "")
    if view_name == "row" and table == "stories" and pk.isdigit():
        return lambda: _story_page(int(pk), datasette.get_database(database))
    return {}


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Datasette) -> Markup | None:
    """A story id in a query or view is a link to the story's page. (In ``articles`` it is a
    foreign key, which datasette already links, with the story's title as its label.)"""
    if column != "story_id" or table == "articles" or not isinstance(value, int):
        return None
    href = datasette.urls.row(database, "stories", str(value))
    return Markup(f'<a href="{escape(href)}">{value}</a>')


def reader_time(value: str | None) -> str:
    """A stored ISO 8601 time as a German reader reads it, in Berlin time ("7. Januar 2026,
    20:02 Uhr"); shown as stored where it is no time."""
    moment = parse_datetime(value)
    if moment is None:
        return value or ""
    return format_datetime(moment, "d. MMMM y, HH:mm 'Uhr'", tzinfo=BERLIN, locale=READER_LOCALE)


async def _front_page(request: Request, datasette: Datasette, database: str) -> dict[str, Any]:
    filters = {name: request.args.get(name) or None for name in FRONT_PAGE_FILTERS}
    home = datasette.urls.database(database)

    def link(**changes: str | None) -> str:
        """The front page with these filters changed (None: removed) and the others kept."""
        kept = {name: value for name, value in {**filters, **changes}.items() if value}
        return home + (f"?{urlencode(kept)}" if kept else "")

    def read(conn: Any) -> dict[str, Any]:
        category, location, search = (filters[name] for name in FRONT_PAGE_FILTERS)
        # Each filter offers its choices among the stories the other filters leave.
        choices = {
            "category": story_facet(conn, "category", None, location, search, FILTER_CHOICES),
            "location": story_facet(conn, "location", category, None, search, FILTER_CHOICES),
        }
        return {
            "filters": filters,
            "stories": feed_stories(conn, category, location, search, FRONT_PAGE_STORIES),
            "choices": {facet: [{**choice, "href": link(**{facet: choice["value"]})} for choice in found]
                        for facet, found in choices.items()},
            "cleared": {name: link(**{name: None}) for name in FRONT_PAGE_FILTERS},
        }

    return {"newsagg_front": await datasette.get_database(database).execute_fn(read)}


async def _story_page(story_id: int, database: Database) -> dict[str, Any]:
    def read(conn: Any) -> dict[str, Any] | None:
        story = story_by_id(conn, story_id)
        if story is None:
            return None
        # A source's link only where it is a web address (an imported line may carry any URL).
        sources = [{**source, "link": source["url"] if is_web_url(source["url"]) else None}
                   for source in sources_of(conn, [story_id])[story_id]]
        return {**story, "sources": sources, "paragraphs": paragraphs(story["body"])}

    return {"newsagg_story": await database.execute_fn(read)}
