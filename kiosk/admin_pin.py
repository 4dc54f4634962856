"""
The staff PIN: its hash, its check, and the keypad's lockout (no Kivy)
======================================================================

The admin screen (``kiosk/ui/admin.py``) opens after a 5-second press on the
top-left corner and a PIN.  Whether a PIN opens it is decided here, so that it
is tested without a screen; what the screen then shows and does lives in
``kiosk/admin_status.py``, ``kiosk/ticketing_pause.py``, ``kiosk/ticket_numbers.py``
and ``kiosk/poweroff.py``.

- **The PIN** is never stored: ``[admin] pin_hash`` holds a salted PBKDF2
  hash (``kiosk admin hash-pin`` makes one).  No hash configured: there is no
  admin screen, rather than a default PIN every kiosk would share.
  :func:`valid_hash` is what ``kiosk/settings.py`` checks that key with.
- **Five wrong PINs** lock the keypad for ``[admin] lockout_minutes``.  The
  count and the lock are kept in the store, so pulling the plug does not
  clear them; a clock set back cannot make the lock last longer than that.
- **Every try** (a wrong PIN, a login, the lock) is an ``admin`` event, uploaded
  like the rest: the office sees who-did-what-when as the kiosk saw it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import time
from typing import Callable, Optional

__all__ = ["AdminGate", "hash_pin", "valid_hash", "verify_pin", "PIN_PATTERN"]

# The name the lockout was always logged under (the journal's KIOSK_LOGGER field, the line's prefix): kept.
log = logging.getLogger("kiosk.admin")

#: 4 to 8 digits: typed on a big keypad by a clerk, not a password manager.
PIN_PATTERN = re.compile(r"\d{4,8}")
_SCHEME = "pbkdf2-sha256"
_ITERATIONS = 200_000  # about 0.3 s on a Pi 3: cheap once, expensive a million times

META_FAILURES = "admin_failures"
META_LOCKED_UNTIL = "admin_locked_until"


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
