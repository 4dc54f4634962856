"""
Local store
===========

:class:`Store` is the one owner of the kiosk's SQLite file,
``<data_dir>/kiosk.db``: it holds the schema, and domain code reaches the
database only through it.  Writes are functions run by :meth:`Store.write`
inside one ``BEGIN IMMEDIATE`` transaction, one writer at a time; reads are
functions run by :meth:`Store.read`.  The ``events`` table is the outbox the
uploader drains; ``meta`` remembers small things across restarts.

What a resident did (a rating, a ticket) must survive a power cut the moment
the screen says "thank you", so the database runs in WAL mode with
``synchronous=FULL``: a commit returns only once it is on the SD card.

The schema is versioned with ``PRAGMA user_version`` and :data:`MIGRATIONS`.
At start the file is checked with ``PRAGMA integrity_check``; a corrupt file
(SD cards do that) is moved aside to ``kiosk.db.corrupt-<time>``, an empty
database is started and a ``fault`` event records it, so the kiosk never
crash-loops on a bad file.  What the moved file still holds is read back
(kiosk/store_recovery.py),
read-only, table by table, skipping the pages that no longer read: the ticket
counters (the day's numbering goes on, never a second A001), the tickets, and
the events the office did not have yet, with their ids (the office keeps each
once).  The fault says how much came back.  A write that cannot be done (a
full data folder) raises :class:`StoreFull`, naming the folder.  A file written by a newer version of the software
is left alone and refused with :class:`~kiosk.errors.StoreError`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Iterable, List, Optional, TypeVar, Union

from protocol import officetime

from .errors import StoreError
from .events import Event
from .store_recovery import move_aside, recover

__all__ = ["Store", "StoreFull", "MIGRATIONS", "DB_NAME", "free_bytes", "FULL_BELOW_BYTES"]

log = logging.getLogger("kiosk.store")

DB_NAME = "kiosk.db"
BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")

#: Migration N brings ``user_version`` from N to N+1, in one transaction with
#: the version bump.  Never edit a migration that has shipped: a new table or
#: column (ratings, tickets...) is a new script appended to the end.
MIGRATIONS: List[str] = [
    # 1: the outbox of events for the office server, and a key/value table.
    """
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a seq is never reused, even after deletes
        id TEXT NOT NULL UNIQUE,                -- uuid4, lets the server drop duplicate uploads
        type TEXT NOT NULL,
        at TEXT NOT NULL,                       -- RFC 3339, +08:00
        clock_synced INTEGER NOT NULL,
        data TEXT NOT NULL,                     -- JSON object
        delivered_at TEXT                       -- NULL until the office server has it
    );
    CREATE INDEX events_pending ON events (seq) WHERE delivered_at IS NULL;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: satisfaction ratings (kiosk/ratings.py), keyed by the seq of their rating event (whose id
    # is the rating's uuid): an increasing key appends, where a random uuid key would write a page
    # anywhere in the index on every press.
    """
    CREATE TABLE ratings (
        seq INTEGER PRIMARY KEY REFERENCES events (seq),
        at TEXT NOT NULL,                       -- RFC 3339, +08:00
        day TEXT NOT NULL,                      -- office day in Asia/Taipei, YYYY-MM-DD
        hour INTEGER NOT NULL,                  -- 0-23, office time
        scale INTEGER NOT NULL,                 -- 3 or 5 choices
        score INTEGER NOT NULL,                 -- 1 (worst) .. scale (best)
        choice TEXT NOT NULL,                   -- smile, neutral, frown, very_satisfied...
        source TEXT NOT NULL,                   -- button or touch
        kiosk_id TEXT NOT NULL,
        location TEXT NOT NULL DEFAULT '',      -- counter the box stands at, '' for the lobby
        service TEXT NOT NULL DEFAULT '',       -- service code when known
        misuse INTEGER NOT NULL DEFAULT 0,      -- too soon after the previous rating: kept, not counted
        reason TEXT,                            -- answer to the why-question, if any
        clock_synced INTEGER NOT NULL
    );
    CREATE INDEX ratings_day ON ratings (day);
    """,
    # 3: queue tickets (kiosk/tickets.py).  One counter per service and office day: the number
    # is taken from it in the same transaction as the ticket row and its event, so a number is
    # never handed out twice, whatever the clock or a power cut does.
    """
    CREATE TABLE ticket_counters (
        day TEXT NOT NULL,                      -- office day in Asia/Taipei, YYYY-MM-DD
        prefix TEXT NOT NULL,                   -- the service's letter
        issued INTEGER NOT NULL,                -- tickets taken from it so far that day
        PRIMARY KEY (day, prefix)
    );
    CREATE TABLE tickets (
        seq INTEGER PRIMARY KEY REFERENCES events (seq),
        day TEXT NOT NULL,
        prefix TEXT NOT NULL,
        issued INTEGER NOT NULL,                -- 1, 2, 3... that day, never repeated
        label TEXT NOT NULL,                    -- as printed: A012 (wraps at tickets.wrap)
        at TEXT NOT NULL,                       -- RFC 3339, +08:00
        people_ahead INTEGER NOT NULL,
        lang TEXT NOT NULL,
        status TEXT NOT NULL,                   -- printing, printed, failed, reprinted
        UNIQUE (day, prefix, issued)
    );
    """,
    # 4: a rating may name the ticket the resident took on this kiosk (they pick it on screen).
    """
    ALTER TABLE ratings ADD COLUMN ticket TEXT NOT NULL DEFAULT '';
    """,
    # 5: the uploader (kiosk/uploader.py).  An event the server rejected is parked with the reason:
    # kept, shown, not retried for ever, never blocking the rest.  Before the clock is synced an event
    # also carries the boot it happened in and the monotonic time, so the server can place it.
    """
    ALTER TABLE events ADD COLUMN parked_error TEXT;
    ALTER TABLE events ADD COLUMN boot_id TEXT;
    ALTER TABLE events ADD COLUMN monotonic REAL;
    DROP INDEX events_pending;
    CREATE INDEX events_pending ON events (seq) WHERE delivered_at IS NULL AND parked_error IS NULL;
    """,
    # 6: heartbeats (kiosk/heartbeat.py).  Recording one deletes the one before; its summary reads the
    # newest faults and form slips.  Partial indexes hold only those rows, so none of that scans a year of
    # ratings and tickets, and a rating's insert does not pay for them.
    """
    CREATE INDEX events_heartbeat ON events (seq) WHERE type = 'heartbeat';
    CREATE INDEX events_fault ON events (seq) WHERE type = 'fault';
    CREATE INDEX events_form_slip ON events (seq) WHERE type = 'form_slip';
    """,
    # 7: staff may start the day's numbers again (kiosk/ticket_numbers.py).  The counter itself never goes back
    # (a ticket row per issued number stays unique); the numbers shown count from reset_base.
    """
    ALTER TABLE ticket_counters ADD COLUMN reset_base INTEGER NOT NULL DEFAULT 0;
    """,
    # 8: numbers the kiosk gave out alone, cut off from its office server (protocol/numbering.py): its slot's
    # block counts from this, per service and office day, and never goes back either.
    """
    ALTER TABLE ticket_counters ADD COLUMN alone INTEGER NOT NULL DEFAULT 0;
    """,
]

