"""
Starting the day's ticket numbers again (no Kivy)
=================================================

Each service's numbers come from one counter per office day, ``ticket_counters``
(schema in ``kiosk/store.py``, taken by ``kiosk/tickets.py``).  The counter
itself never goes back, since each handed-out ticket is one row that must stay
unique; what is printed counts from ``reset_base``.  Staff restart the numbers
at 1 from the admin screen by moving that base up to where the counter stands.
It lives apart from the ticketing pause and the PIN: it is a write to the
numbering, the one the ticket service reads, and nothing else of the admin
screen touches ``ticket_counters``.
"""

from __future__ import annotations

__all__ = ["reset_today_numbers"]


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
