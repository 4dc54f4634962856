"""
Events on the wire
==================

What crosses from a kiosk to the office server: the types of event, the text
they may carry, and how much one upload request may hold.  The kiosk builds
events (``kiosk/events.py``) and the office server checks them
(``office/models.py``), both from these definitions; ``office/PROTOCOL.md``
describes the whole exchange.
"""

from __future__ import annotations

__all__ = ["EVENT_TYPES", "valid_text", "MAX_EVENTS", "MAX_BYTES"]

#: Every type of event the kiosk records; the office server knows the same list.
#: ``rating_reason`` is the answer to the why-question after a negative rating;
#: its data names the rating it belongs to (``rating_id``).  ``heartbeat``'s
#: data is the health summary of :func:`kiosk.heartbeat.health` (version,
#: uptime, backlog, printer, GPIO, the last day's faults), whose members and
#: types ``office/PROTOCOL.md`` lists and ``office.models.HeartbeatData`` checks.
EVENT_TYPES = ("rating", "rating_reason", "ticket", "form_view", "form_slip", "fault", "heartbeat", "admin")


def valid_text(text: str) -> str:
    """``text`` as UTF-8 can carry it: a surrogate pair kept as two code points joined into its character, a lone
    surrogate (a JSON ``"\\ud800"``, a file name read with surrogateescape) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


#: The most events one upload request carries (the office answers 413 above it) ...
MAX_EVENTS = 500
#: ... and the most bytes its body may have.
MAX_BYTES = 256 * 1024
