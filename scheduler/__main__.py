"""`python -m scheduler` is `newsagg`."""

from scheduler.cli import cli

cli(prog_name="newsagg")
