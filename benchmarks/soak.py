"""Soak: the real `newsagg daemon` against a local outlet for many short cycles.

One outlet (real fixture pages on 127.0.0.1, see tests/local_outlets.py) is scheduled
back to back; after every finished crawl the outlet's feeds change (new dates, new
ETags), so each cycle fetches, parses and stores its articles again rather than
stopping at a 304. Every ``--every`` cycles it prints the daemon's resident memory
(VmRSS), open file descriptors and threads. A leak shows as growth; the goal is flat
within ±10 % of the median from cycle ``--settle`` (default 100) on.

    python benchmarks/soak.py                 # 1,000 cycles, about an hour on 2 cores
    python benchmarks/soak.py --cycles 200    # a shorter look

Linux only (reads /proc). Exits 1 when a series is not flat, or the daemon did not stop cleanly.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the local outlets are a test helper, not a package

from crawlers.outlets import DECLARED  # noqa: E402
from db.runs import finished_run_count  # noqa: E402
from db.schema import connect  # noqa: E402
from local_outlets import local_outlets, outlet_env  # noqa: E402

BACK_TO_BACK_MINUTES = 0.005  # shorter than any crawl, so runs follow each other at once


REST_READINGS, REST_PAUSE_SECONDS = 10, 0.2


@dataclass
class Sample:
    cycle: int
    seconds: float
    rss_kib: int
    fds: int
    threads: int


def sample(pid: int, cycle: int, started: float) -> Sample:
    """The daemon at rest: of a 2-second burst of readings, the one with the fewest open files, so
    that the pipes of a crawl child in flight (the next cycle starts at once) do not count as a leak."""
    readings = []
    for _ in range(REST_READINGS):
        status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
        readings.append(Sample(cycle, time.monotonic() - started, int(status["VmRSS"].split()[0]),
                               len(os.listdir(f"/proc/{pid}/fd")), int(status["Threads"])))
        time.sleep(REST_PAUSE_SECONDS)
    return min(readings, key=lambda reading: reading.fds)


def finished_cycles(db: Path) -> int:
    if not db.exists():
        return 0
    conn = connect(str(db))
    try:
        return finished_run_count(conn)
    finally:
        conn.close()


def spread(values: list[int]) -> float:
    """Largest distance from the median, as a share of the median."""
    middle = statistics.median(values)
    return max(abs(value - middle) for value in values) / middle


def soak(cycles: int, every: int, settle: int, outlet: str, workdir: Path) -> bool:
    db = workdir / "soak.db"
    config = workdir / "soak.toml"
    config.write_text(
        "[daemon]\njitter_seconds = 0\n"
        + "".join(f"[outlets.{name}]\nenabled = false\n" for name in DECLARED if name != outlet)
        + f"[outlets.{outlet}]\ninterval_minutes = {BACK_TO_BACK_MINUTES}\n",
        encoding="utf-8",
    )
    samples: list[Sample] = []
    with local_outlets(outlet) as servers, open(workdir / "daemon.log", "w") as log:
        server = servers[outlet]
        env = {**os.environ, **outlet_env(servers)}
        daemon = subprocess.Popen([sys.executable, "-m", "scheduler", "daemon", "--db", str(db), "--config", str(config)],
                                  env=env, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        started = time.monotonic()
        print(f"daemon pid {daemon.pid}, store {db}, log {workdir / 'daemon.log'}", flush=True)
        print(f"{'cycle':>6} {'seconds':>8} {'RSS MiB':>8} {'fds':>5} {'threads':>8}", flush=True)
        seen = 0
        try:
            while seen < cycles:
                if daemon.poll() is not None:
                    print(f"daemon ended early with status {daemon.returncode}", flush=True)
                    return False
                time.sleep(0.2)
                done = finished_cycles(db)
                if done == seen:
                    continue
                server.changed = server.changed.replace(year=server.changed.year + 1)
                server.reset_routes()  # the next crawl finds changed feeds
                for cycle in range(seen + 1, done + 1):
                    if cycle % every == 0 or cycle == 1:
                        samples.append(sample(daemon.pid, cycle, started))
                        s = samples[-1]
                        print(f"{s.cycle:>6} {s.seconds:>8.0f} {s.rss_kib / 1024:>8.1f} {s.fds:>5} {s.threads:>8}", flush=True)
                seen = done
        finally:
            daemon.send_signal(signal.SIGTERM)
            stop_started = time.monotonic()
            returncode = daemon.wait(60)
    print(f"SIGTERM: exit {returncode} after {time.monotonic() - stop_started:.1f} s; "
          f"{seen} cycles in {time.monotonic() - started:.0f} s", flush=True)
    settled = [s for s in samples if s.cycle >= settle]
    if len(settled) < 2:
        print(f"too few samples from cycle {settle} on to judge", flush=True)
        return returncode == 0
    rss, fds = spread([s.rss_kib for s in settled]), spread([s.fds for s in settled])
    print(f"from cycle {settle} on: RSS within ±{rss:.1%} of its median, fds within ±{fds:.1%} "
          f"(goal ±10%): {'flat' if max(rss, fds) <= 0.10 else 'NOT flat'}", flush=True)
    return returncode == 0 and max(rss, fds) <= 0.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=1000, help="finished crawls to wait for (default 1000)")
    parser.add_argument("--every", type=int, default=10, help="sample every N cycles (default 10)")
    parser.add_argument("--settle", type=int, default=100, help="judge flatness from this cycle on (default 100)")
    parser.add_argument("--outlet", default="rosenheim24", choices=sorted(DECLARED))
    parser.add_argument("--workdir", type=Path, help="where the store and log go (default: a new temp dir)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newsagg-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sys.exit(0 if soak(args.cycles, args.every, args.settle, args.outlet, workdir) else 1)


if __name__ == "__main__":
    main()
