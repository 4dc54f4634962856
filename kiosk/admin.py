"""
The staff's side of the kiosk: PIN, lockout and actions (no Kivy)
=================================================================

The admin screen (``kiosk/ui/admin.py``) opens after a 5-second press on the
top-left corner and a PIN.  What it decides lives here, so that it is tested
without a screen:

- **The PIN** is never stored: ``[admin] pin_hash`` holds a salted PBKDF2
  hash (``kiosk admin hash-pin`` makes one).  No hash configured: there is no
  admin screen, rather than a default PIN every kiosk would share.
- **Five wrong PINs** lock the keypad for ``[admin] lockout_minutes``.  The
  count and the lock are kept in the store, so pulling the plug does not
  clear them; a clock set back cannot make the lock last longer than that.
- **Every action** (and every wrong PIN) is an ``admin`` event, uploaded like
  the rest: the office sees who-did-what-when as the kiosk saw it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional
from urllib.parse import urlsplit

__all__ = ["AdminGate", "AdminError", "StatusRow", "hash_pin", "verify_pin", "PIN_PATTERN", "ticketing_paused",
           "set_ticketing_paused", "reset_today_numbers", "status_rows", "printer_row", "latest_faults",
           "request_poweroff"]

log = logging.getLogger("kiosk.admin")

#: 4 to 8 digits: typed on a big keypad by a clerk, not a password manager.
PIN_PATTERN = re.compile(r"\d{4,8}")
_SCHEME = "pbkdf2-sha256"
_ITERATIONS = 200_000  # about 0.3 s on a Pi 3: cheap once, expensive a million times

META_FAILURES = "admin_failures"
META_LOCKED_UNTIL = "admin_locked_until"
META_PAUSED = "ticketing_paused"
#: Written by provisioning/kiosk-provision into the data directory when the boot file is wrong.
PROVISIONING_ERRORS = "provisioning-errors.txt"


def hash_pin(pin: str, salt: Optional[bytes] = None, iterations: int = _ITERATIONS) -> str:
    """``pbkdf2-sha256$ITERATIONS$SALT$HASH`` (hex) for a PIN of 4-8 digits."""
    if not PIN_PATTERN.fullmatch(pin):
        raise ValueError("a PIN is 4 to 8 digits")
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{_SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def valid_hash(stored: str) -> bool:
    """True if ``stored`` looks like what :func:`hash_pin` makes (config validation)."""
    parts = stored.split("$")
    return (len(parts) == 4 and parts[0] == _SCHEME and parts[1].isdigit() and int(parts[1]) >= 10_000
            and re.fullmatch(r"[0-9a-f]{16,}", parts[2]) is not None and re.fullmatch(r"[0-9a-f]{64}", parts[3]) is not None)


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches the stored hash (constant-time compare)."""
    if not valid_hash(stored):
        return False
    _scheme, iterations, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(candidate.hex(), digest)


