"""
The office's numbers, asked for at each ticket (no Kivy)
========================================================

With an office server (``server.url``), a ticket's number is the office's, the
same series for every kiosk: ``POST /api/v1/numbers`` (``office/PROTOCOL.md``)
answers the next one.  Without an answer the kiosk numbers alone, from its
slot's block (``protocol/numbering.py``): ``kiosk/tickets.py`` does that, in
the transaction that stores the ticket.  This module only asks, and keeps the
slot the server gave.

The resident is waiting at the screen, so the question is short: at most
:data:`TIMEOUT` to connect and to be answered, and after a failure the kiosk
numbers alone for :data:`PAUSE_SECONDS` without asking (a cable pulled out
would otherwise cost every resident the connect timeout).  A number the server
gave whose answer was lost is a gap in the office's series, never a number
called without a printed ticket: the queue is made of the ticket events the
kiosk uploads, and that ticket was printed with the kiosk's own number.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from typing import Callable, Optional

from protocol import officetime
from protocol.numbering import SLOTS

from .errors import StoreError
from .office_client import OfficeUnreachable

__all__ = ["OfficeNumbers", "NumberFull", "CheckInRefused", "numbering_for", "keep_slot", "TIMEOUT",
           "CHECK_IN_TIMEOUT", "PAUSE_SECONDS", "SLOT_KEY"]

log = logging.getLogger("kiosk.numbers")

#: Seconds to connect, seconds to be answered: the tap-to-print time stays under a second.
TIMEOUT = (0.4, 0.6)
#: An appointment's check-in: the resident typed a code and pressed OK, and nothing can be printed without the
#: server's answer, so it may take longer than a number.
CHECK_IN_TIMEOUT = (1.0, 3.0)
#: After no answer, this long without asking.
PAUSE_SECONDS = 30.0
#: The ``meta`` key of the slot the server gave this kiosk.
SLOT_KEY = "number_slot"


class NumberFull(Exception):
    "Error raised when the server says the service has no number left today (its daily limit, or all 999)"


class CheckInRefused(Exception):
    """An appointment's code checked nothing in (``office/PROTOCOL.md``, the check-in): ``reason`` is the server's
    (``unknown``, ``early``, ``late``, ``used``) or ``offline`` (no answer); ``at``, ``opens``: the appointment's
    time and when check-in opens (datetimes, or None); ``number``: the number a used code was given."""

    def __init__(self, reason: str, message: str, at=None, opens=None, number: Optional[str] = None):
        super().__init__(message)
        self.reason, self.at, self.opens, self.number = reason, at, opens, number


def _moment(text) -> Optional[datetime]:
    """An answer's time in office time; None for anything else (the server's answer is not trusted blindly)."""
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return moment.astimezone(officetime.TAIPEI) if moment is not None and moment.tzinfo is not None else None


class OfficeNumbers:
    """Asks the office server for numbers; see the module docstring."""

    def __init__(self, config, store, office, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.store = store
        self.office = office
        self.clock = clock
        self._quiet_until = 0.0
        self._lock = threading.Lock()

    def slot(self) -> Optional[int]:
        """The slot the server gave this kiosk for numbering alone; None before it has given one."""
        value = self.store.get_meta(SLOT_KEY)
        return int(value) if value else None

    def take(self, service, moment, request_id: str) -> Optional[dict]:
        """The office's next number of ``service`` for the ticket whose event id is ``request_id``:
        ``{"number": "A013", "issued": 13, ...}``; None if the server does not answer now (number alone);
        NumberFull if it says the service has none left today."""
        with self._lock:
            if self.clock() < self._quiet_until:
                return None
        body = json.dumps({"kiosk_id": self.config.kiosk.id, "request_id": request_id, "service": service.prefix,
                           "at": officetime.rfc3339(moment), "daily_limit": service.daily_limit}).encode()
        try:
            answer = self.office.post_json(self.office.url("api/v1/numbers"), body, timeout=TIMEOUT)
            found = self.office.json(answer) if answer.status_code in (200, 409) else None
        except (OfficeUnreachable, ValueError) as exc:
            return self._alone(f"{exc}")
        if answer.status_code == 409 and isinstance(found, dict) and found.get("reason") == "full":
            raise NumberFull(str(found.get("error") or "no number left today"))
        if answer.status_code != 200 or not isinstance(found, dict) or not isinstance(found.get("number"), str):
            return self._alone(f"HTTP {answer.status_code} from the office server")
        try:
            keep_slot(self.store, found.get("slot"))
        except StoreError as exc:  # kept next time; the number is good all the same
            log.error("the slot the office server gave could not be stored: %s", exc)
        return found

    def check_in(self, service, code: str, moment, request_id: str) -> dict:
        """Check in the appointment ``code`` with a number of ``service`` (the check-in service) for the ticket
        ``request_id``: the server's answer (``number``, ``appointment``: ``{"service", "at"}``); CheckInRefused,
        or NumberFull.  The code is never logged."""
        body = json.dumps({"kiosk_id": self.config.kiosk.id, "request_id": request_id, "service": service.prefix,
                           "at": officetime.rfc3339(moment), "daily_limit": service.daily_limit,
                           "code": code}).encode()
        try:
            answer = self.office.post_json(self.office.url("api/v1/appointments/check-in"), body,
                                           timeout=CHECK_IN_TIMEOUT)
            found = self.office.json(answer) if answer.status_code in (200, 409) else None
        except (OfficeUnreachable, ValueError) as exc:
            log.warning("no check-in: %s", exc)
            raise CheckInRefused("offline", f"the office server did not answer: {exc}") from None
        reason = found.get("reason") if isinstance(found, dict) else None
        if answer.status_code == 409 and reason == "full":
            raise NumberFull(str(found.get("error") or "no number left today"))
        if answer.status_code == 409 and reason in ("unknown", "early", "late", "used"):
            number = found.get("number")
            raise CheckInRefused(reason, str(found.get("error") or reason), _moment(found.get("at")),
                                 _moment(found.get("opens")), number if isinstance(number, str) else None)
        appointment = found.get("appointment") if isinstance(found, dict) else None
        if (answer.status_code != 200 or not isinstance(found.get("number"), str) or not isinstance(appointment, dict)
                or _moment(appointment.get("at")) is None or not isinstance(appointment.get("service"), str)):
            log.warning("no check-in: HTTP %s from the office server", answer.status_code)
            raise CheckInRefused("offline", f"HTTP {answer.status_code} from the office server")
        try:
            keep_slot(self.store, found.get("slot"))
        except StoreError as exc:
            log.error("the slot the office server gave could not be stored: %s", exc)
        return found

    def _alone(self, why: str) -> None:
        with self._lock:
            self._quiet_until = self.clock() + PAUSE_SECONDS
        log.warning("numbering alone for %g s: %s", PAUSE_SECONDS, why)
        return None


def keep_slot(store, slot) -> None:
    """Keep the slot the office server gave this kiosk (a number's answer, or the config answer's ``number_slot``),
    if it is one (1 … SLOTS) and new; anything else (an older server's none, ``null``) changes nothing."""
    if isinstance(slot, int) and not isinstance(slot, bool) and 1 <= slot <= SLOTS \
            and str(slot) != store.get_meta(SLOT_KEY):
        store.set_meta(SLOT_KEY, str(slot))
        log.info("the office server gave this kiosk slot %d for numbering alone", slot)


def numbering_for(config, store, office) -> Optional[OfficeNumbers]:
    """What numbers a kiosk's tickets (``TicketService.numbers``): the office, with a server; else None, the
    kiosk alone.  Every way a ticket is taken (the screen, ``kiosk ticket print``) asks here."""
    return OfficeNumbers(config, store, office) if office.configured else None
