"""
Storing a kiosk's upload
========================

What :meth:`office.db.Database.ingest` does inside its one write transaction:
each event kept as uploaded (``events``: one row per event id, so a retried
upload cannot store an event twice), and the reported kinds copied into the
tables the monthly report reads without parsing JSON (``ratings``,
``tickets``, ``form_views``, each with the office day and hour), with
``rating_counts`` kept in step and an alert for each negative rating at a
counter (``office/alerts.py``).  A ``rating_reason`` event sets the reason of
the rating it names, whichever of the two arrives first.

The functions here take the open connection: the transaction, its retries and
the database itself stay :class:`~office.db.Database`'s.  They log as
``office.db``, as they did when they lived there.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Sequence, Tuple, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from protocol import officetime

from .alerts import add_rating_alerts
from .models import EventIn
from .schema import EVENTS, FORM_VIEWS, KIOSKS, RATING_COUNTS, RATINGS, REPORT_KEYS, TICKETS
from .turns import take_turn

__all__ = ["Ingested", "store_batch", "add_rating_counts", "count_all_ratings"]

log = logging.getLogger("office.db")
T = TypeVar("T")
#: The upsert each dialect writes ``rating_counts`` with (INSERT … ON CONFLICT DO UPDATE).
_UPSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class Ingested(NamedTuple):
    """What became of an upload's valid events (canonical ids)."""

    accepted: List[str]
    duplicates: List[str]
    rejected: List[Tuple[str, str]]  # (id, error)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- rating_counts ---------------------------------------------------------------------------------

def _count_key(row: Mapping[str, Any]) -> Tuple[Any, ...]:
    """A ``ratings`` row's key in ``rating_counts``."""
    return tuple(row[name] or "" if name in ("service", "reason") else row[name] for name in REPORT_KEYS)


def add_rating_counts(conn: Connection, deltas: Mapping[Tuple[Any, ...], int]) -> None:
    """Add ``deltas`` (key -> ratings more or fewer) to ``rating_counts``: one upsert, keys in order (so two
    PostgreSQL writers lock the rows they share in the same order, never in a circle)."""
    rows = [dict(zip(REPORT_KEYS, key), n=n) for key, n in sorted(deltas.items()) if n]
    if not rows:
        return
    statement = _UPSERT[conn.dialect.name](RATING_COUNTS)
    conn.execute(statement.on_conflict_do_update(index_elements=list(REPORT_KEYS),
                                                 set_={"n": RATING_COUNTS.c.n + statement.excluded.n}), rows)


def count_all_ratings(conn: Connection) -> None:
    """Count every stored rating into ``rating_counts`` afresh (the upgrade to schema 4; ``kiosk-office bench``)."""
    keys = [func.coalesce(RATINGS.c[name], "") if name in ("service", "reason") else RATINGS.c[name]
            for name in REPORT_KEYS]
    conn.execute(delete(RATING_COUNTS))
    conn.execute(insert(RATING_COUNTS).from_select(
        list(REPORT_KEYS) + ["n"], select(*keys, func.count()).group_by(*keys)))


# -- the batch -------------------------------------------------------------------------------------

def store_batch(conn: Connection, kiosk_id: str, events: Sequence[EventIn]) -> Ingested:
    """Store a batch of checked events from ``kiosk_id`` on ``conn`` (one write transaction).

    An id this kiosk already uploaded is a duplicate; an id another kiosk uploaded is rejected, and so is a
    ticket whose number another kiosk's ticket of that day took first.
    """
    received = officetime.rfc3339(officetime.now())
    owners: Dict[str, str] = {}
    for chunk in _chunks(list({e.id for e in events})):
        owners.update(conn.execute(select(EVENTS.c.id, EVENTS.c.kiosk_id).where(EVENTS.c.id.in_(chunk))).all())
    result = Ingested([], [], [])
    numbers = _number_owners(conn, [ev for ev in events if ev.type == "ticket" and ev.id not in owners])
    stored = []
    for ev in events:
        owner = owners.get(ev.id)
        if owner == kiosk_id:
            result.duplicates.append(ev.id)
        elif owner is not None:
            result.rejected.append((ev.id, "this event id is already stored for another kiosk"))
        elif ev.type == "ticket" and not _keeps_number(ev, kiosk_id, numbers, result):
            continue
        else:
            owners[ev.id] = kiosk_id
            result.accepted.append(ev.id)
            stored.append(ev)
    _insert_rows(conn, kiosk_id, stored, received)
    return result


def _keeps_number(ev: EventIn, kiosk_id: str, numbers: Dict[Tuple[str, str], str], result: Ingested) -> bool:
    """Whether ticket ``ev`` keeps its number (no other kiosk's ticket took it that day); else it is rejected."""
    day, number = ev.moment.date().isoformat(), ev.details().number
    first = numbers.setdefault((day, number), kiosk_id)
    if first == kiosk_id:
        return True
    # Kiosks number from one series (office/numbering.py); an older kiosk that counts its own can still print
    # another's number: the first ticket stored keeps it, or the live page would switch tickets and both be called.
    log.warning("%s: ticket %s of %s rejected: kiosk %s uploaded that number first", kiosk_id, number, day, first)
    result.rejected.append((ev.id, f"ticket {number} of {day} was already taken by another kiosk; "
                                   "the first ticket of a number each day is kept"))
    return False


