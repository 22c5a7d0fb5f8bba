"""Helpers of the hostile tests: newsagg as a user runs it, mounts of a test's own, a store held by another."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from local_outlets import OutletServer, Reply

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


class WriteLockAtTheSecondPage:
    """Answers the stand-in's pages; the second one asked for only once the first article is stored
    and another connection holds the store's write lock (a long regroup, a backup): until release(),
    or for ``seconds``."""

    def __init__(self, server: OutletServer, db: Path, seconds: float | None = None):
        self.db, self.seconds, self.asked, self.taken = db, seconds, 0, False
        self.holder: sqlite3.Connection | None = None
        self.counting, self.releasing = threading.Lock(), threading.Lock()
        for page in server.pages:
            server.routes[page.path] = self._answer(page.html)

    def _answer(self, html: bytes) -> Callable[[object], Reply]:
        def answer(handler: object) -> Reply:
            with self.counting:  # the server answers each request in a thread of its own
                self.asked += 1
                second = self.asked == 2
            if second:
                self._wait_for_one_article()
                self.holder = sqlite3.connect(self.db, isolation_level=None, check_same_thread=False)
                self.holder.execute("BEGIN IMMEDIATE")
                self.taken = True
                if self.seconds is not None:
                    threading.Timer(self.seconds, self.release).start()
            return Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8"})
        return answer

    def _wait_for_one_article(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            conn = sqlite3.connect(self.db)
            try:
                if conn.execute("SELECT count(*) FROM articles").fetchone()[0]:
                    return
            finally:
                conn.close()
            time.sleep(0.05)
        raise AssertionError("the first article was never stored")

    def release(self) -> None:
        with self.releasing:
            if self.holder is not None:
                self.holder.execute("ROLLBACK")
                self.holder.close()
                self.holder = None
