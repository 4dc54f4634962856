"""
``kiosk-office bench load``
===========================

A county's load on one office server, measured: ``kiosk-office serve`` (its defaults: the deployment of
office/README.md) runs as its own process on 127.0.0.1, and this process plays, over real sockets,

* **N kiosks**, each as ``kiosk/`` does it, at its intervals divided by ``--speed``: the uploader posts each
  event it records (``POST /api/v1/events``, keep-alive, the same batch again after a failure with backoff,
  as ``kiosk/uploader.py``), a heartbeat every 5 minutes (``kiosk/heartbeat.py``, through the uploader), the
  queue figures every 20 s (``kiosk/queue_status.py``, its own connection) and the config every 5 minutes with
  its ETag (``kiosk/office_sync.py``).  A kiosk records an event every 30 s on average: a rating (70 %), a
  form view (20 %), a ticket (10 %; numbers unique across the county);
* **a resident's phone per kiosk**: the newest ticket's live queue page ``/q/<day>/<number>`` once, then its
  data ``/api/v1/queue/<day>/<number>`` every 20 s, as ``templates/queue.html`` does;
* **M lobby displays**: the event stream with a display token, reconnecting like ``templates/display.html``;
* **clerks** at 4 counters pressing 叫下一號 every 30 s (a staff session), so the displays have calls to show:
  the time from the press to each display's event is measured.

Then every kiosk sends what it still holds (at most 60 s), the server stops, and the database is read:
events acknowledged but missing (lost), stored twice (doubled: two rows of one kiosk's ``seq``), never
acknowledged (unsent).  Speed 1 is real time; 10 is ten times the kiosks' pace.

The simulated clients are in ``load_actors``; here, the server process, the run, the database read back and
the figures printed.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .harness import client_session
from .load_actors import COUNTERS, ENDPOINTS, TIMEOUT, Figures, Kiosk, Load

__all__ = ["bench_load"]

GOAL_P99 = 1.0              # seconds, uploads and pages
PAGES = ("/q/ page", "queue (phone)")


def _sign_in(url: str, name: str, password: str) -> str:
    session = client_session()
    page = session.get(url + "/login", timeout=30).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = session.post(url + "/login", data={"csrf": token, "name": name, "password": password},
                          allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"the clerk's sign-in answered {answer.status_code}")
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def _percentile(values: List[float], p: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _ms(value: Optional[float]) -> str:
    return "–" if value is None else f"{value * 1000:.0f}"


async def _run(load: Load, kiosks: List[Kiosk], displays: List[str], cookie: str, seconds: float) -> float:
    rng = random.Random(17)
    tasks = []
    for kiosk in kiosks:
        tasks += [asyncio.create_task(kiosk.uploader()), asyncio.create_task(kiosk.life(random.Random(rng.random()))),
                  asyncio.create_task(kiosk.resident(random.Random(rng.random())))]
    tasks += [asyncio.create_task(load.display(n, token)) for n, token in enumerate(displays)]
    tasks += [asyncio.create_task(load.clerk(c, cookie, random.Random(rng.random()))) for c in range(1, COUNTERS + 1)]
    await asyncio.sleep(seconds)
    load.stopping = True
    for task in tasks:
        task.cancel()
    # Python 3.11's wait_for can lose a cancellation that meets its answer: such a task stops at its next turn
    # (load.stopping), and is not waited for beyond a request's timeout.
    await asyncio.wait(tasks, timeout=TIMEOUT + 5)
    for kiosk in kiosks:       # a request cut short leaves its answer unread: new connections for what follows
        kiosk.uploads.close()
    # What the kiosks still hold: sent now, as their uploaders would (at most a minute); not in the figures
    # (a thousand kiosks sending at the same moment is the bench's doing, not a county's).
    load.figures, measured = Figures(), load.figures
    started = time.monotonic()
    while time.monotonic() - started < 60 and any(k.outbox for k in kiosks):
        await asyncio.gather(*(k.upload_pass() for k in kiosks if k.outbox))
    for kiosk in kiosks:
        for http in (kiosk.uploads, kiosk.reads, kiosk.phone):
            http.close()
    load.drain_errors = sum(sum(errors.values()) for errors in load.figures.errors.values())
    load.figures = measured
    return time.monotonic() - started


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Measured:
    """What a run leaves besides the clients' own figures: its times, the server's CPU and log, the database."""
    ran_s: float                # the load itself
    drained_s: float            # then sending what the kiosks still held
    server_cpu: float           # seconds of CPU the server process used
    server_log: str
    stored: Dict[str, int]      # event id -> rows of it in the database
    rows: int                   # event rows of this run's kiosks
    kiosk_seqs: int             # distinct (kiosk, seq) among them


def bench_load(kiosks: int = 1000, displays: int = 100, seconds: float = 60, db_url: Optional[str] = None,
               speed: float = 10.0, serve_args: Optional[List[str]] = None) -> int:
    """Run the load; print the table; 0 when the goal is met, 1 when it is missed."""
    from ..db import Database

    folder = Path(tempfile.mkdtemp(prefix="office-bench-load-"))
    url = db_url or f"sqlite:///{folder / 'office.db'}"
    run = uuid.uuid4().hex[:6]                      # this run's kiosks (a PostgreSQL database may hold others)
    db = Database(url)
    shown = db.display_url
    server = None
    try:
        tokens, screens, start_numbers, password = _set_up(db, run, kiosks, displays)
        port = _free_port()
        log = open(folder / "serve.log", "w")
        server = _start_server(url, port, displays, serve_args, log)
        _wait_until_up(server, f"http://127.0.0.1:{port}", folder / "serve.log")
        cookie = _sign_in(f"http://127.0.0.1:{port}", f"load{run}", password)
        load = Load(port, speed)
        load.numbers.update(start_numbers)
        simulated = [Kiosk(ident, token, port, load) for ident, token in tokens.items()]
        started = time.monotonic()
        drained_s = asyncio.run(_run(load, simulated, screens, cookie, seconds))
        ran_s = time.monotonic() - started - drained_s
        server_cpu = _stop_server(server)
        server = None
        log.close()
        server_log = (folder / "serve.log").read_text()
        measured = Measured(ran_s, drained_s, server_cpu, server_log, *_read_back(db, list(tokens)))
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(60)
        db.close()
        shutil.rmtree(folder, ignore_errors=True)

    backend = "PostgreSQL" if not shown.startswith("sqlite") else "SQLite"
    print(f"kiosk-office bench load: {kiosks} kiosks, {displays} displays, {COUNTERS} clerks, "
          f"{measured.ran_s:.0f} s at {speed:g}x the kiosks' pace, "
          f"{backend} ({shown if db_url else 'a temporary file'}), "
          f"kiosk-office serve {' '.join(serve_args or []) or '(its defaults)'} on 127.0.0.1")
    return _report(load, measured)


def _set_up(db, run: str, kiosks: int, displays: int) -> Tuple[Dict[str, str], List[str], Dict[str, int], str]:
    """This run's kiosks (id -> token), displays' tokens, the ticket numbers to go on from, a clerk's password."""
    from sqlalchemy import select

    from protocol import officetime

    from .. import displays as display_tokens, staff
    from ..schema import TICKETS

    tokens = {f"L{run}-{n:04d}": db.add_kiosk(f"L{run}-{n:04d}") for n in range(kiosks)}
    screens = [display_tokens.add_display(db, f"load-{run}-{n}") for n in range(displays)]
    # Ticket numbers go on from today's stored ones: a number of the day is one ticket's (a database reused).
    today = officetime.office_day().isoformat()
    taken = db.read(lambda c: c.execute(select(TICKETS.c.number).where(TICKETS.c.day == today)).scalars().all())
    start_numbers: Dict[str, int] = {}
    for number in taken:
        if len(number) == 5 and number[1:].isdigit():
            start_numbers[number[0]] = max(start_numbers.get(number[0], 0), int(number[1:]))
    password = uuid.uuid4().hex
    staff.add_user(db, f"load{run}", password)
    return tokens, screens, start_numbers, password


