"""The shared frontier of cluster mode, in Redis: what every worker and the one writer agree on.

Per outlet: a queue of requests (feeds at the head, articles at the tail), the leases of the
requests being worked on (each expires unless its worker renews it, so a killed worker's pages
go back to the queue), and a seen-URL filter. Per host: the request slots and the time of the
last request start, so that the politeness limits hold for all workers together. One stream
carries the parsed articles to the writer (`newsagg ingest`), which acknowledges an entry only
after the article's SQLite transaction has committed.

Every step that reads and writes several keys is one Lua script, so it is atomic however many
workers run; times come from Redis (``TIME``), so workers' clocks do not matter. No Scrapy here:
the daemon, the writer and `newsagg status` use it too.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

PREFIX = "newsagg"
STREAM = f"{PREFIX}:articles"
GROUP = "writers"
WORKERS = f"{PREFIX}:workers"
WORKER_SEEN_SECONDS = 60  # `newsagg status` counts a worker as alive this long after its heartbeat
OUTLET_COUNTERS = ("discovered", "delivered", "failed")


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached; the message is one line naming the (redacted) URL."""


def redact(url: str) -> str:
    """The URL without its password, for log lines and errors."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _keys(outlet: str) -> dict[str, str]:
    base = f"{PREFIX}:outlet:{outlet}"
    return {name: f"{base}:{name}" for name in ("queue", "leases", "seen", "feeds", "stats")}


def host_keys(host: str) -> tuple[str, str, str]:
    """The host's slots (sorted set of tokens by expiry), last start time, and the token granted
    and not yet started."""
    return f"{PREFIX}:host:{host}:slots", f"{PREFIX}:host:{host}:last", f"{PREFIX}:host:{host}:starting"


_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

# KEYS queue, leases; ARGV lease ms → {reclaimed, entry or ''}
_LEASE = _NOW + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, entry in ipairs(expired) do
  redis.call('ZREM', KEYS[2], entry)
  redis.call('LPUSH', KEYS[1], entry)
end
local entry = redis.call('LPOP', KEYS[1])
if not entry then return {#expired, ''} end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), entry)
return {#expired, entry}
"""

# KEYS: the sorted sets; ARGV: lease ms, then one member per key. XX: a lease that expired and went
# back to the queue stays there.
_RENEW = _NOW + """
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
end
return #KEYS
"""

# KEYS queue, leases, seen, feeds, stats, stream, seq
# ARGV entry ('' when the daemon schedules), article JSON (''), outlet, now ISO, then (url, kind, lastmod)…
# Ends a lease: the article onto the stream, the feed's finds into the queue, all at once.
_FINISH = """
local entry = ARGV[1]
if entry ~= '' then
  -- A lease that expired went back to the head of the queue: take it out again there.
  if redis.call('ZREM', KEYS[2], entry) == 0 then redis.call('LREM', KEYS[1], 1, entry) end
  local done = cjson.decode(entry)
  if done.kind == 'feed' then redis.call('HDEL', KEYS[4], done.url) end
end
if ARGV[2] ~= '' then
  redis.call('XADD', KEYS[6], '*', 'outlet', ARGV[3], 'article', ARGV[2])
  redis.call('HINCRBY', KEYS[5], 'delivered', 1)
end
local added = 0
for i = 5, #ARGV, 3 do
  local url, kind, lastmod = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local new = false
  if kind == 'feed' then
    new = redis.call('HSETNX', KEYS[4], url, 1) == 1
  else
    local seen = redis.call('HGET', KEYS[3], url)
    if (not seen) or (lastmod ~= '' and lastmod > seen) then
      redis.call('HSET', KEYS[3], url, ARGV[4])
      new = true
    end
  end
  if new then
    local payload = cjson.encode({id = redis.call('INCR', KEYS[7]), url = url, kind = kind, lastmod = lastmod})
    if kind == 'feed' then redis.call('LPUSH', KEYS[1], payload) else redis.call('RPUSH', KEYS[1], payload) end
    added = added + 1
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[5], 'discovered', added) end
return added
"""

# KEYS queue, leases; ARGV entries → put back at the head (a worker stopping cleanly)
_RELEASE = """
for i, entry in ipairs(ARGV) do
  if redis.call('ZREM', KEYS[2], entry) == 1 then redis.call('LPUSH', KEYS[1], entry) end
end
return #ARGV
"""

