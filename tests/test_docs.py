"""The docs cannot drift from the code."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_cli_reference_matches_every_commands_help() -> None:
    done = subprocess.run([sys.executable, "-m", "cogapp", "--check", "docs/cli-reference.md"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, "docs/cli-reference.md is stale: run python -m cogapp -r docs/cli-reference.md\n" + done.stdout + done.stderr