_EVENT_COLUMNS = "seq, id, type, at, clock_synced, data, boot_id, monotonic"


#: Below this much free space, a write that fails is put down to a full data folder.
FULL_BELOW_BYTES = 1 << 20


class StoreFull(StoreError):
    "Error raised when the data folder (or the database) is full: nothing of that write was kept"


def free_bytes(folder: Path) -> Optional[int]:
    """The room left for the kiosk in ``folder`` (as an unprivileged user sees it), None if it cannot be asked."""
    try:
        stat = os.statvfs(folder)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def _size(n: int) -> str:
    return f"{n // 1024} KB" if n < 10 << 20 else f"{n // (1 << 20)} MB"


def _cannot_write(path: Path, exc: sqlite3.Error) -> StoreError:
    """What a write that SQLite refused means for a person: one line naming the folder and what to do."""
    free = free_bytes(path.parent)
    full = getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"
    if free is not None and free < FULL_BELOW_BYTES:  # SQLITE_FULL, or an I/O error because there is no room
        return StoreFull(f"the data folder {path.parent} is full ({_size(free)} free), nothing was stored. "
                         "Hint: free space there (old kiosk.db.corrupt-* files can be copied off and deleted), "
                         "or replace the SD card")
    if full:
        return StoreFull(f"the database {path} is full ({exc}; the folder has {_size(free or 0)} free), "
                         "nothing was stored")
    return StoreError(f"cannot write to {path}: {exc}")


class _Corrupt(Exception):
    "The database file cannot be trusted; the message is the short reason"


