"""
The office's numbers
====================

``POST /api/v1/numbers`` (``office/api.py``) hands a kiosk the next number of a
service for the day, the same for every kiosk of the office: the scheme, and
the numbers a kiosk gives out alone while it cannot reach this server, are in
``protocol/numbering.py``.

Each number taken is a row of ``numbers`` (``office/schema.py``), written in
one transaction that takes the service's turn for the day (``office/turns.py``:
two server processes on one PostgreSQL database take turns too), so the next
is one more than the highest, and the table's unique key makes a second A013
impossible even so.  A kiosk that asks again with the same ``request_id`` (its
answer was lost) gets the number it was given, not another.

The daily limit travels with the request (it is the kiosk's ``[[services]]``
setting): the numbers the office gave out that day, and the numbers kiosks gave
out alone that it has heard of, count against it.
"""

from __future__ import annotations

import logging
from typing import Optional

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from protocol import officetime
from protocol.numbering import OFFICE_TOP, SLOTS, label

from .schema import NUMBER_SLOTS, NUMBERS, TICKETS
from .turns import take_turn

__all__ = ["NumberRefused", "take_number", "slot_for", "kiosk_slot"]

log = logging.getLogger("office.numbers")


class NumberRefused(Exception):
    """No number for this request: ``reason`` is ``full`` (the daily limit, or all 999) or ``other_kiosk``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def slot_for(conn: Connection, kiosk_id: str) -> Optional[int]:
    """The kiosk's slot for numbering alone, given now (the lowest free one) if it has none; None when all
    :data:`~protocol.numbering.SLOTS` are taken."""
    mine = select(NUMBER_SLOTS.c.slot).where(NUMBER_SLOTS.c.kiosk_id == kiosk_id)
    found = conn.execute(mine).scalar()
    if found is not None:
        return found
    take_turn(conn, "number slots")
    found = conn.execute(mine).scalar()  # given by another server process while this one waited its turn
    if found is not None:
        return found
    used = set(conn.execute(select(NUMBER_SLOTS.c.slot)).scalars())
    free = [slot for slot in range(1, SLOTS + 1) if slot not in used]
    if not free:
        log.warning("%s: no slot left for numbering alone (all %d taken)", kiosk_id, SLOTS)
        return None
    now = officetime.rfc3339(officetime.now())
    conn.execute(insert(NUMBER_SLOTS).values(kiosk_id=kiosk_id, slot=free[0], given_at=now))
    log.info("%s: slot %d for numbering alone", kiosk_id, free[0])
    return free[0]


def kiosk_slot(db, kiosk_id: str) -> Optional[int]:
    """The kiosk's slot, given now if it has none: the config answer carries it, so a kiosk that has only ever
    fetched its settings can number alone too, from its very first ticket (a read, but once, a write)."""
    found = db.read(lambda conn: conn.execute(
        select(NUMBER_SLOTS.c.slot).where(NUMBER_SLOTS.c.kiosk_id == kiosk_id)).scalar())
    return found if found is not None else db.write(lambda conn: slot_for(conn, kiosk_id))


def take_number(conn: Connection, kiosk_id: Optional[str], request_id: str, service: str, day: str,
                daily_limit: int = 0, with_slot: bool = True) -> dict:
    """The next office number of ``service`` on ``day`` for ``request_id`` (see the module docstring).

    Returns ``{"number", "issued", "day", "service", "slot"}`` (``slot`` None unless ``with_slot``: a phone's
    number, ``office/remote.py``, numbers nothing alone); NumberRefused when none can be given."""
    given = conn.execute(select(NUMBERS).where(NUMBERS.c.request_id == request_id)).mappings().first()
    if given is not None:
        if given["kiosk_id"] != kiosk_id:
            raise NumberRefused("other_kiosk", "this request id was used by another kiosk")
        return _answer(conn, kiosk_id if with_slot else None, given)
    take_turn(conn, f"numbers {day} {service}")
    top = conn.execute(select(func.max(NUMBERS.c.issued))
                       .where(NUMBERS.c.day == day, NUMBERS.c.service == service)).scalar() or 0
    if daily_limit and top + _own_numbers(conn, day, service) >= daily_limit:
        raise NumberRefused("full", f"service {service} has handed out all {daily_limit} numbers of {day}")
    if top >= OFFICE_TOP:
        raise NumberRefused("full", f"service {service} has handed out all {OFFICE_TOP} office numbers of {day}")
    row = dict(request_id=request_id, kiosk_id=kiosk_id, day=day, service=service, issued=top + 1,
               number=label(service, top + 1), taken_at=officetime.rfc3339(officetime.now()))
    conn.execute(insert(NUMBERS).values(**row))
    return _answer(conn, kiosk_id if with_slot else None, row)


def _own_numbers(conn: Connection, day: str, service: str) -> int:
    """Tickets of ``service`` on ``day`` that kiosks numbered alone (four digits) and have uploaded."""
    return conn.execute(select(func.count()).select_from(TICKETS).where(
        TICKETS.c.day == day, TICKETS.c.service == service, func.length(TICKETS.c.number) > 4)).scalar()


def _answer(conn: Connection, kiosk_id: Optional[str], row) -> dict:
    slot = slot_for(conn, kiosk_id) if kiosk_id is not None else None
    return {"number": row["number"], "issued": row["issued"], "day": row["day"], "service": row["service"],
            "slot": slot}
