"""
``kiosk-office bench day``: a simulated office day replayed through the real server
===================================================================================

One process: a real server (waitress + Flask + a temporary SQLite file) on
127.0.0.1, two kiosks taking each number from ``/api/v1/numbers`` and posting
the ``ticket`` event (``kiosk/tickets.py`` ``_take_number``'s data) to
``/api/v1/events``, residents taking numbers on their phones at ``/take``,
clerks pressing the counter buttons through ``/api/v1/calls/...`` with a staff
session, and a lobby display reading the event stream
``/api/v1/calls/stream`` in its own thread.  The day
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

**Where the numbers are taken** (:data:`~office.bench.day_draw.PHONE_SHARE`,
:data:`~office.bench.day_draw.CUT_OFF`): 15 % of the regular tickets taken
before 16:30 on a phone, the rest at either kiosk; kiosk 2 cannot reach the
server from 10:00 to 11:00, numbers alone from its slot (A2001…) and uploads
those tickets at 11:00: until then no counter can call them.  8 % of the
kiosk tickets are appointments (:data:`~office.bench.day_draw.APPOINTMENT_SHARE`):
staff booked them before the day, on 5-minute slots; the resident comes 5-25
minutes early and types the code at kiosk 1 (``POST
/api/v1/appointments/check-in``); the ticket (F001…) waits in its
appointment's service and is called at its time (``office/CALLING.md``).
Every number comes from the server as the day is replayed (or from the slot),
so a number given twice would show (goal: none).

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
* **call-to-push latency** (real time, 提醒我): every resident who took the
  number on a phone turns reminders on from its live page; from the clerk's
  ``POST`` to the "called" message reaching the stand-in push service on
  127.0.0.1 (``day_push``), sent by the same notifier ``kiosk-office serve``
  runs (``office/push.py``) and decrypted with the phone's keys;
* **longest wait of each kind** of ticket: taken at a kiosk, on a phone,
  numbered alone by the cut-off kiosk, checked in for an appointment (and how
  far from its time each appointment was first called);
* **checks**: no number given twice, no ticket called twice (a second call
  only after a requeue), each service's tickets first called in print order
  among those the server knew (the fairness rule's promise among equals).

The figures are reported, never asserted (exit 0 whether a goal is met or
missed); a broken run (an HTTP error, a ticket called twice, a call the display
never got) exits 1.

Where it lives: the day drawn in ``day_draw``, replayed event by event in ``day_replay``, its people as HTTP
clients in ``day_actors``, its figures in ``day_figures``; here, the server it runs against and the command.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ..push import ENDPOINTS_ENV, Notifier
from .day_actors import KIOSK_IDS, STAFF_NAME, STAFF_PASSWORD, Display, HttpOffice, SimClock
from .day_draw import DAY, counter_layout, draw_tickets
from .day_figures import report
from .day_push import PushReceiver
from .day_replay import BenchError, DayResult, simulate

__all__ = ["run_day", "bench_day"]


def run_day(tickets: int = 400, counters: int = 4, seed: int = 1) -> DayResult:
    """Draw the day with ``seed``, replay it through a real server on 127.0.0.1; the result (BenchError if broken)."""
    import waitress

    from ..app import create_app
    from ..db import Database
    from ..remote import NOT_REMOTE, services, set_remote_limits
    from ..staff import add_user
    from .harness import ServerThread

    rng = random.Random(seed)
    day, layout = draw_tickets(tickets, rng), counter_layout(counters)
    result = DayResult(day, layout)
    folder = Path(tempfile.mkdtemp(prefix="office-bench-day-"))
    clock = SimClock()
    db = server = server_thread = display = notifier = None
    receiver, allowed = PushReceiver(), os.environ.get(ENDPOINTS_ENV)
    os.environ[ENDPOINTS_ENV] = receiver.url  # the stand-in push service: an endpoint the office takes
    try:
        db = Database(f"sqlite:///{folder / 'office.db'}")
        tokens = {k: db.add_kiosk(kiosk_id) for k, kiosk_id in KIOSK_IDS.items()}
        add_user(db, STAFF_NAME, STAFF_PASSWORD)
        # Phones may take as many as the day draws (the office's limit would refuse some: a figure of its own).
        set_remote_limits(db, {s.prefix: 0 if s.prefix in NOT_REMOTE else 999 for s in services()})
        _book(db, day)
        # A short keep-alive only so that the stream's server thread finds the display gone soon after the day
        # (waitress notices a closed connection only when a write to it fails).
        # One stream connection for the whole replay, however long it takes (a reconnection may be sent a reset).
        # Every phone comes from 127.0.0.1 here: no rate per address.
        app = create_app(db, clock=clock, CALLS_STREAM_KEEPALIVE_SECONDS=0.2, CALLS_STREAM_MAX_SECONDS=24 * 3600,
                         TAKE_RATE=(10 ** 9, 1))
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=6)
        base = f"http://127.0.0.1:{server.effective_port}"
        server_thread = ServerThread(server)
        notifier = Notifier(db, clock=clock).start()  # as kiosk-office serve runs it
        office = HttpOffice(base, tokens, clock, push=receiver)
        office.sign_in()
        office.start_kiosks()
        display = Display(base, office.staff.cookies)
        display.start()
        if not display.ready.wait(30) or display.error:
            raise BenchError(display.error or "the event stream sent nothing in 30 s")
        started = time.perf_counter()
        result.calls = simulate(day, layout, office, duplicates=result.duplicates)
        result.real_seconds = time.perf_counter() - started
        _measure(result, office, display)
        _measure_push(result, office, receiver)
    finally:
        if notifier is not None:
            notifier.stop()
        receiver.close()
        if allowed is None:
            os.environ.pop(ENDPOINTS_ENV, None)
        else:
            os.environ[ENDPOINTS_ENV] = allowed
        _shut_down(db, server, server_thread, display)
        shutil.rmtree(folder, ignore_errors=True)
    return result


def _book(db, day) -> None:
    """Staff enter the day's appointments, one code each, before the office opens (office/appointments.py)."""
    from ..appointments import add

    for n, ticket in enumerate(t for t in day if t.due is not None):
        ticket.code = f"{100000 + n}"
        add(db, DAY.isoformat(), f"{int(ticket.due) // 60:02d}:{int(ticket.due) % 60:02d}", ticket.service,
            ticket.code, by=STAFF_NAME)


