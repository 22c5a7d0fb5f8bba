"""The `newsagg` command line and the APScheduler daemon."""
