"""
Number calling: the office's call queue
=======================================

No Kivy, no Flask: functions over :class:`office.db.Database` that the JSON
API (``office/calls_api.py``) and the calling pages (``office/calling_pages.py``)
use.  Here: the actions (:func:`call_next`, :func:`recall`, :func:`no_show`,
:func:`requeue`, :func:`done`, :func:`transfer`), the fairness rule's choice
(:func:`choose`), the live feed (:func:`changed`, :func:`wait_for_change`),
and what the display, the counters, the kiosks and the residents read
(:func:`state`, :func:`kiosk_queue`, :func:`public_answer` ...).  The waiting
queue's queries are ``office/calls_queue.py``'s, the wait estimates
``office/calls_estimate.py``'s, the tables ``office/schema.py``'s.

Everything is in the database, so a server restarted mid-day goes on where it
stopped, and several server processes can share it.  The whole account — the
tickets' states, the fairness rule for ``P`` tickets and why nobody waits
forever, races between clerks, the estimates, the live feed — is
``office/CALLING.md``.
"""

from __future__ import annotations

import json
import threading
import weakref
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from protocol import officetime

from .announce import for_call
from .calls_estimate import new_ticket_wait, play_forward, service_pace, ticket_estimate
from .calls_queue import day_of, day_or_today, minutes_between, priority_streak, stamp_of, waiting_query
from .db import Database
from .appointments import appointment_streak
from .forecast import MAX_APPOINTMENT_STREAK, PRIORITY, priority_first, queued_since, regular_pick
from .schema import APPOINTMENTS, CALL_EVENTS, CALLS, COUNTERS, TICKETS
from .turns import take_turn

__all__ = ["MAX_RECALLS",
           "CallError", "call_next", "recall", "no_show", "requeue", "done", "transfer",
           "now_serving", "last_calls", "events_since", "queue_position", "waiting_counts", "choose",
           "kiosk_queue", "state", "public_answer", "no_shows", "changed", "generation",
           "wait_for_change"]

MAX_RECALLS = 2
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


def _first(conn, day: str, services: Sequence[str], kind: str):
    """The oldest waiting ``priority`` or ``walk_in`` ticket, or the earliest checked-in ``appointment``'s."""
    query, service = waiting_query(day)
    if kind == "priority":
        query = query.where(service == PRIORITY)
    else:
        query = query.where(service.in_([s for s in services if s != PRIORITY]),
                            APPOINTMENTS.c.id.is_(None) if kind == "walk_in" else APPOINTMENTS.c.id.is_not(None))
    order = (APPOINTMENTS.c.at,) if kind == "appointment" else ()
    return conn.execute(query.order_by(*order, TICKETS.c.at, TICKETS.c.kiosk_id, TICKETS.c.number).limit(1)).first()


def choose(conn, day: str, counter: int, services: Sequence[str], stamp: str):
    """The waiting ticket the fairness rule calls next at ``counter`` (a row), or None (``office/CALLING.md``)."""
    appointment = _first(conn, day, services, "appointment")
    regular = regular_pick(appointment, appointment is not None and appointment.due <= stamp,
                           _first(conn, day, services, "walk_in"),
                           appointment_streak(conn, day, counter, MAX_APPOINTMENT_STREAK) if appointment else 0)
    priority = _first(conn, day, services, "priority")
    if regular is None or priority is None:
        return regular or priority
    if priority_first(minutes_between(stamp, priority.at),
                      minutes_between(stamp, queued_since(regular.at, regular.due, stamp)),
                      priority_streak(conn, day, counter)):
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
    stamp, day = stamp_of(now), day_of(now)

    def attempt(conn):
        take_turn(conn, f"call {day}")  # clerks in other server processes claim one after another, not in a race
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
    stamp = stamp_of(now)

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
    stamp = stamp_of(now or officetime.now())

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
    stamp = stamp_of(now or officetime.now())
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

def now_serving(db: Database, day=None) -> List[Dict[str, Any]]:
    """The tickets called and not finished, one per counter, by counter number."""
    query = select(CALLS).where(CALLS.c.day == day_or_today(day), CALLS.c.state == "called").order_by(CALLS.c.counter)
    return [_public_call(row) for row in db.read(lambda c: c.execute(query).mappings().all())]


def _event(row) -> Dict[str, Any]:
    event = {"id": row["id"], "call_id": row["call_id"], "kind": row["kind"], "number": row["number"],
             "service": row["service"], "counter": row["counter"], "at": row["at"], "day": row["day"]}
    if row["kind"] == "transfer":
        event["to_service"] = row["detail"]
    if row["kind"] in ("call", "recall"):
        try:
            # Every language's words: the display speaks those the office chose (office/voice.py).
            event.update(for_call(row["number"], row["counter"]))
        except ValueError:
            # A number no kiosk prints (stored by a server before issue 17 checked them): shown, not spoken;
            # one such row must not fail the state or end the stream of every display.
            event["announcement"] = None
    return event


