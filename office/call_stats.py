"""
Number-calling statistics for the monthly report
================================================

What the director reads about the call queue (``office/calls.py``) once a
month: pure functions over the rows of ``calls`` and ``call_events`` (and the
month's tickets and ratings), no Flask; :func:`load_calls` is the only function
that reads the database.  The calls at each counter as ``call_events`` tell
them, and the link below as the database counts it, are
``office/counter_calls.py``'s.

The figures
-----------

* **Wait**: from the ticket's ``printed_at`` to its **first** call (the first
  ``call`` event in ``call_events``; ``calls.called_at`` is the *last* call, which
  a no-show brought back by 重新排入 or a transfer moves later).  A recall
  (重呼, or 過號 with recalls left) is not a call and changes nothing.  A wait is
  counted in the service the ticket was first called for (the queue it waited
  in) and in the hour of that first call.  A kiosk clock ahead of the server
  cannot make a wait negative: it counts as 0.
* **Service time**: from the last call to 完成 (``called_at`` → ``finished_at`` of
  a ticket ``done``), as :func:`office.calls_estimate.service_times` measures it for the
  estimates; counted in the service the ticket was served in and at the counter
  that served it.
* **Called** per service: tickets called at least once in that service (a
  ticket transferred from A to C and called in both counts in both).
  **Served**: tickets ``done``; **no-shows**: tickets whose last state is
  ``no_show`` (one brought back and served later is served, not a no-show).
* **Per hour** (office time; 8–17 always, other hours when something happened
  in them): tickets printed, tickets first called in that hour, and the mean
  wait of those.
* Satisfaction of linked ratings is :func:`office.report_figures.satisfaction`, the
  same % as everywhere else in the report.

Linking a rating to the counter call it rates
---------------------------------------------

A kiosk's rating buttons may stand at a counter: its ``ratings.location`` is
then the counter's number (kiosk/config.py).  A rating is linked to a call
when all of these hold:

1. its ``location``, spaces stripped, is a whole number ``N`` written with the
   digits 0-9 (``"3"``, ``" 3 "``; not ``"3號"``, not ``"櫃台3"``, not the lobby's
   ``""``);
2. it is not misuse (a press too soon after the one before);
3. its kiosk clock was synced (a time from an unsynced clock cannot be set
   against the counter's calls);
4. take the call at counter ``N`` (a ``call`` event; a requeued ticket called
   again is a new call) with the latest call time at or before the rating's
   time (ties: the later event).  The rating is linked to it if the rating
   came while that ticket was still being served there (called and not yet
   finished; the same office day), or at most :data:`LINK_MINUTES` after it was
   finished ``done`` there.  A call that ended in 過號 served nobody, and one
   transferred to another service ended with the transfer: a rating after
   either's end stays unlinked, and so does a rating that matches no call.
   Only the latest call is looked at: a rating is never linked to an earlier
   resident once the counter has called the next.

The service of the link is the service of that call (the service the resident
actually received at that counter, after any transfer), not the ``service``
the rating kiosk was set to.  The link is computed when the report is made,
from whatever has arrived by then: ratings and calls may reach the server in
any order (a kiosk offline for an hour uploads its ratings later), so nothing
is linked at ingest.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from sqlalchemy import and_, func, select

from .counter_calls import (OFFICE_OFFSET, OFFICE_TIME_LENGTH, CounterCall, count_links, counter_calls, counter_of,
                            first_calls, link_windows, time_of)
from .report_figures import Satisfaction, satisfaction, service_label
from .schema import CALL_EVENTS, CALLS, RATING_COUNTS, RATINGS

__all__ = ["LINK_MINUTES", "CallRows", "CallStats", "ServiceCalls", "CounterCalls", "HourCalls", "Link",
           "link_ratings", "build_call_stats", "load_calls", "minutes"]

#: A rating at a counter up to this many minutes after that counter finished (完成) a ticket is about that ticket.
LINK_MINUTES = 5
#: Hours of the day always listed per hour (office hours), as ``report.tickets_per_hour`` lists them.
OFFICE_HOURS = range(8, 18)
#: More ratings than this whose time is written otherwise (never, through ingest): all are linked one by one.
MAX_OTHERS = 1000


class CallRows(NamedTuple):
    """What :func:`load_calls` reads: the month's calls, their events, and the ratings that may link to them."""

    calls: List[Dict[str, Any]]
    events: List[Dict[str, Any]]
    ratings: List[Dict[str, Any]]
    #: How many ratings could be linked (rules 1-3), when ``ratings`` holds only those that can be (see load_calls).
    counter_ratings: Optional[int] = None
    #: Links counted by the database (``load_calls(linked=True)``): rows with ``counter``, ``service`` (the call's),
    #: ``scale``, ``score``, ``choice``, ``misuse`` (False) and ``n``; ``ratings`` then holds only the rest.
    links: Sequence[Mapping[str, Any]] = ()


