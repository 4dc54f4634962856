"""
The ticketing pause: staff stop the ticket tiles for a while (no Kivy)
=====================================================================

Refilling the printer, or a queue that must not grow before closing: the admin
screen pauses ticketing, and residents see a polite notice instead of the
service tiles.  The flag is one row of the store's ``meta`` table, so it holds
across a restart, and every switch is an ``admin`` event for the office.  The
ticket service (``kiosk/tickets.py``) refuses a ticket while it is set, and the
heartbeat and the admin status report it; it lives apart from the PIN
(``kiosk/admin_pin.py``) because those readers have nothing to do with PINs.
"""

from __future__ import annotations

__all__ = ["ticketing_paused", "set_ticketing_paused", "META_PAUSED"]

META_PAUSED = "ticketing_paused"


def ticketing_paused(store) -> bool:
    """True while staff have paused ticketing (refilling the printer...): residents see a polite notice."""
    return store.get_meta(META_PAUSED, "") == "1"


def set_ticketing_paused(store, paused: bool) -> None:
    def write(conn):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (META_PAUSED, "1" if paused else ""))
        store.record_event("admin", {"action": "pause_ticketing" if paused else "resume_ticketing"}, conn)
    store.write(write)