def _event(row) -> Event:
    seq, id, type, at, clock_synced, data, boot_id, monotonic = row
    return Event(id=id, type=type, at=at, clock_synced=bool(clock_synced), data=json.loads(data), seq=seq,
                 boot_id=boot_id, monotonic=monotonic)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions, write() opens and closes them itself.
    # check_same_thread=False: the lock below, not the thread, guards the connection.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _checked_connection(path: Path) -> sqlite3.Connection:
    """Open ``path`` and make sure SQLite can read all of it; raise _Corrupt if not.

    Nothing here writes, so a file that is refused later (newer schema) is left as it was.
    """
    conn = None
    try:
        conn = _connect(path)
        conn.execute("PRAGMA user_version").fetchone()  # the first read: "file is not a database"
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.OperationalError as exc:
        # Busy, locked, unreadable, disk I/O: the file is not known to be bad,
        # and moving it aside would lose what it holds.
        if conn is not None:
            conn.close()
        free = free_bytes(path.parent)
        if free is not None and free < FULL_BELOW_BYTES:  # no room for the -shm/-wal files SQLite needs
            raise StoreFull(f"cannot open {path}: the data folder {path.parent} is full ({_size(free)} free). "
                            "Hint: free space there (old kiosk.db.corrupt-* files can be copied off and "
                            "deleted), or replace the SD card") from exc
        raise StoreError(f"cannot open {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:  # SQLITE_CORRUPT, SQLITE_NOTADB
        if conn is not None:
            conn.close()
        raise _Corrupt(str(exc)) from exc
    if problems != ["ok"]:
        conn.close()
        raise _Corrupt("integrity check: " + "; ".join(problems[:3])[:200])
    return conn


class Store:
    """The kiosk's SQLite database; see the module docstring."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self._conn: Optional[sqlite3.Connection] = conn
        # Protects the single connection.  Re-entrant so that a write() called
        # from inside another write() joins it instead of deadlocking.
        self._lock = threading.RLock()

    @classmethod
    def open(cls, data_dir: Union[str, Path]) -> "Store":
        """Open (or create) ``<data_dir>/kiosk.db``, check it and bring its schema up to date."""
        data_dir = Path(data_dir)
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {data_dir}: {exc.strerror or exc}") from exc
        if not os.access(data_dir, os.W_OK | os.X_OK):
            raise StoreError(f"cannot write to the data directory {data_dir}: permission denied")
        path = data_dir / DB_NAME
        fault = None
        try:
            conn = _checked_connection(path)
        except _Corrupt as exc:
            try:
                moved_to = move_aside(path)
            except OSError as error:
                raise StoreError(f"{path} is corrupt ({exc}) and cannot be moved aside: {error}") from error
            log.warning("%s is corrupt (%s); moved it to %s and started an empty database", path, exc, moved_to)
            fault = {"kind": "database_corrupt", "moved_to": moved_to, "error": str(exc)}
            try:
                conn = _checked_connection(path)
            except _Corrupt as again:  # a brand-new file: the card itself is failing
                raise StoreError(f"cannot start a new database at {path}: {again}") from again
        store = cls(path, conn)
        try:
            store._migrate()
        except BaseException:
            store.close()
            raise
        if fault:
            try:
                fault.update(recover(path.parent / moved_to, store))
            except Exception as exc:  # recovery is a bonus: the kiosk must start all the same
                log.exception("could not recover anything from %s", moved_to)
                fault["recovery_error"] = str(exc)[:200]
            else:
                log.warning("recovered from %s: %s unsent events, the ticket numbers of %s day(s) and services, "
                            "%s unreadable stretch(es) skipped", moved_to, fault["recovered_events"],
                            fault["recovered_counters"], fault["unreadable_stretches"])
            store.record_event("fault", fault)
        return store

    def _migrate(self) -> None:
        conn = self._conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} has schema version {version}, but this software knows versions up to "
                f"{len(MIGRATIONS)}: it was written by a newer kiosk version. "
                f"Hint: install the newer software; the file has not been changed.")
        # Set only after the version check, since switching to WAL rewrites the file header.
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            log.warning("%s: journal mode is %s, not wal", self.path, mode)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        for number in range(version, len(MIGRATIONS)):
            # executescript() commits any open transaction first, so the
            # transaction is opened inside the script itself.
            script = f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]};\nPRAGMA user_version = {number + 1};\nCOMMIT;"
            try:
                conn.executescript(script)
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"migration {number} -> {number + 1} of {self.path} failed: {exc}") from exc

    # -- the two ways in ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.path} is closed")
        return self._conn

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` in one transaction: all of it is kept, or (if it raises) none of it.

        A write SQLite cannot do (a full data folder, an I/O error, a lock held too long) raises
        :class:`StoreError` (:class:`StoreFull` when there is no room), whose message names the folder.
        """
        with self._lock:
            conn = self._connection()
            if conn.in_transaction:  # called from inside another write(): part of that transaction
                return fn(conn)
            try:
                conn.execute("BEGIN IMMEDIATE")
                result = fn(conn)
                # In WAL mode the pages are written at COMMIT: a full disk often fails here, and the
                # transaction then stays open; it must not swallow every later write.
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:  # SQLite rolls back by itself after some errors (disk full)
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError):
                    raise _cannot_write(self.path, exc) from exc
                raise
            return result

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` and return what it returns."""
        with self._lock:
            return fn(self._connection())

    # -- events: the outbox ---------------------------------------------------------------------

    def record_event(self, type: str, data: Optional[dict] = None,
                     conn: Optional[sqlite3.Connection] = None) -> Event:
        """Keep a new event; pass the ``conn`` of a write() to make it part of that transaction."""
        return self.add_event(Event.new(type, data), conn)

    def add_event(self, event: Event, conn: Optional[sqlite3.Connection] = None) -> Event:
        """Keep an event built by the caller (whose id a domain row shares); return it with its seq."""

        def insert(conn):
            cursor = conn.execute(
                "INSERT INTO events (id, type, at, clock_synced, data, boot_id, monotonic) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event.id, event.type, event.at, int(event.clock_synced), event.data_json(), event.boot_id,
                 event.monotonic))
            return dataclasses.replace(event, seq=cursor.lastrowid)

        return insert(conn) if conn is not None else self.write(insert)

    def events(self, since_seq: int = 0, limit: Optional[int] = None) -> List[Event]:
        """Events with a seq above ``since_seq``, oldest first."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
        rows = self.read(lambda c: c.execute(sql, (since_seq, -1 if limit is None else limit)).fetchall())
        return [_event(row) for row in rows]

    def pending_events(self, limit: int = 100) -> List[Event]:
        """Events the office server does not have yet, oldest first."""
        sql = (f"SELECT {_EVENT_COLUMNS} FROM events WHERE delivered_at IS NULL AND parked_error IS NULL "
               "ORDER BY seq LIMIT ?")
        return [_event(row) for row in self.read(lambda c: c.execute(sql, (limit,)).fetchall())]

    def park(self, rejected: Iterable[tuple]) -> int:
        """Set aside events the server rejected, ``(id, error)`` each: kept and shown, not sent again."""
        params = [(error[:500], id) for id, error in rejected]
        sql = "UPDATE events SET parked_error = ? WHERE id = ? AND delivered_at IS NULL"
        return self.write(lambda c: c.executemany(sql, params).rowcount) if params else 0

    def outbox_counts(self) -> dict:
        """How many events wait for upload (``pending``) and how many were rejected (``parked``)."""
        pending, parked = self.read(lambda c: c.execute(
            "SELECT count(*) FILTER (WHERE parked_error IS NULL), count(*) FILTER (WHERE parked_error IS NOT NULL) "
            "FROM events WHERE delivered_at IS NULL").fetchone())
        return {"pending": pending, "parked": parked}

    def prune_delivered(self, before: str) -> int:
        """Forget events the server has had since before ``before`` (RFC 3339); domain rows stay."""
        def prune(conn):
            # Ratings, tickets... point at their event's seq; those events are kept (a few hundred a day).
            return conn.execute(
                "DELETE FROM events WHERE delivered_at IS NOT NULL AND delivered_at < ? AND type NOT IN "
                "('rating', 'ticket') AND seq < (SELECT max(seq) FROM events)", (before,)).rowcount
        return self.write(prune)

    def mark_delivered(self, ids: Iterable[str], at: Optional[str] = None) -> int:
        """Record that the server has these events; return how many were newly marked."""
        at = at or officetime.rfc3339(officetime.now())
        sql = "UPDATE events SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL"
        params = [(at, id) for id in ids]
        return self.write(lambda c: c.executemany(sql, params).rowcount) if params else 0

    # -- meta -----------------------------------------------------------------------------------

    def get_meta(self, key: str, default: Optional[str] = None) -> Optional[str]:
        row = self.read(lambda c: c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone())
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"meta values are strings, got {value.__class__.__name__} for {key!r}")
        self.write(lambda c: c.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (key, value)))

    # -- life -----------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self.read(lambda c: c.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