def _measure(result: DayResult, office: HttpOffice, display: Display) -> None:
    """Wait (at most 10 s) for the display to get every call; each call's latency and round trip into ``result``."""
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


def _measure_push(result: DayResult, office: HttpOffice, receiver: PushReceiver) -> None:
    """Wait (at most 10 s) for every phone called to have its "called" message; each one's latency."""
    called = [t.number for t in result.tickets if t.source == "phone" and t.first_call is not None]
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and not all(n in receiver.called for n in called):
        time.sleep(0.05)
    for number in called:
        if number in receiver.called:
            result.push_ms.append((receiver.called[number] - office.first_called[number]) * 1000)
        else:
            result.push_missing.append(number)
    result.push_errors = list(receiver.errors)


def _shut_down(db, server, server_thread, display) -> None:
    """The display, then the server, then the database: each only if it was started."""
    from .. import calls

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
        server_thread.stop()  # the loop, the workers, then the sockets: no pull_trigger traceback
    elif server is not None:
        server.close()  # never ran
    if db is not None:
        db.close()


def bench_day(tickets: int = 400, counters: int = 4, seed: int = 1) -> int:
    """``kiosk-office bench day``: run the day and print its figures; the exit code."""
    try:
        result = run_day(tickets, counters, seed)
    except BenchError as exc:
        print(f"kiosk-office bench day: broken run: {exc}", file=sys.stderr)
        return 1
    return report(result, tickets, counters, seed)
