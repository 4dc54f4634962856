"""
Number calling: the office's call queue
=======================================

No Kivy, no Flask: functions over :class:`office.db.Database` that the JSON
API (``office/calls_api.py``) and, later, the counter page and the lobby
display use.  Everything is in the database, so a server restarted mid-day
goes on where it stopped, and several server processes can share it.

Tickets and their states
------------------------

A ticket is a row of ``tickets`` (filled by the kiosks' uploads).  Until a
counter calls it, it is **waiting** and has no row here.  The first call
creates its row in ``calls`` (one per ticket, ``ticket_id`` unique)::

    waiting ──call_next──▶ called ──done──▶ done
       ▲                   │  │  └─no_show (after max_recalls recalls)──▶ no_show ─requeue─▶ waiting
       │                   │  └─recall / no_show (recalls left): called again, recalls + 1
       └──transfer(to)─────┘   (waiting in the other service, keeping its number and its place by age)

Calling the next number at a counter that still has a ticket ``called``
finishes that ticket as ``done`` first (the clerk forgot 完成).  Every action is
also written to ``call_events`` (an increasing id: what the lobby display and
the event stream read; ``since=<id>`` resumes after a lost connection).

The fairness rule (priority tickets, prefix ``P``)
-------------------------------------------------

A counter serves some services (``A``, ``C`` …); ``P`` tickets are eligible at
every counter.  Among the eligible waiting tickets of today:

1. **Effective wait** = minutes since the ticket was printed × weight; the
   weight of a ``P`` ticket is :data:`PRIORITY_WEIGHT` (2), of any other 1.
   The highest effective wait is called (ties: printed first).  So a ``P``
   ticket goes ahead of a regular ticket that has waited less than twice as
   long, and behind one that has waited more than twice as long.
2. **Streak cap**: if the last :data:`MAX_PRIORITY_STREAK` (2) calls at this
   counter today were ``P`` tickets and a regular ticket is eligible, the
   regular ticket with the highest effective wait is called instead.

Why no one waits forever.  Among regular tickets the weight is the same, so
they are called in print order: no regular ticket printed later overtakes a
waiting one.  Rule 2 makes at least one call in every ``MAX_PRIORITY_STREAK +
1`` at a counter go to a regular ticket while one is eligible there.  So a
regular ticket with ``q`` eligible regular tickets printed before it is called
within ``(MAX_PRIORITY_STREAK + 1) × (q + 1)`` calls at any counter serving its
service, however many ``P`` tickets arrive (with one counter and a steady
stream of ``P`` tickets: P, P, regular, P, P, regular …).  A ``P`` ticket is
overtaken by a ticket printed after it only through rule 2 (its effective wait
grows twice as fast from an earlier start, so rule 1 never lets a later ticket
by), and between two such forced regular calls at a counter
``MAX_PRIORITY_STREAK`` ``P`` tickets are called there in print order, so it
too is called after finitely many calls.  A transferred or requeued ticket
keeps the time it was printed: it has already waited and goes in near the front.

Races
-----

Two clerks pressing 叫下一號 at the same moment never get the same ticket:
claiming a ticket is an ``INSERT`` of its ``calls`` row (``ticket_id`` is
unique: the second insert fails) or, for a requeued/transferred ticket, ``UPDATE
… WHERE state = 'waiting'`` (the second finds no row to change).  The loser's
transaction is rolled back and it chooses again (:data:`CLAIM_ATTEMPTS` times).
This is correct on PostgreSQL (READ COMMITTED: the second writer waits for the
first, then fails or sees the new state) and on SQLite (one writer at a time,
``BEGIN IMMEDIATE``).

Wait estimates
--------------

:func:`estimate` (a new ticket of a service) and :func:`ticket_estimate` (a
waiting ticket) play the day forward (``office/forecast.py``): the counters at
work now (with a ticket called, or a call in the last
:data:`ACTIVE_MINUTES`), each finishing its current resident and then calling
by the fairness rule, every service taking its usual time (the mean of its
last :data:`ESTIMATE_SAMPLES` (10) service times today, called → done; a
service with fewer than :data:`MIN_SAMPLES` (3) takes the mean of all of
today's).  The minutes until the ticket is called there, ``w``, are shown as
``low = floor(w × (1 − SPREAD))``, ``high = ceil(w × (1 + SPREAD))``
(:data:`SPREAD` 20 %, at least a minute each way).  With fewer than 3 service
times today, or no counter at work for the service: ``None`` ("unknown").

The kiosks are sent, per service, a new ticket's estimate and a *pace*, the
minutes one more person adds (the service's time over the counters at work
for it, ± SPREAD), for the tickets they hand out before they ask again
(``GET /api/v1/kiosks/{id}/queue``, ``kiosk/queue_status.py``).
``kiosk-office bench day`` measures the estimates' error against the actual
waits of a simulated day.

The live feed
-------------

:func:`changed` wakes every thread waiting in :func:`wait_for_change` (a
``threading.Condition`` per database): the event stream answers within a
second in this process.  Another server process on the same database is not
woken: the stream also looks at ``call_events`` every few seconds, which is the
polling fallback for a multi-process deployment.
"""

