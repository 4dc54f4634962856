"""
``kiosk-office bench day``: the simulated people, as HTTP clients of the real server
===================================================================================

The two kiosks taking numbers and uploading tickets, the residents taking numbers on their phones (``/take``) and
reading their queue data, the clerks at the counters (:class:`HttpOffice`), and the lobby display reading the
event stream in a thread of its own (:class:`Display`); :class:`SimClock` is the server's clock, set to each
event's simulated moment before its request.  Each request's answer is checked: anything unexpected is a
:class:`BenchError`.

A kiosk asks ``POST /api/v1/numbers`` for each number, as ``kiosk/office_numbers.py`` does, then uploads the
ticket; cut off from the server (``day_draw.CUT_OFF``) it numbers from the slot its config answer gave it
(``protocol/numbering.py``) and keeps the tickets until :meth:`HttpOffice.upload` when it is back.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from protocol import officetime
from protocol.numbering import label, own_number

from .day_draw import DAY, KIOSKS, OPEN_MINUTE, SERVICES, Ticket
from .day_replay import BenchError
from .harness import client_session

__all__ = ["KIOSK_IDS", "STAFF_NAME", "STAFF_PASSWORD", "CHECK_IN", "SimClock", "HttpOffice", "Display"]

#: The day's kiosks (day_draw.KIOSKS) as the server knows them.
KIOSK_IDS = {k: f"BENCH-KIOSK-{k:02d}" for k in KIOSKS}
STAFF_NAME, STAFF_PASSWORD = "bench", "bench-day-password"
#: The check-in service's letter (the usual list's 預約報到): an appointment's ticket is numbered in its series.
CHECK_IN = "F"


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
    """The kiosks, the phones and the clerks, as HTTP clients of the server at ``base``; times each call request.

    ``tokens``: each kiosk's (day_draw.KIOSKS) bearer token."""

    def __init__(self, base: str, tokens: Dict[int, str], clock: SimClock, day: date = DAY, push=None):
        self.base, self.clock, self.day = base, clock, day.isoformat()
        self.push = push  # day_push.PushReceiver: each phone turns reminders on (提醒我); None: nobody does
        self.first_called: Dict[str, float] = {}  # number → perf_counter() before its first call's POST
        self.kiosks = {k: client_session(token) for k, token in tokens.items()}
        self.public = client_session()
        self.staff = client_session()
        self.seq = {k: 0 for k in tokens}
        self.slots: Dict[int, int] = {}                       # kiosk → its slot for numbering alone
        self.alone: Dict[Tuple[int, str], int] = {}            # (kiosk, service) → numbers given alone
        self.pending: Dict[int, List[dict]] = {k: [] for k in tokens}   # tickets a kiosk cut off keeps
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

    def start_kiosks(self) -> None:
        """Each kiosk fetches its settings as it starts, which give it its slot (office/PROTOCOL.md)."""
        for kiosk, session in self.kiosks.items():
            path = f"/api/v1/kiosks/{KIOSK_IDS[kiosk]}/config"
            slot = self._ok(session.get(self.base + path, timeout=30), f"GET {path}").json().get("number_slot")
            if not isinstance(slot, int):
                raise BenchError(f"GET {path} gave kiosk {kiosk} no slot for numbering alone")
            self.slots[kiosk] = slot

    @staticmethod
    def _ok(response, what: str, statuses=(200,)):
        if response.status_code not in statuses:
            raise BenchError(f"{what} answered HTTP {response.status_code}: {response.text[:200]}")
        return response

    def print_ticket(self, minute: float, ticket: Ticket) -> str:
        """Take ``ticket``'s number where the resident takes it (a kiosk, a phone); the number."""
        moment = self.clock.set(minute)
        if ticket.source == "phone":
            number = self._on_the_phone(ticket)
            if self.push is not None:  # the live page that opened: 提醒我 (office/push_pages.py)
                path = f"/q/{self.day}/{number}/push"
                self._ok(self.public.post(self.base + path, timeout=30, json={
                    "subscription": self.push.subscription(number), "lang": "zh-TW", "near": 3}),
                    f"POST {path}", (201,))
            return number
        kiosk, session = ticket.kiosk, self.kiosks[ticket.kiosk]
        event_id = str(uuid.uuid4())
        extra, prefix = {}, ticket.service
        if ticket.alone:
            n = self.alone[kiosk, ticket.service] = self.alone.get((kiosk, ticket.service), 0) + 1
            number = label(ticket.service, own_number(self.slots[kiosk], n))
        elif ticket.due is not None:  # 預約報到: the code typed, the check-in service's number (office/appointments.py)
            asked = {"kiosk_id": KIOSK_IDS[kiosk], "request_id": event_id, "service": CHECK_IN,
                     "at": officetime.rfc3339(moment), "code": ticket.code}
            answer = self._ok(session.post(f"{self.base}/api/v1/appointments/check-in", json=asked, timeout=30),
                              f"POST /api/v1/appointments/check-in (kiosk {kiosk})").json()
            number, prefix, extra = answer["number"], CHECK_IN, {"appointment": answer["appointment"]}
        else:
            asked = {"kiosk_id": KIOSK_IDS[kiosk], "request_id": event_id, "service": ticket.service,
                     "at": officetime.rfc3339(moment)}
            number = self._ok(session.post(f"{self.base}/api/v1/numbers", json=asked, timeout=30),
                              f"POST /api/v1/numbers (kiosk {kiosk}, {ticket.service})").json()["number"]
        self.seq[kiosk] += 1
        event = {"id": event_id, "type": "ticket", "seq": self.seq[kiosk], "at": officetime.rfc3339(moment),
                 "clock_synced": True,
                 "data": {"number": number, "service": prefix, "numbering": "alone" if ticket.alone else
                          "office", "service_name": next(s.name for s in SERVICES if s.prefix == ticket.service),
                          "lang": "zh-TW", "kiosk_id": KIOSK_IDS[kiosk], **extra}}
        if ticket.alone:
            self.pending[kiosk].append(event)
        else:
            self._upload(kiosk, [event])
        return number

    def upload(self, minute: float, kiosk: int) -> int:
        """The kiosk is back: it uploads the tickets it kept; how many."""
        self.clock.set(minute)
        events, self.pending[kiosk] = self.pending[kiosk], []
        if events:
            self._upload(kiosk, events)
        return len(events)

    def _upload(self, kiosk: int, events: List[dict]) -> None:
        answer = self._ok(self.kiosks[kiosk].post(f"{self.base}/api/v1/events", timeout=30,
                                                  json={"kiosk_id": KIOSK_IDS[kiosk], "events": events}),
                          f"POST /api/v1/events (kiosk {kiosk})")
        if answer.json().get("accepted") != [e["id"] for e in events]:
            raise BenchError(f"the server did not accept kiosk {kiosk}'s tickets: {answer.text[:200]}")

    def _on_the_phone(self, ticket: Ticket) -> str:
        """A resident at home: /take, a tap on the service, the answer's address names the number."""
        with client_session() as phone:
            page = self._ok(phone.get(f"{self.base}/take", timeout=30), "GET /take").text
            token = re.search(r'name="csrf" value="([^"]+)"', page)
            if token is None:
                raise BenchError("GET /take: no form (is the service offered to phones?)")
            answer = self._ok(phone.post(f"{self.base}/take", allow_redirects=False, timeout=30, data={
                "csrf": token.group(1), "service": ticket.service, "lang": "zh-TW"}), "POST /take", (303,))
        found = re.fullmatch(r"/q/[\d-]+/([A-Z]\d{3,4})\?lang=zh-TW", answer.headers.get("Location", ""))
        if found is None:
            raise BenchError(f"POST /take sent the phone to {answer.headers.get('Location')!r}")
        return found.group(1)

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
        self.first_called.setdefault(call["number"], before)
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
