"""
Alerts for the staff
====================

Two things a supervisor wants to see at once, and a clerk at their counter:

* **A negative rating at a counter.** A press of the bottom of three faces (the
  bottom two of five: ``protocol/ratings.py``'s ``Scale.negative``) on the
  button box of a counter (its ``ratings.location`` a counter's number, as
  ``office/counter_calls.py`` reads it), not misuse, becomes an alert of that
  counter when the upload is stored (``office/ingest.py``).  It shows on the
  counter's page and the dashboard until someone acknowledges it; who and when
  are kept.  A lobby kiosk's ratings are not a counter's and alert nobody.
* **A long wait.** A service whose estimated wait for a ticket taken now (the
  upper end of the estimate, ``office/calls.py``'s ``state``) reaches the
  office's amber threshold turns amber on the dashboard and the counter pages,
  and red at the red one.  The thresholds are office settings (``/settings``),
  kept in ``meta`` like the office's name.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from protocol import officetime
from protocol.ratings import Scale

from .counter_calls import counter_of
from .schema import ALERTS, META

__all__ = ["add_rating_alerts", "open_alerts", "acknowledged", "acknowledge", "wait_levels", "set_wait_levels",
           "wait_level", "DEFAULT_LEVELS"]

#: Minutes of estimated wait at which a service turns amber, and red, until the office sets its own.
DEFAULT_LEVELS = (20, 40)
_LEVEL_KEYS = ("wait_amber_minutes", "wait_red_minutes")
#: A counter's number as the counter page takes it.
_COUNTERS = range(1, 1000)


def _negative(score: int, scale: int) -> bool:
    try:
        return Scale.of_size(scale).negative(score)
    except ValueError:  # a scale the kiosk does not offer today: the bottom two fifths
        return score <= max(1, scale * 2 // 5)


def add_rating_alerts(conn: Connection, ratings: Sequence[Dict[str, Any]]) -> int:
    """An alert for each negative rating at a counter among the ``ratings`` rows just stored; how many."""
    rows = []
    for rating in ratings:
        counter = counter_of(rating.get("location"))
        if counter in _COUNTERS and not rating["misuse"] and _negative(rating["score"], rating["scale"]):
            rows.append(dict(rating_id=rating["event_id"], day=rating["day"], at=rating["at"], counter=counter,
                             kiosk_id=rating["kiosk_id"], choice=rating["choice"], score=rating["score"],
                             scale=rating["scale"]))
    if rows:
        conn.execute(insert(ALERTS), rows)
    return len(rows)


def _label(choice: str, scale: int) -> str:
    """The face's name as the office reports it (不滿意), or its key for a scale the kiosk does not offer."""
    try:
        return next((c.label for c in Scale.of_size(scale).choices if c.key == choice), choice)
    except ValueError:
        return choice


def _rows(db, query) -> List[Dict[str, Any]]:
    """The alerts ``query`` finds, each with ``label``, its face's name."""
    rows = [dict(row) for row in db.read(lambda conn: conn.execute(query).mappings().all())]
    return [dict(row, label=_label(row["choice"], row["scale"])) for row in rows]


def open_alerts(db, day: str, counter: Optional[int] = None) -> List[Dict[str, Any]]:
    """The alerts of ``day`` nobody acknowledged yet, newest first; of one counter, or all."""
    query = select(ALERTS).where(ALERTS.c.day == day, ALERTS.c.acknowledged_at.is_(None))
    if counter is not None:
        query = query.where(ALERTS.c.counter == counter)
    return _rows(db, query.order_by(ALERTS.c.at.desc(), ALERTS.c.id.desc()))


def acknowledged(db, day: str, limit: int = 10) -> List[Dict[str, Any]]:
    """The alerts of ``day`` acknowledged, the latest acknowledged first: who saw to each, and when."""
    query = (select(ALERTS).where(ALERTS.c.day == day, ALERTS.c.acknowledged_at.is_not(None))
             .order_by(ALERTS.c.acknowledged_at.desc(), ALERTS.c.id.desc()).limit(limit))
    return _rows(db, query)


def acknowledge(db, alert_id: int, staff: str, now=None) -> Optional[Dict[str, Any]]:
    """Mark the alert seen to by ``staff`` now; the alert as it stands after (the first acknowledgement is kept:
    two people pressing at once are not two records); None for an alert that does not exist."""
    at = officetime.rfc3339((now or officetime.now()).astimezone(officetime.TAIPEI))

    def write(conn):
        conn.execute(update(ALERTS).where(ALERTS.c.id == alert_id, ALERTS.c.acknowledged_at.is_(None))
                     .values(acknowledged_by=staff, acknowledged_at=at))
        found = conn.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).mappings().first()
        return dict(found, label=_label(found["choice"], found["scale"])) if found is not None else None
    return db.write(write)


# -- waiting times -----------------------------------------------------------------------------------

def wait_levels(db) -> Tuple[int, int]:
    """The office's (amber, red) minutes; :data:`DEFAULT_LEVELS` until it sets them."""
    found = dict(db.read(lambda conn: conn.execute(select(META.c.key, META.c.value)
                                                   .where(META.c.key.in_(_LEVEL_KEYS))).all()))
    try:
        return int(found[_LEVEL_KEYS[0]]), int(found[_LEVEL_KEYS[1]])
    except (KeyError, ValueError):
        return DEFAULT_LEVELS


def check_levels(amber: Any, red: Any) -> Tuple[int, int]:
    """Whole minutes, 1-600, amber below red; ValueError saying which is wrong (in the staff's Chinese)."""
    values = []
    for name, value in (("黃燈", amber), ("紅燈", red)):
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= 600:
            raise ValueError(f"{name}等候分鐘數須為 1–600 的整數，收到 {text!r}")
        values.append(int(text))
    if values[0] >= values[1]:
        raise ValueError(f"黃燈分鐘數（{values[0]}）須小於紅燈分鐘數（{values[1]}）")
    return values[0], values[1]


def set_wait_levels(db, amber: Any, red: Any) -> Tuple[int, int]:
    """Check and keep the office's thresholds (see :func:`check_levels`); the pair kept."""
    levels = check_levels(amber, red)

    def write(conn):
        conn.execute(delete(META).where(META.c.key.in_(_LEVEL_KEYS)))
        conn.execute(insert(META), [{"key": key, "value": str(value)} for key, value in zip(_LEVEL_KEYS, levels)])
    db.write(write)
    return levels


def wait_level(estimate: Any, levels: Tuple[int, int]) -> str:
    """``red``, ``amber`` or ``ok`` for a service's estimate (``{"low", "high"}`` minutes, or ``"unknown"``)."""
    if not isinstance(estimate, dict):
        return "ok"
    high = estimate.get("high") or 0
    return "red" if high >= levels[1] else "amber" if high >= levels[0] else "ok"
