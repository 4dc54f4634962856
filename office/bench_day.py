"""
``kiosk-office bench day``: a simulated office day replayed through the real server
===================================================================================

One process: a real server (waitress + Flask + a temporary SQLite file) on
127.0.0.1, one kiosk posting ``ticket`` events (``kiosk/tickets.py``
``_take_number``'s data) to ``/api/v1/events``, clerks pressing the counter
buttons through ``/api/v1/calls/...`` with a staff session, and a lobby display
reading the event stream ``/api/v1/calls/stream`` in its own thread.  The day
runs in **simulated time**: before each request the server's clock
(``create_app(clock=...)``) is set to the moment of that event, so a nine-hour
day replays as fast as the server answers (nothing sleeps).

The simulated day (Wednesday 2026-11-25, Asia/Taipei, doors 08:00-17:00)
-------------------------------------------------------------------------

**Arrivals** (:func:`arrival_minutes`): ``--tickets`` print times drawn
independently from the piecewise-constant rate :data:`ARRIVAL_CURVE` and
sorted, which is exactly a non-homogeneous Poisson day conditioned on its
number of tickets.  Relative rates::

    08:00-08:30  0.6   doors open
    08:30-09:00  1.0
    09:00-11:00  1.8   morning peak
    11:00-12:00  1.2
    12:00-13:30  0.45  lunch dip
    13:30-14:00  0.9
    14:00-16:00  1.5   afternoon peak
    16:00-16:30  0.9
    16:30-17:00  0.5   before closing

so about 35 % of the day's tickets come 09-11, 29 % 14-16 and 6 % over lunch.

**Services** (:data:`SERVICES`, :func:`draw_tickets`): A 戶籍登記 40 %, B 身分證
25 %, C 謄本 20 %, E 自然人憑證 7 %, P priority (優先: elderly, pregnant,
disabled) 8 %.  Service time at the counter, lognormal (σ = 0.5 of the log,
so the mean is 1.13 × the median), clipped to 1-40 min; medians A 5, B 4,
C 3, E 6, P 5 min (mean over the mix ≈ 5 min).  With 400 tickets and 4
counters that is a busy day: the peaks bring more than the counters serve,
the queue grows in the morning and drains over lunch.

**Counters** (:func:`counter_layout`): with 4, counters 1-2 serve A+B, 3
C+E+B, 4 A+C; more counters repeat that pattern, fewer merge it (every service
stays served).  P is eligible at every counter (the server's rule).  Each
counter presses 叫下一號 at 08:00 (telling the server what it serves), and again
whenever it finishes a resident (that call finishes the current ticket as done);
when the server answers ``204`` (nobody eligible waits) the counter idles until
an arrival or a requeue it can serve wakes it (the one idle longest first).  The
counters go on after 17:00 until everybody who took a ticket has been called.

**No-shows**: 3 % of residents are not there when called.  The clerk presses
過號 once a simulated minute until the server answers ``no_show`` (after its
``max_recalls`` recalls), then calls the next number.  40 % of them come back
10-60 minutes later (before 17:00) and are requeued; their next call finds
them there.

Measured
--------

* **wait**: printed -> first call, simulated minutes;
* **estimate error**: right after printing, the resident reads
  ``GET /api/v1/queue/{day}/{number}``; the midpoint of ``estimate_minutes``
  against the actual wait (tickets first called within 60 minutes), beside the
  rule of thumb "people ahead × 5 min / counters serving the service" over the
  same tickets;
* **call-to-display latency** (real time): ``perf_counter()`` just before a
  counter's ``POST /api/v1/calls/next`` to the moment the display thread has
  read that call's event (matched by event id) from the stream, beside the
  round trip of the POST itself;
* **checks**: no ticket called twice (a second call only after a requeue),
  each service's tickets first called in print order (the fairness rule's
  promise among equals).

The figures are reported, never asserted (exit 0 whether a goal is met or
missed); a broken run (an HTTP error, a ticket called twice, a call the display
never got) exits 1.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from protocol import officetime

__all__ = ["ARRIVAL_CURVE", "SERVICES", "DAY", "BenchError", "Ticket", "DayResult", "arrival_minutes",
           "draw_tickets", "counter_layout", "simulate", "run_day", "report", "bench_day"]

DAY = date(2026, 11, 25)  # a Wednesday
OPEN_MINUTE, CLOSE_MINUTE = 8 * 60, 17 * 60
#: The counters stop here even if someone still waits (they are counted "never called").
LAST_MINUTE = 23 * 60

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
SKIP_PRESS_MINUTES = 1.0       # between two presses of 過號
ESTIMATE_WINDOW_MINUTES = 60   # the estimate is judged on waits up to this
BASELINE_MINUTES_PER_PERSON = 5
PRIORITY = "P"
#: The counters' services with four counters; more repeat it, fewer merge it (counter_layout).
FOUR_COUNTERS = (("A", "B"), ("A", "B"), ("B", "C", "E"), ("A", "C"))
KIOSK = "BENCH-KIOSK-01"
STAFF_NAME, STAFF_PASSWORD = "bench", "bench-day-password"


class BenchError(Exception):
    """The run is broken (an HTTP error, a ticket called twice ...): its figures mean nothing."""


# -- the day, drawn ---------------------------------------------------------------------------------

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
    number: str                 # as printed: A012
    service: str
    printed: float              # minutes after midnight
    service_minutes: float
    no_show: bool = False       # not there when first called
    back_after: Optional[float] = None  # a no-show who comes back this many minutes after being skipped
    # what happened
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


def draw_tickets(n: int, rng: random.Random) -> List[Ticket]:
    """The day's tickets in print order: time, service, number, time at the counter, no-show or not."""
    issued: Dict[str, int] = {}
    tickets = []
    for minute in arrival_minutes(n, rng):
        service = rng.choices(SERVICES, weights=[s.share for s in SERVICES])[0]
        issued[service.prefix] = issued.get(service.prefix, 0) + 1
        ticket = Ticket(f"{service.prefix}{(issued[service.prefix] - 1) % 999 + 1:03d}", service.prefix, minute,
                        service_minutes(service, rng))
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


