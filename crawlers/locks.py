"""One crawl per outlet and store at a time, across processes.

The crawl child holds an flock on ``<db>.<outlet>.crawl.lock`` for as long as it crawls
that outlet; the kernel releases it when the process ends, however it ends. So the lock
is also the test whether a run recorded as 'running' still has a live crawl behind it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


def lock_path(db: str, outlet: str) -> Path:
    return Path(f"{db}.{outlet}.crawl.lock")


def hold_lock(path: Path) -> IO[str] | None:
    """The file, locked (keep it open while working; the kernel drops the lock however the process
    ends), or None when another process holds it."""
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def acquire_outlet_lock(db: str, outlet: str) -> IO[str] | None:
    """The held lock (keep it open while crawling), or None when another process holds it."""
    handle = hold_lock(lock_path(db, outlet))
    if handle is None:
        return None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def outlet_crawl_running(db: str, outlet: str) -> bool:
    if not lock_path(db, outlet).exists():
        return False
    handle = lock_path(db, outlet).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        handle.close()
    return False