@dataclass
class ServiceCalls:
    code: str
    label: str                                 # A 戶籍登記
    called: int = 0
    served: int = 0
    no_show: int = 0
    mean_wait: Optional[float] = None          # minutes, printed → first call
    median_wait: Optional[float] = None
    median_service: Optional[float] = None     # minutes, last call → done
    linked: int = 0                            # ratings linked to calls of this service
    ratings: Satisfaction = field(default_factory=lambda: Satisfaction())


@dataclass
class CounterCalls:
    counter: int
    called: int = 0                            # calls made at this counter (a requeued ticket's second call too)
    served: int = 0
    median_service: Optional[float] = None
    linked: int = 0
    ratings: Satisfaction = field(default_factory=lambda: Satisfaction())


@dataclass
class HourCalls:
    hour: int
    printed: int = 0
    called: int = 0                            # tickets first called in this hour
    mean_wait: Optional[float] = None          # of those


@dataclass
class CallStats:
    services: List[ServiceCalls]
    counters: List[CounterCalls]
    hours: List[HourCalls]
    called: int = 0                            # tickets called at least once this month
    served: int = 0
    no_show: int = 0
    counter_ratings: int = 0                   # ratings that could be linked (rules 1-3)
    linked: int = 0
    link_minutes: float = LINK_MINUTES         # the grace after 完成 these links used

    @property
    def empty(self) -> bool:
        """No call at all this month (the calling system was not used)."""
        return self.called == 0


class Link(NamedTuple):
    rating: Mapping[str, Any]
    call_id: int
    counter: int
    service: str


def minutes(value: Optional[float]) -> str:
    """Minutes as a whole number (half up) for the page, ``–`` when there is no figure."""
    return "–" if value is None else str(int(value + 0.5))


def _span(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 60)


def _mean(values: Sequence[float]) -> Optional[float]:
    return statistics.fmean(values) if values else None


def _median(values: Sequence[float]) -> Optional[float]:
    return statistics.median(values) if values else None


# -- the rating link -------------------------------------------------------------------------------

def _linkable(rating: Mapping[str, Any]) -> Optional[int]:
    """The counter of a rating that may be linked (rules 1-3 of the module docstring), or None."""
    if rating.get("misuse") or not rating.get("clock_synced", True):
        return None
    return counter_of(rating.get("location"))


def link_ratings(ratings: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]],
                 link_minutes: float = LINK_MINUTES) -> Tuple[List[Link], int]:
    """Link ratings to the calls they rate (the rule in the module docstring).

    Returns the links and how many ratings could have been linked (at a counter, not misuse, clock synced).
    """
    ratings = list(ratings)
    if not ratings:
        return [], 0
    per_counter: Dict[int, List[CounterCall]] = defaultdict(list)
    for call in counter_calls(events):
        per_counter[call.counter].append(call)
    times: Dict[int, List[datetime]] = {}
    for counter, found in per_counter.items():
        found.sort(key=lambda c: (c.at, c.event_id))
        times[counter] = [c.at for c in found]
    grace = timedelta(minutes=link_minutes)
    links, candidates = [], 0
    for rating in ratings:
        counter = _linkable(rating)
        if counter is None:
            continue
        candidates += 1
        if counter not in per_counter:
            continue
        at = time_of(rating["at"])
        index = bisect_right(times[counter], at) - 1   # the latest call at or before the rating
        if index < 0:
            continue
        call = per_counter[counter][index]
        if call.end_kind is None:
            ok = at.date() == call.at.date()           # still being served (that day)
        elif call.end_kind == "done":
            ok = at <= call.end_at + grace
        else:                                          # no-show: nobody served; transfer: served until then
            ok = call.end_kind == "transfer" and at <= call.end_at
        if ok:
            links.append(Link(rating, call.call_id, counter, call.service))
    return links, candidates


# -- the statistics --------------------------------------------------------------------------------

