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
"""

from __future__ import annotations

import asyncio
import json
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
from pathlib import Path
from typing import Dict, List, Optional, Tuple

__all__ = ["bench_load"]

#: The kiosk's intervals (seconds, real time): queue figures, heartbeat, config; an event every EVENT_EVERY.
QUEUE_EVERY, HEARTBEAT_EVERY, CONFIG_EVERY, EVENT_EVERY, PHONE_EVERY, CALL_EVERY = 20, 300, 300, 30, 20, 30
COUNTERS = 4
TIMEOUT = 30.0              # the uploader's read timeout (kiosk/uploader.py)
GOAL_P99 = 1.0              # seconds, uploads and pages
ENDPOINTS = ("upload", "heartbeat", "queue (kiosk)", "config (kiosk)", "/q/ page", "queue (phone)",
             "call next", "stream open")
PAGES = ("/q/ page", "queue (phone)")


class Http:
    """One keep-alive HTTP/1.1 connection, as a requests.Session keeps one: reopened when the server closed it."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: Dict[str, str], body: bytes = b""
                      ) -> Tuple[int, Dict[str, str], bytes]:
        for attempt in (0, 1):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**20)
            head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", *
                    (f"{k}: {v}" for k, v in headers.items())]
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError("closed")
            except (ConnectionError, OSError):
                self.close()
                if reused and attempt == 0:  # the server closed an idle connection: urllib3 reconnects too
                    continue
                raise
            answer: Dict[str, str] = {}
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                answer[name.strip().lower()] = value.strip()
            data = await self.reader.readexactly(int(answer.get("content-length", "0")))
            if answer.get("connection", "").lower() == "close":
                self.close()
            return int(status_line.split()[1]), answer, data
        raise ConnectionResetError("closed")


class Figures:
    def __init__(self):
        self.times: Dict[str, List[float]] = {name: [] for name in ENDPOINTS}
        self.errors: Dict[str, Dict[str, int]] = {name: {} for name in ENDPOINTS}
        self.latency: List[float] = []   # call pressed -> a display has it
        self.display_events = 0

    def error(self, endpoint: str, what: str):
        self.errors[endpoint][what] = self.errors[endpoint].get(what, 0) + 1


async def timed(figures: Figures, endpoint: str, http: Http, method: str, path: str, headers: Dict[str, str],
                body: bytes = b"", ok=(200,)):
    started = time.perf_counter()
    try:
        status, answer, data = await asyncio.wait_for(http.request(method, path, headers, body), TIMEOUT)
    except asyncio.TimeoutError:
        http.close()
        figures.error(endpoint, "timeout")
        return None
    except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
        http.close()
        figures.error(endpoint, type(exc).__name__)
        return None
    figures.times[endpoint].append(time.perf_counter() - started)
    if status not in ok:
        figures.error(endpoint, f"HTTP {status}")
        return None
    return status, answer, data


