"""
When will a waiting ticket be called?
=====================================

The wait estimates of ``office/calls.py`` play the rest of the day forward:
the counters at work now, each finishing its current resident and then
calling the next ticket **by the fairness rule** (:func:`priority_first`, the
rule ``calls.choose`` applies at each real call), with each service taking
its usual time.  The moment a ticket is called in that play is its estimate.

Why not "people ahead × service time ÷ counters": counters serve several
services, ``P`` tickets go first, and a counter busy with another service's
resident is not free for this one.  ``kiosk-office bench day`` measured that
simple rule at 13.6 minutes' mean error on a busy simulated day, always too
short; the play counts all of those.  What it cannot know is the future: a
``P`` ticket printed later still goes ahead, a no-show frees a counter early.

Pure: no database, no clock; ``office/calls.py`` reads the queue and hands it
over.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Dict, FrozenSet, Hashable, List, Optional, Sequence, Tuple

__all__ = ["PRIORITY", "PRIORITY_WEIGHT", "MAX_PRIORITY_STREAK", "MAX_APPOINTMENT_STREAK", "priority_first",
           "regular_pick", "queued_since", "Waiting", "Counter", "usual", "call_times"]

PRIORITY = "P"
#: A P ticket's minutes count this many times against a regular ticket's.
PRIORITY_WEIGHT = 2
#: After this many P calls in a row at a counter, a waiting regular ticket is called.
MAX_PRIORITY_STREAK = 2
#: After this many appointments' tickets in a row at a counter, a waiting walk-in is called.
MAX_APPOINTMENT_STREAK = 2


def priority_first(priority_waited: float, regular_waited: float, streak: int) -> bool:
    """The fairness rule: call the oldest P ticket (not the oldest regular one) at a counter?

    ``*_waited``: minutes since each was printed; ``streak``: the P calls in a row at this counter just before.
    See "The fairness rule" in ``office/calls.py`` for why no one waits forever.
    """
    if streak >= MAX_PRIORITY_STREAK:
        return False
    weighted = priority_waited * PRIORITY_WEIGHT
    if weighted != regular_waited:
        return weighted > regular_waited
    return priority_waited >= regular_waited  # a tie: the one printed first


def regular_pick(appointment, appointment_due: bool, walk_in, streak: int):
    """The fairness rule for appointments: which regular (not P) ticket a counter calls, of the earliest
    checked-in appointment's and the oldest walk-in's (either may be None).

    The appointment's, once its time has come (``appointment_due``), unless the counter's last
    :data:`MAX_APPOINTMENT_STREAK` calls (``streak``) were appointments and a walk-in waits; else the walk-in;
    else, with no walk-in waiting, the appointment even before its time.  ``office/CALLING.md``, "Appointments".
    """
    if appointment is not None and appointment_due and (walk_in is None or streak < MAX_APPOINTMENT_STREAK):
        return appointment
    return walk_in if walk_in is not None else appointment


def queued_since(printed, due, now):
    """Since when a regular ticket has waited, as the P rule weighs it: a walk-in since it was printed, an
    appointment's since its time (not yet come: now)."""
    return printed if due is None else min(due, now)


@dataclass(frozen=True)
class Waiting:
    key: Hashable          # the caller's id of the ticket
    service: str           # its prefix now (P for priority)
    printed: datetime      # its place in the queue
    due: Optional[datetime] = None  # a checked-in appointment's time: its place in its service's appointments


@dataclass
class Counter:
    number: int
    services: FrozenSet[str]   # the regular services it calls (P: at every counter)
    free_at: datetime          # when it will call next (its current resident done)
    streak: int = 0            # P calls in a row at it just before
    appointments: int = 0      # appointments' tickets called in a row at it just before


def usual(minutes: Dict[str, float], service: str) -> float:
    """The usual time of ``service`` in ``minutes``, or the mean of the services there for one without an entry."""
    found = minutes.get(service)
    return found if found is not None else sum(minutes.values()) / len(minutes)


@dataclass(order=True)
class _Turn:
    free_at: datetime
    number: int
    counter: Counter = field(compare=False)


def call_times(waiting: Sequence[Waiting], counters: Sequence[Counter], minutes: Dict[str, float],
               until: Optional[Hashable] = None) -> Dict[Hashable, datetime]:
    """When each waiting ticket is called if the counters go on as now; stops once ``until`` is called.

    ``minutes``: the usual service time of each service (:func:`usual`).  A ticket no counter serves is never
    called: it is missing from the answer.  ``counters`` are left as they are (the play moves copies).
    """
    if not counters or not minutes:
        return {}
    queues: Dict[Tuple[str, bool], List[Waiting]] = {}   # (service, appointments?): walk-ins and appointments
    for ticket in sorted(waiting, key=_place):
        queues.setdefault((ticket.service, ticket.due is not None), []).append(ticket)
    heads = {queue: 0 for queue in queues}   # the next of each queue (oldest or earliest first)
    turns = [_Turn(c.free_at, c.number, replace(c)) for c in counters]
    heapq.heapify(turns)
    called: Dict[Hashable, datetime] = {}

    def first(services, appointments: bool = False) -> Optional[Waiting]:
        found = None
        for service in services:
            queue, head = queues.get((service, appointments)), heads.get((service, appointments), 0)
            if queue and head < len(queue) and (found is None or _place(queue[head]) < _place(found)):
                found = queue[head]
        return found

    left = len(waiting)
    while left and turns:
        turn = heapq.heappop(turns)
        counter, at = turn.counter, turn.free_at
        appointment = first(counter.services - {PRIORITY}, appointments=True)
        regular = regular_pick(appointment, appointment is not None and appointment.due <= at,
                               first(counter.services - {PRIORITY}), counter.appointments)
        priority = first((PRIORITY,))
        if regular is None and priority is None:
            continue  # nothing this counter serves is left: it drops out of the play
        if regular is None or (priority is not None and priority_first(
                _minutes(at, priority.printed), _minutes(at, queued_since(regular.printed, regular.due, at)),
                counter.streak)):
            pick, counter.streak = priority, counter.streak + 1
        else:
            pick, counter.streak = regular, 0
        counter.appointments = counter.appointments + 1 if pick.due is not None else 0
        heads[(pick.service, pick.due is not None)] += 1
        left -= 1
        called[pick.key] = at
        if pick.key == until:
            break
        counter.free_at = at + timedelta(minutes=usual(minutes, pick.service))
        heapq.heappush(turns, _Turn(counter.free_at, counter.number, counter))
    return called


def _place(ticket: Waiting) -> datetime:
    return ticket.printed if ticket.due is None else ticket.due


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60