def build_call_stats(calls: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]],
                     ratings: Sequence[Mapping[str, Any]] = (), tickets: Sequence[Mapping[str, Any]] = (),
                     link_minutes: float = LINK_MINUTES, counter_ratings: Optional[int] = None,
                     links: Sequence[Mapping[str, Any]] = ()) -> CallStats:
    """The month's calling statistics from its ``calls`` rows, their ``call_events``, the ratings (rows of the
    ``ratings`` table, with ``at``) and the tickets (rows with ``hour``) of the month.  ``counter_ratings``: how
    many of the month's ratings could be linked, when ``ratings`` are not all of them; ``links``: links the
    database counted, beside those made here from ``ratings`` (:class:`CallRows`)."""
    rows = {row["id"]: row for row in calls}
    events = [e for e in events if e["call_id"] in rows]
    first = first_calls(events)
    tally = _Tally()
    waits, hour_waits = _waits(first, rows)
    tally.count_calls(events)
    service_times, counter_times = tally.count_ends(calls)
    for code, found in tally.services.items():
        found.mean_wait, found.median_wait = _mean(waits[code]), _median(waits[code])
        found.median_service = _median(service_times[code])
    for number, found in tally.counters.items():
        found.median_service = _median(counter_times[number])
    found_links, candidates = link_ratings(ratings, events, link_minutes)
    tally.count_links(found_links, links)
    return CallStats(
        services=[tally.services[code] for code in sorted(tally.services)],
        counters=[tally.counters[number] for number in sorted(tally.counters)],
        hours=_hours(first, tickets, hour_waits), called=len(first),
        served=sum(1 for row in calls if row["state"] == "done"),
        no_show=sum(1 for row in calls if row["state"] == "no_show"),
        counter_ratings=candidates if counter_ratings is None else counter_ratings,
        linked=len(found_links) + sum(row["n"] for row in links), link_minutes=link_minutes)


def _waits(first: Mapping[int, Mapping[str, Any]], rows: Mapping[int, Mapping[str, Any]]
           ) -> Tuple[Dict[str, List[float]], Dict[int, List[float]]]:
    """Each ticket's wait (printed → first call) in minutes, per service and per hour of its first call."""
    waits: Dict[str, List[float]] = defaultdict(list)
    hour_waits: Dict[int, List[float]] = defaultdict(list)
    for call_id, event in first.items():
        wait = _span(time_of(event["at"]), time_of(rows[call_id]["printed_at"]))
        waits[event["service"]].append(wait)
        hour_waits[time_of(event["at"]).hour].append(wait)
    return waits, hour_waits


def _hours(first: Mapping[int, Any], tickets: Iterable[Mapping[str, Any]],
           hour_waits: Mapping[int, List[float]]) -> List[HourCalls]:
    """Per hour: printed, first called and their mean wait; office hours always, others with something in them;
    none in a month without calls."""
    printed: Dict[int, int] = defaultdict(int)
    for ticket in tickets:
        printed[ticket["hour"]] += 1
    if not first:
        return []
    return [HourCalls(hour, printed[hour], len(hour_waits.get(hour, [])), _mean(hour_waits.get(hour, [])))
            for hour in sorted(set(OFFICE_HOURS) | set(printed) | set(hour_waits))]