# -- the simulation ---------------------------------------------------------------------------------

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
    events: list = []
    order = itertools.count()
    calls = itertools.count(1)
    idle: Dict[int, float] = {}          # counter → idle since
    current: Dict[int, Ticket] = {}      # counter → the ticket called there

    def push(minute: float, kind: str, arg) -> None:
        heapq.heappush(events, (minute, next(order), kind, arg))

    def press_next(counter: int, minute: float) -> Optional[Ticket]:
        call = office.call_next(minute, counter, layout[counter])
        previous = current.pop(counter, None)
        if previous is not None and previous.outcome == "called":
            previous.outcome = "served"
        if call is None:
            idle.setdefault(counter, minute)
            return None
        idle.pop(counter, None)
        ticket = by_number.get(call["number"])
        if ticket is None:
            raise BenchError(f"counter {counter} was given {call['number']}, a ticket nobody printed")
        if ticket.outcome != "waiting":
            raise BenchError(f"{ticket.number} called twice: counter {counter} got it at {_clock(minute)} "
                             f"while it was {ticket.outcome}")
        ticket.calls += 1
        ticket.call_id, ticket.outcome = call["id"], "called"
        if ticket.first_call is None:
            ticket.first_call, ticket.first_call_order = minute, next(calls)
        current[counter] = ticket
        if ticket.no_show and not ticket.requeued:
            push(minute + SKIP_PRESS_MINUTES, "skip", counter)
        else:
            push(minute + ticket.service_minutes, "next", counter)
        return ticket

    def wake(service: str, minute: float) -> None:
        for counter in sorted(idle, key=lambda c: (idle[c], c)):
            if counter in serving(layout, service) and press_next(counter, minute) is not None:
                return

    for counter in layout:  # the clerks sign on: nobody waits yet
        press_next(counter, OPEN_MINUTE)
    for ticket in tickets:
        push(ticket.printed, "arrive", ticket)
    while events:
        minute, _, kind, arg = heapq.heappop(events)
        if minute > last_minute:
            break
        if kind == "arrive":
            office.print_ticket(minute, arg)
            answer = office.lookup(minute, arg)
            arg.ahead = answer["ahead"]
            estimate = answer["estimate_minutes"]
            arg.estimate = (estimate["low"], estimate["high"]) if isinstance(estimate, dict) else None
            wake(arg.service, minute)
        elif kind == "next":
            press_next(arg, minute)
        elif kind == "skip":
            ticket = current[arg]
            answer = office.no_show(minute, ticket.call_id)
            if answer["state"] == "called":          # recalled: press again in a minute
                push(minute + SKIP_PRESS_MINUTES, "skip", arg)
            elif answer["state"] == "no_show":
                ticket.outcome = "no_show"
                del current[arg]
                if ticket.back_after is not None and minute + ticket.back_after < CLOSE_MINUTE:
                    push(minute + ticket.back_after, "back", ticket)
                press_next(arg, minute)
            else:
                raise BenchError(f"過號 on {ticket.number} answered state {answer['state']!r}")
        elif kind == "back":
            answer = office.requeue(minute, arg.call_id)
            if answer["state"] != "waiting":
                raise BenchError(f"requeue of {arg.number} answered state {answer['state']!r}")
            arg.outcome, arg.requeued = "waiting", True
            wake(arg.service, minute)
    return sum(t.calls for t in tickets)


