"""
Recovering a corrupt database: moving it aside, and reading back what it still holds
====================================================================================

SD cards corrupt files.  When ``kiosk.db`` fails its integrity check at start,
:class:`~kiosk.store.Store` moves it aside with :func:`move_aside`, starts an
empty database, and calls :func:`recover` to put back what the old file still
holds; the ``database_corrupt`` fault says how much came back.  This lives apart
from the store because it is a start-up rescue, not how the kiosk reads and
writes: it reads a damaged file read-only, table by table, with the sqlite3
module alone (no ``sqlite3`` CLI on the Pi), going on past each damaged page,
and keeps what matters: the ticket counters (the day's numbering goes on, never
a second A001), the last days' tickets, and the events the office did not have
yet, with their ids (the office keeps each once).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import List, Optional

from protocol import officetime
from protocol.events import EVENT_TYPES

__all__ = ["move_aside", "recover"]

# The store's log name: a recovery is part of opening the store, and the journal has always said so under it.
log = logging.getLogger("kiosk.store")


def move_aside(path: Path) -> str:
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


def recover(moved: Path, store) -> dict:
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