class _Tally:
    """The month's figures per service and per counter, each made when it is first counted."""

    def __init__(self):
        self.services: Dict[str, ServiceCalls] = {}
        self.counters: Dict[int, CounterCalls] = {}

    def service(self, code: str) -> ServiceCalls:
        if code not in self.services:
            self.services[code] = ServiceCalls(code, service_label(code))
        return self.services[code]

    def counter(self, number: int) -> CounterCalls:
        if number not in self.counters:
            self.counters[number] = CounterCalls(number)
        return self.counters[number]

    def count_calls(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Tickets called per service (once each, however often), calls made per counter."""
        called_in: Dict[str, set] = defaultdict(set)
        for event in events:
            if event["kind"] == "call":
                called_in[event["service"]].add(event["call_id"])
                if event["counter"] is not None:
                    self.counter(event["counter"]).called += 1
        for code, ids in called_in.items():
            self.service(code).called = len(ids)

    def count_ends(self, calls: Iterable[Mapping[str, Any]]
                   ) -> Tuple[Dict[str, List[float]], Dict[int, List[float]]]:
        """Served and no-shows; the service times (last call → done) per service and per counter."""
        service_times: Dict[str, List[float]] = defaultdict(list)
        counter_times: Dict[int, List[float]] = defaultdict(list)
        for row in calls:
            if row["state"] == "done":
                self.service(row["service"]).served += 1
                if row["counter"] is not None:
                    self.counter(row["counter"]).served += 1
                if row["called_at"] and row["finished_at"]:
                    length = _span(time_of(row["finished_at"]), time_of(row["called_at"]))
                    service_times[row["service"]].append(length)
                    if row["counter"] is not None:
                        counter_times[row["counter"]].append(length)
            elif row["state"] == "no_show":
                self.service(row["service"]).no_show += 1
        return service_times, counter_times

    def count_links(self, found: Iterable[Link], counted: Iterable[Mapping[str, Any]]) -> None:
        """The linked ratings per service and per counter, and their % satisfied: ``found`` one by one, ``counted``
        as rows of n ratings each (the database's)."""
        by_service: Dict[str, List[Mapping[str, Any]]] = defaultdict(list)
        by_counter: Dict[int, List[Mapping[str, Any]]] = defaultdict(list)
        for link in found:
            by_service[link.service].append(link.rating)
            by_counter[link.counter].append(link.rating)
        for row in counted:
            by_service[row["service"]].append(row)
            by_counter[row["counter"]].append(row)
        for code, linked in by_service.items():
            self.service(code).linked = sum(row.get("n", 1) for row in linked)
            self.service(code).ratings = satisfaction(linked)
        for number, linked in by_counter.items():
            self.counter(number).linked = sum(row.get("n", 1) for row in linked)
            self.counter(number).ratings = satisfaction(linked)


# -- the one database read -------------------------------------------------------------------------

def load_calls(db, first_day: str, last_day: str, linked: bool = False) -> CallRows:
    """The calls of the office days first_day..last_day (ISO dates), their events, the ratings of those days that
    can be linked (rules 1-3 of the module docstring) to a counter called from in them, and how many ratings could
    be linked at all (``counter_ratings``: at a whole-number location, not misuse, clock synced).

    Only those ratings are read, and only their locations are told apart by the database (``rating_counts``): a
    month of a county's ratings at counters that called nobody costs nothing.  With ``linked``, the database
    also links and counts those whose time is written as ingest writes it (:func:`office.counter_calls.link_windows`; ``links``), and
    ``ratings`` holds only the others (none, unless written otherwise): a month of a million linked ratings is
    not read one by one.
    """
    calls_query = (select(CALLS.c.id, CALLS.c.day, CALLS.c.number, CALLS.c.printed_at, CALLS.c.service,
                          CALLS.c.state, CALLS.c.counter, CALLS.c.called_at, CALLS.c.finished_at, CALLS.c.recalls)
                   .where(CALLS.c.day >= first_day, CALLS.c.day <= last_day).order_by(CALLS.c.id))
    # An event's day is its ticket's day, the same as its calls row's.
    events_query = (select(CALL_EVENTS.c.id, CALL_EVENTS.c.call_id, CALL_EVENTS.c.kind, CALL_EVENTS.c.service,
                           CALL_EVENTS.c.counter, CALL_EVENTS.c.at, CALL_EVENTS.c.day)
                    .where(CALL_EVENTS.c.day >= first_day, CALL_EVENTS.c.day <= last_day)
                    .order_by(CALL_EVENTS.c.id))
    locations_query = (select(RATING_COUNTS.c.location, func.sum(RATING_COUNTS.c.n))
                       .where(RATING_COUNTS.c.day >= first_day, RATING_COUNTS.c.day <= last_day,
                              ~RATING_COUNTS.c.misuse, RATING_COUNTS.c.clock_synced, RATING_COUNTS.c.location != "")
                       .group_by(RATING_COUNTS.c.location))
    columns = (RATINGS.c.event_id, RATINGS.c.at, RATINGS.c.day, RATINGS.c.scale, RATINGS.c.score, RATINGS.c.choice,
               RATINGS.c.service, RATINGS.c.location, RATINGS.c.misuse, RATINGS.c.clock_synced)
    office_time = and_(func.length(RATINGS.c.at) == OFFICE_TIME_LENGTH,
                       func.substr(RATINGS.c.at, OFFICE_TIME_LENGTH - 5, 6) == OFFICE_OFFSET)

    def read(conn):
        calls, events = ([dict(row) for row in conn.execute(query).mappings()] for query in (calls_query, events_query))
        ids = {row["id"] for row in calls}
        events = [e for e in events if e["call_id"] in ids]
        linkable = {location: int(n) for location, n in conn.execute(locations_query)
                    if counter_of(location) is not None}
        called_from = {e["counter"] for e in events if e["kind"] == "call" and e["counter"] is not None}
        names = sorted(location for location in linkable if counter_of(location) in called_from)
        def linkable_ratings(only_others: bool) -> List[Dict[str, Any]]:
            found = []
            for chunk in (names[start:start + 500] for start in range(0, len(names), 500)):
                query = (select(*columns).where(RATINGS.c.day >= first_day, RATINGS.c.day <= last_day,
                                                RATINGS.c.location.in_(chunk), ~RATINGS.c.misuse,
                                                RATINGS.c.clock_synced))
                found += [dict(zip(row._fields, row)) for row in conn.execute(query.where(~office_time)
                                                                              if only_others else query)]
            return found

        windows = link_windows(events, LINK_MINUTES) if linked and names else None
        ratings = linkable_ratings(only_others=windows is not None)
        if windows is not None and len(ratings) > MAX_OTHERS:
            windows, ratings = None, linkable_ratings(only_others=False)
        links = (count_links(conn, first_day, last_day, names, windows, [row["event_id"] for row in ratings])
                 if windows is not None else [])
        ratings.sort(key=lambda row: (row["at"], row["event_id"]))
        return CallRows(calls, events, ratings, sum(linkable.values()), links)
    return db.read(read)
