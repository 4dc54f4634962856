"""
``kiosk-office bench day``: the day replayed, event by event
============================================================

The drawn day (``day_draw``) played as discrete events in simulated minutes — arrivals, counters finishing a
resident, 過號 presses, no-shows coming back — through an office: anything with the methods of
``day_actors.HttpOffice`` (print a ticket, read its queue data, call next, no-show, requeue).  What the server
answers is written into the tickets; the figures are made from them later (``day_figures``).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .day_draw import CLOSE_MINUTE, OPEN_MINUTE, Ticket, serving

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


def simulate(tickets: List[Ticket], layout: Dict[int, Tuple[str, ...]], office, last_minute: float = LAST_MINUTE
             ) -> int:
    """Run the day through ``office`` (an :class:`HttpOffice`-like object); fills the tickets in; the calls made.

    Discrete events in simulated minutes: arrivals, counters finishing a resident, 過號 presses, no-shows
    coming back.  BenchError when the server calls a ticket that is not waiting.
    """
    by_number = {t.number: t for t in tickets}
    if len(by_number) != len(tickets):
        raise ValueError("ticket numbers repeat (more than 999 of one service)")
    Replay(by_number, layout, office).run(tickets, last_minute)
    return sum(t.calls for t in tickets)


class Replay:
    """The counters and the queue of simulated events: each event's handler takes (its argument, its minute)."""

    def __init__(self, by_number: Dict[str, Ticket], layout: Dict[int, Tuple[str, ...]], office):
        self.by_number, self.layout, self.office = by_number, layout, office
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
        handlers = {"arrive": self.arrive, "next": self.press_next, "skip": self.skip, "back": self.back}
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
        """The kiosk prints the ticket; the resident reads its queue data at once."""
        self.office.print_ticket(minute, ticket)
        answer = self.office.lookup(minute, ticket)
        ticket.ahead = answer["ahead"]
        estimate = answer["estimate_minutes"]
        ticket.estimate = (estimate["low"], estimate["high"]) if isinstance(estimate, dict) else None
        self.wake(ticket.service, minute)

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