from __future__ import annotations

import json
import math
import statistics
import threading
import weakref
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from protocol import officetime

from .announce import announcement
from .forecast import (MAX_PRIORITY_STREAK, PRIORITY, PRIORITY_WEIGHT, Counter, Waiting, call_times, priority_first,
                       usual)
from .db import Database
from .schema import CALL_EVENTS, CALLS, COUNTERS, TICKETS

__all__ = ["PRIORITY", "PRIORITY_WEIGHT", "MAX_PRIORITY_STREAK", "MAX_RECALLS",
           "CallError", "call_next", "recall", "no_show", "requeue", "done", "transfer",
           "now_serving", "last_calls", "events_since", "queue_position", "waiting_counts", "estimate",
           "ticket_estimate", "pace", "kiosk_queue", "state", "public_answer", "no_shows", "changed", "generation",
           "wait_for_change"]

MAX_RECALLS = 2
ESTIMATE_SAMPLES = 10
MIN_SAMPLES = 3
#: A counter with no call for this long is not counted as at work (a break, or closed for the day).
ACTIVE_MINUTES = 30
#: An estimate is shown ± this share of it (at least a minute each way).
SPREAD = 0.2
CLAIM_ATTEMPTS = 20
STATES = ("called", "done", "no_show", "waiting")  # a ticket without a calls row is waiting too
KINDS = ("call", "recall", "done", "no_show", "requeue", "transfer")

class CallError(Exception):
    """An action that does not apply (unknown call, wrong state); ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


class _Lost(Exception):
    """Another clerk claimed the ticket first: roll back and choose again."""


# -- the live feed ---------------------------------------------------------------------------------

class _Feed:
    """One database's wake-up: a condition, and a count of the changes (a waiter that read before the last
    change must not sleep through it)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.generation = 0


_feeds: "weakref.WeakKeyDictionary[Database, _Feed]" = weakref.WeakKeyDictionary()
_feeds_lock = threading.Lock()


def _feed(db: Database) -> _Feed:
    with _feeds_lock:
        feed = _feeds.get(db)
        if feed is None:
            feed = _feeds[db] = _Feed()
        return feed


def changed(db: Database) -> None:
    """Wake every thread in :func:`wait_for_change` on ``db`` (called after each action)."""
    feed = _feed(db)
    with feed.cond:
        feed.generation += 1
        feed.cond.notify_all()


def generation(db: Database) -> int:
    """How many changes this process has made to ``db``: read it *before* reading the database, then pass it to
    :func:`wait_for_change`, so that a change in between wakes the wait at once."""
    feed = _feed(db)
    with feed.cond:
        return feed.generation


def wait_for_change(db: Database, timeout: float, seen: Optional[int] = None) -> bool:
    """Wait until an action in this process changes ``db``, or ``timeout`` seconds; whether one did.

    ``seen``: the :func:`generation` the caller read before it last read the database; if a change came since,
    this returns at once.
    """
    feed = _feed(db)
    with feed.cond:
        if seen is not None and feed.generation != seen:
            return True
        return feed.cond.wait(timeout)


# -- helpers ---------------------------------------------------------------------------------------

def _stamp(now: datetime) -> str:
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return officetime.rfc3339(now.astimezone(officetime.TAIPEI))


def _day(now: datetime) -> str:
    return officetime.office_day(now).isoformat()


