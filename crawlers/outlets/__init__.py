"""Outlets declared as data, one module each; ``DECLARED`` is the registry.

Every module of this package whose name does not start with "_" is an outlet: it defines
``OUTLET``, an ``Outlet`` named like the module. Adding an outlet means adding such a module;
nothing else lists the outlets. Modules starting with "_" hold what several outlets share (a
publisher's platform).
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import pkgutil
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

from crawlers.templates import Template
from db.store import transaction, upsert_outlet


@dataclass(frozen=True)
class Outlet:
    """One news outlet: where its articles are announced and how its pages are read."""

    name: str                      # spider name and key in the store, e.g. "t_online"
    title: str                     # the outlet's own name, e.g. "t-online"
    home_url: str                  # scheme and host every other address of the outlet lives under
    domains: tuple[str, ...] = ()  # hosts the outlet owns, nothing else is fetched; () = home_url's, with and without www.
    feeds: tuple[str, ...] = ()    # RSS 2.0, Atom and RDF/RSS 1.0 feeds
    sitemaps: tuple[str, ...] = () # news sitemaps, sitemaps and sitemap indexes
    article_path: str = r"."       # regex an article URL's path matches …
    excluded_path: str | None = None  # … and this one (fronts, galleries, videos, tickers) does not
    templates: tuple[Template, ...] = field(default=())  # newest first; none: the generic reading
    language: str = "de"
    region: str = "Deutschland"    # where its news is from: the country, a state or a town
    enabled_by_default: bool = False  # crawled without a config saying so
    picture_hosts: tuple[str, ...] = ()  # picture CDNs outside its domains (theirs and their subdomains count anyway)
    local: bool = False            # moved onto a loopback base URL for tests

    def __post_init__(self) -> None:
        if not self.domains:
            host = urlsplit(self.home_url).netloc.lower()
            object.__setattr__(self, "domains", tuple(dict.fromkeys((host, host.removeprefix("www.")))))

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

    def own_page_url(self, url: str, original: Outlet) -> str | None:
        """``url`` if it names a page of this outlet (its hosts or ``original``'s real ones), else None.

        A page's canonical URL is the key its article is stored under: one naming another
        outlet's page would overwrite that outlet's article. A loopback stand-in reads a foreign
        address as a path of the real outlet, as it does feed entries (saved pages keep the host
        they were saved from); the key stays the real outlet's, never another's.
        """
        if http_url(url) is None:
            return None
        if self.owns(url) or original.owns(url):
            return url
        return self._rebase(url, original.home_url) if self.local else None

    def own_picture_url(self, url: str, original: Outlet) -> str | None:
        """``url`` if it is an http(s) picture on this outlet's hosts, their domains or its picture CDNs."""
        if http_url(url) is None:
            return None
        parts = urlsplit(url)
        if parts.netloc.lower() in {*self.domains, *original.domains, *original.picture_hosts}:
            return url
        return url if _site(parts.hostname or "") in {_site(domain) for domain in original.domains} else None

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


def http_url(url: str) -> str | None:
    """``url`` if it is an http(s) address (not javascript:, data: …), else None."""
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def _site(host: str) -> str:
    """The registered domain of a host name ("images.t-online.de" → "t-online.de")."""
    return ".".join(host.lower().split(":")[0].split(".")[-2:])


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def discover(path: Sequence[str], package: str) -> dict[str, Outlet]:
    """The outlets of the modules in the package ``package`` at ``path``, by name.

    A module without an ``OUTLET``, or whose outlet is named otherwise, is an error rather
    than an outlet left out without a word.
    """
    found = {}
    for module_info in sorted(pkgutil.iter_modules(path), key=lambda info: info.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{module_info.name}")
        outlet = getattr(module, "OUTLET", None)
        if not isinstance(outlet, Outlet):
            raise TypeError(f"{module.__name__} defines no OUTLET = Outlet(...)")
        if outlet.name != module_info.name:
            raise ValueError(f"{module.__name__}: OUTLET is named {outlet.name!r}, not like its module")
        found[outlet.name] = outlet
    return found


DECLARED: dict[str, Outlet] = discover(__path__, __name__)


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
