"""The systemd units under deploy/: each starts a real newsagg command with options it accepts, keeps
the daemon unit's hardening, and passes `systemd-analyze verify` where systemd is installed."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED = "/opt/newsagg/bin/newsagg"
# The daemon unit's sandbox, which every unit keeps (a worker has no store, so no ReadWritePaths).
HARDENING = ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
             "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
             "ProtectClock", "ProtectHostname", "ProtectProc", "RestrictAddressFamilies", "RestrictNamespaces",
             "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "SystemCallArchitectures",
             "CapabilityBoundingSet", "AmbientCapabilities", "UMask")


def service(unit: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(unit, encoding="utf-8")
    return parser["Service"]


def test_deploy_holds_the_daemon_worker_and_writer_units() -> None:
    assert [unit.name for unit in UNITS] == ["newsagg-ingest.service", "newsagg-worker@.service", "newsagg.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_a_unit_starts_a_real_newsagg_command_with_options_it_accepts(unit: Path) -> None:
    words = shlex.split(service(unit)["ExecStart"])
    assert words[0] == INSTALLED
    # $VARIABLES come from the unit's EnvironmentFile, which may be missing: then they are empty.
    arguments = [word for word in words[1:] if not word.startswith("$")]
    assert arguments[arguments.index("--config") + 1] == "/etc/newsagg/newsagg.toml"
    # --help after the unit's options: click refuses an unknown option before it prints the help.
    done = subprocess.run([sys.executable, "-m", "scheduler", *arguments, "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: newsagg {arguments[0]} ")


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_a_unit_restarts_on_failure_as_the_service_user_in_the_daemons_sandbox(unit: Path) -> None:
    daemon, this = service(DEPLOY / "newsagg.service"), service(unit)
    assert (this["Restart"], this["User"], this["Group"]) == ("on-failure", "newsagg", "newsagg")
    assert {key: this.get(key) for key in HARDENING} == {key: daemon[key] for key in HARDENING}
    if "StateDirectory" in this:  # a unit with a store may write there and nowhere else
        assert this["ReadWritePaths"] == daemon["ReadWritePaths"] == f"/var/lib/{this['StateDirectory']}"


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_a_unit_passes_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (systemd)")
    # verify checks that ExecStart's program exists: this checkout's newsagg stands in for /opt's.
    newsagg = Path(sys.executable).parent / "newsagg"
    (tmp_path / unit.name).write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(newsagg)), encoding="utf-8")
    name = unit.name.replace("@.", "@1.")  # a template is verified as one of its instances
    done = subprocess.run([analyze, "verify", str(tmp_path / name)], capture_output=True, text=True, timeout=60)
    # Unknown keys and bad values are warnings with exit status 0: any output is a failure.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
