"""
The self-test's rows for the machine and what the kiosk keeps on it
===================================================================

The clock (set at all, synchronised by NTP, how far off; the office day it
makes), the room left for the data folder, the database (its integrity and
schema version, checked on a connection that writes nothing and never moves a
corrupt file aside: that is the kiosk's own job at its start), and the outbox
(events waiting for the office server, parked ones, a backlog that says
uploads are not getting through).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from protocol import officetime

from .. import clock_sync
from .network import NET_TIMEOUT
from .rows import FAIL, PASS, WARN, Check, plural

if TYPE_CHECKING:
    from . import SelfTest

__all__ = ["check_clock", "check_storage", "check_database", "check_outbox", "open_database"]

FREE_WARN_MB, FREE_FAIL_MB = 200, 20
BACKLOG_WARN_EVENTS, BACKLOG_WARN_HOURS = 5000, 24
CLOCK_OFFSET_WARN = 1.0   # seconds
OLDEST_PLAUSIBLE_YEAR = 2025  # a clock before this was never set (a Pi has no battery clock)


def _timedatectl(*args: str) -> Optional[str]:
    """What ``timedatectl ARGS`` prints, or None where it cannot tell (no systemd: a container, a laptop)."""
    try:
        done = subprocess.run(["timedatectl", *args], capture_output=True, text=True, timeout=NET_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _offset_seconds(text: str) -> Optional[float]:
    """The ``Offset:`` of ``timedatectl timesync-status`` in seconds (``+1.234ms`` -> 0.001234)."""
    match = re.search(r"Offset:\s*([+-]?[\d.]+)\s*(us|µs|ms|s|min)\b", text)
    if not match:
        return None
    scale = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}[match.group(2)]
    return float(match.group(1)) * scale


def check_clock(t: SelfTest) -> Check:
    now = officetime.now()
    day = officetime.office_day(now)
    office = f"office day {officetime.roc_short(day)} ({officetime.roc_date(day)}) {now.strftime('%H:%M')} Asia/Taipei"
    if now.year < OLDEST_PLAUSIBLE_YEAR:
        return Check("clock", FAIL, f"the clock says {now:%Y-%m-%d %H:%M}: it was never set",
                     "connect the kiosk to a network with an NTP server; tickets are numbered by office day")
    answer = _timedatectl("show", "-p", "NTPSynchronized", "--value")
    synced = {"yes": True, "no": False}.get((answer or "").strip())
    if synced is None and clock_sync.TIMESYNC_FLAG.exists():
        synced = True  # systemd-timesyncd says so even where timedatectl cannot be asked
    if synced is None:
        if t.simulated:
            return Check("clock", PASS, f"NTP not checked (simulated; timedatectl cannot tell here); {office}")
        return Check("clock", WARN, f"cannot tell whether the clock is synchronised (timedatectl gave no answer); "
                                    f"{office}", "check that systemd-timesyncd runs: timedatectl timesync-status")
    if not synced:
        if t.simulated:
            return Check("clock", PASS, f"NTP not synchronised on this machine (simulated: not needed); {office}")
        return Check("clock", WARN, f"NTP not synchronised yet: events are marked clock_synced false; {office}",
                     "check the NTP server is reachable: timedatectl timesync-status (the Pi has no battery clock)")
    offset = _offset_seconds(_timedatectl("timesync-status") or "")
    shown = f" (offset {offset * 1000:+.1f} ms)" if offset is not None else ""
    if offset is not None and abs(offset) > CLOCK_OFFSET_WARN:
        return Check("clock", WARN, f"NTP synchronised but {offset:+.1f} s off; {office}",
                     "the clock is being corrected; if it stays off, check the NTP server")
    return Check("clock", PASS, f"NTP synchronised{shown}; {office}")


def check_storage(t: SelfTest) -> Check:
    data_dir = t.config.data_dir
    existing = data_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    usage = shutil.disk_usage(existing)
    free_mb = usage.free // 2**20
    where = f"{_size(usage.free)} free of {_size(usage.total)} for {data_dir}"
    if not os.access(existing, os.W_OK | os.X_OK):
        return Check("storage", FAIL, f"{where}, but {existing} cannot be written",
                     "run as the kiosk user (or root), or fix the folder's owner: the kiosk records nothing here")
    if free_mb < FREE_FAIL_MB:
        return Check("storage", FAIL, f"only {where}: the kiosk cannot record ratings or tickets",
                     "make room now: kiosk upload --once sends the outbox (delivered events are then pruned); "
                     "remove old kiosk.db.corrupt-* files")
    if free_mb < FREE_WARN_MB:
        return Check("storage", WARN, f"only {where}",
                     "make room before it fills: kiosk upload --once, remove old kiosk.db.corrupt-* files")
    return Check("storage", PASS, where + ("" if data_dir.exists() else " (created at the kiosk's first start)"))


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 10 * 2**30 else f"{n // 2**20} MB"


def open_database(data_dir: Path):
    """``(Store or None, database row)``; the file is read, never written, never moved aside."""
    from ..store import DB_NAME, MIGRATIONS, Store

    path = data_dir / DB_NAME
    if not path.exists():
        return None, Check("database", PASS, f"no database yet at {path} (the kiosk creates it at its first start)")
    conn = None
    try:
        # A plain connection, as the kiosk's own check at start: a read-only one would leave -wal and -shm
        # files behind, owned by whoever ran this (root), which the kiosk's user then cannot open.
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.OperationalError as exc:  # locked, unreadable: not known to be bad
        if conn is not None:
            conn.close()
        return None, Check("database", FAIL, f"cannot read {path}: {exc}",
                           "run as the kiosk user (or root); if it is locked, try again in a moment")
    except sqlite3.DatabaseError as exc:  # not a database, or damaged pages
        if conn is not None:
            conn.close()
        return None, _corrupt(path, str(exc))
    if problems != ["ok"]:
        conn.close()
        return None, _corrupt(path, "integrity check: " + "; ".join(problems[:2])[:200])
    store = Store(path, conn)
    if version > len(MIGRATIONS):
        return store, Check("database", FAIL, f"{path} has schema version {version}, newer than this software "
                                              f"({len(MIGRATIONS)})", "install the newer kiosk software")
    size = path.stat().st_size // 1024
    later = "" if version == len(MIGRATIONS) else f", updated to {len(MIGRATIONS)} at the kiosk's next start"
    return store, Check("database", PASS, f"{path}: integrity ok, schema version {version}{later}, {size} KB")


def _corrupt(path: Path, why: str) -> Check:
    return Check("database", FAIL, f"{path} is corrupt ({why})",
                 "copy it off for the office first; at its next start the kiosk moves it aside and starts an empty "
                 "one. Several of these: replace the SD card")


def check_database(t: SelfTest) -> Check:
    return t.store()[1]


def check_outbox(t: SelfTest) -> Check:
    from ..uploader import META_ERROR

    store, database = t.store()
    if store is None:
        if database.status == PASS:
            return Check("outbox", PASS, "empty (no database yet)")
        return Check("outbox", WARN, "not counted: the database cannot be read (see database)",
                     "fix the database first")
    try:
        counts = store.outbox_counts()
        oldest = store.pending_events(limit=1)
        last_error = store.get_meta(META_ERROR) or ""
    except sqlite3.Error as exc:  # an older schema, updated at the kiosk's next start
        return Check("outbox", WARN, f"not counted: {exc}", "start the kiosk once to update its database")
    pending, parked = counts["pending"], counts["parked"]
    uploads = bool(t.config.server.url)
    waiting = f"{plural(pending, 'event')} waiting" + ("" if uploads else " (uploads off: kept here)")
    problems = []
    if parked:
        problems.append((f"{plural(parked, 'event')} parked (refused by the office server, or not encodable)",
                         "kiosk upload status shows them; the office server's log says why it refused them"))
    if uploads and oldest:
        age_h = (officetime.now().timestamp() - _timestamp(oldest[0].at)) / 3600
        if pending >= BACKLOG_WARN_EVENTS or age_h >= BACKLOG_WARN_HOURS:
            problems.append((f"the oldest since {oldest[0].at[:16].replace('T', ' ')}: uploads are not getting "
                             "through" + (f" (last error: {last_error})" if last_error else ""),
                             "kiosk upload --once says why; check the network row"))
    reason = "; ".join([waiting + ("" if parked else ", none parked")] + [p[0] for p in problems])
    return Check("outbox", WARN if problems else PASS, reason, "; ".join(p[1] for p in problems))


def _timestamp(at: str) -> float:
    from datetime import datetime
    try:
        return datetime.fromisoformat(at).timestamp()
    except ValueError:
        return time.time()
