"""
The waiting queue as the database holds it
===========================================

What both the calling actions (``office/calls.py``) and the wait estimates
(``office/calls_estimate.py``) read: which of a day's tickets are waiting, and
in which service (:func:`waiting_query`), how many ``P`` tickets a counter has
called in a row (:func:`priority_streak`, the fairness rule's streak cap), and
the office-time helpers they share.  The rules themselves:
``office/CALLING.md``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import func, or_, select

from protocol import officetime

from .forecast import MAX_PRIORITY_STREAK, PRIORITY
from .schema import APPOINTMENTS, CALL_EVENTS, CALLS, TICKETS

__all__ = ["stamp_of", "day_of", "day_or_today", "minutes_between", "waiting_query", "priority_streak"]


def stamp_of(now: datetime) -> str:
    """``now`` (aware) as the database keeps times: RFC 3339 text in office time."""
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return officetime.rfc3339(now.astimezone(officetime.TAIPEI))


def day_of(now: datetime) -> str:
    """The office day (Asia/Taipei) of ``now``, as an ISO date."""
    return officetime.office_day(now).isoformat()


def minutes_between(later: str, earlier: str) -> float:
    """Minutes from one stored time to another."""
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / 60


def waiting_query(day: str):
    """Today's waiting tickets: no calls row yet, or one in state waiting; with their current service (a checked-in
    appointment's ticket waits in its appointment's) and ``due``, the appointment's time (None: a walk-in)."""
    service = func.coalesce(CALLS.c.service, APPOINTMENTS.c.service, TICKETS.c.service).label("service")
    return (select(TICKETS.c.event_id, TICKETS.c.number, TICKETS.c.at, service, CALLS.c.id.label("call_id"),
                   APPOINTMENTS.c.at.label("due"))
            .select_from(TICKETS.outerjoin(CALLS, CALLS.c.ticket_id == TICKETS.c.event_id)
                         .outerjoin(APPOINTMENTS, APPOINTMENTS.c.ticket_id == TICKETS.c.event_id))
            .where(TICKETS.c.day == day, or_(CALLS.c.id.is_(None), CALLS.c.state == "waiting"))), service


def priority_streak(conn, day: str, counter: int) -> int:
    """How many of this counter's last calls today were P tickets, back to its last regular call."""
    kinds = (select(CALL_EVENTS.c.service).where(CALL_EVENTS.c.day == day, CALL_EVENTS.c.counter == counter,
                                                 CALL_EVENTS.c.kind == "call")
             .order_by(CALL_EVENTS.c.id.desc()).limit(MAX_PRIORITY_STREAK))
    streak = 0
    for (service,) in conn.execute(kinds):
        if service != PRIORITY:
            break
        streak += 1
    return streak


def day_or_today(day: Optional[Any]) -> str:
    """The office day asked for (a date or an ISO date) as an ISO date; None: today's."""
    if day is None:
        return day_of(officetime.now())
    return day.isoformat() if isinstance(day, date) else str(day)
