"""The docs cannot drift from the code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO


@pytest.mark.parametrize("doc", ["docs/cli-reference.md", "docs/outlets.md"],
                         ids=["CLI reference from every command's help", "supported outlets from the declarations"])
def test_generated_docs_match_the_code(doc: str) -> None:
    done = subprocess.run([sys.executable, "-m", "cogapp", "--check", doc],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{doc} is stale: run python -m cogapp -r {doc}\n" + done.stdout + done.stderr
