"""
Lobby displays: a token instead of a staff sign-in
==================================================

A lobby TV runs a browser in kiosk mode and nobody signs in on it.  ``kiosk-office
display add NAME`` makes a **display token** for it and prints, once, the path
to open: ``/display?token=…``.  The token lets that browser read the lobby
display and nothing else: the page ``/display``, ``GET /api/v1/calls/state``
and the event stream ``GET /api/v1/calls/stream`` (``office/calls_api.py``,
``office/calling_pages.py``).  It never grants a counter action or a staff page.

Like the kiosks' bearer tokens, a display token is 32 random bytes kept only as
its SHA-256 (:func:`office.db.hash_token`; why that suffices: ``office/db.py``).
``display add`` for a name that exists replaces its token at once (the old URL
stops working): that is how a token that leaked is revoked.

Its table, ``displays``, is defined with the others in ``office/schema.py``.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import insert, select, update

from .db import Database, _now, hash_token
from .schema import DISPLAYS

__all__ = ["DISPLAY_NAME", "add_display", "displays", "display_for_token",
           "display_path"]

#: A display's name: letters (any script), digits, '.', '_', '-', up to 64 (e.g. lobby-1, 大廳).
DISPLAY_NAME = re.compile(r"[\w.-]{1,64}")
#: ``last_seen_at`` is written at most this often per display (each state load would be a write otherwise).
SEEN_EVERY_SECONDS = 60.0

_seen: Dict[Tuple[str, str], float] = {}  # (database, display name) -> monotonic time last written
_seen_lock = threading.Lock()


def display_path(token: str) -> str:
    """The path a display opens: ``/display?token=…`` (the token is URL-safe as it is)."""
    return f"/display?token={token}"


def add_display(db: Database, name: str) -> str:
    """Register display ``name`` and return its new token (kept only as a hash); a known name gets a new one."""
    if not isinstance(name, str) or not DISPLAY_NAME.fullmatch(name):
        raise ValueError(f"a display name is 1-64 letters, digits, '.', '_' or '-' (e.g. lobby-1), got {name!r}")
    token = secrets.token_urlsafe(32)
    now, hashed = _now(), hash_token(token)

    def store(conn) -> None:
        if not conn.execute(update(DISPLAYS).where(DISPLAYS.c.name == name)
                            .values(token_hash=hashed, token_issued_at=now)).rowcount:
            conn.execute(insert(DISPLAYS).values(name=name, token_hash=hashed, created_at=now, token_issued_at=now))
    db.write(store)
    with _seen_lock:
        _seen.pop((db.display_url, name), None)
    return token


def displays(db: Database) -> List[Dict[str, Any]]:
    """Every display: name, created_at, token_issued_at, last_seen_at (never the hash)."""
    query = select(DISPLAYS.c.name, DISPLAYS.c.created_at, DISPLAYS.c.token_issued_at,
                   DISPLAYS.c.last_seen_at).order_by(DISPLAYS.c.name)
    return [dict(row._mapping) for row in db.read(lambda c: c.execute(query).all())]


def display_for_token(db: Database, token: Optional[str]) -> Optional[str]:
    """The name of the display whose token this is, or None; notes that the display was seen."""
    if not token or len(token) > 256:
        return None
    query = select(DISPLAYS.c.name).where(DISPLAYS.c.token_hash == hash_token(token))
    name = db.read(lambda c: c.execute(query).scalar())
    if name is not None:
        _note_seen(db, name)
    return name


def _note_seen(db: Database, name: str) -> None:
    now, key = time.monotonic(), (db.display_url, name)
    with _seen_lock:
        if key in _seen and now - _seen[key] < SEEN_EVERY_SECONDS:
            return
        _seen[key] = now
    db.write(lambda c: c.execute(update(DISPLAYS).where(DISPLAYS.c.name == name).values(last_seen_at=_now())))