def _minutes(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / 60


def _services(services: Iterable[str]) -> List[str]:
    if isinstance(services, str):
        services = [services]
    found = sorted({str(s).strip().upper() for s in services})
    if not found or not all(len(s) == 1 and "A" <= s <= "Z" for s in found):
        raise ValueError(f"services must be letters A-Z (the ticket prefixes), got {services!r}")
    return found


def _counter(counter: Any) -> int:
    if isinstance(counter, bool) or not isinstance(counter, int) or not 1 <= counter <= 999:
        raise ValueError(f"a counter is a whole number 1-999, got {counter!r}")
    return counter


def _log(conn, row, kind: str, at: str, counter: Optional[int] = None, detail: Optional[str] = None,
         service: Optional[str] = None) -> int:
    return conn.execute(insert(CALL_EVENTS).values(
        call_id=row["id"], day=row["day"], kind=kind, number=row["number"], service=service or row["service"],
        counter=counter, at=at, detail=detail)).inserted_primary_key[0]


def _waiting_query(day: str):
    """Today's waiting tickets: no calls row yet, or one in state waiting; with their current service."""
    service = func.coalesce(CALLS.c.service, TICKETS.c.service).label("service")
    return (select(TICKETS.c.event_id, TICKETS.c.number, TICKETS.c.at, service, CALLS.c.id.label("call_id"))
            .select_from(TICKETS.outerjoin(CALLS, CALLS.c.ticket_id == TICKETS.c.event_id))
            .where(TICKETS.c.day == day, or_(CALLS.c.id.is_(None), CALLS.c.state == "waiting"))), service


def _oldest(conn, day: str, services: Sequence[str], priority: bool):
    query, service = _waiting_query(day)
    if priority:
        query = query.where(service == PRIORITY)
    else:
        query = query.where(service.in_([s for s in services if s != PRIORITY]))
    return conn.execute(query.order_by(TICKETS.c.at, TICKETS.c.kiosk_id, TICKETS.c.number).limit(1)).first()


def _priority_streak(conn, day: str, counter: int) -> int:
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


def choose(conn, day: str, counter: int, services: Sequence[str], stamp: str):
    """The waiting ticket the fairness rule calls next at ``counter`` (a row), or None."""
    regular = _oldest(conn, day, services, priority=False)
    priority = _oldest(conn, day, services, priority=True)
    if regular is None or priority is None:
        return regular or priority
    if priority_first(_minutes(stamp, priority.at), _minutes(stamp, regular.at),
                      _priority_streak(conn, day, counter)):
        return priority
    return regular


def _finish_current(conn, counter: int, day: str, stamp: str) -> None:
    # Today's only: a ticket left called at this counter yesterday is not served today (nor in today's times).
    for row in conn.execute(select(CALLS).where(CALLS.c.state == "called", CALLS.c.counter == counter,
                                                CALLS.c.day == day)).mappings():
        if conn.execute(update(CALLS).where(CALLS.c.id == row["id"], CALLS.c.state == "called")
                        .values(state="done", finished_at=stamp)).rowcount:
            _log(conn, row, "done", stamp, counter)


def _call_dict(conn, call_id: int) -> Dict[str, Any]:
    row = conn.execute(select(CALLS).where(CALLS.c.id == call_id)).mappings().one()
    return _public_call(row)


def _public_call(row) -> Dict[str, Any]:
    return {"id": row["id"], "number": row["number"], "service": row["service"], "state": row["state"],
            "counter": row["counter"], "called_at": row["called_at"], "recalls": row["recalls"],
            "day": row["day"], "transferred_from": row["transferred_from"]}


# -- actions ---------------------------------------------------------------------------------------

def call_next(db: Database, counter: int, services: Iterable[str], now: Optional[datetime] = None
              ) -> Optional[Dict[str, Any]]:
    """Call the next ticket at ``counter`` for ``services`` (P tickets are eligible everywhere).

    Finishes the counter's current ticket (``done``) first.  Returns the call (``id``, ``number``, ``service``,
    ``counter``, ``state`` "called", ...) or None when nobody eligible is waiting.
    """
    counter, services = _counter(counter), _services(services)
    now = now or officetime.now()
    stamp, day = _stamp(now), _day(now)

    def attempt(conn):
        _finish_current(conn, counter, day, stamp)
        values = dict(counter=counter, services=json.dumps(services), day=day, updated_at=stamp)
        if not conn.execute(update(COUNTERS).where(COUNTERS.c.counter == counter).values(**values)).rowcount:
            conn.execute(insert(COUNTERS).values(**values))
        pick = choose(conn, day, counter, services, stamp)
        if pick is None:
            return None
        if pick.call_id is None:
            call_id = conn.execute(insert(CALLS).values(
                ticket_id=pick.event_id, day=day, number=pick.number, printed_at=pick.at, service=pick.service,
                state="called", counter=counter, called_at=stamp, recalls=0)).inserted_primary_key[0]
        else:
            call_id = pick.call_id
            if not conn.execute(update(CALLS).where(CALLS.c.id == call_id, CALLS.c.state == "waiting")
                                .values(state="called", counter=counter, called_at=stamp, recalls=0,
                                        finished_at=None)).rowcount:
                raise _Lost()
        call = _call_dict(conn, call_id)
        call["event_id"] = _log(conn, call, "call", stamp, counter)
        return call

    for _ in range(CLAIM_ATTEMPTS):
        try:
            call = db.write(attempt)
        except (IntegrityError, _Lost):
            continue  # another clerk took that ticket (or this counter's row) first: choose again
        changed(db)
        return call
    raise CallError("too many clerks calling at once; press 叫下一號 again", 503)


def _act(db: Database, call_id: int, now: Optional[datetime], allowed: Sequence[str], fn) -> Dict[str, Any]:
    now = now or officetime.now()
    stamp = _stamp(now)

    def run(conn):
        row = conn.execute(select(CALLS).where(CALLS.c.id == call_id)).mappings().first()
        if row is None:
            raise CallError(f"no call {call_id}", 404)
        if row["state"] not in allowed:
            raise CallError(f"{row['number']} is {row['state']}; this needs it {' or '.join(allowed)}")
        values, kind, detail, service = fn(row)
        if not conn.execute(update(CALLS).where(CALLS.c.id == call_id, CALLS.c.state == row["state"])
                            .values(**values)).rowcount:
            raise CallError(f"{row['number']} was changed by someone else just now; look again")
        after = _call_dict(conn, call_id)
        after["event_id"] = _log(conn, after, kind, stamp, row["counter"], detail, service)
        return after

    call = db.write(run)
    changed(db)
    return call


def recall(db: Database, call_id: int, now: Optional[datetime] = None) -> Dict[str, Any]:
    """重呼: call the same number to the same counter again (recalls + 1)."""
    return _act(db, call_id, now, ("called",),
                lambda row: ({"recalls": row["recalls"] + 1}, "recall", None, None))


def no_show(db: Database, call_id: int, now: Optional[datetime] = None,
            max_recalls: int = MAX_RECALLS) -> Dict[str, Any]:
    """過號: while the ticket has been recalled fewer than ``max_recalls`` times, recall it; then skip it.

    The answer's ``state`` says which: ``called`` (recalled) or ``no_show`` (skipped; :func:`requeue` brings it back).
    """
    stamp = _stamp(now or officetime.now())

    def decide(row):
        if row["recalls"] < max_recalls:
            return {"recalls": row["recalls"] + 1}, "recall", None, None
        return {"state": "no_show", "finished_at": stamp}, "no_show", None, None
    return _act(db, call_id, now, ("called",), decide)


def requeue(db: Database, call_id: int, now: Optional[datetime] = None) -> Dict[str, Any]:
    """The resident skipped as no-show came back: waiting again, in its place by the time it was printed."""
    return _act(db, call_id, now, ("no_show",),
                lambda row: ({"state": "waiting", "finished_at": None, "recalls": 0}, "requeue", None, None))


def done(db: Database, call_id: int, now: Optional[datetime] = None) -> Dict[str, Any]:
    """完成: served.  Its called → done time is a service time for :func:`estimate`."""
    stamp = _stamp(now or officetime.now())
    return _act(db, call_id, now, ("called",), lambda row: ({"state": "done", "finished_at": stamp}, "done", None, None))


def transfer(db: Database, call_id: int, to_service: str, now: Optional[datetime] = None) -> Dict[str, Any]:
    """轉櫃: the resident now waits for ``to_service``, keeping the number and the place by the time it was printed."""
    [to] = _services([to_service])

    def move(row):
        if to == row["service"]:
            raise CallError(f"{row['number']} is already in service {to}", 400)
        return ({"state": "waiting", "service": to, "transferred_from": row["service"], "recalls": 0,
                 "called_at": None}, "transfer", to, row["service"])
    return _act(db, call_id, now, ("called",), move)


# -- what the display, the counters and the residents read ----------------------------------------

def _today(day: Optional[Any]) -> str:
    if day is None:
        return _day(officetime.now())
    return day.isoformat() if isinstance(day, date) else str(day)


def now_serving(db: Database, day=None) -> List[Dict[str, Any]]:
    """The tickets called and not finished, one per counter, by counter number."""
    query = select(CALLS).where(CALLS.c.day == _today(day), CALLS.c.state == "called").order_by(CALLS.c.counter)
    return [_public_call(row) for row in db.read(lambda c: c.execute(query).mappings().all())]


def _event(row) -> Dict[str, Any]:
    event = {"id": row["id"], "call_id": row["call_id"], "kind": row["kind"], "number": row["number"],
             "service": row["service"], "counter": row["counter"], "at": row["at"], "day": row["day"]}
    if row["kind"] == "transfer":
        event["to_service"] = row["detail"]
    if row["kind"] in ("call", "recall"):
        try:
            event["announcement"] = {"zh-TW": announcement(row["number"], row["counter"]),
                                     "en": announcement(row["number"], row["counter"], lang="en")}
        except ValueError:
            # A number no kiosk prints (stored by a server before issue 17 checked them): shown, not spoken;
            # one such row must not fail the state or end the stream of every display.
            event["announcement"] = None
    return event


def last_calls(db: Database, n: int = 5, day=None) -> List[Dict[str, Any]]:
    """The last ``n`` calls and recalls of the day, newest first."""
    query = (select(CALL_EVENTS).where(CALL_EVENTS.c.day == _today(day), CALL_EVENTS.c.kind.in_(("call", "recall")))
             .order_by(CALL_EVENTS.c.id.desc()).limit(max(0, int(n))))
    return [_event(row) for row in db.read(lambda c: c.execute(query).mappings().all())]


def events_since(db: Database, since: int, limit: int = 100) -> List[Dict[str, Any]]:
    """Every action after event ``since`` (0: from the first), oldest first: the stream and its polling fallback."""
    query = select(CALL_EVENTS).where(CALL_EVENTS.c.id > since).order_by(CALL_EVENTS.c.id).limit(limit)
    return [_event(row) for row in db.read(lambda c: c.execute(query).mappings().all())]


def last_event_id(db: Database) -> int:
    return db.read(lambda c: c.execute(select(func.coalesce(func.max(CALL_EVENTS.c.id), 0))).scalar())


def waiting_counts(db: Database, day=None) -> Dict[str, int]:
    """People waiting per service."""
    query, service = _waiting_query(_today(day))
    sub = query.subquery()
    grouped = select(sub.c.service, func.count()).group_by(sub.c.service).order_by(sub.c.service)
    return {s: n for s, n in db.read(lambda c: c.execute(grouped).all())}


def queue_position(db: Database, day, number: str) -> Optional[Dict[str, Any]]:
    """Where ticket ``number`` of office day ``day`` stands, or None if there is no such ticket.

    ``ahead``: the people waiting in its (current) service who were printed before it (0 unless waiting).
    Nothing about the resident: no kiosk, language or time.
    """
    found = _position(db, day, number)
    return found[0] if found else None


def _position(db: Database, day, number: str) -> Optional[Tuple[Dict[str, Any], str]]:
    """:func:`queue_position`'s answer and the ticket's event id, or None."""
    day, number = _today(day), str(number).strip().upper()

    def read(conn):
        ticket = conn.execute(
            select(TICKETS.c.event_id, TICKETS.c.at, TICKETS.c.service, CALLS.c.state, CALLS.c.counter,
                   CALLS.c.service.label("current"))
            .select_from(TICKETS.outerjoin(CALLS, CALLS.c.ticket_id == TICKETS.c.event_id))
            .where(TICKETS.c.day == day, TICKETS.c.number == number)
            .order_by(TICKETS.c.at.desc()).limit(1)).first()
        if ticket is None:
            return None
        service, state = ticket.current or ticket.service, ticket.state or "waiting"
        ahead = 0
        if state == "waiting":
            query, svc = _waiting_query(day)
            sub = query.where(svc == service, TICKETS.c.at < ticket.at).subquery()
            ahead = conn.execute(select(func.count()).select_from(sub)).scalar()
        return {"number": number, "day": day, "service": service, "state": state, "ahead": ahead,
                "counter": ticket.counter if state == "called" else None}, ticket.event_id
    return db.read(read)


def service_times(db: Database, service: str, day=None, limit: int = ESTIMATE_SAMPLES) -> List[float]:
    """Minutes from call to done of the last ``limit`` tickets served in ``service`` on ``day``, newest first."""
    query = (select(CALLS.c.called_at, CALLS.c.finished_at)
             .where(CALLS.c.day == _today(day), CALLS.c.service == service, CALLS.c.state == "done",
                    CALLS.c.called_at.is_not(None), CALLS.c.finished_at.is_not(None))
             .order_by(CALLS.c.finished_at.desc()).limit(limit))
    return [max(0.0, _minutes(f, c)) for c, f in db.read(lambda conn: conn.execute(query).all())]


def _usual_minutes(conn, day: str) -> Dict[str, float]:
    """Each service's usual time today (the mean of its last service times); {} with too few to tell."""
    query = (select(CALLS.c.service, CALLS.c.called_at, CALLS.c.finished_at)
             .where(CALLS.c.day == day, CALLS.c.state == "done", CALLS.c.called_at.is_not(None),
                    CALLS.c.finished_at.is_not(None))
             .order_by(CALLS.c.finished_at.desc()))
    times: Dict[str, List[float]] = {}
    everything: List[float] = []
    for service, called_at, finished_at in conn.execute(query):
        minutes = max(0.0, _minutes(finished_at, called_at))
        if len(everything) < ESTIMATE_SAMPLES * 5:
            everything.append(minutes)
        if len(times.setdefault(service, [])) < ESTIMATE_SAMPLES:
            times[service].append(minutes)
    if len(everything) < MIN_SAMPLES:
        return {}
    usual = {s: statistics.fmean(t) for s, t in times.items() if len(t) >= MIN_SAMPLES}
    return usual or {"*": statistics.fmean(everything)}  # no service alone has enough: one time for all


class _Play(NamedTuple):
    """What :func:`office.forecast.call_times` plays forward from now."""

    waiting: List[Waiting]
    counters: List[Counter]     # the counters at work
    minutes: Dict[str, float]   # usual service times; {}: too few today to tell


def _play(conn, day: str, now: datetime) -> _Play:
    minutes = _usual_minutes(conn, day)
    query, _service = _waiting_query(day)
    waiting = [Waiting(row.event_id, row.service, datetime.fromisoformat(row.at)) for row in conn.execute(query)]
    current = {row.counter: row for row in conn.execute(
        select(CALLS.c.counter, CALLS.c.service, CALLS.c.called_at)
        .where(CALLS.c.day == day, CALLS.c.state == "called"))}
    since = _stamp(now - timedelta(minutes=ACTIVE_MINUTES))
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
        counters.append(Counter(number, frozenset(json.loads(services)), free_at,
                                _priority_streak(conn, day, number)))
    return _Play(waiting, counters, minutes)


def _range(minutes: float) -> Tuple[int, int]:
    low = max(0, math.floor(min(minutes * (1 - SPREAD), minutes - 1)))
    return low, max(low, math.ceil(max(minutes * (1 + SPREAD), minutes + 1)))


def _wait(play: _Play, now: datetime, key, extra: Sequence[Waiting] = ()) -> Optional[Tuple[int, int]]:
    """(low, high) minutes until ticket ``key`` (one of ``play``'s, or of ``extra``) is called; None: not known."""
    if not play.minutes:
        return None
    at = call_times(play.waiting + list(extra), play.counters, play.minutes, until=key).get(key)
    return None if at is None else _range(max(0.0, (at - now).total_seconds() / 60))


def _new_ticket_wait(play: _Play, now: datetime, service: str) -> Optional[Tuple[int, int]]:
    new = Waiting(("new", service), service, now)
    return _wait(play, now, new.key, [new])


def _pace(play: _Play, service: str) -> Optional[Tuple[float, float]]:
    serving = [c for c in play.counters if service == PRIORITY or service in c.services]
    if not play.minutes or not serving:
        return None
    each = usual(play.minutes, service) / len(serving)
    return each * (1 - SPREAD), each * (1 + SPREAD)


def estimate(db: Database, service: str, day=None, now: Optional[datetime] = None) -> Optional[Tuple[int, int]]:
    """(low, high) minutes until a ticket of ``service`` printed ``now`` is called, or None: not known yet."""
    now = now or officetime.now()
    return db.read(lambda conn: _new_ticket_wait(_play(conn, _today(day), now), now, service))


def ticket_estimate(db: Database, event_id: str, day=None, now: Optional[datetime] = None
                    ) -> Optional[Tuple[int, int]]:
    """(low, high) minutes until waiting ticket ``event_id`` is called, or None: not known yet."""
    now = now or officetime.now()
    return db.read(lambda conn: _wait(_play(conn, _today(day), now), now, event_id))


def pace(db: Database, service: str, day=None, now: Optional[datetime] = None) -> Optional[Tuple[float, float]]:
    """(low, high) minutes one more person in ``service`` adds: its usual time over the counters at work for it."""
    now = now or officetime.now()
    return db.read(lambda conn: _pace(_play(conn, _today(day), now), service))


def kiosk_queue(db: Database, day=None, now: Optional[datetime] = None) -> Dict[str, Any]:
    """What the kiosks are told (``GET /api/v1/kiosks/{id}/queue``): per service waiting, a new ticket's wait, pace.

    Every service with a ticket today is listed (waiting 0 once all are called), so a kiosk can tell "nobody
    waiting" from "not known".  A kiosk adds ``pace`` for each ticket it hands out before it asks again
    (``kiosk/queue_status.py``).
    """
    day, now = _today(day), now or officetime.now()
    waiting = waiting_counts(db, day)
    listed = select(TICKETS.c.service).where(TICKETS.c.day == day).distinct()

    def read(conn):
        return [s for (s,) in conn.execute(listed).all() if s], _play(conn, day, now)
    with_tickets, play = db.read(read)
    answer = {}
    for service in sorted(set(waiting) | set(with_tickets)):
        wait, each = _new_ticket_wait(play, now, service), _pace(play, service)
        answer[service] = {"waiting": waiting.get(service, 0),
                           "wait": {"low": wait[0], "high": wait[1]} if wait else None,
                           "pace": {"low": each[0], "high": each[1]} if each and wait else None}
    return {"day": day, "services": answer}


def state(db: Database, day=None, last: int = 5, now: Optional[datetime] = None) -> Dict[str, Any]:
    """Everything the counter page and the lobby display show: now serving, last calls, waiting, estimates."""
    day, now = _today(day), now or officetime.now()
    waiting = waiting_counts(db, day)
    serving = now_serving(db, day)
    play = db.read(lambda conn: _play(conn, day, now))
    estimates = {}
    for service in sorted(set(waiting) | {c["service"] for c in serving}):
        found = _new_ticket_wait(play, now, service)
        estimates[service] = {"low": found[0], "high": found[1]} if found else "unknown"
    return {"day": day, "now_serving": serving, "last_calls": last_calls(db, last, day),
            "waiting": waiting, "estimates": estimates, "last_event_id": last_event_id(db)}


def public_answer(db, day: str, number: str, now: Optional[datetime] = None) -> Optional[dict]:
    """What a resident may see of ticket ``number`` of ``day`` (the live queue page and its API), or None.

    Nothing personal: no kiosk, no language, no times; only the queue.  A ticket of an earlier office day
    that was never served is ``expired``: nobody will call it now, whatever its row still says.
    """
    position = _position(db, day, number)
    if position is None:
        return None
    found, event_id = position
    now = now or datetime.now(officetime.TAIPEI)
    if day < _day(now) and found["state"] in ("waiting", "called"):
        return {"number": found["number"], "day": found["day"], "service": found["service"], "state": "expired",
                "ahead": None, "counter": None, "now_serving": [], "estimate_minutes": None}
    serving = [{"number": c["number"], "counter": c["counter"]}
               for c in now_serving(db, day) if c["service"] == found["service"]]
    if found["state"] == "waiting":
        range_ = ticket_estimate(db, event_id, day, now)
        estimate_minutes = {"low": range_[0], "high": range_[1]} if range_ else "unknown"
    else:
        estimate_minutes = None
    return {"number": found["number"], "day": found["day"], "service": found["service"], "state": found["state"],
            "ahead": found["ahead"], "counter": found["counter"], "now_serving": serving,
            "estimate_minutes": estimate_minutes}


def no_shows(db: Database, day=None) -> List[Dict[str, Any]]:
    """Today's tickets skipped as no-show (過號), the latest skipped first: what the counter page can requeue."""
    query = (select(CALLS).where(CALLS.c.day == _today(day), CALLS.c.state == "no_show")
             .order_by(CALLS.c.finished_at.desc(), CALLS.c.id.desc()))
    return [dict(_public_call(row), finished_at=row["finished_at"])
            for row in db.read(lambda c: c.execute(query).mappings().all())]
