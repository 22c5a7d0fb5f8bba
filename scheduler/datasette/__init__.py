"""Data files of `newsagg serve`: the datasette metadata describing the store."""