class Kiosk:
    def __init__(self, ident: str, token: str, port: int, load: "Load"):
        self.id, self.token, self.load = ident, token, load
        self.auth = {"Authorization": f"Bearer {token}"}
        self.uploads, self.reads, self.phone = Http(port), Http(port), Http(port)
        self.outbox: List[dict] = []     # recorded, not yet acknowledged (oldest first)
        self.seq = 0
        self.ticket: Optional[Tuple[str, str]] = None   # (day, number) of its newest ticket
        self.new_ticket = False
        self.wake = asyncio.Event()
        self.etag = ""

    def record(self, kind: str, data: dict):
        from protocol import officetime
        self.seq += 1
        self.outbox.append({"id": str(uuid.uuid4()), "type": kind, "seq": self.seq,
                            "at": officetime.rfc3339(officetime.now()), "clock_synced": True, "data": data})
        self.load.sent.add(self.outbox[-1]["id"])
        self.wake.set()

    def record_something(self, rng: random.Random):
        roll = rng.random()
        if roll < 0.1:
            from protocol import officetime
            number = self.load.next_number(rng)
            self.record("ticket", {"number": number, "service": number[0], "people_ahead": 0, "lang": "zh-TW"})
            self.ticket, self.new_ticket = (officetime.office_day().isoformat(), number), True
        elif roll < 0.3:
            self.record("form_view", {"code": "move-in", "lang": "zh-TW"})
        else:
            score = rng.choice((1, 2, 3, 3, 3))
            self.record("rating", {"score": score, "scale": 3, "choice": {1: "frown", 2: "neutral", 3: "smile"}[score],
                                   "source": "button", "misuse": False})

    async def upload_pass(self) -> bool:
        """Send the outbox as the uploader does (a batch of at most 500); False after a failure."""
        while self.outbox:
            batch = self.outbox[:500]
            endpoint = "heartbeat" if all(e["type"] == "heartbeat" for e in batch) else "upload"
            body = json.dumps({"kiosk_id": self.id, "events": batch}).encode()
            done = await timed(self.load.figures, endpoint, self.uploads, "POST", "/api/v1/events",
                               {**self.auth, "Content-Type": "application/json"}, body)
            if done is None:
                return False
            answer = json.loads(done[2])
            for key in ("accepted", "duplicates"):
                self.load.acknowledged.update(answer[key])
            self.load.duplicates += len(answer["duplicates"])
            self.load.rejected += len(answer["rejected"])
            settled = set(answer["accepted"]) | set(answer["duplicates"]) | {r.get("id") for r in answer["rejected"]}
            self.outbox = [e for e in self.outbox if e["id"] not in settled]
        return True

    async def uploader(self):
        backoff = 1.0
        while not self.load.stopping:
            await self.wake.wait()
            self.wake.clear()
            if self.load.stopping:
                return
            if await self.upload_pass():
                backoff = 1.0
            else:
                await asyncio.sleep(backoff * random.uniform(0.5, 1.0) / self.load.speed)
                backoff = min(backoff * 2, 300)
                self.wake.set()

    async def life(self, rng: random.Random):
        """Events, heartbeats, queue figures and config at the kiosk's intervals (divided by the speed)."""
        speed = self.load.speed
        clock = {"event": rng.expovariate(1 / EVENT_EVERY), "queue": rng.uniform(0, QUEUE_EVERY),
                 "heartbeat": rng.uniform(0, HEARTBEAT_EVERY), "config": rng.uniform(0, CONFIG_EVERY)}
        start = time.monotonic()
        while not self.load.stopping:
            what = min(clock, key=clock.get)
            await asyncio.sleep(max(0.0, start + clock[what] / speed - time.monotonic()))
            if what == "event":
                self.record_something(rng)
                clock["event"] += rng.expovariate(1 / EVENT_EVERY)
            elif what == "heartbeat":
                for old in [e for e in self.outbox if e["type"] == "heartbeat"]:   # only the newest waits
                    self.outbox.remove(old)
                    self.load.sent.discard(old["id"])
                self.record("heartbeat", {"kiosk_id": self.id, "version": "bench", "mode": "simulated",
                                          "backlog": len(self.outbox), "parked": 0, "clock_synced": True})
                clock["heartbeat"] += HEARTBEAT_EVERY
            elif what == "queue":
                await timed(self.load.figures, "queue (kiosk)", self.reads, "GET",
                            f"/api/v1/kiosks/{self.id}/queue", self.auth)
                clock["queue"] += QUEUE_EVERY
            else:
                headers = {**self.auth, **({"If-None-Match": self.etag} if self.etag else {})}
                done = await timed(self.load.figures, "config (kiosk)", self.reads, "GET",
                                   f"/api/v1/kiosks/{self.id}/config", headers, ok=(200, 304))
                if done is not None and done[1].get("etag"):
                    self.etag = done[1]["etag"]
                clock["config"] += CONFIG_EVERY

    async def resident(self, rng: random.Random):
        """The phone of the resident holding this kiosk's newest ticket: its live page, then its data every 20 s."""
        await asyncio.sleep(rng.uniform(0, PHONE_EVERY) / self.load.speed)
        while not self.load.stopping:
            if self.ticket is not None:
                day, number = self.ticket
                if self.new_ticket:
                    self.new_ticket = False
                    await timed(self.load.figures, "/q/ page", self.phone, "GET", f"/q/{day}/{number}", {},
                                ok=(200, 404))   # 404 until the kiosk's upload has it: the page says so
                else:
                    await timed(self.load.figures, "queue (phone)", self.phone, "GET",
                                f"/api/v1/queue/{day}/{number}", {}, ok=(200, 404))
            await asyncio.sleep(PHONE_EVERY / self.load.speed)