def last_calls(db: Database, n: int = 5, day=None) -> List[Dict[str, Any]]:
    """The last ``n`` calls and recalls of the day, newest first."""
    query = (select(CALL_EVENTS).where(CALL_EVENTS.c.day == day_or_today(day), CALL_EVENTS.c.kind.in_(("call", "recall")))
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
    query, service = waiting_query(day_or_today(day))
    sub = query.subquery()
    grouped = select(sub.c.service, func.count()).group_by(sub.c.service).order_by(sub.c.service)
    return {s: n for s, n in db.read(lambda c: c.execute(grouped).all())}


def queue_position(db: Database, day, number: str) -> Optional[Dict[str, Any]]:
    """Where ticket ``number`` of office day ``day`` stands, or None if there is no such ticket.

    ``ahead``: the people waiting in its (current) service who go before it (0 unless waiting): printed before
    it, and the checked-in appointments whose time has come; for an appointment's ticket, the earlier appointments.
    Nothing about the resident: no kiosk, language or time.
    """
    found = _position(db, day, number)
    return found[0] if found else None


def _position(db: Database, day, number: str, now: Optional[datetime] = None
              ) -> Optional[Tuple[Dict[str, Any], str]]:
    """:func:`queue_position`'s answer and the ticket's event id, or None."""
    day, number = day_or_today(day), str(number).strip().upper()

    def read(conn):
        ticket = conn.execute(
            select(TICKETS.c.event_id, TICKETS.c.at, TICKETS.c.service, CALLS.c.state, CALLS.c.counter,
                   CALLS.c.service.label("current"), APPOINTMENTS.c.service.label("booked"),
                   APPOINTMENTS.c.at.label("due"))
            .select_from(TICKETS.outerjoin(CALLS, CALLS.c.ticket_id == TICKETS.c.event_id)
                         .outerjoin(APPOINTMENTS, APPOINTMENTS.c.ticket_id == TICKETS.c.event_id))
            .where(TICKETS.c.day == day, TICKETS.c.number == number)
            .order_by(TICKETS.c.at.desc()).limit(1)).first()
        if ticket is None:
            return None
        service, state = ticket.current or ticket.booked or ticket.service, ticket.state or "waiting"
        ahead = 0
        if state == "waiting":
            query, svc = waiting_query(day)
            # An appointment's: the appointments due before it; a walk-in's: those printed before it, and the
            # appointments whose time has come (they go first, office/CALLING.md).
            before = (APPOINTMENTS.c.at < ticket.due if ticket.due else
                      or_(and_(APPOINTMENTS.c.id.is_(None), TICKETS.c.at < ticket.at),
                          APPOINTMENTS.c.at <= stamp_of(now or officetime.now())))
            sub = query.where(svc == service, before).subquery()
            ahead = conn.execute(select(func.count()).select_from(sub)).scalar()
        return {"number": number, "day": day, "service": service, "state": state, "ahead": ahead,
                "counter": ticket.counter if state == "called" else None}, ticket.event_id
    return db.read(read)


def kiosk_queue(db: Database, day=None, now: Optional[datetime] = None) -> Dict[str, Any]:
    """What the kiosks are told (``GET /api/v1/kiosks/{id}/queue``): per service waiting, a new ticket's wait, pace.

    Every service with a ticket today is listed (waiting 0 once all are called), so a kiosk can tell "nobody
    waiting" from "not known".  A kiosk adds ``pace`` for each ticket it hands out before it asks again
    (``kiosk/queue_status.py``).
    """
    day, now = day_or_today(day), now or officetime.now()
    waiting = waiting_counts(db, day)
    listed = select(TICKETS.c.service).where(TICKETS.c.day == day).distinct()

    def read(conn):
        return [s for (s,) in conn.execute(listed).all() if s], play_forward(conn, day, now)
    with_tickets, play = db.read(read)
    answer = {}
    for service in sorted(set(waiting) | set(with_tickets)):
        wait, each = new_ticket_wait(play, now, service), service_pace(play, service)
        answer[service] = {"waiting": waiting.get(service, 0),
                           "wait": {"low": wait[0], "high": wait[1]} if wait else None,
                           "pace": {"low": each[0], "high": each[1]} if each and wait else None}
    return {"day": day, "services": answer}


def state(db: Database, day=None, last: int = 5, now: Optional[datetime] = None) -> Dict[str, Any]:
    """Everything the counter page and the lobby display show: now serving, last calls, waiting, estimates."""
    day, now = day_or_today(day), now or officetime.now()
    waiting = waiting_counts(db, day)
    serving = now_serving(db, day)
    play = db.read(lambda conn: play_forward(conn, day, now))
    estimates = {}
    for service in sorted(set(waiting) | {c["service"] for c in serving}):
        found = new_ticket_wait(play, now, service)
        estimates[service] = {"low": found[0], "high": found[1]} if found else "unknown"
    return {"day": day, "now_serving": serving, "last_calls": last_calls(db, last, day),
            "waiting": waiting, "estimates": estimates, "last_event_id": last_event_id(db)}


def public_answer(db, day: str, number: str, now: Optional[datetime] = None) -> Optional[dict]:
    """What a resident may see of ticket ``number`` of ``day`` (the live queue page and its API), or None.

    Nothing personal: no kiosk, no language, no times; only the queue.  A ticket of an earlier office day
    that was never served is ``expired``: nobody will call it now, whatever its row still says.
    """
    position = _position(db, day, number, now)
    if position is None:
        return None
    found, event_id = position
    now = now or datetime.now(officetime.TAIPEI)
    if day < day_of(now) and found["state"] in ("waiting", "called"):
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
    query = (select(CALLS).where(CALLS.c.day == day_or_today(day), CALLS.c.state == "no_show")
             .order_by(CALLS.c.finished_at.desc(), CALLS.c.id.desc()))
    return [dict(_public_call(row), finished_at=row["finished_at"])
            for row in db.read(lambda c: c.execute(query).mappings().all())]
