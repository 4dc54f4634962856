"""
``kiosk-office bench day``: the simulated people, as HTTP clients of the real server
===================================================================================

The kiosk printing tickets, the residents reading their queue data, the clerks at the counters
(:class:`HttpOffice`), and the lobby display reading the event stream in a thread of its own
(:class:`Display`); :class:`SimClock` is the server's clock, set to each event's simulated moment before
its request.  Each request's answer is checked: anything unexpected is a :class:`BenchError`.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from protocol import officetime

from .day_draw import DAY, OPEN_MINUTE, SERVICES, Ticket
from .day_replay import BenchError
from .harness import client_session

__all__ = ["KIOSK", "STAFF_NAME", "STAFF_PASSWORD", "SimClock", "HttpOffice", "Display"]

KIOSK = "BENCH-KIOSK-01"
STAFF_NAME, STAFF_PASSWORD = "bench", "bench-day-password"


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
        self.base, self.clock, self.day = base, clock, day.isoformat()
        self.kiosk = client_session(token)
        self.public = client_session()
        self.staff = client_session()
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
        self.url = f"{base}/api/v1/calls/stream"
        self.session = client_session(cookies=cookies)
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
