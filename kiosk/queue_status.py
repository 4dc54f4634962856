"""
The queue as the office server sees it
======================================

The kiosk hands out numbers but does not see them called: the counters call
them on the office server (``office/calls.py``).  So how many people are
really ahead, and how long they will take, comes from the server:
``GET {server.url}/api/v1/kiosks/{id}/queue`` (bearer token) answers, per
service, the people waiting now, the estimated wait of a ticket printed now
(``wait``: low, high minutes, from the server's play of the counters forward,
``office/forecast.py``) and the *pace*: the minutes each further ticket adds
(``null`` until the server has enough service times to tell).

:class:`QueueStatus` asks every :data:`REFRESH_SECONDS` (in a thread of the
app, never the main loop) and keeps the last answer.  :meth:`QueueStatus.outlook`
turns it into what a tile and a ticket show: the people ahead of a new ticket
(the server's count plus the tickets this kiosk handed out since it asked) and
the wait (the server's, plus the pace for each of those tickets).  An answer
older than :data:`FRESH_SECONDS`, or of another office day, is not used: the
kiosk then says less, its own count of numbers handed out and no estimate
(``TicketService.outlook``), rather than a stale figure.  It asks through the
kiosk's one :class:`~kiosk.office_client.OfficeClient` (URL, token,
``server.ca_bundle``, timeout), which never logs the token.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from protocol import officetime

from .office_client import OfficeClient, OfficeUnreachable

__all__ = ["Outlook", "QueueStatus", "estimate_range", "REFRESH_SECONDS", "FRESH_SECONDS"]

log = logging.getLogger("kiosk.queue")

#: How often the running kiosk asks the office server (seconds).
REFRESH_SECONDS = 20
#: An answer older than this is not shown (seconds): a few missed refreshes, not a stale morning figure.
FRESH_SECONDS = 90
TIMEOUT = (3, 5)  # seconds to connect, to read: the answer is small, and a late one is soon stale anyway


@dataclass(frozen=True)
class Outlook:
    """What a service tile and a new ticket of one service say about the wait."""

    ahead: int                                  # people waiting before a ticket taken now
    estimate: Optional[Tuple[int, int]] = None  # whole minutes (low, high); None: unknown, or no fresh data
    live: bool = False                          # from the office server's fresh answer (else the kiosk's own count)


def estimate_range(wait: Optional[Tuple[int, int]], more: int, pace: Optional[Tuple[float, float]]
                   ) -> Optional[Tuple[int, int]]:
    """Whole minutes (low, high): the server's ``wait`` for a ticket printed when it answered, plus ``more``
    tickets handed out since at ``pace`` minutes each; None when the server did not know the wait."""
    if wait is None:
        return None
    if not more or pace is None:
        return wait
    low, high = wait[0] + math.floor(more * pace[0]), wait[1] + math.ceil(more * pace[1])
    return low, max(low, high)


@dataclass(frozen=True)
class _Answer:
    day: str                                     # the office day the server answered for
    services: Dict[str, Tuple[int, Optional[Tuple[int, int]], Optional[Tuple[float, float]]]]  # (waiting, wait, pace)
    issued: Dict[str, int]                       # this kiosk's numbers handed out per prefix when it asked
    received: float                              # monotonic seconds


class QueueStatus:
    """The office server's last answer about the queue; see the module docstring.

    :param issued_today: prefix → numbers this kiosk handed out today (``TicketService.issued_today``).
    """

    def __init__(self, config, issued_today: Callable[[str], int], client: Optional[OfficeClient] = None,
                 monotonic: Callable[[], float] = time.monotonic, now=officetime.now):
        self.config = config
        self.issued_today = issued_today
        self.client = client or OfficeClient(config)
        self.session = self.client.session
        self.monotonic = monotonic
        self.now = now
        self._answer: Optional[_Answer] = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.client.kiosk_url("queue")

    def refresh(self) -> str:
        """Ask once; ``updated``, ``offline``, ``untrusted`` (its TLS certificate), ``refused``, ``invalid`` or
        ``disabled`` (no server configured)."""
        if not self.client.configured:
            return "disabled"
        prefixes = [s.prefix for s in self.config.services]
        issued = {p: self.issued_today(p) for p in prefixes}  # before asking: a ticket taken meanwhile counts once
        try:
            response = self.client.get(self.url, TIMEOUT)
        except OfficeUnreachable as exc:  # its message names the URL and why, never the token
            if exc.kind in ("certificate", "ca_bundle"):  # the config sync records it as a fault; no second one
                log.warning("queue status: %s", exc)
                return "untrusted"
            log.info("queue status: %s", exc)
            return "offline"
        if response.status_code in (401, 403):
            return "refused"  # the uploader and the config sync report a refused token; no third fault
        if response.status_code != 200:
            log.info("queue status: the office server answered HTTP %s", response.status_code)
            return "offline"
        try:
            self.accept(self.client.json(response), issued)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("queue status: the office server's answer is not the protocol's JSON (%s)", exc)
            return "invalid"
        return "updated"

    def accept(self, body, issued: Optional[Dict[str, int]] = None) -> None:
        """Keep an answer of the protocol's shape (``{"day": ..., "services": {prefix: {...}}}``).

        ``issued``: this kiosk's numbers per prefix when the question was asked
        (default: now).  ValueError, KeyError or TypeError if ``body`` is not
        the protocol's JSON; the last answer is then kept.  ``refresh`` calls
        this; so does a seeded screenshot state (``kiosk/lived_in.py``).
        """
        services = {str(prefix): (int(item["waiting"]), _wait(item.get("wait")), _pace(item.get("pace")))
                    for prefix, item in body["services"].items()}
        day = str(body["day"])
        if issued is None:
            issued = {s.prefix: self.issued_today(s.prefix) for s in self.config.services}
        with self._lock:
            self._answer = _Answer(day, services, issued, self.monotonic())

    def outlook(self, prefix: str) -> Optional[Outlook]:
        """The wait for a ticket of ``prefix`` taken now, from a fresh answer; None without one."""
        with self._lock:
            answer = self._answer
        if answer is None or self.monotonic() - answer.received > FRESH_SECONDS:
            return None
        if answer.day != officetime.office_day(self.now()).isoformat():
            return None  # asked before midnight: today's queue starts empty, and the kiosk's own count says so
        waiting, wait, pace = answer.services.get(prefix, (0, None, None))
        taken_since = max(0, self.issued_today(prefix) - answer.issued.get(prefix, 0))
        return Outlook(waiting + taken_since, estimate_range(wait, taken_since, pace), live=True)


def _wait(value) -> Optional[Tuple[int, int]]:
    if value is None:
        return None
    low, high = int(value["low"]), int(value["high"])
    if not 0 <= low <= high:
        raise ValueError(f"wait {value!r} is not 0 <= low <= high minutes")
    return low, high


def _pace(value) -> Optional[Tuple[float, float]]:
    if value is None:
        return None
    low, high = float(value["low"]), float(value["high"])
    if not (0 <= low <= high) or math.isinf(high):
        raise ValueError(f"pace {value!r} is not 0 <= low <= high minutes")
    return low, high