def _start_server(url: str, port: int, displays: int, serve_args: Optional[List[str]], log) -> subprocess.Popen:
    """``kiosk-office serve`` on ``url`` as a process of its own (its own session: stopped as a group)."""
    env = {**os.environ, "KIOSK_OFFICE_DB": url}
    return subprocess.Popen([sys.executable, "-m", "office", "serve", "--port", str(port),
                             "--streams", str(max(100, displays)), *(serve_args or [])], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _wait_until_up(server: subprocess.Popen, base: str, log: Path) -> None:
    """Until ``/healthz`` answers (at most 60 s); RuntimeError with the end of its log if it never does."""
    import requests

    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/healthz", timeout=1)
            break
        except requests.RequestException:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start: " + log.read_text()[-2000:])
            time.sleep(0.2)


def _stop_server(server: subprocess.Popen) -> float:
    """Stop the server; the seconds of CPU it used."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)   # the server is this process's only child
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _read_back(db, ids: List[str]) -> Tuple[Dict[str, int], int, int]:
    """The events of the kiosks ``ids`` in the database: rows per event id, rows, distinct (kiosk, seq)."""
    from sqlalchemy import func, select

    from ..schema import EVENTS

    stored: Dict[str, int] = {}
    rows = kiosk_seqs = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found = db.read(lambda c, chunk=chunk: c.execute(
            select(EVENTS.c.id).where(EVENTS.c.kiosk_id.in_(chunk))).scalars().all())
        for event_id in found:
            stored[event_id] = stored.get(event_id, 0) + 1
        rows += len(found)
        kiosk_seqs += db.read(lambda c, chunk=chunk: c.execute(select(func.count()).select_from(
            select(EVENTS.c.kiosk_id, EVENTS.c.seq).where(EVENTS.c.kiosk_id.in_(chunk)).distinct().subquery())
        ).scalar())
    return stored, rows, kiosk_seqs


def _report(load: Load, measured: Measured) -> int:
    """The table per endpoint, the displays, the events, the server; the goal: 0 met, 1 missed."""
    figures, ran_s, drained_s = load.figures, measured.ran_s, measured.drained_s
    lost = len(load.acknowledged - set(measured.stored))
    doubled = (measured.rows - len(measured.stored)) + (len(measured.stored) - measured.kiosk_seqs)
    unsent = len(load.sent - load.acknowledged)
    accepted = len(load.acknowledged)
    print(f"{'endpoint':18}{'requests':>10}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  errors")
    for name in ENDPOINTS:
        times = figures.times[name]
        errors = ", ".join(f"{k} {v}" for k, v in sorted(figures.errors[name].items())) or "0"
        print(f"{name:18}{len(times):>10}{len(times) / ran_s:>8.1f}{_ms(_percentile(times, 50)):>9}"
              f"{_ms(_percentile(times, 99)):>9}{_ms(max(times) if times else None):>9}  {errors}")
    print(f"displays: {figures.display_events} events delivered; call -> display p50 "
          f"{_ms(_percentile(figures.latency, 50))} ms, p99 {_ms(_percentile(figures.latency, 99))} ms "
          f"over {len(figures.latency)} deliveries")
    print(f"events: {len(load.sent)} recorded, {accepted} stored ({accepted / (ran_s + drained_s):.0f} events/s), "
          f"{load.duplicates} answered as duplicates (a retried batch), {load.rejected} rejected; "
          f"lost {lost}, doubled {doubled}, unsent {unsent}; "
          f"then {drained_s:.1f} s to send what the kiosks still held"
          f"{f' ({load.drain_errors} failed attempts)' if load.drain_errors else ''}")
    served = sum(len(figures.times[name]) for name in ENDPOINTS)
    server_cpu, server_log = measured.server_cpu, measured.server_log
    print(f"server process: {server_cpu:.1f} s of CPU over {ran_s + drained_s:.0f} s "
          f"({server_cpu / (ran_s + drained_s) * 100:.0f} % of one core; one process, one core at most), "
          f"{server_cpu / max(1, served) * 1000:.1f} ms per request; this machine's load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    tracebacks = server_log.count("Traceback")
    if tracebacks:
        kinds = sorted({line for line in server_log.splitlines() if re.match(r"[\w.]+(Error|Exception|Timeout)\b", line)})
        print(f"server log: {tracebacks} tracebacks: " + "; ".join(kind[:160] for kind in kinds[:3]))
    p99 = [_percentile(figures.times[name], 99) or 0 for name in ("upload",) + PAGES]
    errors = sum(sum(figures.errors[name].values()) for name in ENDPOINTS if name != "stream open")
    met = max(p99) < GOAL_P99 and errors == 0 and lost == 0 and doubled == 0 and unsent == 0 \
        and load.rejected == 0 and not tracebacks
    print(f"goal: p99 < {GOAL_P99:g} s for uploads and pages, no error, nothing lost or doubled: "
          f"{'PASS' if met else 'MISS'}")
    return 0 if met else 1
