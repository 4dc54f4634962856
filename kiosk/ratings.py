"""
Satisfaction ratings
====================

A resident rates the service on the office's scale: three choices (滿意 /
普通 / 不滿意) or five (非常滿意 … 非常不滿意), by pressing an arcade button or
tapping a face on the screen.  :class:`RatingService` turns a press into a
durable rating: the row and its ``rating`` event are committed in one
synchronous transaction *before* anything (LED, screen) tells the resident it
was taken.

Misuse, as HappyOrNot defines it: a rating within ``response_interval``
seconds of the previous one (a child hammering a button, two buttons pressed
at once) is kept with ``misuse = 1`` and left out of the statistics.  Nothing
a resident did is ever deleted.

No Kivy and no GPIO here: buttons and screens call :meth:`RatingService.rate`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, List, Optional, Sequence

from protocol import officetime
from protocol.ratings import REASONS, SOURCES, Choice, Scale

from .errors import StoreError
from .events import Event

__all__ = ["Rating", "RatingService", "latest_choice", "ratings_between"]

log = logging.getLogger("kiosk.ratings")


@dataclass(frozen=True)
class Rating:
    """A rating as stored; ``index`` is the button (0 = best)."""

    id: str
    at: str
    index: int
    choice: Choice
    scale: int
    source: str
    misuse: bool
    location: str = ""
    service: str = ""
    negative: bool = field(default=False)
    ticket: str = ""


class RatingService:
    """Records ratings: misuse flag, one durable transaction, then the listeners.

    :param store: the kiosk's :class:`~kiosk.store.Store`.
    :param scale: the :class:`Scale` in use.
    :param float response_interval: seconds within which a further rating is misuse.
    :param monotonic: the clock for the response interval (tests pass a fake one).
    Listeners (``on_rated``) run after the commit, on the caller's thread; the
    UI's listener hands over to Kivy's main thread itself.
    """

    def __init__(self, store, scale: Scale, kiosk_id: str, response_interval: float = 3.0,
                 location: str = "", service: str = "", monotonic: Callable[[], float] = time.monotonic):
        self.store = store
        self.scale = scale
        self.kiosk_id = kiosk_id
        self.response_interval = response_interval
        self.location = location
        self.service = service
        self.monotonic = monotonic
        self.on_rated: List[Callable[[Rating], None]] = []
        self.on_fault: List[Callable[[str], None]] = []
        self._last_press: Optional[float] = None
        # One rating at a time: the misuse decision and the write must see the same "previous".
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, store, config, **kwargs) -> "RatingService":
        return cls(store, Scale.of_size(len(config.buttons.pins)), config.kiosk.id,
                   response_interval=config.ratings.response_interval, location=config.ratings.location,
                   service=config.ratings.service, **kwargs)

    def rate(self, index: int, source: str, service: Optional[str] = None,
             at: Optional[datetime] = None, ticket: str = "") -> Rating:
        """Record a rating of choice ``index`` from ``source``; return it once it is on disk.

        ``ticket`` (e.g. ``"A012"``) and ``service`` link it to the visit when
        the resident picked their ticket on screen.

        Raises :class:`~kiosk.errors.StoreError` if it could not be stored (disk
        full...); the fault listeners have then been told.
        """
        if source not in SOURCES:
            raise ValueError(f"unknown rating source {source!r}; known: {', '.join(SOURCES)}")
        choice = self.scale.choice(index)
        with self._lock:
            now = self.monotonic()
            misuse = self._last_press is not None and now - self._last_press < self.response_interval
            self._last_press = now
            moment = (at or officetime.now()).astimezone(officetime.TAIPEI)
            rating = self._store(index, choice, source, misuse, service if service is not None else self.service,
                                 moment, ticket)
        for listener in list(self.on_rated):  # feedback first: the LED and the screen
            try:
                listener(rating)
            except Exception:  # one broken listener (an LED) must not hide the rating from the others
                log.exception("rating listener %r failed", listener)
        log.info("rating %s (%s) from %s%s", choice.key, choice.label, source, " [misuse]" if misuse else "")
        return rating

    def _store(self, index, choice, source, misuse, service, moment, ticket="") -> Rating:
        data = {"score": choice.score, "scale": self.scale.size, "choice": choice.key, "source": source,
                "kiosk_id": self.kiosk_id, "location": self.location, "service": service, "misuse": misuse,
                "ticket": ticket}
        event = Event.new("rating", data, at=moment)

        def write(conn):
            seq = self.store.add_event(event, conn).seq
            conn.execute(
                "INSERT INTO ratings (seq, at, day, hour, scale, score, choice, source, kiosk_id, location, service,"
                " misuse, clock_synced, ticket) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, event.at, moment.date().isoformat(), moment.hour, self.scale.size, choice.score,
                 choice.key, source, self.kiosk_id, self.location, service, int(misuse), int(event.clock_synced),
                 ticket))

        try:
            self.store.write(write)
        except Exception as exc:  # sqlite3 errors (disk full, I/O) and a closed store alike
            message = f"rating {choice.key} from {source} could not be stored: {exc}"
            log.error("%s", message)
            for listener in list(self.on_fault):
                listener(message)
            raise StoreError(message) from exc
        return Rating(event.id, event.at, index, choice, self.scale.size, source, misuse, self.location, service,
                      negative=self.scale.negative(choice.score), ticket=ticket)

    def set_reason(self, rating_id: str, reason: str) -> None:
        """Link the answer to "why?" to its rating, and queue it for the office server."""
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}; known: {', '.join(REASONS)}")

        def write(conn):
            updated = conn.execute("UPDATE ratings SET reason = ? WHERE seq = (SELECT seq FROM events WHERE id = ?)",
                                   (reason, rating_id)).rowcount
            if not updated:
                raise ValueError(f"no rating {rating_id!r}")
            self.store.record_event("rating_reason", {"rating_id": rating_id, "reason": reason}, conn)

        self.store.write(write)


def latest_choice(store) -> Optional[str]:
    """The choice key of the newest rating stored here (``smile``...), None before the first."""
    row = store.read(lambda c: c.execute("SELECT json_extract(data, '$.choice') FROM events WHERE type = 'rating' "
                                         "ORDER BY seq DESC LIMIT 1").fetchone())
    return row[0] if row else None


def ratings_between(store, first_day: str, last_day: str) -> Sequence[dict]:
    """Every rating of the office days ``first_day``..``last_day`` (ISO dates), oldest first, as dicts."""
    def query(conn):
        cursor = conn.execute(
            "SELECT e.id, r.at, r.day, r.hour, r.scale, r.score, r.choice, r.source, r.kiosk_id, r.location,"
            " r.service, r.ticket, r.misuse, r.reason, r.clock_synced FROM ratings r JOIN events e ON e.seq = r.seq"
            " WHERE r.day BETWEEN ? AND ? ORDER BY r.seq", (first_day, last_day))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    return store.read(query)
