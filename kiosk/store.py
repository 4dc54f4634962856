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
crash-loops on a bad file.  What the moved file still holds is read back,
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable, List, Optional, TypeVar, Union

from protocol import officetime

from .errors import StoreError
from protocol.events import EVENT_TYPES

from .events import Event

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
    # 7: staff may start the day's numbers again (kiosk/admin.py).  The counter itself never goes back
    # (a ticket row per issued number stays unique); the numbers shown count from reset_base.
    """
    ALTER TABLE ticket_counters ADD COLUMN reset_base INTEGER NOT NULL DEFAULT 0;
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


def _move_aside(path: Path) -> str:
    """Move the database and its -wal/-shm to ``<name>.corrupt-<time>``; return the new name."""
    stamp = officetime.now().strftime("%Y%m%dT%H%M%S")
    base, n = f"{path.name}.corrupt-{stamp}", 1
    # Two bad files within one second must not overwrite each other.
    while any((path.parent / (base + s)).exists() for s in ("", "-wal", "-shm")):
        n += 1
        base = f"{path.name}.corrupt-{stamp}-{n}"
    # SQLite usually folds the -wal in (or drops it) on close; one left behind
    # goes too, or it would be replayed into the new database.
    for suffix in ("", "-wal", "-shm"):
        source = path.parent / (path.name + suffix)
        if source.exists():
            os.replace(source, path.parent / (base + suffix))
    return base


# -- what can still be read from a damaged file ---------------------------------------------------------

#: Past the largest rowid SQLite hands out: where a search for readable rows gives up.
_LAST_ROWID = 1 << 62


def _readable_rows(conn: sqlite3.Connection, table: str, columns: str, where: str = "true", params: tuple = ()):
    """Every row of ``table`` that SQLite can still read, rowid first, in rowid order; and how many gaps there were.

    A scan from the start stops at the first damaged page.  It goes on from the first rowid after it from
    which the table reads again: found by probing ever further ahead (1, 2, 4... rows), then halving back, so
    a damaged page costs a few dozen small queries and loses only the rows on it.  Nothing is written.
    """
    select = f"SELECT rowid, {columns} FROM {table} NOT INDEXED WHERE rowid > ? AND ({where}) ORDER BY rowid"

    def one(sql: str, value: int):
        try:
            return True, conn.execute(sql, (value, *params)).fetchone()
        except sqlite3.DatabaseError:
            return False, None

    rows, gaps, position = [], 0, 0  # the kiosk's tables number their rows from 1

    def take(row) -> None:
        nonlocal position
        if row[0] > position:  # a garbled page could claim any rowid: never go back
            rows.append(row)
            position = row[0]

    while True:
        try:
            for row in conn.execute(select, (position, *params)):
                take(row)
            return rows, gaps
        except sqlite3.DatabaseError:
            gaps += 1
        # The step that failed may have read a row it never handed over: go on one row at a time.
        while True:
            readable, row = one(select + " LIMIT 1", position)
            if not readable:
                break
            if row is None:
                return rows, gaps
            take(row)
        # Find the first point past the damage from which the table reads again.
        bad, step = position, 1
        while not one(select + " LIMIT 1", position + step)[0]:
            bad, step = position + step, step * 2
            if position + step >= _LAST_ROWID:
                return rows, gaps  # nothing after the damage reads
        good = position + step
        while good - bad > 1:
            middle = (good + bad) // 2
            if one(select + " LIMIT 1", middle)[0]:
                good = middle
            else:
                bad = middle
        # A search for the rows after `good - 1` lands on the damaged page; the row `good` itself may read.
        readable, row = one(f"SELECT rowid, {columns} FROM {table} NOT INDEXED WHERE rowid = ? AND ({where})", good)
        if readable and row is not None:
            take(row)
        position = max(position, good)


def _columns(conn: sqlite3.Connection, table: str) -> List[str]:
    try:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    except sqlite3.DatabaseError:
        return []


def _read_damaged(path: Path) -> dict:
    """The ticket counters and the events SQLite can still read from the moved-aside ``path``, read-only."""
    # A read-only connection to a WAL database may create its -wal and -shm files, and cannot remove them.
    created = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm") if not Path(f"{path}{suffix}").exists()]
    found = {"counters": [], "tickets": {}, "events": [], "gaps": 0}
    # A year of ratings and tickets stays in the file: only the unsent events, and the tickets of the last days
    # (whose numbers may go on, with a day's margin for a clock that is off), are worth the memory.
    since = (officetime.office_day() - timedelta(days=2)).isoformat()
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        log.warning("cannot read %s at all: %s", path, exc)
        return found
    try:
        wanted = ("day", "prefix", "issued", "reset_base")
        have = _columns(conn, "ticket_counters")
        if {"day", "prefix", "issued"} <= set(have):
            rows, gaps = _readable_rows(conn, "ticket_counters",
                                        ", ".join(c if c in have else "0" for c in wanted))
            found["counters"], found["gaps"] = [row[1:] for row in rows], found["gaps"] + gaps
        if {"day", "prefix", "issued", "label", "status"} <= set(_columns(conn, "tickets")):
            rows, gaps = _readable_rows(conn, "tickets", "day, prefix, issued, label, status", "day >= ?", (since,))
            found["tickets"], found["gaps"] = {row[0]: row[1:] for row in rows}, found["gaps"] + gaps
        have = _columns(conn, "events")
        wanted = ("id", "type", "at", "clock_synced", "data", "delivered_at", "parked_error", "boot_id", "monotonic")
        if {"id", "type", "at", "data"} <= set(have):
            rows, gaps = _readable_rows(conn, "events", ", ".join(c if c in have else "NULL" for c in wanted),
                                        "delivered_at IS NULL OR (type = 'ticket' AND at >= ?)", (since,))
            found["events"], found["gaps"] = rows, found["gaps"] + gaps
    finally:
        conn.close()
        for extra in created:
            try:
                if extra.name.endswith("-shm") or extra.stat().st_size == 0:
                    extra.unlink()
            except OSError:
                pass
    return found


def _event_row(row) -> Optional[tuple]:
    """A read event row that still makes sense (damage can garble a row that reads), or None."""
    seq, id, type, at, clock_synced, data, delivered_at, parked_error, boot_id, monotonic = row
    try:
        parsed = json.loads(data)
        datetime_at = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None
    if not (isinstance(id, str) and 0 < len(id) <= 64 and type in EVENT_TYPES and isinstance(parsed, dict)
            and datetime_at.tzinfo is not None):
        return None
    return (seq, id, type, at, 1 if clock_synced in (1, True, None) else 0, data, delivered_at, parked_error,
            boot_id if isinstance(boot_id, str) else None, monotonic if isinstance(monotonic, float) else None,
            parsed, datetime_at)


def _label_number(label, prefix) -> Optional[int]:
    if not (isinstance(label, str) and isinstance(prefix, str) and label.startswith(prefix)):
        return None
    digits = label[len(prefix):]
    return int(digits) if digits.isascii() and digits.isdigit() else None


def _recover(moved: Path, store: "Store") -> dict:
    """Put what the moved-aside file still holds back into the new, empty ``store``; say what.

    The day's ticket numbers go on where they were (never a second A001 the same day): each (day, service)
    counter is the highest number any readable trace shows (the counters, the tickets, the ticket events).
    The events the office did not have yet go back into the outbox with their ids, so the office keeps each
    once even if it had some after all; the tickets come back with their events (a reprint, the rating
    screen's own ticket, the clock check read them).  Unreadable rows are skipped.
    """
    found = _read_damaged(moved)
    events = [e for e in (_event_row(row) for row in found["events"]) if e is not None]
    counters = {}  # (day, prefix) -> [issued, reset_base]
    for day, prefix, issued, base in found["counters"]:
        if isinstance(day, str) and isinstance(prefix, str) and isinstance(issued, int):
            counters[(day, prefix)] = [issued, base if isinstance(base, int) and 0 <= base <= issued else 0]
    tickets = []  # (event, day, prefix, issued, label, status)
    for event in events:
        if event[2] != "ticket":
            continue
        data, moment = event[10], event[11]
        old = found["tickets"].get(event[0])
        day = old[0] if old else officetime.office_day(moment).isoformat()
        prefix, issued, label = data.get("service"), data.get("issued"), data.get("number")
        if not (isinstance(prefix, str) and isinstance(issued, int) and _label_number(label, prefix) is not None):
            continue
        tickets.append((event, day, prefix, issued, label, old[4] if old else "printed"))
        counter = counters.get((day, prefix))
        if counter is None or issued > counter[0]:  # a later ticket than the counter that could be read
            # The numbers shown count from reset_base (admin reset): go on from this ticket's number.
            counters[(day, prefix)] = [issued, max(0, issued - _label_number(label, prefix))]
    for day, prefix, issued, label, _status in found["tickets"].values():
        counter = counters.get((day, prefix))
        number = _label_number(label, prefix)
        if isinstance(issued, int) and number is not None and (counter is None or issued > counter[0]):
            counters[(day, prefix)] = [issued, max(0, issued - number)]
    keep = {e[1] for e in events if e[6] is None} | {t[0][1] for t in tickets}

    def write(conn):
        conn.executemany("INSERT INTO ticket_counters (day, prefix, issued, reset_base) VALUES (?, ?, ?, ?)",
                         [(day, prefix, issued, base) for (day, prefix), (issued, base) in sorted(counters.items())])
        new_seq = {}
        for event in events:
            if event[1] not in keep:
                continue
            cursor = conn.execute(
                "INSERT OR IGNORE INTO events (id, type, at, clock_synced, data, delivered_at, parked_error, boot_id,"
                " monotonic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", event[1:10])
            if cursor.rowcount:
                new_seq[event[1]] = cursor.lastrowid
        for event, day, prefix, issued, label, status in tickets:
            if event[1] in new_seq:
                data = event[10]
                conn.execute("INSERT OR IGNORE INTO tickets (seq, day, prefix, issued, label, at, people_ahead, lang,"
                             " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (new_seq[event[1]], day, prefix, issued, label, event[3],
                              data.get("people_ahead") if isinstance(data.get("people_ahead"), int) else 0,
                              data.get("lang") if isinstance(data.get("lang"), str) else "zh-TW", status))
        return sum(1 for e in events if e[1] in new_seq and e[6] is None and e[7] is None)

    unsent = store.write(write)
    return {"recovered_events": unsent, "recovered_counters": len(counters),
            "unreadable_stretches": found["gaps"] + len(found["events"]) - len(events)}


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
                moved_to = _move_aside(path)
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
                fault.update(_recover(path.parent / moved_to, store))
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