def _clock(minute: float) -> str:
    whole = int(minute)
    return f"{whole // 60:02d}:{whole % 60:02d}"


# -- the real server over HTTP ----------------------------------------------------------------------

class SimClock:
    """What the server thinks "now" is: set to each event's simulated moment before its request."""

    def __init__(self, day: date = DAY):
        self.midnight = datetime(day.year, day.month, day.day, tzinfo=officetime.TAIPEI)
        self.now = self.midnight + timedelta(minutes=OPEN_MINUTE)

    def set(self, minute: float) -> datetime:
        self.now = self.midnight + timedelta(milliseconds=round(minute * 60_000))
        return self.now

    def __call__(self) -> datetime:
        return self.now


class HttpOffice:
    """The kiosk and the clerks, as HTTP clients of the server at ``base``; times each call request."""

    def __init__(self, base: str, token: str, clock: SimClock, day: date = DAY):
        import requests
        self.base, self.clock, self.day = base, clock, day.isoformat()
        self.kiosk = requests.Session()
        self.kiosk.headers["Authorization"] = f"Bearer {token}"
        self.public = requests.Session()
        self.staff = requests.Session()
        self.seq = 0
        self.timings: Dict[int, Tuple[float, float]] = {}  # call event id → (before POST, answer read)

    def sign_in(self) -> None:
        page = self._ok(self.staff.get(f"{self.base}/login", timeout=30), "GET /login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        if token is None:
            raise BenchError("GET /login: no CSRF token in the form")
        answer = self.staff.post(f"{self.base}/login", data={"csrf": token.group(1), "name": STAFF_NAME,
                                                             "password": STAFF_PASSWORD},
                                 allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise BenchError(f"POST /login answered {answer.status_code}, not 302")

    @staticmethod
    def _ok(response, what: str, statuses=(200,)):
        if response.status_code not in statuses:
            raise BenchError(f"{what} answered HTTP {response.status_code}: {response.text[:200]}")
        return response

    def print_ticket(self, minute: float, ticket: Ticket) -> None:
        moment = self.clock.set(minute)
        self.seq += 1
        event_id = str(uuid.uuid4())
        issued = int(ticket.number[1:])
        event = {"id": event_id, "type": "ticket", "seq": self.seq, "at": officetime.rfc3339(moment),
                 "clock_synced": True,
                 "data": {"number": ticket.number, "issued": issued, "service": ticket.service,
                          "service_name": next(s.name for s in SERVICES if s.prefix == ticket.service),
                          "people_ahead": issued - 1, "lang": "zh-TW", "kiosk_id": KIOSK}}
        answer = self._ok(self.kiosk.post(f"{self.base}/api/v1/events", json={"kiosk_id": KIOSK, "events": [event]},
                                          timeout=30), f"POST /api/v1/events ({ticket.number})")
        if answer.json().get("accepted") != [event_id]:
            raise BenchError(f"the server did not accept ticket {ticket.number}: {answer.text[:200]}")

    def lookup(self, minute: float, ticket: Ticket) -> dict:
        self.clock.set(minute)
        path = f"/api/v1/queue/{self.day}/{ticket.number}"
        return self._ok(self.public.get(self.base + path, timeout=30), f"GET {path}").json()

    def call_next(self, minute: float, counter: int, services: Sequence[str]) -> Optional[dict]:
        self.clock.set(minute)
        before = time.perf_counter()
        answer = self.staff.post(f"{self.base}/api/v1/calls/next", json={"counter": counter,
                                                                         "services": list(services)}, timeout=30)
        after = time.perf_counter()
        self._ok(answer, f"POST /api/v1/calls/next (counter {counter})", (200, 204))
        if answer.status_code == 204:
            return None
        call = answer.json()
        self.timings[call["event_id"]] = (before, after)
        return call

    def _act(self, minute: float, call_id: int, action: str) -> dict:
        self.clock.set(minute)
        path = f"/api/v1/calls/{call_id}/{action}"
        return self._ok(self.staff.post(self.base + path, json={}, timeout=30), f"POST {path}").json()

    def no_show(self, minute: float, call_id: int) -> dict:
        return self._act(minute, call_id, "no-show")

    def requeue(self, minute: float, call_id: int) -> dict:
        return self._act(minute, call_id, "requeue")


class Display(threading.Thread):
    """The lobby display: reads the event stream from event 0 on and notes when each event arrived."""

    def __init__(self, base: str, cookies):
        super().__init__(name="bench-display", daemon=True)
        import requests
        self.url = f"{base}/api/v1/calls/stream"
        self.session = requests.Session()
        self.session.cookies.update(cookies)
        self.ready, self.stopping = threading.Event(), threading.Event()
        self.arrived: Dict[int, float] = {}         # event id → perf_counter() when read
        self.events: List[dict] = []
        self.error: Optional[str] = None
        self.response = None
        self.last = 0

    def run(self) -> None:
        import json
        while not self.stopping.is_set():
            try:
                with self.session.get(self.url, params={"since": self.last}, stream=True, timeout=(10, 60)) as r:
                    self.response = r
                    if r.status_code != 200:
                        self.error = f"GET /api/v1/calls/stream answered HTTP {r.status_code}"
                        self.ready.set()
                        return
                    event_id, kind, data = None, "message", None
                    for raw in r.iter_lines(chunk_size=None):
                        line = raw.decode("utf-8")
                        if line.startswith("retry:"):
                            self.ready.set()
                        elif line.startswith("id:"):
                            event_id = int(line[3:].strip())
                        elif line.startswith("event:"):
                            kind = line[6:].strip()
                        elif line.startswith("data:"):
                            data = line[5:].strip()
                        elif line == "":
                            if event_id is not None and data is not None:
                                self.arrived[event_id] = time.perf_counter()
                                self.events.append(dict(json.loads(data), sse_event=kind))
                                self.last = event_id
                            event_id, kind, data = None, "message", None
            except Exception as exc:  # the connection closed under us when stopping; else a real error
                if not self.stopping.is_set():
                    self.error = f"the event stream failed: {exc}"
                    self.ready.set()
                    return

    def stop(self) -> None:
        self.stopping.set()
        if self.response is not None:
            try:
                self.response.close()
            except Exception:
                pass


def run_day(tickets: int = 400, counters: int = 4, seed: int = 1) -> DayResult:
    """Draw the day with ``seed``, replay it through a real server on 127.0.0.1; the result (BenchError if broken)."""
    import waitress

    from . import calls
    from .app import create_app
    from .bench import stop_server
    from .db import Database
    from .staff import add_user

    rng = random.Random(seed)
    day, layout = draw_tickets(tickets, rng), counter_layout(counters)
    result = DayResult(day, layout)
    folder = Path(tempfile.mkdtemp(prefix="office-bench-day-"))
    clock = SimClock()
    db = server = server_thread = display = None
    try:
        db = Database(f"sqlite:///{folder / 'office.db'}")
        token = db.add_kiosk(KIOSK)
        add_user(db, STAFF_NAME, STAFF_PASSWORD)
        # A short keep-alive only so that the stream's server thread finds the display gone soon after the day
        # (waitress notices a closed connection only when a write to it fails).
        # One stream connection for the whole replay, however long it takes (a reconnection may be sent a reset).
        app = create_app(db, clock=clock, CALLS_STREAM_KEEPALIVE_SECONDS=0.2, CALLS_STREAM_MAX_SECONDS=24 * 3600)
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=6)
        base = f"http://127.0.0.1:{server.effective_port}"
        server_thread = threading.Thread(target=server.run, name="bench-server", daemon=True)
        server_thread.start()
        office = HttpOffice(base, token, clock)
        office.sign_in()
        display = Display(base, office.staff.cookies)
        display.start()
        if not display.ready.wait(30) or display.error:
            raise BenchError(display.error or "the event stream sent nothing in 30 s")
        started = time.perf_counter()
        result.calls = simulate(day, layout, office)
        result.real_seconds = time.perf_counter() - started
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and not display.error \
                and not all(e in display.arrived for e in office.timings):
            time.sleep(0.01)
        if display.error:
            raise BenchError(display.error)
        for event_id, (before, after) in office.timings.items():
            result.round_trips_ms.append((after - before) * 1000)
            if event_id in display.arrived:
                result.latencies_ms.append((display.arrived[event_id] - before) * 1000)
            else:
                result.undelivered += 1
        for event in display.events:
            if event["sse_event"] == "call":
                result.stream_calls[event["number"]] = result.stream_calls.get(event["number"], 0) + 1
    finally:
        if display is not None:
            display.stop()
            display.join(5)
            # Wake the stream's server thread until its keep-alive writes fail and it ends: only then may the
            # database close and its folder go (else that thread reads a database that is gone).
            deadline = time.monotonic() + 15
            while server.task_dispatcher.active_count and time.monotonic() < deadline:
                calls.changed(db)
                time.sleep(0.05)
        if server_thread is not None:
            stop_server(server, server_thread)  # workers first, then the sockets: no pull_trigger traceback
        elif server is not None:
            server.close()  # never ran
        if db is not None:
            db.close()
        shutil.rmtree(folder, ignore_errors=True)
    return result


# -- the figures ------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p`` percentile (0-100) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def called_in_print_order(tickets: Sequence[Ticket]) -> List[str]:
    """Tickets first called after a ticket of their service printed later (the rule says: none)."""
    wrong = []
    for service in {t.service for t in tickets}:
        mine = sorted((t for t in tickets if t.service == service and t.first_call_order is not None),
                      key=lambda t: t.printed)
        latest = None
        for ticket in mine:
            if latest is not None and ticket.first_call_order < latest.first_call_order:
                wrong.append(f"{ticket.number} after {latest.number}")
            if latest is None or ticket.first_call_order > latest.first_call_order:
                latest = ticket
    return sorted(wrong)


def called_twice(result: DayResult) -> List[str]:
    """Numbers with more call events on the display stream than one plus their requeues."""
    allowed = {t.number: 1 + int(t.requeued) for t in result.tickets}
    return sorted(n for n, count in result.stream_calls.items() if count > allowed.get(n, 0))


def report(result: DayResult, tickets: int, counters: int, seed: int, out: Callable[[str], None] = print) -> int:
    """Print the figures; 0, or 1 when a check shows the run is broken."""
    day = result.tickets
    out(f"kiosk-office bench day: {tickets} tickets, {counters} counters, seed {seed} "
        f"(simulated {DAY:%a %Y-%m-%d} 08:00-17:00, real server on 127.0.0.1)")
    served = sum(1 for t in day if t.outcome == "served" and not t.requeued)
    no_shows = [t for t in day if t.no_show and t.first_call is not None]
    came_back = sum(1 for t in no_shows if t.outcome == "served")
    never = sum(1 for t in day if t.first_call is None)
    out(f"  served {served}, no-shows {len(no_shows)} ({came_back} came back, requeued and served), "
        f"never called {never}")
    waited = [t for t in day if t.wait is not None]
    if waited:
        waits = [t.wait for t in waited]
        regular = [t for t in waited if not t.priority]
        priority = [t for t in waited if t.priority]
        line = f"  wait (printed -> first call): mean {statistics.fmean(waits):.1f} min, p90 {percentile(waits, 90):.0f} min"
        if regular:
            worst = max(regular, key=lambda t: t.wait)
            line += f"; longest regular {worst.wait:.0f} min ({worst.number})"
        if priority:
            worst = max(priority, key=lambda t: t.wait)
            line += f", longest priority {worst.wait:.0f} min ({worst.number})"
        out(line)
        if regular and priority:
            out(f"    mean wait: regular {statistics.fmean(t.wait for t in regular):.1f} min, "
                f"priority {statistics.fmean(t.wait for t in priority):.1f} min")

    judged = [t for t in waited if t.wait <= ESTIMATE_WINDOW_MINUTES]
    estimated = [t for t in judged if t.estimate is not None]
    unknown = len(judged) - len(estimated)
    longer = len(waited) - len(judged)
    head = (f"  estimate error (waits up to {ESTIMATE_WINDOW_MINUTES} min, {len(estimated)} tickets with an estimate, "
            f"{unknown} 'unknown'; {longer} waited longer)")
    if estimated:
        errors = [abs((t.estimate[0] + t.estimate[1]) / 2 - t.wait) for t in estimated]
        mae = statistics.fmean(errors)
        out(f"{head}: MAE {mae:.1f} min (goal < 5): {'PASS' if mae < 5 else 'MISS'}")
        inside = sum(1 for t in estimated if t.estimate[0] <= t.wait <= t.estimate[1])
        bias = statistics.fmean((t.estimate[0] + t.estimate[1]) / 2 - t.wait for t in estimated)
        out(f"    actual wait inside the printed range: {100 * inside / len(estimated):.0f} %; "
            f"the midpoint is {abs(bias):.1f} min too {'low' if bias < 0 else 'high'} on average")
        baseline = statistics.fmean(
            abs(t.ahead * BASELINE_MINUTES_PER_PERSON / len(serving(result.layout, t.service)) - t.wait)
            for t in estimated)
        ratio = f"{mae / baseline:.2f}x its error" if baseline > 0 else "(baseline exact)"
        out(f"    baseline 'people ahead x {BASELINE_MINUTES_PER_PERSON} min / counters': MAE {baseline:.1f} min "
            f"-> server estimate {ratio}")
    else:
        out(f"{head}: MAE n/a (no ticket had an estimate)")

    latencies, trips = result.latencies_ms, result.round_trips_ms
    if latencies:
        p99 = percentile(latencies, 99)
        out(f"  call-to-display latency over {len(latencies)} calls: p50 {percentile(latencies, 50):.0f} ms, "
            f"p99 {p99:.0f} ms, max {max(latencies):.0f} ms (goal p99 <= 1 s): {'PASS' if p99 <= 1000 else 'MISS'}")
        out(f"    the call request's own round trip: p50 {percentile(trips, 50):.0f} ms, p99 {percentile(trips, 99):.0f} ms "
            f"-> display p50 {percentile(latencies, 50) / max(percentile(trips, 50), 1e-9):.1f}x the request")
    twice = called_twice(result)
    out(f"  no ticket called twice: {'yes' if not twice else 'NO: ' + ', '.join(twice[:5])} "
        f"({sum(result.stream_calls.values())} calls on the display stream, "
        f"{sum(1 for t in day if t.calls > 1)} of them after a requeue)")
    disorder = called_in_print_order(day)
    out(f"  each service's tickets first called in print order: "
        f"{'yes' if not disorder else 'NO: ' + ', '.join(disorder[:5])}")
    out(f"  replay took {result.real_seconds:.1f} s real time ({result.calls} calls)")
    problems = []
    if twice:
        problems.append(f"tickets called twice: {', '.join(twice[:5])}")
    if result.undelivered:
        problems.append(f"{result.undelivered} call(s) never reached the display within 10 s")
    if sum(result.stream_calls.values()) != result.calls:
        problems.append(f"the display saw {sum(result.stream_calls.values())} calls, the counters made {result.calls}")
    if served + len(no_shows) + never != len(day):
        problems.append(f"served {served} + no-shows {len(no_shows)} + never called {never} != {len(day)} tickets")
    for problem in problems:
        print(f"kiosk-office bench day: broken run: {problem}", file=sys.stderr)
    return 1 if problems else 0


def bench_day(tickets: int = 400, counters: int = 4, seed: int = 1) -> int:
    """``kiosk-office bench day``: run the day and print its figures; the exit code."""
    try:
        result = run_day(tickets, counters, seed)
    except BenchError as exc:
        print(f"kiosk-office bench day: broken run: {exc}", file=sys.stderr)
        return 1
    return report(result, tickets, counters, seed)
