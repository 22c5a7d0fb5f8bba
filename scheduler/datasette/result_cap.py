"""A datasette plugin of newsagg serve: what one query may return is capped.

Anyone who can reach the site can run SQL: at most MAX_RESULT_BYTES of text and blobs per query
(a blob's bytes count BLOB_COST times), counted as the rows are fetched, before datasette holds them or renders a response from them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from datasette import hookimpl

# A query's rows, counted in characters of text and bytes of blobs; a JSON page of that many
# characters takes some 100 MB to render, so serve stays far below 500 MB whatever SQL it is sent.
MAX_RESULT_BYTES = 20_000_000
# A blob goes out as base64 inside JSON, copied on the way: a 20 MB one took serve to 650 MB.
BLOB_COST = 4


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """No query returns more than MAX_RESULT_BYTES."""
    # SQLite itself refuses to build a larger value (zeroblob(200000000), a long group_concat).
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_RESULT_BYTES)
    conn.row_factory = _capped_rows()


def _capped_rows() -> Callable[[sqlite3.Cursor, tuple[Any, ...]], sqlite3.Row]:
    """A row factory (datasette's sqlite3.Row) that fails a query once its rows pass the cap."""
    fetched: WeakKeyDictionary[sqlite3.Cursor, int] = WeakKeyDictionary()  # per query: a cursor each

    def row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> sqlite3.Row:
        size = fetched.get(cursor, 0) + sum(len(value) if isinstance(value, str) else BLOB_COST * len(value)
                                            for value in values if isinstance(value, (str, bytes)))
        if size > MAX_RESULT_BYTES:
            raise sqlite3.OperationalError(
                f"result too large: over {MAX_RESULT_BYTES:,} bytes; ask for fewer rows or columns")
        fetched[cursor] = size
        return sqlite3.Row(cursor, values)

    return row
