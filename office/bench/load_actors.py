"""
``kiosk-office bench load``: the simulated county, as asyncio clients over real sockets
======================================================================================

Who ``bench load`` plays (``office/bench/load.py`` says how it runs and what it measures), each as the real
one makes its requests, at its intervals divided by the speed: :class:`Kiosk` (its uploader, heartbeats, queue
figures, config, and its resident's phone), and in :class:`Load`, the county's shared state, the clerks
pressing 叫下一號 and the lobby displays reading the event stream.  Thousands of them share one process, so
each is a coroutine on :class:`Http`, a kept-alive HTTP/1.1 connection of a few lines, rather than a
thread with a ``requests.Session``; :func:`timed` times every request into :class:`Figures`.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from typing import Dict, List, Optional, Tuple

__all__ = ["QUEUE_EVERY", "HEARTBEAT_EVERY", "CONFIG_EVERY", "EVENT_EVERY", "PHONE_EVERY", "CALL_EVERY",
           "COUNTERS", "TIMEOUT", "ENDPOINTS", "Http", "Figures", "timed", "Kiosk", "Load"]

#: The kiosk's intervals (seconds, real time): queue figures, heartbeat, config; an event every EVENT_EVERY.
QUEUE_EVERY, HEARTBEAT_EVERY, CONFIG_EVERY, EVENT_EVERY, PHONE_EVERY, CALL_EVERY = 20, 300, 300, 30, 20, 30
COUNTERS = 4
TIMEOUT = 30.0              # the uploader's read timeout (kiosk/uploader.py)
ENDPOINTS = ("upload", "heartbeat", "queue (kiosk)", "config (kiosk)", "/q/ page", "queue (phone)",
             "call next", "stream open")


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
