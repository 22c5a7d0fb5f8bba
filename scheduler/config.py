"""One TOML config file with built-in defaults; every command works without it.

Looked up as ``--config FILE``, else ``$NEWSAGG_CONFIG``, else ``./newsagg.toml`` if
present. A wrong key or value fails with one line naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from crawlers import settings as crawl_policy
from crawlers.outlets import DECLARED, resolve
from dedupe.settings import GroupingSettings, ImportLimits

DEFAULT_CONFIG_NAME = "newsagg.toml"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
Range = tuple[float, float | None]  # lowest and highest accepted value (None: no highest)
# Likenesses and shares are between 0 and 1; a value out of its range would quietly group
# everything, or nothing.
GROUPING_RANGES: dict[str, Range] = {
    **{name: (0, 1) for name in ("threshold", "text_threshold", "copy_threshold", "merge_threshold",
                                 "text_merge_threshold", "merge_agreement", "core_agreement", "merge_core_agreement")},
    "merge_small_story": (0, None), "core_size": (1, None), "same_outlet_factor": (1, 100),
    "window_hours": (1, 8760), "decay_hours": (0.1, 8760), "blocking_terms": (1, None),
    "blocking_min_weight": (0, 100), "max_candidates": (1, None),
}
IMPORT_RANGES: dict[str, Range] = {"max_line_bytes": (1000, None), "max_text_chars": (100, None)}
BUSY_TIMEOUT_RANGE: Range = (0, 86400)


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class OutletSchedule:
    enabled: bool = True
    interval_minutes: float = 15.0


def default_schedules() -> dict[str, OutletSchedule]:
    """Every declared outlet, enabled as its declaration says (the mission's three outlets)."""
    return {name: OutletSchedule(enabled=outlet.enabled_by_default) for name, outlet in DECLARED.items()}


@dataclass(frozen=True)
class DaemonSettings:
    jitter_seconds: float = 60.0  # at most a tenth of an outlet's interval is used
    misfire_grace_seconds: float = 600.0  # a run late by more (suspend, overload) is skipped
    stop_timeout_seconds: float = 20.0  # on SIGTERM, a crawl gets this long to close before it is killed


@dataclass(frozen=True)
class ClusterSettings:
    redis_url: str = ""  # e.g. "redis://:secret@10.0.0.5:6379/0"; empty: no cluster, `newsagg crawl` and the daemon crawl here
    lease_seconds: float = crawl_policy.NEWSAGG_LEASE_SECONDS  # a killed worker's requests go back to the queue after this


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass(frozen=True)
class Config:
    # The defaults the crawl's settings have (crawlers/settings.py), so that each is set once.
    db: str = crawl_policy.NEWSAGG_DB
    busy_timeout: float = crawl_policy.NEWSAGG_BUSY_TIMEOUT  # seconds a writer waits for another's write lock, then fails
    log_level: str = crawl_policy.LOG_LEVEL
    max_articles: int = crawl_policy.NEWSAGG_MAX_ARTICLES  # per outlet and crawl; 0 = no limit
    download_timeout: float = crawl_policy.DOWNLOAD_TIMEOUT  # seconds per request
    contact: str = ""  # URL or e-mail address the User-Agent names, so that outlets can reach you
    outlets: dict[str, OutletSchedule] = field(default_factory=default_schedules)
    grouping: GroupingSettings = field(default_factory=GroupingSettings)
    import_limits: ImportLimits = field(default_factory=ImportLimits)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    source: str | None = None  # the file it was read from

    @property
    def enabled_outlets(self) -> list[str]:
        return [name for name, schedule in self.outlets.items() if schedule.enabled]


def config_path(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get("NEWSAGG_CONFIG"):
        return Path(os.environ["NEWSAGG_CONFIG"])
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.exists() else None


def load_config(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """The config in effect: the file's (or the defaults), limited to local stand-ins if any are set."""
    return only_local_stand_ins(_read_config(explicit), environ)


def only_local_stand_ins(config: Config, environ: Mapping[str, str]) -> Config:
    """When some outlet is moved onto a local base URL, leave the real outlets alone.

    A test or mirror setup that moves one outlet must not send traffic to the others'
    real sites by accident; naming such an outlet with ``--outlet`` still crawls it.
    """
    moved = {name for name, outlet in DECLARED.items() if environ.get(outlet.base_url_variable)}
    if not moved:
        return config
    for name in moved:
        try:
            resolve(name, environ)
        except ValueError as error:
            raise ConfigError(str(error)) from None
    outlets = {name: schedule if name in moved else dataclasses.replace(schedule, enabled=False)
               for name, schedule in config.outlets.items()}
    return dataclasses.replace(config, outlets=outlets)


def _read_config(explicit: str | None) -> Config:
    path = config_path(explicit)
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse_config(raw, str(path))


def parse_config(raw: dict[str, Any], source: str = "<config>") -> Config:
    """Build a Config from parsed TOML, naming the first wrong key."""
    raw = dict(raw)
    store = _table(raw.pop("store", {}), "store", source)
    log = _table(raw.pop("log", {}), "log", source)
    crawl = _table(raw.pop("crawl", {}), "crawl", source)
    outlets_raw = _table(raw.pop("outlets", {}), "outlets", source)
    grouping = _dataclass_from(GroupingSettings, raw.pop("grouping", {}), "grouping", source)
    _check_ranges(grouping, "grouping", GROUPING_RANGES, source)
    import_limits = _dataclass_from(ImportLimits, raw.pop("import", {}), "import", source)
    _check_ranges(import_limits, "import", IMPORT_RANGES, source)
    daemon = _dataclass_from(DaemonSettings, raw.pop("daemon", {}), "daemon", source)
    for key, seconds in dataclasses.asdict(daemon).items():
        if seconds < 0:
            raise ConfigError(f"{source}: daemon.{key} must not be negative")
    cluster = _dataclass_from(ClusterSettings, raw.pop("cluster", {}), "cluster", source)
    if cluster.redis_url and not cluster.redis_url.startswith(REDIS_SCHEMES):
        raise ConfigError(f"{source}: cluster.redis_url must start with {', '.join(REDIS_SCHEMES)}")
    if cluster.lease_seconds <= 0:
        raise ConfigError(f"{source}: cluster.lease_seconds must be positive")
    if raw:
        raise ConfigError(f"{source}: unknown key {sorted(raw)[0]!r} (known: store, log, crawl, outlets, grouping, import, daemon, cluster)")
    db = _pop_typed(store, "path", str, Config.db, "store", source)
    busy_timeout = _pop_typed(store, "busy_timeout", float, Config.busy_timeout, "store", source)
    _check_range(busy_timeout, BUSY_TIMEOUT_RANGE, "store.busy_timeout", source)
    level = _pop_typed(log, "level", str, Config.log_level, "log", source).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{source}: log.level must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
    max_articles = _pop_typed(crawl, "max_articles", int, Config.max_articles, "crawl", source)
    if max_articles < 0:
        raise ConfigError(f"{source}: crawl.max_articles must be 0 (no limit) or more")
    download_timeout = _pop_typed(crawl, "download_timeout", float, Config.download_timeout, "crawl", source)
    contact = _pop_typed(crawl, "contact", str, Config.contact, "crawl", source)
    if download_timeout <= 0:
        raise ConfigError(f"{source}: crawl.download_timeout must be positive")
    for leftover, section in ((store, "store"), (log, "log"), (crawl, "crawl")):
        if leftover:
            raise ConfigError(f"{source}: unknown key {section}.{sorted(leftover)[0]}")
    outlets = default_schedules()
    for name, value in outlets_raw.items():
        if name not in DECLARED:
            raise ConfigError(f"{source}: unknown outlet outlets.{name} (known: {', '.join(sorted(DECLARED))})")
        # What the table leaves out keeps the outlet's default: an interval alone does not enable it.
        outlets[name] = _dataclass_from(OutletSchedule, value, f"outlets.{name}", source, base=outlets[name])
        if outlets[name].interval_minutes <= 0:
            raise ConfigError(f"{source}: outlets.{name}.interval_minutes must be positive")
    return Config(db=db, log_level=level, max_articles=max_articles, download_timeout=download_timeout, contact=contact, outlets=outlets,
                  grouping=grouping, import_limits=import_limits, busy_timeout=busy_timeout, daemon=daemon, cluster=cluster, source=source)


def _check_ranges(settings: Any, section: str, ranges: dict[str, Range], source: str) -> None:
    for name, accepted in ranges.items():
        _check_range(getattr(settings, name), accepted, f"{section}.{name}", source)


def _check_range(value: float, accepted: Range, key: str, source: str) -> None:
    low, high = accepted
    # Written so that nan fails too.
    if not (low <= value and (high is None or value <= high)):
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise ConfigError(f"{source}: {key} must be {span}, not {value!r}")


def _table(value: Any, name: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {name} must be a table")
    return dict(value)


def _pop_typed(table: dict[str, Any], key: str, kind: type, default: Any, section: str, source: str) -> Any:
    value = table.pop(key, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{source}: {section}.{key} must be {kind.__name__}, not {value!r}")
    return value


def _dataclass_from(cls: type, value: Any, section: str, source: str, base: Any = None) -> Any:
    """``cls`` with the fields ``value`` sets, on top of ``base`` (or of the class defaults)."""
    table = _table(value, section, source)
    hints = get_type_hints(cls)
    kwargs = {}
    for item in dataclasses.fields(cls):
        if item.name in table:
            kwargs[item.name] = _pop_typed(table, item.name, hints[item.name], None, section, source)
    if table:
        raise ConfigError(f"{source}: unknown key {section}.{sorted(table)[0]}")
    return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)
