"""
A number taken on the phone (以網路代替馬路)
============================================

A resident at home opens ``/take`` (``office/take_pages.py``) and joins a
service's queue: the ticket is the office's next number of that service
(``office/numbering.py``, the same series the kiosks print from), stored as a
``ticket`` event of the pseudo-kiosk :data:`PHONE`, so the queue, the calls,
the live page and the reports treat it as any other ticket.  A resident who does
not come is called, recalled and skipped like anyone (過號).

What the office allows:

* only a service that offers remote numbers: its **remote limit** for the day
  (``/settings``; :data:`DEFAULT_REMOTE_LIMIT` for each service until the office
  sets its own, but none for priority numbers, given at the desk where the reason
  can be seen, nor appointment check-in: :data:`NOT_REMOTE`);
* within the office's hours for phones (:data:`PHONE_HOURS` on :data:`PHONE_DAYS`:
  the office's 08:00-17:00, less the last half hour, so a number taken at the end
  can still be served) and the service's own, and within its daily limit, which
  the kiosks' numbers count against too;
* one active ticket per phone and a rate per address: ``office/take_pages.py``.

The remote count and the number are taken in one transaction holding the
service's turn for the day, so two phones cannot both take the last remote
number.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, time
from typing import Dict, List, NamedTuple, Optional

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from protocol import officetime
from protocol.service_list import DEFAULT_SERVICES, Service

from .ingest import store_batch
from .models import EventIn
from .numbering import NumberRefused, take_number
from .schema import EVENTS, KIOSKS, META, TICKETS
from .turns import take_turn

__all__ = ["PHONE", "DEFAULT_REMOTE_LIMIT", "NOT_REMOTE", "REASONS", "PHONE_DAYS", "PHONE_HOURS", "RemoteRefused",
           "open_for_phones", "Offer", "services", "remote_limits",
           "set_remote_limits", "offers", "take_remote", "remote_count"]

#: The pseudo-kiosk whose tickets were taken on a phone: not a kiosk id anyone can add (those start with a letter
#: or a digit), and left out of the kiosk list.
PHONE = "_phone"
#: Remote numbers of a service a day until the office sets its own.
DEFAULT_REMOTE_LIMIT = 10
#: The usual list's services a phone takes no number of until the office says otherwise: P (priority: the reason
#: is seen at the desk) and F (appointment check-in: the appointment is the resident's place already).
NOT_REMOTE = ("P", "F")
_LIMITS_KEY = "remote_limits"
#: When phones may take numbers: Monday to Friday, 08:00-16:30 office time (and within the service's own hours).
PHONE_DAYS = (1, 2, 3, 4, 5)
PHONE_HOURS = ((time(8, 0), time(16, 30)),)


#: Why a phone gets no number: the service takes none from phones, is outside its hours, has reached its daily
#: limit (kiosks and phones together), or its remote limit.  ``/take`` says each (``take.refused_<reason>``).
REASONS = ("not_offered", "closed", "full", "remote_full")


class RemoteRefused(Exception):
    """No number for the phone; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, message: str):
        assert reason in REASONS, reason
        super().__init__(message)
        self.reason = reason


class Offer(NamedTuple):
    """A service as ``/take`` shows it now."""

    service: Service
    open: bool       # handing out numbers now
    left: int        # remote numbers left today (0: none)


def services() -> List[Service]:
    """The services the office hands out numbers for (the kiosks' usual list)."""
    return list(DEFAULT_SERVICES)


def remote_limits(db) -> Dict[str, int]:
    """Remote numbers per service a day, as the office set them; 0 or absent: not offered."""
    stored = db.read(lambda conn: conn.execute(select(META.c.value).where(META.c.key == _LIMITS_KEY)).scalar())
    if stored is None:
        return {s.prefix: 0 if s.prefix in NOT_REMOTE else DEFAULT_REMOTE_LIMIT for s in services()}
    return {prefix: int(n) for prefix, n in json.loads(stored).items()}


