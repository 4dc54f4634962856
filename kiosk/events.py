"""
Events
======

Everything worth remembering that happens at the kiosk is an :class:`Event`:
a resident's rating, a ticket issued, a form viewed or its slip printed, a
fault, a heartbeat, an administrator's action.  The store keeps them in its
outbox (``events`` table) and the uploader sends them to the office server in
exactly the shape :meth:`Event.to_json` gives, so the kiosk and the server
share one definition.

Times are office time (Asia/Taipei, ``+08:00``) and every event says whether
the clock was synchronised when it was taken: a Raspberry Pi has no real-time
clock, so an event recorded before the network came up may carry a wrong date.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Optional

from protocol import officetime
from protocol.events import EVENT_TYPES, valid_text

from . import clock_sync

__all__ = ["Event"]


def _as_json(data: Any) -> str:
    """``data`` as compact JSON text; ValueError if JSON cannot hold it."""
    try:
        # allow_nan=False: NaN and Infinity are not JSON and the server would refuse them.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"event data must be JSON-serialisable: {exc}") from None


@dataclass(frozen=True)
class Event:
    """One thing that happened at the kiosk; ``seq`` is set once the store has kept it."""

    id: str
    type: str
    at: str
    clock_synced: bool
    data: Dict[str, Any] = field(default_factory=dict)
    seq: Optional[int] = None
    boot_id: Optional[str] = None      # set while the clock is not synced: which boot...
    monotonic: Optional[float] = None  # ...and how many seconds into it

    @classmethod
    def new(cls, type: str, data: Optional[Dict[str, Any]] = None, at: Optional[datetime] = None) -> "Event":
        """A new event of a known type, stamped now (or ``at``, a timezone-aware time)."""
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}; known: {', '.join(EVENT_TYPES)}")
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ValueError(f"event data must be a dict, got {data.__class__.__name__}")
        # A round trip through JSON gives the event exactly the data the store and
        # the server will read back (tuples become lists, keys become strings).  Text UTF-8
        # cannot carry (a lone surrogate from a file name or an answer's "\\ud800") is
        # mended on the way, U+FFFD: the store could not keep it, nor the server take it.
        data = json.loads(valid_text(_as_json(data)))
        # Office time, whatever zone the caller's time was in: one offset makes `at` sort as text.
        moment = (at if at is not None else officetime.now()).astimezone(officetime.TAIPEI)
        synced = clock_sync.clock_synced()
        # Without a synced clock `at` may be days off; the boot and the time since it let the
        # server place the event once the same boot's later events arrive with a good clock.
        return cls(id=str(uuid.uuid4()), type=type, at=officetime.rfc3339(moment), clock_synced=synced, data=data,
                   boot_id=None if synced else clock_sync.boot_id(), monotonic=None if synced else time.monotonic())

    def data_json(self) -> str:
        """The data as the JSON text the store keeps."""
        return _as_json(self.data)

    def to_json(self) -> Dict[str, Any]:
        """The event as the upload protocol sends it."""
        body = {"id": self.id, "type": self.type, "seq": self.seq, "at": self.at,
                "clock_synced": self.clock_synced, "data": self.data}
        if not self.clock_synced:
            body.update(boot_id=self.boot_id, monotonic=self.monotonic)
        return body
