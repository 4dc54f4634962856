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

Sessions end on the server, not only in the browser: signing in makes a random session id, kept in the
signed cookie and, as its SHA-256, in ``staff_sessions`` (:func:`start_session`); every request with a staff
cookie is checked against that table (:func:`session_valid`, called by ``office/pages.py``), so a cookie
replayed after logout (:func:`end_session`), after the password was changed (:func:`add_user` ends every
session of the account) or after the account was removed (:func:`remove_user`) signs in nobody.  Someone who
reads the database learns only the hashes, so even with the session key they cannot make a valid cookie.

:class:`LoginLimiter`: failed sign-ins are counted per name *and* address (``limit``, 5, within ``window``
seconds, 5 minutes: that name from that address is refused with ``429`` until the oldest failure is older
than the window), and per address (``address_limit``, 20, for any names), so that nobody can lock a clerk
out by failing on purpose from elsewhere, and one address cannot try many names.  An IPv6 address counts
by its /64 (what one household or one host usually holds).  It lives in the server process (a restart clears
it), which is enough to make guessing slow; its clock is its own (``time.monotonic`` unless given).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import threading
import time
from collections import deque
from typing import Callable, Deque, Dict, Hashable, List, Optional

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .db import Database, _now
from .schema import META, STAFF, STAFF_SESSIONS

__all__ = ["USERNAME", "MIN_PASSWORD", "add_user", "remove_user", "check_user", "users",
           "secret_key", "start_session", "session_valid", "end_session", "LoginLimiter"]

#: A staff name: letters (any script), digits, '.', '_', '-', up to 64.
USERNAME = re.compile(r"[\w.-]{1,64}")
MIN_PASSWORD = 8
SECRET_META_KEY = "flask_secret_key"
# Checked against when the name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")


def add_user(db: Database, name: str, password: str) -> bool:
    """Create staff account ``name``, or set its new password (ending its sessions); True if it was new.

    ValueError for a bad name or a password shorter than :data:`MIN_PASSWORD`.
    """
    if not isinstance(name, str) or not USERNAME.fullmatch(name):
        raise ValueError(f"a staff name is 1-64 letters, digits, '.', '_' or '-', got {name!r}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    hashed, now = generate_password_hash(password, method="scrypt"), _now()

    def store(conn) -> bool:
        if conn.execute(update(STAFF).where(STAFF.c.name == name)
                        .values(password_hash=hashed, password_set_at=now)).rowcount:
            conn.execute(delete(STAFF_SESSIONS).where(STAFF_SESSIONS.c.name == name))  # signed in nowhere now
            return False
        conn.execute(insert(STAFF).values(name=name, password_hash=hashed, created_at=now, password_set_at=now))
        return True
    return db.write(store)


def remove_user(db: Database, name: str) -> bool:
    """Remove staff account ``name`` and end its sessions; False if there was none."""

    def remove(conn) -> bool:
        conn.execute(delete(STAFF_SESSIONS).where(STAFF_SESSIONS.c.name == name))
        return bool(conn.execute(delete(STAFF).where(STAFF.c.name == name)).rowcount)
    return db.write(remove)


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


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(db: Database, name: str, now: float, lifetime: float) -> str:
    """A new session id for ``name`` (for the signed cookie; only its hash is kept).

    ``now`` is the app's clock in seconds since the epoch; sessions started more than ``lifetime`` seconds
    before it (their cookies have expired) are forgotten on the way.
    """
    session_id = secrets.token_urlsafe(32)

    def start(conn) -> None:
        conn.execute(delete(STAFF_SESSIONS).where(STAFF_SESSIONS.c.started < now - lifetime))
        conn.execute(insert(STAFF_SESSIONS).values(id_hash=_session_hash(session_id), name=name, started=now))
    db.write(start)
    return session_id


def session_valid(db: Database, name: object, session_id: object) -> bool:
    """Whether ``session_id`` is a session of ``name`` still open (not ended, the account still there)."""
    if not (isinstance(name, str) and isinstance(session_id, str) and session_id):
        return False
    query = (select(STAFF_SESSIONS.c.name)
             .join(STAFF, STAFF.c.name == STAFF_SESSIONS.c.name)
             .where(STAFF_SESSIONS.c.id_hash == _session_hash(session_id), STAFF_SESSIONS.c.name == name))
    return db.read(lambda c: c.execute(query).first()) is not None


def end_session(db: Database, session_id: object) -> None:
    """Forget ``session_id``: its cookie signs in nobody from now on (a no-op for an unknown one)."""
    if isinstance(session_id, str) and session_id:
        gone = delete(STAFF_SESSIONS).where(STAFF_SESSIONS.c.id_hash == _session_hash(session_id))
        db.write(lambda c: c.execute(gone))


def address_key(address: Optional[str]) -> str:
    """What the limiter counts an address as: IPv4 as is, IPv6 by its /64 (an IPv4-mapped one as IPv4)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return str(address)
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LoginLimiter:
    """Failed sign-ins: at most ``limit`` per name and address, and ``address_limit`` per address, in ``window`` s."""

    #: Keys remembered at most (per kind); someone trying very many makes the oldest be forgotten.
    MAX_KEYS = 10000

    def __init__(self, limit: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic,
                 address_limit: int = 20):
        self.limit, self.window, self.clock, self.address_limit = limit, window, clock, address_limit
        self._pairs: Dict[Hashable, Deque[float]] = {}
        self._addresses: Dict[Hashable, Deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, table: Dict[Hashable, Deque[float]], key: Hashable) -> Deque[float]:
        now = self.clock()
        failures = table.get(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if not failures:
            table.pop(key, None)
        return failures

    def _wait(self, failures: Deque[float], limit: int) -> Optional[int]:
        if len(failures) < limit:
            return None
        return max(1, int(self.window - (self.clock() - failures[-limit]) + 0.999))

    def blocked_for(self, name: str, address: Optional[str]) -> Optional[int]:
        """Seconds until ``name`` may try again from ``address``, or None if it may now."""
        where = address_key(address)
        with self._lock:
            waits = [self._wait(self._recent(self._pairs, (name, where)), self.limit),
                     self._wait(self._recent(self._addresses, where), self.address_limit)]
        waits = [w for w in waits if w is not None]
        return max(waits) if waits else None

    def failed(self, name: str, address: Optional[str]) -> None:
        where = address_key(address)
        with self._lock:
            for table, key in ((self._pairs, (name, where)), (self._addresses, where)):
                failures = self._recent(table, key)
                failures.append(self.clock())
                table[key] = failures
                if len(table) > self.MAX_KEYS:  # forget the oldest
                    table.pop(next(iter(table)))

    def succeeded(self, name: str, address: Optional[str]) -> None:
        """``name`` signed in from ``address``: its failures there are forgotten (not the address's own count)."""
        with self._lock:
            self._pairs.pop((name, address_key(address)), None)
