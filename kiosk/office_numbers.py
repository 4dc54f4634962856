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
from typing import Callable, Optional

from protocol import officetime
from protocol.numbering import SLOTS

from .errors import StoreError
from .office_client import OfficeUnreachable

__all__ = ["OfficeNumbers", "NumberFull", "numbering_for", "keep_slot", "TIMEOUT", "PAUSE_SECONDS", "SLOT_KEY"]

log = logging.getLogger("kiosk.numbers")

#: Seconds to connect, seconds to be answered: the tap-to-print time stays under a second.
TIMEOUT = (0.4, 0.6)
#: After no answer, this long without asking.
PAUSE_SECONDS = 30.0
#: The ``meta`` key of the slot the server gave this kiosk.
SLOT_KEY = "number_slot"


class NumberFull(Exception):
    "Error raised when the server says the service has no number left today (its daily limit, or all 999)"


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
