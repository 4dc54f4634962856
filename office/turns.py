"""
Turns across server processes
=============================

Some writes must not run side by side even when two server processes share
one PostgreSQL database: two uploads of the same ticket number, two clerks
claiming the next ticket.  :func:`take_turn` makes the transaction wait for
the others that asked for the same turn, until they commit or roll back
(``pg_advisory_xact_lock``: released with the transaction, so a crashed
process holds nothing).

SQLite needs nothing: it has one writer at a time, and every write begins
``IMMEDIATE`` (``office/sqlite_file.py``).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

__all__ = ["take_turn"]


def take_turn(conn: Connection, name: str) -> None:
    """Wait, inside ``conn``'s transaction, until no other transaction holds the turn ``name``."""
    if conn.dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    conn.execute(select(func.pg_advisory_xact_lock(key)))
