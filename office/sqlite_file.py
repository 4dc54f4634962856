"""
The office database as a SQLite file
====================================

How :class:`office.db.Database` sets up a SQLite database before it uses it:
the file made private to this user (it holds the staff session key and every
kiosk's token hash), and each connection in WAL mode with
``synchronous = FULL`` (an answer "accepted" lets the kiosk forget the event,
so it must survive a power cut), a busy timeout, foreign keys on, and every
write in ``BEGIN IMMEDIATE``.  PostgreSQL needs none of this.  Warnings are
logged as ``office.db``, the database's own logger.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy import event

__all__ = ["BUSY_TIMEOUT_MS", "SQLITE_SIDE_FILES", "private_sqlite_file", "set_up_connections"]

log = logging.getLogger("office.db")
BUSY_TIMEOUT_MS = 10000
#: The files SQLite keeps beside a database file: made by SQLite with the database file's own mode.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def set_up_connections(engine, wal: bool) -> None:
    """Every connection of ``engine``: the pragmas above; a transaction begun by us (``BEGIN IMMEDIATE`` for a
    connection with the execution option ``office_write``)."""
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # The driver's own transaction handling would BEGIN late and DEFERRED; we say BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # IMMEDIATE takes the write lock at once: a writer never fails half-way for a lock it cannot upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("office_write") else "BEGIN")


def private_sqlite_file(path: Path) -> None:
    """Make ``path`` (and a new folder for it) readable by this user only, before SQLite opens it.

    The file holds the staff session key and every kiosk's token hash: a new one is created 0600 (its folder,
    if new, 0700); SQLite gives its ``-wal``, ``-shm`` and ``-journal`` files the database file's mode.  An
    existing file (or side file) open to the group or others is tightened to 0600 with a warning; one this
    user cannot change (another owner) is left as it is, with a warning saying what to do.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    for name in [path] + [path.with_name(path.name + side) for side in SQLITE_SIDE_FILES]:
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except FileNotFoundError:
            continue
        if not mode & 0o077:
            continue
        try:
            os.chmod(name, mode & 0o700)
        except OSError as exc:
            log.warning("%s can be read by other users (mode %04o) and cannot be made private (%s): "
                        "it holds the staff session key; run: chmod 600 %s", name, mode, exc.strerror, name)
            continue
        log.warning("%s could be read by other users (mode %04o): now %04o (this user only)",
                    name, mode, mode & 0o700)