class AdminGate:
    """The PIN check with its lockout, kept in the store's meta table.

    ``try_pin`` answers ``"ok"``, ``"wrong"`` (with :attr:`attempts_left`),
    ``"locked"`` (see :meth:`locked_for`) or ``"unset"`` (no PIN configured).
    """

    def __init__(self, store, pin_hash: str, attempts: int = 5, lockout_seconds: float = 300,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.pin_hash = pin_hash
        self.attempts = attempts
        self.lockout_seconds = lockout_seconds
        self.clock = clock

    @property
    def configured(self) -> bool:
        return bool(self.pin_hash)

    def _failures(self) -> int:
        try:
            return int(self.store.get_meta(META_FAILURES, "0"))
        except ValueError:
            return 0

    @property
    def attempts_left(self) -> int:
        return max(0, self.attempts - self._failures())

    def locked_for(self) -> float:
        """Seconds until the keypad takes PINs again (0: it does now)."""
        try:
            until = float(self.store.get_meta(META_LOCKED_UNTIL, "0"))
        except ValueError:
            until = 0.0
        left = until - self.clock()
        if left <= 0:
            return 0.0
        if left > self.lockout_seconds:  # the clock was set back: the lock is never longer than promised
            until = self.clock() + self.lockout_seconds
            self.store.set_meta(META_LOCKED_UNTIL, repr(until))
            left = self.lockout_seconds
        return left

    def try_pin(self, pin: str) -> str:
        if not self.configured:
            return "unset"
        if self.locked_for() > 0:
            self.store.record_event("admin", {"action": "pin_refused_locked"})
            return "locked"
        if verify_pin(pin, self.pin_hash):
            self.store.set_meta(META_FAILURES, "0")
            self.store.record_event("admin", {"action": "login"})
            return "ok"
        failures = self._failures() + 1
        self.store.set_meta(META_FAILURES, str(failures))
        self.store.record_event("admin", {"action": "pin_wrong", "failures": failures})  # never the PIN typed
        if failures >= self.attempts:
            self.store.set_meta(META_LOCKED_UNTIL, repr(self.clock() + self.lockout_seconds))
            self.store.set_meta(META_FAILURES, "0")
            self.store.record_event("admin", {"action": "locked", "minutes": round(self.lockout_seconds / 60, 1)})
            log.warning("admin keypad locked for %.0f s after %d wrong PINs", self.lockout_seconds, failures)
            return "locked"
        return "wrong"


# -- ticketing pause and numbers -----------------------------------------------------------------


def ticketing_paused(store) -> bool:
    """True while staff have paused ticketing (refilling the printer...): residents see a polite notice."""
    return store.get_meta(META_PAUSED, "") == "1"


def set_ticketing_paused(store, paused: bool) -> None:
    def write(conn):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (META_PAUSED, "1" if paused else ""))
        store.record_event("admin", {"action": "pause_ticketing" if paused else "resume_ticketing"}, conn)
    store.write(write)


def reset_today_numbers(store, day: str) -> int:
    """Start today's numbers again at 1 for every service; return how many services were reset.

    The tickets already handed out stay as they were, and the counter under
    them keeps counting (each handed-out ticket stays one row); the numbers
    printed from now on count from where the counter stood (``reset_base``).
    The event says where each service was, so the office can tell the day's
    two A001s apart.
    """
    def write(conn):
        counters = dict(conn.execute("SELECT prefix, issued - reset_base FROM ticket_counters WHERE day = ?",
                                     (day,)).fetchall())
        conn.execute("UPDATE ticket_counters SET reset_base = issued WHERE day = ?", (day,))
        store.record_event("admin", {"action": "reset_numbers", "day": day, "counters": counters}, conn)
        return len(counters)
    return store.write(write)


# -- what the admin screen shows -------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    """One line of the admin status: ``key`` names it (message ``admin.row_<key>``), ``level`` colours it."""

    key: str
    value: str
    level: str = "ok"  # ok | warn | fail


