"""
``kiosk-office bench day``: the day replayed, event by event
============================================================

The drawn day (``day_draw``) played as discrete events in simulated minutes — arrivals, counters finishing a
resident, 過號 presses, no-shows coming back, the cut-off kiosk back on the network — through an office:
anything with the methods of ``day_actors.HttpOffice`` (take a number and print, upload what a kiosk kept, read
a ticket's queue data, call next, no-show, requeue).  What the server answers is written into the tickets; the
figures are made from them later (``day_figures``).  A number given twice is noted, not fatal: the figures say
how many (the goal is none).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .day_draw import CLOSE_MINUTE, CUT_OFF, OPEN_MINUTE, Ticket, serving

__all__ = ["LAST_MINUTE", "SKIP_PRESS_MINUTES", "BenchError", "DayResult", "simulate"]

#: The counters stop here even if someone still waits (they are counted "never called").
LAST_MINUTE = 23 * 60
SKIP_PRESS_MINUTES = 1.0       # between two presses of 過號


class BenchError(Exception):
    """The run is broken (an HTTP error, a ticket called twice ...): its figures mean nothing."""


@dataclass
class DayResult:
    tickets: List[Ticket]
    layout: Dict[int, Tuple[str, ...]]
    calls: int = 0                          # calls (not recalls) the counters got
    real_seconds: float = 0.0
    latencies_ms: List[float] = field(default_factory=list)      # call POST → display, per call
    round_trips_ms: List[float] = field(default_factory=list)    # the call POST itself
    undelivered: int = 0                    # calls the display never got
    stream_calls: Dict[str, int] = field(default_factory=dict)   # number → call events on the stream
    duplicates: List[str] = field(default_factory=list)          # numbers the day gave out twice
    push_ms: List[float] = field(default_factory=list)           # a phone's call: POST → its push leaving
    push_missing: List[str] = field(default_factory=list)        # phones called whose push never left
    push_errors: List[str] = field(default_factory=list)         # pushes a phone could not read


def simulate(tickets: List[Ticket], layout: Dict[int, Tuple[str, ...]], office, last_minute: float = LAST_MINUTE,
             duplicates: Optional[List[str]] = None) -> int:
    """Run the day through ``office`` (an :class:`HttpOffice`-like object); fills the tickets in; the calls made.

    Discrete events in simulated minutes: arrivals, counters finishing a resident, 過號 presses, no-shows
    coming back, the cut-off kiosk back.  BenchError when the server calls a ticket that is not waiting.  A
    number given twice goes into ``duplicates``.
    """
    replay = Replay(layout, office)
    replay.run(tickets, last_minute)
    if duplicates is not None:
        duplicates.extend(replay.duplicates)
    return sum(t.calls for t in tickets)


class Replay:
    """The counters and the queue of simulated events: each event's handler takes (its argument, its minute)."""

    def __init__(self, layout: Dict[int, Tuple[str, ...]], office):
        self.by_number: Dict[str, Ticket] = {}    # number → its ticket, as the numbers are given
        self.duplicates: List[str] = []
        self.layout, self.office = layout, office
        self.events: list = []
        self.order = itertools.count()
        self.calls = itertools.count(1)
        self.idle: Dict[int, float] = {}          # counter → idle since
        self.current: Dict[int, Ticket] = {}      # counter → the ticket called there

    def run(self, tickets: List[Ticket], last_minute: float) -> None:
        for counter in self.layout:  # the clerks sign on: nobody waits yet
            self.press_next(counter, OPEN_MINUTE)
        for ticket in tickets:
            self.push(ticket.printed, "arrive", ticket)
        self.kept = [t for t in tickets if t.alone]
        self.push(CUT_OFF[2], "online", CUT_OFF[0])
        handlers = {"arrive": self.arrive, "next": self.press_next, "skip": self.skip, "back": self.back,
                    "online": self.online}
        while self.events:
            minute, _, kind, arg = heapq.heappop(self.events)
            if minute > last_minute:
                break
            handlers[kind](arg, minute)

    def push(self, minute: float, kind: str, arg) -> None:
        heapq.heappush(self.events, (minute, next(self.order), kind, arg))

    def press_next(self, counter: int, minute: float) -> Optional[Ticket]:
        """叫下一號 at ``counter`` (which finishes its current ticket as served); the ticket called, if any."""
        call = self.office.call_next(minute, counter, self.layout[counter])
        previous = self.current.pop(counter, None)
        if previous is not None and previous.outcome == "called":
            previous.outcome = "served"
        if call is None:
            self.idle.setdefault(counter, minute)
            return None
        self.idle.pop(counter, None)
        ticket = self.by_number.get(call["number"])
        if ticket is None:
            raise BenchError(f"counter {counter} was given {call['number']}, a ticket nobody printed")
        if ticket.outcome != "waiting":
            raise BenchError(f"{ticket.number} called twice: counter {counter} got it at {_clock(minute)} "
                             f"while it was {ticket.outcome}")
        ticket.calls += 1
        ticket.call_id, ticket.outcome = call["id"], "called"
        if ticket.first_call is None:
            ticket.first_call, ticket.first_call_order = minute, next(self.calls)
        self.current[counter] = ticket
        if ticket.no_show and not ticket.requeued:
            self.push(minute + SKIP_PRESS_MINUTES, "skip", counter)
        else:
            self.push(minute + ticket.service_minutes, "next", counter)
        return ticket

    def wake(self, service: str, minute: float) -> None:
        """The counter idle longest that serves ``service`` calls (the next one if it finds nobody)."""
        for counter in sorted(self.idle, key=lambda c: (self.idle[c], c)):
            if counter in serving(self.layout, service) and self.press_next(counter, minute) is not None:
                return

    def arrive(self, ticket: Ticket, minute: float) -> None:
        """The resident takes a number (a kiosk, a phone) and reads its queue data at once; a ticket numbered by
        a kiosk cut off from the server waits, unseen by the counters, until its kiosk is back."""
        ticket.number = self.office.print_ticket(minute, ticket)
        if ticket.number in self.by_number:
            self.duplicates.append(ticket.number)
        else:
            self.by_number[ticket.number] = ticket
        if ticket.alone:
            return
        ticket.known = minute
        self.read_queue(ticket, minute)
        self.wake(ticket.service, minute)

    def read_queue(self, ticket: Ticket, minute: float) -> None:
        answer = self.office.lookup(minute, ticket)
        ticket.ahead = answer["ahead"]
        estimate = answer["estimate_minutes"]
        ticket.estimate = (estimate["low"], estimate["high"]) if isinstance(estimate, dict) else None

    def online(self, kiosk: int, minute: float) -> None:
        """The cut-off kiosk reaches the server again and uploads the tickets it numbered alone."""
        self.office.upload(minute, kiosk)
        for ticket in self.kept:
            ticket.known = minute
        for service in sorted({t.service for t in self.kept}):
            self.wake(service, minute)

    def skip(self, counter: int, minute: float) -> None:
        """過號 on the resident who is not there: recalled (press again in a minute) until the server skips it."""
        ticket = self.current[counter]
        answer = self.office.no_show(minute, ticket.call_id)
        if answer["state"] == "called":          # recalled: press again in a minute
            self.push(minute + SKIP_PRESS_MINUTES, "skip", counter)
        elif answer["state"] == "no_show":
            ticket.outcome = "no_show"
            del self.current[counter]
            if ticket.back_after is not None and minute + ticket.back_after < CLOSE_MINUTE:
                self.push(minute + ticket.back_after, "back", ticket)
            self.press_next(counter, minute)
        else:
            raise BenchError(f"過號 on {ticket.number} answered state {answer['state']!r}")

    def back(self, ticket: Ticket, minute: float) -> None:
        """A no-show comes back: requeued, and a counter idle for its service wakes."""
        answer = self.office.requeue(minute, ticket.call_id)
        if answer["state"] != "waiting":
            raise BenchError(f"requeue of {ticket.number} answered state {answer['state']!r}")
        ticket.outcome, ticket.requeued = "waiting", True
        self.wake(ticket.service, minute)


def _clock(minute: float) -> str:
    whole = int(minute)
    return f"{whole // 60:02d}:{whole % 60:02d}"
