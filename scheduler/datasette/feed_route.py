"""newsagg's own datasette plugin: the Atom feed at ``/-/feed.atom`` and the link pages give
feed readers to find it.

``newsagg serve`` registers this module itself (third-party plugins are not loaded). The feed
reads through datasette's read-only connection with the same queries as `newsagg feed`.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.utils.asgi import Request, Response

from scheduler.feed import CONTENT_TYPE, ServedAt, build_feed, feed_path, query_from_params

# The page filters a feed carries over: a stories table filtered to a category or location,
# or searched (the table's _search, the canned query search_stories's q).
_PAGE_FILTERS = {"category": "category", "location": "location", "_search": "q", "q": "q"}


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/feed\.atom$", atom_feed)]


@hookimpl
def extra_template_vars(request: Request | None, datasette: Datasette) -> dict[str, str]:
    """``newsagg_feed_url``, the feed of what the page shows, for base.html's alternate link."""
    if request is None:
        return {}
    shown = {feed_name: request.args[name] for name, feed_name in _PAGE_FILTERS.items() if request.args.get(name)}
    return {"newsagg_feed_url": datasette.urls.path(feed_path(query_from_params(shown)))}


async def atom_feed(request: Request, datasette: Datasette) -> Response:
    try:
        query = query_from_params(request.args)
    except ValueError as error:
        return Response.text(f"{error}\n", status=400)
    database = datasette.get_database()
    served = ServedAt(
        feed_url=datasette.absolute_url(request, request.full_path),
        home_url=datasette.absolute_url(request, datasette.urls.database(database.name)),
        stories_url=datasette.absolute_url(request, datasette.urls.table(database.name, "stories")),
    )
    body = await database.execute_fn(lambda conn: build_feed(conn, database.name, query, served))
    return Response(body, content_type=CONTENT_TYPE)
