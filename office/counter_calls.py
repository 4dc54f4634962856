"""
The calls at the counters, and the rating link as the database counts it
=======================================================================

The month's ``call_events`` told as calls: each ``call`` of a ticket to a
counter with the event that ended it there (:func:`counter_calls`), and each
ticket's first call (:func:`first_calls`, where its wait ends).  The number-
calling figures (``office/call_stats.py``) are made from these.

The rating ↔ call link (its rule: ``office/call_stats.py``'s docstring and
:func:`office.call_stats.link_ratings`) is also worked out by the database,
so that a month of a million ratings is not read one by one: each call becomes
a window of time (:func:`link_windows`) and the ratings at that counter inside
it are counted over the index ``ratings_link`` (:func:`count_links`).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from sqlalchemy import and_, func, insert, select

from protocol import officetime

from .models import parse_rfc3339
from .schema import LINK_WINDOWS, RATINGS

__all__ = ["CounterCall", "time_of", "counter_of", "calls_by_ticket", "counter_calls", "first_calls",
           "OFFICE_TIME_LENGTH", "OFFICE_OFFSET", "link_windows", "count_links"]

_WHOLE_NUMBER = re.compile(r"[0-9]+")
_ENDS = ("done", "no_show", "transfer")  # what ends a call at a counter (a recall does not)


@functools.lru_cache(maxsize=1 << 16)   # a call's times are read by several figures
def time_of(text: str) -> datetime:
    """An RFC 3339 time as an aware datetime in office time (cached: a call's times are read by several figures)."""
    return parse_rfc3339(text).astimezone(officetime.TAIPEI)


def counter_of(location: Optional[str]) -> Optional[int]:
    """The counter a rating's ``location`` names (a whole number, spaces stripped), or None."""
    text = (location or "").strip()
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


# -- the calls at the counters ---------------------------------------------------------------------

class CounterCall(NamedTuple):
    """One call of a ticket to a counter, and how it ended there."""

    event_id: int
    call_id: int
    counter: int
    service: str
    at: datetime
    end_kind: Optional[str]                    # done | no_show | transfer | None (still called)
    end_at: Optional[datetime]


def calls_by_ticket(events: Iterable[Mapping[str, Any]]) -> Dict[int, List[Mapping[str, Any]]]:
    """Each ticket's (call id's) events, oldest first."""
    grouped: Dict[int, List[Mapping[str, Any]]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e["id"]):
        grouped[event["call_id"]].append(event)
    return grouped


def counter_calls(events: Iterable[Mapping[str, Any]]) -> List[CounterCall]:
    """Every ``call`` event with the event that ended it (the next done / no_show / transfer of that ticket)."""
    found = []
    for call_id, history in calls_by_ticket(events).items():
        for i, event in enumerate(history):
            if event["kind"] != "call" or event["counter"] is None:
                continue
            # The next done / no_show / transfer (a called ticket ends before it can be called again).
            end = next((e for e in history[i + 1:] if e["kind"] in _ENDS), None)
            found.append(CounterCall(event["id"], call_id, event["counter"], event["service"], time_of(event["at"]),
                                     end and end["kind"], end and time_of(end["at"])))
    return found


def first_calls(events: Iterable[Mapping[str, Any]]) -> Dict[int, Mapping[str, Any]]:
    """Each ticket's (call id's) first ``call`` event."""
    first: Dict[int, Mapping[str, Any]] = {}
    for call_id, history in calls_by_ticket(events).items():
        for event in history:
            if event["kind"] == "call":
                first[call_id] = event
                break
    return first


# -- the rating link, counted by the database ------------------------------------------------------

#: What every ``ratings.at`` ingest writes looks like (``2026-11-27T09:30:00.000+08:00``): such times compare as
#: text exactly as they compare as times, so the database can hold them against a call's window.
OFFICE_TIME_LENGTH, OFFICE_OFFSET = 29, "+08:00"
_MS = timedelta(milliseconds=1)


def _ceil_ms(moment: datetime) -> datetime:
    """The first whole millisecond at or after ``moment`` (a time ingest writes is one)."""
    floor = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return floor if floor == moment else floor + _MS


def link_windows(events: Iterable[Mapping[str, Any]],
                 link_minutes: float) -> Optional[List[Tuple[int, str, str, str]]]:
    """The rule of :func:`office.call_stats.link_ratings` as windows: ``(counter, start, stop, service)`` such
    that a rating at that counter whose time is written as ingest writes it links to that call if and only if
    ``start <= at < stop`` as text.  None if a bound cannot be written so (an offset other than +08:00)."""
    per_counter: Dict[int, List[CounterCall]] = defaultdict(list)
    for call in counter_calls(events):
        per_counter[call.counter].append(call)
    grace = timedelta(minutes=link_minutes)
    windows = []
    for counter, found in per_counter.items():
        found.sort(key=lambda c: (c.at, c.event_id))
        for i, call in enumerate(found):
            following = found[i + 1].at if i + 1 < len(found) else None
            if following == call.at:      # the later event at the same moment is the latest call
                continue
            if call.end_kind is None:     # the same day: until midnight
                day = call.at.date() + timedelta(days=1)
                end = datetime(day.year, day.month, day.day, tzinfo=officetime.TAIPEI)
            elif call.end_kind in ("done", "transfer"):   # until (and at) the end, or its end + the grace
                end = call.end_at + (grace if call.end_kind == "done" else timedelta(0))
                end = end.replace(microsecond=end.microsecond // 1000 * 1000) + _MS
            else:
                continue
            start = _ceil_ms(call.at)
            stop = end if following is None else min(end, _ceil_ms(following))
            if stop <= start:
                continue
            bounds = [officetime.rfc3339(moment.astimezone(officetime.TAIPEI)) for moment in (start, stop)]
            if not all(b.endswith(OFFICE_OFFSET) and len(b) == OFFICE_TIME_LENGTH for b in bounds):
                return None
            windows.append((counter, bounds[0], bounds[1], call.service))
    return windows


def count_links(conn, first_day: str, last_day: str, names: Sequence[str],
                 windows: Sequence[Tuple[int, str, str, str]], exclude: Sequence[str]) -> List[Dict[str, Any]]:
    """The ratings at these locations linked to each (counter, service), counted by the database, but those of
    ``exclude`` (event ids: the ratings whose time is not written as ingest writes it, linked one by one): the
    windows go into a temporary table, each a range of the index ``ratings_link``.  (The time's form is not
    tested here: PostgreSQL cannot tell how many rows such a test keeps, and would then join wrongly.)"""
    if not windows:
        return []
    by_counter: Dict[int, List[str]] = defaultdict(list)
    for name in names:
        by_counter[counter_of(name)].append(name)
    table = LINK_WINDOWS
    table.create(conn)
    try:
        conn.execute(insert(table), [{"location": name, "start": start, "stop": stop, "counter": counter,
                                      "service": service}
                                     for counter, start, stop, service in windows for name in by_counter[counter]])
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE link_windows")   # a temporary table has no statistics of its own
            conn.exec_driver_sql("SET LOCAL jit = off")       # compiling it would take longer than the count
        keys = (table.c.counter, table.c.service, RATINGS.c.scale, RATINGS.c.score, RATINGS.c.choice)
        query = (select(*keys, func.count())
                 .select_from(table.join(RATINGS, and_(RATINGS.c.location == table.c.location,
                                                       RATINGS.c.at >= table.c.start, RATINGS.c.at < table.c.stop)))
                 .where(RATINGS.c.day >= first_day, RATINGS.c.day <= last_day, ~RATINGS.c.misuse,
                        RATINGS.c.clock_synced)
                 .group_by(*keys))
        if exclude:
            query = query.where(RATINGS.c.event_id.not_in(exclude))
        return [{"counter": counter, "service": service, "scale": scale, "score": score, "choice": choice,
                 "misuse": False, "n": n} for counter, service, scale, score, choice, n in conn.execute(query)]
    finally:
        table.drop(conn)