class Load:
    def __init__(self, port: int, speed: float):
        self.port, self.speed = port, speed
        self.figures = Figures()
        self.sent: set = set()
        self.acknowledged: set = set()
        self.duplicates = self.rejected = self.drain_errors = 0
        self.stopping = False
        self.numbers: Dict[str, int] = {}
        self.pressed: Dict[int, float] = {}    # call event id -> when its press was sent
        self.pressing: Dict[int, float] = {}   # counter -> when its last press was sent
        self.seen: Dict[Tuple[int, int], float] = {}

    def next_number(self, rng: random.Random) -> str:
        for _ in range(100):
            service = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
            if self.numbers.get(service, 0) < 9999:
                break
        self.numbers[service] = self.numbers.get(service, 0) + 1
        return f"{service}{self.numbers[service]:04d}"

    async def clerk(self, counter: int, cookie: str, rng: random.Random):
        http = Http(self.port)
        await asyncio.sleep(rng.uniform(0, CALL_EVERY) / self.speed)
        services = sorted(set("ABCDEFGHJKLMNPQRSTUVWXYZ"))
        while not self.stopping:
            pressed = time.perf_counter()
            self.pressing[counter] = pressed
            done = await timed(self.figures, "call next", http, "POST", "/api/v1/calls/next",
                               {"Cookie": cookie, "Content-Type": "application/json"},
                               json.dumps({"counter": counter, "services": services}).encode(), ok=(200, 204))
            if done is not None and done[0] == 200:
                self.pressed[json.loads(done[2])["event_id"]] = pressed
            await asyncio.sleep(CALL_EVERY / self.speed)

    async def display(self, n: int, token: str):
        """A lobby display's event stream (HTTP/1.0: the body as it comes), reconnecting as display.html does."""
        since = ""
        while not self.stopping:
            started = time.perf_counter()
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), TIMEOUT)
            except (OSError, asyncio.TimeoutError) as exc:
                self.figures.error("stream open", type(exc).__name__)
                await asyncio.sleep(1)
                continue
            try:
                writer.write(f"GET /api/v1/calls/stream?token={token}{since} HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                             "Accept: text/event-stream\r\n\r\n".encode())
                status = (await asyncio.wait_for(reader.readline(), TIMEOUT)).split()
                self.figures.times["stream open"].append(time.perf_counter() - started)
                if len(status) < 2 or status[1] != b"200":
                    self.figures.error("stream open", f"HTTP {status[1].decode() if len(status) > 1 else '?'}")
                    await asyncio.sleep(random.uniform(0.5, 3))
                    continue
                kind = b""
                async for line in reader:
                    if line.startswith(b"id: "):
                        since = f"&since={int(line[4:])}"
                    elif line.startswith(b"event: "):
                        kind = line[7:].strip()
                        self.figures.display_events += 1
                    elif line.startswith(b"data: ") and kind == b"call":
                        event = json.loads(line[6:])
                        pressed = self.pressed.get(event.get("id"), self.pressing.get(event.get("counter")))
                        if pressed is not None and not event.get("catch_up_until"):
                            self.figures.latency.append(time.perf_counter() - pressed)
            except (OSError, asyncio.TimeoutError, ValueError) as exc:
                self.figures.error("stream open", type(exc).__name__)
            finally:
                writer.close()
            await asyncio.sleep(random.uniform(0.5, 3))


def _sign_in(url: str, name: str, password: str) -> str:
    import requests
    session = requests.Session()
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


def bench_load(kiosks: int = 1000, displays: int = 100, seconds: float = 60, db_url: Optional[str] = None,
               speed: float = 10.0, serve_args: Optional[List[str]] = None) -> int:
    """Run the load; print the table; 0 when the goal is met, 1 when it is missed."""
    import requests
    from sqlalchemy import func, select

    from . import displays as display_tokens, staff
    from .db import EVENTS, Database

    folder = Path(tempfile.mkdtemp(prefix="office-bench-load-"))
    url = db_url or f"sqlite:///{folder / 'office.db'}"
    run = uuid.uuid4().hex[:6]                      # this run's kiosks (a PostgreSQL database may hold others)
    db = Database(url)
    shown = db.display_url
    server = None
    try:
        tokens = {f"L{run}-{n:04d}": db.add_kiosk(f"L{run}-{n:04d}") for n in range(kiosks)}
        screens = [display_tokens.add_display(db, f"load-{run}-{n}") for n in range(displays)]
        # Ticket numbers go on from today's stored ones: a number of the day is one ticket's (a database reused).
        from protocol import officetime
        from .db import TICKETS
        today = officetime.office_day().isoformat()
        taken = db.read(lambda c: c.execute(select(TICKETS.c.number).where(TICKETS.c.day == today)).scalars().all())
        start_numbers = {}
        for number in taken:
            if len(number) == 5 and number[1:].isdigit():
                start_numbers[number[0]] = max(start_numbers.get(number[0], 0), int(number[1:]))
        password = uuid.uuid4().hex
        staff.add_user(db, f"load{run}", password)
        port = _free_port()
        log = open(folder / "serve.log", "w")
        env = {**os.environ, "KIOSK_OFFICE_DB": url}
        server = subprocess.Popen([sys.executable, "-m", "office", "serve", "--port", str(port),
                                   "--streams", str(max(100, displays)), *(serve_args or [])], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start: " + (folder / "serve.log").read_text()[-2000:])
                time.sleep(0.2)
        cookie = _sign_in(base, f"load{run}", password)
        load = Load(port, speed)
        load.numbers.update(start_numbers)
        simulated = [Kiosk(ident, token, port, load) for ident, token in tokens.items()]
        started = time.monotonic()
        drained_s = asyncio.run(_run(load, simulated, screens, cookie, seconds))
        ran_s = time.monotonic() - started - drained_s
        import resource
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
        server = None
        after = resource.getrusage(resource.RUSAGE_CHILDREN)   # the server is this process's only child
        server_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        log.close()
        server_log = (folder / "serve.log").read_text()

        ids = list(tokens)
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
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(60)
        db.close()
        shutil.rmtree(folder, ignore_errors=True)

    figures = load.figures
    lost = len(load.acknowledged - set(stored))
    doubled = (rows - len(stored)) + (len(stored) - kiosk_seqs)
    unsent = len(load.sent - load.acknowledged)
    accepted = len(load.acknowledged)
    backend = "PostgreSQL" if not shown.startswith("sqlite") else "SQLite"
    print(f"kiosk-office bench load: {kiosks} kiosks, {displays} displays, {COUNTERS} clerks, {ran_s:.0f} s at "
          f"{speed:g}x the kiosks' pace, {backend} ({shown if db_url else 'a temporary file'}), "
          f"kiosk-office serve {' '.join(serve_args or []) or '(its defaults)'} on 127.0.0.1")
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
