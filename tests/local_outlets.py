"""A local stand-in for the outlets: real saved pages at their original paths on 127.0.0.1.

The feeds and sitemaps it answers with are MADE UP by this project: they list the
real fixture pages (RSS 2.0, Atom, RDF and news sitemaps in turn), nothing more.
Routes can be added or replaced to serve hostile answers (bad XML, errors, hangs).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred, fail
from twisted.internet.error import DNSLookupError

from crawlers.outlets import DECLARED

PAGES = Path(__file__).parent / "fixtures" / "pages"


@dataclass(frozen=True)
class FixturePage:
    outlet: str
    path: str          # the path it had on the outlet
    html: bytes
    expected: dict

    @property
    def name(self) -> str:
        return Path(self.expected["_file"]).name


def fixture_pages(outlet: str | None = None, root: Path = PAGES) -> list[FixturePage]:
    """The saved pages in ``root``/<outlet>/ (all outlets' when ``outlet`` is None)."""
    pages = []
    for expected_file in sorted(root.glob("*/*.expected.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8")) | {"_file": str(expected_file)}
        html = gzip.decompress(expected_file.with_name(expected_file.name.replace(".expected.json", ".html.gz")).read_bytes())
        page = FixturePage(expected_file.parent.name, urlsplit(expected["source_url"]).path, html, expected)
        if outlet in (None, page.outlet):
            pages.append(page)
    return pages


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)


Route = Reply | Callable[[BaseHTTPRequestHandler], Reply]


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def made_up_feed(kind: str, base: str, paths: list[str], changed: datetime) -> bytes:
    """A feed or sitemap of the given kind listing ``paths`` under ``base``."""
    if kind == "rss":
        items = "".join(f"<item><title>t</title><link>{base}{p}</link><pubDate>{_rfc822(changed)}</pubDate></item>" for p in paths)
        return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>made-up</title>{items}</channel></rss>'.encode()
    if kind == "atom":
        entries = "".join(f'<entry><title>t</title><link rel="alternate" href="{base}{p}"/><updated>{changed.isoformat()}</updated></entry>' for p in paths)
        return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>made-up</title>{entries}</feed>'.encode()
    if kind == "rdf":
        items = "".join(f'<item rdf:about="{base}{p}"><title>t</title><link>{base}{p}</link><dc:date>{changed.isoformat()}</dc:date></item>' for p in paths)
        return ('<?xml version="1.0" encoding="utf-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f'<channel rdf:about="{base}/"><title>made-up</title></channel>{items}</rdf:RDF>').encode()
    if kind == "newsmap":
        urls = "".join(f"<url><loc>{base}{p}</loc><news:news><news:publication_date>{changed.isoformat()}</news:publication_date></news:news></url>" for p in paths)
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>').encode()
    raise ValueError(kind)


class OutletServer:
    """Serves one outlet's fixture pages and made-up feeds on 127.0.0.1 (a free port)."""

    FEED_KINDS = ("rss", "atom", "rdf")

    def __init__(self, outlet: str, pages: list[FixturePage] | None = None):
        self.outlet = DECLARED[outlet]
        self.pages = fixture_pages(outlet) if pages is None else pages
        self.changed = datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, headers)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self.reset_routes()

    def reset_routes(self) -> None:
        paths = [page.path for page in self.pages]
        self.routes = {"/robots.txt": Reply(body=b"User-agent: *\nDisallow: /made-up-private/\n")}
        for page in self.pages:
            self.routes[page.path] = Reply(body=page.html, headers={"Content-Type": "text/html; charset=utf-8"})
        for number, feed in enumerate(self.outlet.feeds):
            kind = self.FEED_KINDS[number % len(self.FEED_KINDS)]
            self.routes[urlsplit(feed).path] = self._feed_reply(kind, paths)
        for sitemap in self.outlet.sitemaps:
            self.routes[urlsplit(sitemap).path] = self._feed_reply("newsmap", paths)

    def _feed_reply(self, kind: str, paths: list[str]) -> Reply:
        body = made_up_feed(kind, self.base_url, paths, self.changed)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        return Reply(body=body, headers={"Content-Type": "application/xml; charset=utf-8", "ETag": etag})

    def set_page(self, path: str, html: bytes) -> None:
        self.routes[path] = Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8"})

    def article_paths_requested(self) -> list[str]:
        pages = {page.path for page in self.pages}
        return [path for method, path, _ in self.requests if path in pages]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = urlsplit(self.path).path
                server.requests.append(("GET", path, dict(self.headers)))
                route = server.routes.get(path, Reply(status=404, body=b"not found"))
                reply = route(self) if callable(route) else route
                if reply.delay:
                    time.sleep(reply.delay)
                etag = reply.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    reply = Reply(status=304, headers={"ETag": etag})
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> OutletServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def local_outlets(*names: str) -> Iterator[dict[str, OutletServer]]:
    """Start a server per outlet named (default: the outlets crawled without a config, whose pages
    tests/fixtures/pages holds); yields them by name."""
    defaults = tuple(name for name, outlet in DECLARED.items() if outlet.enabled_by_default)
    servers = {name: OutletServer(name) for name in names or defaults}
    for server in servers.values():
        server.__enter__()
    try:
        yield servers
    finally:
        for server in servers.values():
            server.__exit__()


def outlet_env(servers: dict[str, OutletServer]) -> dict[str, str]:
    return {server.outlet.base_url_variable: server.base_url for server in servers.values()}


class FailingResolver(CachingThreadedResolver):
    """Scrapy's resolver, except that every name under .invalid fails at once, as with no network,
    without asking any DNS server (TWISTED_DNS_RESOLVER = "local_outlets.FailingResolver")."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 (Twisted's naming)
        if name.endswith(".invalid"):
            return fail(DNSLookupError(name))
        return super().getHostByName(name, timeout)
