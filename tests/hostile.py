"""Helpers of the hostile tests: newsagg as a user runs it, and mounts of a test's own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NEWSAGG = [sys.executable, "-m", "scheduler"]
# No config file of the machine's or the working directory's.
ENV = {**os.environ, "NEWSAGG_CONFIG": ""}


def newsagg(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NEWSAGG, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV)


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(["unshare", "--mount", "--map-root-user", "true"], capture_output=True)
    return done.returncode == 0


needs_mount_namespace = pytest.mark.skipif(
    not _can_unshare(), reason="needs unshare --mount --map-root-user (user namespaces) for a tmpfs or read-only mount")


def with_own_mounts(script: str, *args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a mount namespace of its own, as root of a user namespace.

    Its mounts (a tiny tmpfs for a full disk, a read-only bind of a directory: root can write
    a directory without write bits) need no root outside, are seen by nothing else, and vanish
    when the script ends, however it ends.
    """
    return subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-euc", script, "sh", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env={**ENV, "NEWSAGG": " ".join(NEWSAGG)})


def read_only_bind(directory: Path) -> str:
    """The shell lines that make ``directory`` read-only for the rest of a ``with_own_mounts`` script."""
    return f"mount --bind '{directory}' '{directory}'; mount -o remount,bind,ro '{directory}'\n"


def one_error_line(stderr: str) -> str:
    """The only line on stderr, which must be newsagg's one-line error."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]
