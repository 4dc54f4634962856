"""
Wait estimates for the call queue
=================================

How long until a ticket is called: the day played forward
(``office/forecast.py``) from what the database holds now, the counters at
work each finishing its current resident and then calling by the fairness
rule, every service taking its usual time today.  :func:`estimate` (a new
ticket of a service), :func:`ticket_estimate` (a waiting ticket), :func:`pace`
(the minutes one more person adds, for the kiosks); ``office/calls.py`` builds
the display's and the kiosks' answers from the same play.  The full account:
``office/CALLING.md``, "Wait estimates".
"""

from __future__ import annotations

import json
import math
import statistics
from datetime import datetime, timedelta
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from sqlalchemy import select

from protocol import officetime

from .calls_queue import day_or_today, minutes_between, priority_streak, stamp_of, waiting_query
from .db import Database
from .appointments import appointment_streak
from .forecast import MAX_APPOINTMENT_STREAK, PRIORITY, Counter, Waiting, call_times, usual
from .schema import CALLS, COUNTERS

__all__ = ["ESTIMATE_SAMPLES", "MIN_SAMPLES", "ACTIVE_MINUTES", "SPREAD", "Play", "play_forward", "ticket_wait",
           "new_ticket_wait", "service_pace", "service_times", "estimate", "ticket_estimate", "pace"]

#: A service's usual time is the mean of its last this many service times today ...
ESTIMATE_SAMPLES = 10
#: ... when it has at least this many (else the mean of all of today's; fewer than this in all: not known).
MIN_SAMPLES = 3
#: A counter with no call for this long is not counted as at work (a break, or closed for the day).
ACTIVE_MINUTES = 30
#: An estimate is shown ± this share of it (at least a minute each way).
SPREAD = 0.2


def service_times(db: Database, service: str, day=None, limit: int = ESTIMATE_SAMPLES) -> List[float]:
    """Minutes from call to done of the last ``limit`` tickets served in ``service`` on ``day``, newest first."""
    query = (select(CALLS.c.called_at, CALLS.c.finished_at)
             .where(CALLS.c.day == day_or_today(day), CALLS.c.service == service, CALLS.c.state == "done",
                    CALLS.c.called_at.is_not(None), CALLS.c.finished_at.is_not(None))
             .order_by(CALLS.c.finished_at.desc()).limit(limit))
    return [max(0.0, minutes_between(f, c)) for c, f in db.read(lambda conn: conn.execute(query).all())]


def _usual_minutes(conn, day: str) -> Dict[str, float]:
    """Each service's usual time today (the mean of its last service times); {} with too few to tell."""
    query = (select(CALLS.c.service, CALLS.c.called_at, CALLS.c.finished_at)
             .where(CALLS.c.day == day, CALLS.c.state == "done", CALLS.c.called_at.is_not(None),
                    CALLS.c.finished_at.is_not(None))
             .order_by(CALLS.c.finished_at.desc()))
    times: Dict[str, List[float]] = {}
    everything: List[float] = []
    for service, called_at, finished_at in conn.execute(query):
        minutes = max(0.0, minutes_between(finished_at, called_at))
        if len(everything) < ESTIMATE_SAMPLES * 5:
            everything.append(minutes)
        if len(times.setdefault(service, [])) < ESTIMATE_SAMPLES:
            times[service].append(minutes)
    if len(everything) < MIN_SAMPLES:
        return {}
    usual = {s: statistics.fmean(t) for s, t in times.items() if len(t) >= MIN_SAMPLES}
    return usual or {"*": statistics.fmean(everything)}  # no service alone has enough: one time for all


class Play(NamedTuple):
    """What :func:`office.forecast.call_times` plays forward from now."""

    waiting: List[Waiting]
    counters: List[Counter]     # the counters at work
    minutes: Dict[str, float]   # usual service times; {}: too few today to tell


