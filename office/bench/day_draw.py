"""
``kiosk-office bench day``: the day drawn
=========================================

What happens on the simulated day, before any of it reaches the server (``office/bench/day.py`` describes the
day in words): when residents arrive (:data:`ARRIVAL_CURVE`), which service each takes and how long it keeps a
counter (:data:`SERVICES`), where each takes the number (one of two kiosks, or a phone: :data:`PHONE_SHARE`;
the second kiosk cut off from the server for an hour: :data:`CUT_OFF`; an appointment checked in there:
:data:`APPOINTMENT_SHARE`), who is not there when called and who
comes back, and which services each counter calls (:func:`counter_layout`).  All of it from one seeded
``random.Random``, so a seed is a day.  The numbers are the server's, given as the day is replayed.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass
from datetime import date
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ["DAY", "OPEN_MINUTE", "CLOSE_MINUTE", "ARRIVAL_CURVE", "Service", "SERVICES", "PRIORITY", "KIOSKS",
           "PHONE_SHARE", "PHONE_LAST_MINUTE", "CUT_OFF", "APPOINTMENT_SHARE", "APPOINTMENT_EARLY", "Ticket",
           "arrival_minutes", "service_minutes", "draw_tickets", "counter_layout", "serving"]

DAY = date(2026, 11, 25)  # a Wednesday
OPEN_MINUTE, CLOSE_MINUTE = 8 * 60, 17 * 60

#: (from, to, relative arrival rate), minutes after midnight, Asia/Taipei.
ARRIVAL_CURVE: Tuple[Tuple[int, int, float], ...] = (
    (8 * 60, 8 * 60 + 30, 0.6),
    (8 * 60 + 30, 9 * 60, 1.0),
    (9 * 60, 11 * 60, 1.8),
    (11 * 60, 12 * 60, 1.2),
    (12 * 60, 13 * 60 + 30, 0.45),
    (13 * 60 + 30, 14 * 60, 0.9),
    (14 * 60, 16 * 60, 1.5),
    (16 * 60, 16 * 60 + 30, 0.9),
    (16 * 60 + 30, 17 * 60, 0.5),
)


@dataclass(frozen=True)
class Service:
    prefix: str
    name: str
    share: float           # of the day's tickets
    median_minutes: float  # at the counter


SERVICES: Tuple[Service, ...] = (
    Service("A", "戶籍登記", 0.40, 5.0),
    Service("B", "身分證", 0.25, 4.0),
    Service("C", "謄本", 0.20, 3.0),
    Service("E", "自然人憑證", 0.07, 6.0),
    Service("P", "優先", 0.08, 5.0),
)
SERVICE_SIGMA = 0.5
SERVICE_MINUTES_RANGE = (1.0, 40.0)
NO_SHOW_SHARE = 0.03
COME_BACK_SHARE = 0.4
COME_BACK_MINUTES = (10.0, 60.0)
PRIORITY = "P"
#: The lobby's two ticket kiosks; a resident at the kiosks uses either.
KIOSKS = (1, 2)
#: Of the regular (not priority) tickets taken before PHONE_LAST_MINUTE, this share is taken on a phone (/take).
PHONE_SHARE = 0.15
PHONE_LAST_MINUTE = 16 * 60 + 30   # office/remote.py: phones take numbers until 16:30
#: (kiosk, from, to): that kiosk cannot reach the server from 10:00 to 11:00; it numbers alone, from its slot, and
#: uploads those tickets when it is back.
CUT_OFF = (2, 10 * 60, 11 * 60)
#: Of the regular tickets taken at a kiosk, this share are appointments checked in there (預約報到): the resident
#: comes this many minutes (from, to) before the appointment's time, which staff booked on a 5-minute slot, and
#: types the code at the first kiosk (the one never cut off: a kiosk cut off checks no appointment in).
APPOINTMENT_SHARE = 0.08
APPOINTMENT_EARLY = (5.0, 25.0)
#: The counters' services with four counters; more repeat it, fewer merge it (counter_layout).
FOUR_COUNTERS = (("A", "B"), ("A", "B"), ("B", "C", "E"), ("A", "C"))


def arrival_minutes(n: int, rng: random.Random, curve: Sequence[Tuple[int, int, float]] = ARRIVAL_CURVE
                    ) -> List[float]:
    """``n`` print times (minutes after midnight, sorted) drawn from the piecewise-constant rate ``curve``."""
    weights = [(end - start) * rate for start, end, rate in curve]
    cumulative = list(itertools.accumulate(weights))
    times = []
    for _ in range(n):
        k = min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), len(curve) - 1)
        start, end, _rate = curve[k]
        times.append(start + rng.random() * (end - start))
    return sorted(times)


def service_minutes(service: Service, rng: random.Random) -> float:
    """One resident's time at the counter: lognormal around the service's median, clipped."""
    low, high = SERVICE_MINUTES_RANGE
    return min(high, max(low, rng.lognormvariate(math.log(service.median_minutes), SERVICE_SIGMA)))


@dataclass
class Ticket:
    number: str                 # as printed: A012, A2001; "" until the replay takes it
    service: str
    printed: float              # minutes after midnight
    service_minutes: float
    no_show: bool = False       # not there when first called
    back_after: Optional[float] = None  # a no-show who comes back this many minutes after being skipped
    source: str = "kiosk"       # kiosk | phone
    kiosk: int = 0              # which kiosk (KIOSKS), 0 for a phone
    alone: bool = False         # numbered by its kiosk alone, cut off from the server (CUT_OFF)
    due: Optional[float] = None  # an appointment checked in: its time (minutes after midnight)
    code: str = ""              # its code, as staff entered it
    # what happened
    known: Optional[float] = None   # when the server had the ticket: at once, or when its kiosk uploaded it
    ahead: Optional[int] = None
    estimate: Optional[Tuple[int, int]] = None  # (low, high) read right after printing; None: "unknown"
    first_call: Optional[float] = None
    first_call_order: Optional[int] = None
    call_id: Optional[int] = None
    calls: int = 0
    outcome: str = "waiting"    # waiting | called | served | no_show
    requeued: bool = False

    @property
    def wait(self) -> Optional[float]:
        return None if self.first_call is None else self.first_call - self.printed

    @property
    def priority(self) -> bool:
        return self.service == PRIORITY

    @property
    def kind(self) -> str:
        """How the ticket was taken: ``kiosk``, ``phone``, ``alone`` (a kiosk cut off from the server), or
        ``appointment`` (checked in at a kiosk)."""
        return "appointment" if self.due is not None else "alone" if self.alone else self.source


def draw_tickets(n: int, rng: random.Random) -> List[Ticket]:
    """The day's tickets in print order: time, service, where it is taken, time at the counter, no-show or not."""
    tickets = []
    # Which are appointments: drawn from a generator of their own, seeded from ``rng`` without using it, so that
    # a seed's day stays the day it was before appointments (the same arrivals, services, kiosks, no-shows).
    side = random.Random(repr(rng.getstate()[1][:8]))
    for minute in arrival_minutes(n, rng):
        service = rng.choices(SERVICES, weights=[s.share for s in SERVICES])[0]
        ticket = Ticket("", service.prefix, minute, service_minutes(service, rng))
        if service.prefix != PRIORITY and minute < PHONE_LAST_MINUTE and rng.random() < PHONE_SHARE:
            ticket.source = "phone"
        else:
            ticket.kiosk = rng.choice(KIOSKS)
            ticket.alone = ticket.kiosk == CUT_OFF[0] and CUT_OFF[1] <= minute < CUT_OFF[2]
            if service.prefix != PRIORITY and side.random() < APPOINTMENT_SHARE \
                    and minute + APPOINTMENT_EARLY[1] < CLOSE_MINUTE - 30:
                ticket.kiosk, ticket.alone = KIOSKS[0], False
                ticket.due = 5 * math.ceil((minute + side.uniform(*APPOINTMENT_EARLY)) / 5)
        if rng.random() < NO_SHOW_SHARE:
            ticket.no_show = True
            if rng.random() < COME_BACK_SHARE:
                ticket.back_after = rng.uniform(*COME_BACK_MINUTES)
        tickets.append(ticket)
    return tickets


def counter_layout(counters: int) -> Dict[int, Tuple[str, ...]]:
    """Counter number → the services it calls (P is eligible everywhere anyway)."""
    if counters < 1:
        raise ValueError(f"at least one counter, got {counters}")
    if counters == 1:
        return {1: ("A", "B", "C", "E")}
    if counters == 2:
        return {1: ("A", "B"), 2: ("A", "B", "C", "E")}
    if counters == 3:
        return {1: ("A", "B"), 2: ("A", "C"), 3: ("B", "C", "E")}
    return {k: FOUR_COUNTERS[(k - 1) % len(FOUR_COUNTERS)] for k in range(1, counters + 1)}


def serving(layout: Dict[int, Tuple[str, ...]], service: str) -> List[int]:
    return [c for c, services in layout.items() if service == PRIORITY or service in services]
