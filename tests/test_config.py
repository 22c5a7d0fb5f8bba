"""The TOML config: built-in defaults, and one clear line naming a wrong key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.outlets import DECLARED
from scheduler.config import Config, ConfigError, load_config, parse_config


def test_no_config_file_gives_the_built_in_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSAGG_CONFIG", raising=False)
    config = load_config(None, environ={})
    assert config == Config()
    assert config.db == "news.db"


MISSION_OUTLETS = ["berliner_zeitung", "rosenheim24", "t_online"]


def test_the_missions_three_outlets_are_the_only_ones_enabled_by_default() -> None:
    assert Config().enabled_outlets == MISSION_OUTLETS
    assert set(Config().outlets) == set(DECLARED)


OFF_BY_DEFAULT = sorted(name for name, outlet in DECLARED.items() if not outlet.enabled_by_default)


@pytest.mark.parametrize("name", OFF_BY_DEFAULT)
def test_one_line_of_config_enables_an_outlet_that_is_off_by_default(name: str) -> None:
    config = parse_config({"outlets": {name: {"enabled": True}}})
    assert sorted(config.enabled_outlets) == sorted([*MISSION_OUTLETS, name])
    assert not parse_config({"outlets": {name: {"interval_minutes": 5}}}).outlets[name].enabled


def test_newsagg_toml_in_the_working_directory_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSAGG_CONFIG", raising=False)
    (tmp_path / "newsagg.toml").write_text('[store]\npath = "other.db"\n[outlets.t_online]\nenabled = false\n')
    config = load_config(None, environ={})
    assert config.db == "other.db"
    assert "t_online" not in config.enabled_outlets


def test_values_are_read_into_their_sections() -> None:
    config = parse_config({
        "crawl": {"max_articles": 5, "download_timeout": 3},
        "log": {"level": "debug"},
        "outlets": {"rosenheim24": {"interval_minutes": 5}},
    })
    assert (config.max_articles, config.download_timeout, config.log_level) == (5, 3.0, "DEBUG")
    assert config.outlets["rosenheim24"].interval_minutes == 5.0


@pytest.mark.parametrize(("raw", "message"), [
    ({"crawl": {"max_artciles": 5}}, "unknown key crawl.max_artciles"),
    ({"crawl": {"max_articles": "many"}}, "crawl.max_articles must be int"),
    ({"outlets": {"made_up_news": {}}}, "unknown outlet outlets.made_up_news"),
    ({"outlets": {"t_online": {"interval_minutes": 0}}}, "outlets.t_online.interval_minutes must be positive"),
    ({"grouping": {"no_such_threshold": 1.0}}, "unknown key grouping.no_such_threshold"),
    ({"log": {"level": "LOUD"}}, "log.level must be one of"),
    ({"stores": {}}, "unknown key 'stores'"),
])
def test_a_wrong_key_or_value_is_named(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_config(raw, "test.toml")


def test_crawl_with_a_bad_config_file_fails_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[crawl]\nmax_articles = [\n")
    done = subprocess.run([sys.executable, "-m", "scheduler", "crawl", "--config", str(config), "--db", str(tmp_path / "x.db")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0
    assert "not valid TOML" in done.stderr and str(config) in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_with_a_local_stand_in_set_only_moved_outlets_are_enabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSAGG_CONFIG", raising=False)
    config = load_config(None, {"NEWSAGG_T_ONLINE_BASE_URL": "http://127.0.0.1:8001"})
    assert config.enabled_outlets == ["t_online"]
