"""
One office, one set of numbers
==============================

Several kiosks (and, later, the phone page) hand out the numbers of one office,
so two of them must never print the same number on a day.  The office server
is the authority; a kiosk cut off from it numbers from a block of its own.
Both sides read the scheme from here (``office/PROTOCOL.md``, "Numbers"):

* **The office's numbers** run from 1 to :data:`OFFICE_TOP` for each service
  and office day (``A001`` … ``A999``), in the order they are taken, by any
  kiosk: ``POST /api/v1/numbers`` takes the next one.
* **A kiosk's own numbers**, for when it cannot reach the server: the server
  gives each kiosk that takes numbers a *slot*, 1 … :data:`SLOTS`, once and
  for good, and the kiosk keeps it.  Slot ``s`` numbers ``s001`` … ``s999``
  (``A2001``: slot 2's first of service A that day) from a counter of its
  own.  Four digits can never be one of the office's three, nor another
  slot's: no number is ever printed twice, whichever side is down, for how
  long, and across a restart of either (both counters are on disk).

A kiosk's own number is visibly different, so staff can tell that the kiosk
was cut off; it is called in the order it was taken (the ticket's time), like
any other.  A kiosk that has never reached its server has no slot yet and so
cannot number alone: it says so and sends the resident to the desk.
"""

from __future__ import annotations

import re

__all__ = ["OFFICE_TOP", "SLOTS", "BLOCK", "own_number", "label", "is_own"]

#: The office's numbers of one service on one day: 1 … 999.
OFFICE_TOP = 999
#: Kiosks that can number alone: slots 1 … 9.
SLOTS = 9
#: Numbers of one slot for one service on one day.
BLOCK = 999

_LABEL = re.compile(r"[A-Z](\d{3,4})")


def own_number(slot: int, n: int) -> int:
    """The ``n``-th (from 1) number of the day a kiosk in ``slot`` hands out alone: slot 2, n 1 → 2001.

    ValueError for a slot outside 1 … SLOTS, or past the block's BLOCK numbers."""
    if not 1 <= slot <= SLOTS:
        raise ValueError(f"slot must be 1-{SLOTS}, got {slot!r}")
    if not 1 <= n <= BLOCK:
        raise ValueError(f"a slot has {BLOCK} numbers a day for a service, asked for the {n}th")
    return slot * 1000 + n


def label(prefix: str, number: int) -> str:
    """The number as printed and called: ``A013``, ``A2001``."""
    return f"{prefix}{number:03d}"


def is_own(number_label: str) -> bool:
    """Whether a printed number is a kiosk's own (four digits), not the office's."""
    found = _LABEL.fullmatch(number_label)
    return bool(found) and int(found.group(1)) > OFFICE_TOP
