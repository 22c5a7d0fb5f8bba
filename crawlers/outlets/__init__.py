"""Outlets declared as data, one module each; ``OUTLETS`` is the registry.

Adding an outlet means adding one module here that defines ``OUTLET`` and
listing it in ``_MODULES``.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

from crawlers.extract import Template
from db.store import transaction, upsert_outlet

_MODULES = ("berliner_zeitung", "rosenheim24", "t_online")


@dataclass(frozen=True)
class Outlet:
    """One news outlet: where its articles are announced and how its pages are read."""

    name: str                      # spider name and key in the store, e.g. "t_online"
    title: str                     # the outlet's own name, e.g. "t-online"
    home_url: str                  # scheme and host every other address of the outlet lives under
    domains: tuple[str, ...]       # hosts the outlet owns; nothing else is fetched
    feeds: tuple[str, ...] = ()    # RSS 2.0, Atom and RDF/RSS 1.0 feeds
    sitemaps: tuple[str, ...] = () # news sitemaps, sitemaps and sitemap indexes
    article_path: str = r"."       # regex an article URL's path matches …
    excluded_path: str | None = None  # … and this one (fronts, galleries, videos, tickers) does not
    templates: tuple[Template, ...] = field(default=())  # newest first, see crawlers.extract
    language: str = "de"
    local: bool = False            # moved onto a loopback base URL for tests

    @property
    def base_url_variable(self) -> str:
        return f"NEWSAGG_{self.name.upper()}_BASE_URL"

    @cached_property
    def _article_re(self) -> re.Pattern[str]:
        return re.compile(self.article_path)

    @cached_property
    def _excluded_re(self) -> re.Pattern[str] | None:
        return re.compile(self.excluded_path) if self.excluded_path else None

    def owns(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() in self.domains

    def is_article_url(self, url: str) -> bool:
        if not self.owns(url):
            return False
        path = urlsplit(url).path
        return bool(self._article_re.search(path)) and not (
            self._excluded_re and self._excluded_re.search(path)
        )

    def moved_to(self, base_url: str) -> Outlet:
        """This outlet with every address moved onto ``base_url`` (a local stand-in)."""
        base = urlsplit(base_url.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"{self.base_url_variable}={base_url!r} is not an http(s) base URL")
        return replace(
            self,
            home_url=urlunsplit((base.scheme, base.netloc, base.path + "/", "", "")),
            domains=(base.netloc.lower(),),
            feeds=tuple(self._rebase(u, base_url) for u in self.feeds),
            sitemaps=tuple(self._rebase(u, base_url) for u in self.sitemaps),
            local=is_loopback(base.hostname or ""),
        )

    def rebase(self, url: str, original: Outlet) -> str | None:
        """Map a URL of ``original``'s real domains onto this (moved) outlet; None if foreign.

        A loopback stand-in takes every path its own feeds name: saved pages often keep the
        host they were saved from (merkur.de pages standing in for rosenheim24), and nothing
        leaves the machine either way.
        """
        if self.owns(url):
            return url
        if original.owns(url) or (self.local and url.startswith(("http://", "https://"))):
            return self._rebase(url, self.home_url)
        return None

    @staticmethod
    def _rebase(url: str, base_url: str) -> str:
        parts, base = urlsplit(url), urlsplit(base_url.rstrip("/"))
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


DECLARED: dict[str, Outlet] = {
    module.OUTLET.name: module.OUTLET
    for module in (importlib.import_module(f"{__name__}.{name}") for name in _MODULES)
}


def resolve(name: str, environ: Mapping[str, str] = os.environ) -> Outlet:
    """The outlet called ``name``, moved onto ``NEWSAGG_<NAME>_BASE_URL`` when that is set."""
    try:
        outlet = DECLARED[name]
    except KeyError:
        raise KeyError(f"unknown outlet {name!r}; known: {', '.join(sorted(DECLARED))}") from None
    base_url = environ.get(outlet.base_url_variable)
    return outlet.moved_to(base_url) if base_url else outlet


def register_outlets(conn: sqlite3.Connection, outlets: Iterable[Outlet] = DECLARED.values()) -> None:
    """Record the outlets (as declared, not as moved) so stories can name them by title."""
    with transaction(conn):
        for outlet in outlets:
            upsert_outlet(conn, outlet.name, outlet.title, outlet.home_url, outlet.domains)