def play_forward(conn, day: str, now: datetime) -> Play:
    """Today's waiting tickets, the counters at work (each free when its current resident is likely done) and the
    usual service times: what the estimates play forward."""
    minutes = _usual_minutes(conn, day)
    query, _service = waiting_query(day)
    waiting = [Waiting(row.event_id, row.service, datetime.fromisoformat(row.at),
                       datetime.fromisoformat(row.due) if row.due else None) for row in conn.execute(query)]
    current = {row.counter: row for row in conn.execute(
        select(CALLS.c.counter, CALLS.c.service, CALLS.c.called_at)
        .where(CALLS.c.day == day, CALLS.c.state == "called"))}
    since = stamp_of(now - timedelta(minutes=ACTIVE_MINUTES))
    counters = []
    for number, services, updated_at in conn.execute(
            select(COUNTERS.c.counter, COUNTERS.c.services, COUNTERS.c.updated_at).where(COUNTERS.c.day == day)):
        serving = current.get(number)
        if serving is None and updated_at < since:
            continue  # no call for a while: on a break, or gone home
        free_at = now
        if serving is not None and serving.called_at and minutes:
            done_at = datetime.fromisoformat(serving.called_at) + timedelta(minutes=usual(minutes, serving.service))
            free_at = max(now, done_at)
        counters.append(Counter(number, frozenset(json.loads(services)), free_at, priority_streak(conn, day, number),
                                appointment_streak(conn, day, number, MAX_APPOINTMENT_STREAK)))
    return Play(waiting, counters, minutes)


def _range(minutes: float) -> Tuple[int, int]:
    low = max(0, math.floor(min(minutes * (1 - SPREAD), minutes - 1)))
    return low, max(low, math.ceil(max(minutes * (1 + SPREAD), minutes + 1)))


def ticket_wait(play: Play, now: datetime, key, extra: Sequence[Waiting] = ()) -> Optional[Tuple[int, int]]:
    """(low, high) minutes until ticket ``key`` (one of ``play``'s, or of ``extra``) is called; None: not known."""
    if not play.minutes:
        return None
    at = call_times(play.waiting + list(extra), play.counters, play.minutes, until=key).get(key)
    return None if at is None else _range(max(0.0, (at - now).total_seconds() / 60))


def new_ticket_wait(play: Play, now: datetime, service: str) -> Optional[Tuple[int, int]]:
    """(low, high) minutes until a ticket of ``service`` printed ``now`` is called; None: not known."""
    new = Waiting(("new", service), service, now)
    return ticket_wait(play, now, new.key, [new])


def service_pace(play: Play, service: str) -> Optional[Tuple[float, float]]:
    """(low, high) minutes one more person in ``service`` adds; None: not known."""
    serving = [c for c in play.counters if service == PRIORITY or service in c.services]
    if not play.minutes or not serving:
        return None
    each = usual(play.minutes, service) / len(serving)
    return each * (1 - SPREAD), each * (1 + SPREAD)


def estimate(db: Database, service: str, day=None, now: Optional[datetime] = None) -> Optional[Tuple[int, int]]:
    """(low, high) minutes until a ticket of ``service`` printed ``now`` is called, or None: not known yet."""
    now = now or officetime.now()
    return db.read(lambda conn: new_ticket_wait(play_forward(conn, day_or_today(day), now), now, service))


def ticket_estimate(db: Database, event_id: str, day=None, now: Optional[datetime] = None
                    ) -> Optional[Tuple[int, int]]:
    """(low, high) minutes until waiting ticket ``event_id`` is called, or None: not known yet."""
    now = now or officetime.now()
    return db.read(lambda conn: ticket_wait(play_forward(conn, day_or_today(day), now), now, event_id))


def pace(db: Database, service: str, day=None, now: Optional[datetime] = None) -> Optional[Tuple[float, float]]:
    """(low, high) minutes one more person in ``service`` adds: its usual time over the counters at work for it."""
    now = now or officetime.now()
    return db.read(lambda conn: service_pace(play_forward(conn, day_or_today(day), now), service))