def local_addresses() -> List[str]:
    """This machine's IPv4 addresses other than loopback ("" list: no network)."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True,
                             text=True, timeout=2).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [f"{fields[3].split('/')[0]} ({fields[1]})" for fields in (line.split() for line in out.splitlines())
            if len(fields) > 3]


def _short_time(rfc3339: str) -> str:
    """``2026-11-27T14:05:09+08:00`` as ``11-27 14:05`` in Taipei time ("" stays "")."""
    if not rfc3339:
        return ""
    from datetime import datetime

    from protocol import officetime
    return datetime.fromisoformat(rfc3339).astimezone(officetime.TAIPEI).strftime("%m-%d %H:%M")


def latest_faults(store, limit: int = 5) -> List[str]:
    """The latest faults, newest first, as ``11-27 14:05 kind: message``."""
    rows = store.read(lambda c: c.execute(
        "SELECT at, data FROM events WHERE type = 'fault' ORDER BY seq DESC LIMIT ?", (limit,)).fetchall())
    faults = []
    for at, data in rows:
        fault = json.loads(data)
        faults.append(f"{_short_time(at)} {fault.get('kind', '?')}: {fault.get('message', '')}")
    return faults


def status_rows(services, printer_state: StatusRow, addresses: Optional[List[str]] = None) -> List[StatusRow]:
    """Everything a technician or clerk checks first, from the store and the services (no printer I/O here:
    the caller asks the printer off the main thread and passes ``printer_state``)."""
    from . import __version__

    config, store = services.config, services.store
    rows = [StatusRow("kiosk", f"{config.kiosk.id} · {config.kiosk.office}"),
            StatusRow("version", __version__)]
    addresses = local_addresses() if addresses is None else addresses
    rows.append(StatusRow("address", ", ".join(addresses) if addresses else "—", "ok" if addresses else "warn"))
    upload = services.uploader.status()
    if config.server.url:
        host = urlsplit(config.server.url).hostname or config.server.url
        rows.append(StatusRow("server", host, "warn" if upload["last_error"] else "ok"))
        rows.append(StatusRow("last_upload", " · ".join(filter(None, [_short_time(upload["last_success"]) or "—",
                                                                     upload["last_error"]])),
                              "warn" if upload["last_error"] else "ok"))
    else:
        rows.append(StatusRow("server", "—", "warn"))
    rows.append(StatusRow("outbox", f"{upload['pending']} / {upload['parked']}",
                          "warn" if upload["parked"] or upload["pending"] > 500 else "ok"))
    rows.append(printer_state)
    rows.append(storage_row(config.data_dir))
    hardware = services.hardware
    silent = [key for key in (store.get_meta("silent_buttons") or "").split(",") if key]
    if hardware is not None and hardware.gpio_fault:
        rows.append(StatusRow("buttons", hardware.gpio_fault, "fail"))
    else:
        rows.append(StatusRow("buttons", ", ".join(silent) if silent else "OK", "warn" if silent else "ok"))
    setup_wrong = (config.data_dir / PROVISIONING_ERRORS).exists()
    rows.append(StatusRow("setup", "kiosk.toml" if setup_wrong else "OK", "fail" if setup_wrong else "ok"))
    paused = ticketing_paused(store)
    rows.append(StatusRow("ticketing", "paused" if paused else "OK", "warn" if paused else "ok"))
    return rows


def storage_row(data_dir: Path) -> StatusRow:
    """The data folder's free space: a full one records no rating or ticket (kiosk/store.py's StoreFull)."""
    from .store import FULL_BELOW_BYTES, free_bytes

    free = free_bytes(data_dir)
    if free is None:
        return StatusRow("storage", "?", "warn")
    text = f"{free // (1 << 20)} MB free" if free >= 1 << 20 else f"FULL: {free // 1024} KB free"
    return StatusRow("storage", text, "fail" if free < FULL_BELOW_BYTES else "warn" if free < 50 << 20 else "ok")


def printer_row(services) -> StatusRow:
    """Ask the printer how it is (slow: seconds when it is off); call it off the main thread."""
    from hardware.exc import PrinterError

    try:
        link = services.printer_link()
        status = link.check_ready()
    except PrinterError as exc:
        return StatusRow("printer", str(exc), "fail")
    return StatusRow("printer", "paper near end" if status.paper_near_end else "OK",
                     "warn" if status.paper_near_end else "ok")


def request_poweroff(runtime_dir: Path = Path("/run/kiosk")) -> None:
    """Ask the system to power off safely (``kiosk-poweroff.path``, root's, watches for this file).

    :raises AdminError: where no such service runs (a laptop: ``make run``).
    """
    if not runtime_dir.is_dir():
        raise AdminError(f"no {runtime_dir}: safe shutdown works on the kiosk image only")
    (runtime_dir / "poweroff").write_text("requested from the admin screen\n")


class AdminError(RuntimeError):
    """An admin action that cannot be done here; the message says why."""
