"""
Office staff: accounts, the session secret, failed-login limits
===============================================================

Staff sign in to the report pages with a name and a password.  Passwords are
chosen by people, so they are kept as a salted, slow hash (werkzeug's
``generate_password_hash``: scrypt), unlike the kiosks' random tokens.

The first account is made from the command line (``kiosk-office admin add
NAME``); there is no sign-up page.

Flask signs its session cookie with ``SECRET_KEY``.  :func:`secret_key`
makes one the first time and keeps it in the database's ``meta`` table, so
that sessions survive a restart and every server process on the same
database shares it.  It is never logged or printed.

:class:`LoginLimiter`: after ``limit`` failed sign-ins for one name within
``window`` seconds, that name is refused (``429``) until the oldest failure
is older than the window.  It lives in the server process (a restart clears
it), which is enough to make guessing slow.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import deque
from typing import Callable, Deque, Dict, List, Optional

from sqlalchemy import Column, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .db import META, METADATA, Database, _now

__all__ = ["STAFF", "USERNAME", "MIN_PASSWORD", "add_user", "check_user", "users", "secret_key", "LoginLimiter",
           "ensure_schema"]

STAFF = Table(
    "staff", METADATA,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),  # werkzeug: "scrypt:32768:8:1$salt$hash"
    Column("created_at", String(40), nullable=False),
    Column("password_set_at", String(40), nullable=False),
)

#: A staff name: letters (any script), digits, '.', '_', '-', up to 64.
USERNAME = re.compile(r"[\w.-]{1,64}")
MIN_PASSWORD = 8
SECRET_META_KEY = "flask_secret_key"
# Checked against when the name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")


def ensure_schema(db: Database) -> None:
    """Create the staff table if this database predates it (idempotent)."""
    STAFF.create(db.engine, checkfirst=True)


def add_user(db: Database, name: str, password: str) -> bool:
    """Create staff account ``name``, or set its new password; True if it was new.

    ValueError for a bad name or a password shorter than :data:`MIN_PASSWORD`.
    """
    if not isinstance(name, str) or not USERNAME.fullmatch(name):
        raise ValueError(f"a staff name is 1-64 letters, digits, '.', '_' or '-', got {name!r}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    ensure_schema(db)
    hashed, now = generate_password_hash(password, method="scrypt"), _now()

    def store(conn) -> bool:
        if conn.execute(update(STAFF).where(STAFF.c.name == name)
                        .values(password_hash=hashed, password_set_at=now)).rowcount:
            return False
        conn.execute(insert(STAFF).values(name=name, password_hash=hashed, created_at=now, password_set_at=now))
        return True
    return db.write(store)


def check_user(db: Database, name: str, password: str) -> bool:
    """Whether ``password`` is ``name``'s (False for an unknown name, after as much work)."""
    stored = None
    if isinstance(name, str) and USERNAME.fullmatch(name):
        stored = db.read(lambda c: c.execute(select(STAFF.c.password_hash).where(STAFF.c.name == name)).scalar())
    if stored is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return False
    return check_password_hash(stored, password or "")


def users(db: Database) -> List[Dict[str, str]]:
    """Every staff account: name, created_at, password_set_at (never the hash)."""
    query = select(STAFF.c.name, STAFF.c.created_at, STAFF.c.password_set_at).order_by(STAFF.c.name)
    return [dict(row._mapping) for row in db.read(lambda c: c.execute(query).all())]


def secret_key(db: Database) -> str:
    """The key that signs staff sessions: made once, then read from the database's meta table."""
    def read(conn):
        return conn.execute(select(META.c.value).where(META.c.key == SECRET_META_KEY)).scalar()
    found = db.read(read)
    if found:
        return found

    def make(conn):
        existing = read(conn)
        if existing:
            return existing
        value = secrets.token_hex(32)
        conn.execute(insert(META).values(key=SECRET_META_KEY, value=value))
        return value
    try:
        return db.write(make)
    except IntegrityError:  # another process made it between our look-up and our insert
        return db.read(read)


class LoginLimiter:
    """At most ``limit`` failed sign-ins per name within ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: Dict[str, Deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, name: str) -> Deque[float]:
        now = self.clock()
        failures = self._failures.get(name, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(name, None)
        return failures

    def blocked_for(self, name: str) -> Optional[int]:
        """Seconds until ``name`` may try again, or None if it may now."""
        with self._lock:
            failures = self._recent(name)
            if len(failures) < self.limit:
                return None
            return max(1, int(self.window - (self.clock() - failures[0]) + 0.999))

    def failed(self, name: str) -> None:
        with self._lock:
            failures = self._recent(name)
            failures.append(self.clock())
            self._failures[name] = failures
            if len(self._failures) > 10000:  # someone trying many names: forget the oldest
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)