def _insert_rows(conn: Connection, kiosk_id: str, events: Sequence[EventIn], received: str) -> None:
    """The accepted ``events``' rows: ``events``, the reporting tables, ``rating_counts``, the kiosk's contact."""
    rows: Dict[str, List[dict]] = {"events": [], "ratings": [], "tickets": [], "form_views": []}
    reasons_for, heartbeat = set(), None
    for ev in events:
        details, moment = ev.details(), ev.moment
        rows["events"].append(dict(
            id=ev.id, kiosk_id=kiosk_id, seq=ev.seq, type=ev.type, at=ev.at, clock_synced=ev.clock_synced,
            data=_json(ev.data), boot_id=ev.boot_id, monotonic=ev.monotonic, received_at=received,
            ref=details.rating_id if ev.type == "rating_reason" else None))
        common = dict(event_id=ev.id, kiosk_id=kiosk_id, at=ev.at, day=moment.date().isoformat(), hour=moment.hour)
        if ev.type == "rating":
            rows["ratings"].append(dict(
                common, scale=details.scale, score=details.score, choice=details.choice, source=details.source,
                service=details.service, location=details.location, misuse=details.misuse,
                ticket=details.ticket, reason=None, clock_synced=ev.clock_synced))
            reasons_for.add(ev.id)
        elif ev.type == "rating_reason":
            reasons_for.add(details.rating_id)
        elif ev.type == "ticket":
            rows["tickets"].append(dict(common, service=details.service, number=details.number,
                                        people_ahead=details.people_ahead, lang=details.lang))
        elif ev.type in ("form_view", "form_slip"):
            rows["form_views"].append(dict(common, code=details.code, lang=details.lang,
                                           kind="view" if ev.type == "form_view" else "slip"))
        elif ev.type == "heartbeat":
            heartbeat = ev
    for table in (EVENTS, RATINGS, TICKETS, FORM_VIEWS):  # events first: the others refer to them
        if rows[table.name]:
            conn.execute(insert(table), rows[table.name])
    add_rating_alerts(conn, rows["ratings"])  # a negative press at a counter: its page and the dashboard
    counted = Counter(_count_key(row) for row in rows["ratings"])
    if reasons_for:
        _link_reasons(conn, kiosk_id, sorted(reasons_for), counted)
    add_rating_counts(conn, counted)
    values = {"last_contact_at": received}
    if heartbeat is not None:
        values["last_heartbeat"] = _json({"id": heartbeat.id, "seq": heartbeat.seq, "at": heartbeat.at,
                                          "clock_synced": heartbeat.clock_synced, "data": heartbeat.data,
                                          "received_at": received})
    conn.execute(update(KIOSKS).where(KIOSKS.c.id == kiosk_id).values(**values))


def _number_owners(conn: Connection, tickets: Sequence[EventIn]) -> Dict[Tuple[str, str], str]:
    """The kiosk whose ticket of each (office day, number) of ``tickets`` was stored first, where one was.

    Each (day, number) is a turn (``office/turns.py``) taken in order, so two uploads never wait for each
    other in a circle: two kiosks uploading the same number at once take turns.
    """
    pairs = sorted({(ev.moment.date().isoformat(), ev.details().number) for ev in tickets})
    if not pairs:
        return {}
    for day, number in pairs:
        take_turn(conn, f"ticket {day} {number}")
    found: Dict[Tuple[str, str], str] = {}
    for day in sorted({day for day, _ in pairs}):
        for chunk in _chunks([number for d, number in pairs if d == day]):
            query = (select(TICKETS.c.number, TICKETS.c.kiosk_id).join(EVENTS, EVENTS.c.id == TICKETS.c.event_id)
                     .where(TICKETS.c.day == day, TICKETS.c.number.in_(chunk))
                     .order_by(EVENTS.c.received_at, TICKETS.c.at))
            for number, kiosk in conn.execute(query):
                found.setdefault((day, number), kiosk)
    return found


def _link_reasons(conn: Connection, kiosk_id: str, rating_ids: Sequence[str], counted: Counter) -> None:
    """Give each of these ratings the reason of its latest rating_reason event, if any; move each rating
    whose reason changes from its old key to its new one in ``counted`` (deltas for ``rating_counts``)."""
    latest: Dict[str, str] = {}
    for chunk in _chunks(rating_ids):
        query = (select(EVENTS.c.ref, EVENTS.c.data)
                 .where(EVENTS.c.kiosk_id == kiosk_id, EVENTS.c.type == "rating_reason", EVENTS.c.ref.in_(chunk))
                 .order_by(EVENTS.c.seq, EVENTS.c.received_at))
        for ref, data in conn.execute(query):
            latest[ref] = json.loads(data).get("reason")
    for chunk in _chunks(sorted(latest)):
        query = select(RATINGS).where(RATINGS.c.event_id.in_(chunk), RATINGS.c.kiosk_id == kiosk_id)
        for row in conn.execute(query).mappings():
            if (row["reason"] or "") != (latest[row["event_id"]] or ""):
                counted[_count_key(row)] -= 1
                counted[_count_key(dict(row, reason=latest[row["event_id"]]))] += 1
    for rating_id, reason in latest.items():
        conn.execute(update(RATINGS).where(RATINGS.c.event_id == rating_id, RATINGS.c.kiosk_id == kiosk_id)
                     .values(reason=reason))