# KEYS slots, last, starting; ARGV token, concurrency, delay ms, lease ms → 0 (slot taken)
# or ms to wait. A slot is granted only after the host's previous request has really started (its
# worker said so, see _STARTED), so a worker slow to send cannot bring two starts closer than the delay.
_ACQUIRE = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('EXISTS', KEYS[3]) == 1 then return 20 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 100 end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local wait = last + tonumber(ARGV[3]) - now
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('SET', KEYS[2], now, 'PX', 3600000)
redis.call('SET', KEYS[3], ARGV[1], 'PX', tonumber(ARGV[4]))
return 0
"""

# KEYS last, starting; ARGV token: the request is going out now; the delay counts from here.
_STARTED = _NOW + """
redis.call('SET', KEYS[1], now, 'PX', 3600000)
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return now
"""

_HEARTBEAT = _NOW + """
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400000)
return now
"""


@dataclass(frozen=True)
class Lease:
    entry: str  # the queue entry as stored: JSON with id, url, kind, lastmod
    url: str
    kind: str
    lastmod: str | None

    @classmethod
    def of(cls, entry: str) -> Lease:
        data = json.loads(entry)
        return cls(entry, data["url"], data["kind"], data["lastmod"] or None)


@dataclass(frozen=True)
class Found:
    """A URL a feed or sitemap names (or the daemon schedules)."""

    url: str
    kind: str  # "feed" (always read again) or "article" (once, or again when its lastmod is later)
    lastmod: str | None = None  # UTC, "YYYY-MM-DDTHH:MM:SS+00:00", so that strings compare as times


class Frontier:
    """The cluster's Redis, with the operations workers, writer, daemon and status need."""

    def __init__(self, url: str):
        self.url = url
        # One quick retry reconnects a pooled connection after a Redis restart; longer outages
        # are the callers' to wait out, with one log line (see Link).
        self.redis = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=10, socket_connect_timeout=3,
            retry=Retry(NoBackoff(), 1), health_check_interval=15,
        )
        self._lease = self.redis.register_script(_LEASE)
        self._renew = self.redis.register_script(_RENEW)
        self._finish = self.redis.register_script(_FINISH)
        self._release = self.redis.register_script(_RELEASE)
        self._acquire = self.redis.register_script(_ACQUIRE)
        self._started = self.redis.register_script(_STARTED)
        self._heartbeat = self.redis.register_script(_HEARTBEAT)

    def check(self) -> None:
        """Raise RedisUnavailable unless Redis answers (a wrong password or URL included)."""
        try:
            self.redis.ping()
        except redis.RedisError as error:
            raise RedisUnavailable(f"redis at {redact(self.url)}: {_reason(error)}") from None

    # --- the queue ---------------------------------------------------------------------

    def lease(self, outlet: str, lease_seconds: float) -> tuple[Lease | None, int]:
        """The next request of the outlet, leased; and how many expired leases (of workers that
        stopped renewing them) went back to the queue first."""
        keys = _keys(outlet)
        reclaimed, entry = self._call(self._lease, [keys["queue"], keys["leases"]], [round(lease_seconds * 1000)])
        return (Lease.of(entry) if entry else None), int(reclaimed)

    def renew(self, held: Sequence[tuple[str, str]], lease_seconds: float) -> None:
        """Extend leases and host slots, given as (sorted-set key, member)."""
        if held:
            self._call(self._renew, [key for key, _ in held], [round(lease_seconds * 1000), *(m for _, m in held)])

    def lease_key(self, outlet: str) -> str:
        return _keys(outlet)["leases"]

    def finish(self, outlet: str, lease: Lease | None, now_iso: str, article: dict[str, Any] | None = None,
               found: Iterable[Found] = ()) -> int:
        """End a lease (none: the daemon's schedule): its article onto the stream and what its
        feed named into the queue, in one step; returns how many URLs were queued."""
        keys = _keys(outlet)
        args: list[str] = [lease.entry if lease else "", json.dumps(article, ensure_ascii=False) if article else "",
                           outlet, now_iso]
        for item in found:
            args += [item.url, item.kind, item.lastmod or ""]
        return int(self._call(self._finish, [keys["queue"], keys["leases"], keys["seen"], keys["feeds"],
                                             keys["stats"], STREAM, f"{PREFIX}:seq"], args))

    def queue_feeds(self, outlet: str, urls: Iterable[str], now_iso: str) -> int:
        """The daemon's discovery round: the outlet's feeds and sitemaps into its queue, each unless
        it is queued or being read already; returns how many were queued."""
        return self.finish(outlet, None, now_iso, found=[Found(url, "feed") for url in urls])

    def release(self, outlet: str, leases: Sequence[Lease]) -> None:
        """Put unfinished leases back at the head of the queue at once (a worker stopping)."""
        if leases:
            keys = _keys(outlet)
            self._call(self._release, [keys["queue"], keys["leases"]], [lease.entry for lease in leases])

    def count_failed(self, outlet: str) -> None:
        self._call(self.redis.hincrby, _keys(outlet)["stats"], "failed", 1)

    # --- politeness per host ------------------------------------------------------------

    def acquire_slot(self, host: str, token: str, concurrency: int, delay: float, lease_seconds: float) -> float:
        """Take one of the host's request slots: 0 when taken, else seconds to wait before asking
        again. ``slot_started`` must follow as the request goes out (or the host waits a lease long)."""
        wait = self._call(self._acquire, list(host_keys(host)),
                          [token, concurrency, round(delay * 1000), round(lease_seconds * 1000)])
        return int(wait) / 1000

    def slot_started(self, host: str, token: str) -> None:
        self._call(self._started, list(host_keys(host)[1:]), [token])

    def release_slot(self, host: str, token: str) -> None:
        self._call(self.redis.zrem, host_keys(host)[0], token)

    # --- workers ------------------------------------------------------------------------

    def heartbeat(self, worker: str) -> None:
        self._call(self._heartbeat, [WORKERS], [worker])

    def workers_seen(self, within_seconds: float = WORKER_SEEN_SECONDS) -> list[str]:
        seconds, micros = self._call(self.redis.time)
        now_ms = seconds * 1000 + micros // 1000
        return list(self._call(self.redis.zrangebyscore, WORKERS, now_ms - within_seconds * 1000, "+inf"))

    # --- the stream to the writer --------------------------------------------------------

    def ensure_group(self) -> None:
        try:
            self._call(self.redis.xgroup_create, STREAM, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def claim_all(self, consumer: str) -> None:
        """Make every pending entry the writer's own (entries a killed writer read and never stored)."""
        start = "0-0"
        while True:
            start = self._call(self.redis.xautoclaim, STREAM, GROUP, consumer, 0, start, count=500)[0]
            if start == "0-0":
                return

    def read(self, consumer: str, pending: bool, count: int, block_ms: int) -> list[tuple[str, dict[str, str] | None]]:
        """Entries for the writer: its own pending ones (``pending``), else new ones. A pending entry
        deleted meanwhile comes without fields, to be acknowledged all the same."""
        answer = self._call(self.redis.xreadgroup, GROUP, consumer, {STREAM: "0" if pending else ">"},
                            count=count, block=None if pending else block_ms)
        return [(entry_id, fields or None) for _, entries in answer or [] for entry_id, fields in entries]

    def ack(self, entry_ids: Sequence[str]) -> None:
        """The entries are stored: acknowledged and deleted, so the stream holds only unstored articles."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(STREAM, GROUP, *entry_ids)
        pipe.xdel(STREAM, *entry_ids)
        self._call(pipe.execute)

    # --- figures for `newsagg status` ---------------------------------------------------

    def outlet_figures(self, outlet: str) -> dict[str, int]:
        keys = _keys(outlet)
        pipe = self.redis.pipeline(transaction=False)
        pipe.llen(keys["queue"])
        pipe.zcard(keys["leases"])
        pipe.hlen(keys["seen"])
        pipe.hgetall(keys["stats"])
        queued, in_flight, seen, stats = self._call(pipe.execute)
        return {"queued": queued, "in_flight": in_flight, "seen": seen,
                **{name: int(stats.get(name, 0)) for name in OUTLET_COUNTERS}}

    def writer_figures(self) -> dict[str, Any]:
        """Entries read but not stored (pending), not read yet, and the age of the oldest unstored one."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xlen(STREAM)
        pipe.xrange(STREAM, count=1)
        pipe.time()
        unstored, oldest, (seconds, _) = self._call(pipe.execute)
        try:
            pending = int(self._call(self.redis.xpending, STREAM, GROUP)["pending"])
        except redis.ResponseError:  # no writer has created its group yet
            pending = 0
        age = max(0.0, seconds - int(oldest[0][0].split("-")[0]) / 1000) if oldest else 0.0
        return {"pending": pending, "unread": unstored - pending, "oldest_unstored_seconds": round(age, 1)}

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise RedisUnavailable(f"redis at {redact(self.url)}: {_reason(error)}") from None


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0].rstrip(".") if str(error) else type(error).__name__


class Link:
    """Whether Redis answered last time, so that an outage is one log line and its end another."""

    def __init__(self, url: str, who: str):
        self.url, self.who = url, who
        self.down = False

    def lost(self, error: RedisUnavailable) -> None:
        if not self.down:
            logger.warning("%s: lost redis (%s); retrying every second", self.who, error)
            self.down = True

    def ok(self) -> None:
        if self.down:
            logger.warning("%s: reconnected to redis at %s", self.who, redact(self.url))
            self.down = False