def set_remote_limits(db, limits: Dict[str, int]) -> None:
    """Keep the office's remote limits (each 0-999; the caller checked them)."""
    text = json.dumps({prefix: int(n) for prefix, n in sorted(limits.items())})

    def write(conn):
        conn.execute(delete(META).where(META.c.key == _LIMITS_KEY))
        conn.execute(insert(META).values(key=_LIMITS_KEY, value=text))
    db.write(write)


def _remote_count(conn: Connection, day: str, service: str) -> int:
    return conn.execute(select(func.count()).select_from(TICKETS).where(
        TICKETS.c.day == day, TICKETS.c.service == service, TICKETS.c.kiosk_id == PHONE)).scalar()


def remote_count(db, day: str) -> Dict[str, int]:
    """Tickets taken on phones on ``day``, per service."""
    query = (select(TICKETS.c.service, func.count()).where(TICKETS.c.day == day, TICKETS.c.kiosk_id == PHONE)
             .group_by(TICKETS.c.service))
    return dict(db.read(lambda conn: conn.execute(query).all()))


def open_for_phones(service: Service, now: datetime) -> bool:
    """Whether a phone may take a number of ``service`` at ``now`` (see the module docstring)."""
    local = now.astimezone(officetime.TAIPEI)
    clock = local.timetz().replace(tzinfo=None)
    return (service.open_at(local) and local.isoweekday() in PHONE_DAYS
            and any(start <= clock < end for start, end in PHONE_HOURS))


def offers(db, now: datetime) -> List[Offer]:
    """Every service offering remote numbers, open now or not, with what is left of its remote limit today."""
    day = officetime.office_day(now).isoformat()
    limits, taken = remote_limits(db), remote_count(db, day)
    return [Offer(s, open_for_phones(s, now), max(0, limits[s.prefix] - taken.get(s.prefix, 0)))
            for s in services() if limits.get(s.prefix, 0) > 0]


def _phone_kiosk(conn: Connection) -> None:
    """The pseudo-kiosk's row (the events' kiosk), made the first time; its token matches nothing."""
    if conn.execute(select(KIOSKS.c.id).where(KIOSKS.c.id == PHONE)).first() is None:
        now = officetime.rfc3339(officetime.now())
        conn.execute(insert(KIOSKS).values(id=PHONE, token_hash="-" * 64, created_at=now, token_issued_at=now))


def take_remote(db, prefix: str, lang: str, now: datetime) -> dict:
    """Take the next number of service ``prefix`` for a phone: ``{"day", "number", "service"}``, the ticket stored;
    RemoteRefused when the office does not give one now (nothing is taken then)."""
    service = next((s for s in services() if s.prefix == prefix), None)
    limit = remote_limits(db).get(prefix, 0)
    if service is None or limit <= 0:
        raise RemoteRefused("not_offered", f"service {prefix!r} takes no numbers from phones")
    if not open_for_phones(service, now):
        raise RemoteRefused("closed", f"service {prefix} is not handing out numbers now")
    day = officetime.office_day(now).isoformat()
    request_id = str(uuid.uuid4())

    def write(conn):
        take_turn(conn, f"numbers {day} {prefix}")  # the same turn take_number takes: the count holds
        if _remote_count(conn, day, prefix) >= limit:
            raise RemoteRefused("remote_full", f"service {prefix} has given all {limit} remote numbers of {day}")
        _phone_kiosk(conn)
        try:
            given = take_number(conn, PHONE, request_id, prefix, day, service.daily_limit, with_slot=False)
        except NumberRefused as exc:
            raise RemoteRefused("full", str(exc)) from exc
        seq = (conn.execute(select(func.max(EVENTS.c.seq)).where(EVENTS.c.kiosk_id == PHONE)).scalar() or 0) + 1
        event = EventIn.model_validate({
            "id": request_id, "type": "ticket", "seq": seq, "at": officetime.rfc3339(now), "clock_synced": True,
            "data": {"number": given["number"], "service": prefix, "service_name": service.name, "lang": lang,
                     "remote": True}})
        store_batch(conn, PHONE, [event])
        return {"day": day, "number": given["number"], "service": prefix}
    return db.write(write)
