"""SQLite connection settings for an audit log that must survive a crash.

WAL lets the API read while the scheduler writes; synchronous=FULL makes every
commit fsync the WAL, so a record() that returned is on disk even if the
machine dies next; busy_timeout makes a second process (say, a CLI) wait for
the write lock instead of failing at once. journal_mode is stored in the file,
the other two are per connection, so all three are set on every connect.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

BUSY_TIMEOUT_MS = 10_000


def is_memory_url(url: URL) -> bool:
    """True for ``sqlite://`` and ``sqlite:///:memory:``: one private DB per connection."""
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def apply_pragmas(engine: Engine) -> None:
    """Set the durability pragmas on every new DBAPI connection of ``engine``."""
    event.listen(engine, "connect", _on_connect)


def _on_connect(dbapi_connection: sqlite3.Connection, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # An in-memory database answers "memory" and stays so; that is fine.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
