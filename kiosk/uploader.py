"""
Uploading the outbox
====================

Every event the kiosk records waits in the outbox (``events`` table) until
the office server has it.  The uploader sends them in ``seq`` order, in
batches of at most 500 events or 256 KB, through the kiosk's one
:class:`~kiosk.office_client.OfficeClient` (TLS verified against
``server.ca_bundle`` as every request to the office is, the token, a timeout
on every call; ``office/PROTOCOL.md``):

* ``200``: accepted and duplicate ids are marked delivered; rejected ones are
  parked with the server's reason (kept, shown, not retried for ever, never
  blocking the rest);
* ``401``/``403``: the server refuses this kiosk's token: stop, say so, and
  try again only rarely;
* ``429``, ``5xx``, timeouts, dropped connections, an answer that is not the
  protocol's JSON: try again later, with exponential backoff and full jitter
  from 1 s to 5 min, or after the server's ``Retry-After``; a TLS certificate
  the kiosk does not trust likewise, the last error saying so.

An event this kiosk cannot send at all — its data holds text UTF-8 cannot
carry (a lone surrogate, ``\\ud800``, in a row written by an older kiosk or
recovered from a damaged database), or a NaN — is parked before the batch goes,
with the reason, as the server's rejections are: the rest go on, and the last
error says so.  Whatever goes wrong in a pass is kept as the last error (``kiosk
upload status``), and the thread goes on.

Delivery is exactly-once through idempotence: a batch the server committed
but whose answer was lost is sent again and comes back as duplicates.  The
backoff and the last error are kept in the store's ``meta`` so that
``kiosk upload`` and the running kiosk share them.  The token is never logged.

In the running kiosk the same thread records the heartbeats
(``kiosk/heartbeat.py``), each just before the pass that sends it.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, List, Optional

from protocol import officetime
from protocol.events import MAX_BYTES, MAX_EVENTS, valid_text

from .office_client import OfficeClient, OfficeUnreachable

__all__ = ["Uploader", "UploadResult"]

log = logging.getLogger("kiosk.upload")

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 300.0
REFUSED_RETRY = 3600.0   # a refused token is asked about again once an hour
TIMEOUT = (5, 30)  # seconds to connect, seconds to wait for the answer

META_NEXT, META_FAILURES, META_ERROR, META_SUCCESS = ("upload_next_attempt", "upload_failures", "upload_last_error",
                                                      "upload_last_success")


@dataclass
class UploadResult:
    """What one pass did."""

    sent: int = 0
    duplicates: int = 0
    rejected: int = 0
    remaining: int = 0
    error: Optional[str] = None
    refused: bool = False
    rejections: List[str] = field(default_factory=list)
    unsendable: List[str] = field(default_factory=list)  # parked here: this kiosk cannot send them at all


class _Retry(Exception):
    "The batch did not get through; try again after ``after`` seconds (None: the backoff decides)"

    def __init__(self, message, after=None, refused=False):
        super().__init__(message)
        self.after, self.refused = after, refused


class Uploader:
    """Sends the outbox to the office server; see the module docstring."""

    def __init__(self, config, store, client: Optional[OfficeClient] = None,
                 wall: Callable[[], float] = time.time, rng: Callable[[], float] = random.random):
        self.config = config
        self.store = store
        self.client = client or OfficeClient(config)
        self.session = self.client.session
        self.wall = wall   # wall-clock seconds: the backoff deadline is kept across processes
        self.rng = rng
        self.timeout = TIMEOUT
        self.batch_size = MAX_EVENTS
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        #: A :class:`~kiosk.heartbeat.Heartbeat` ticked in this thread before each wait (Services sets it).
        self.heartbeat = None
        #: Called after each pass that reached the office server (the update's health report listens).
        self.on_success: List[Callable[[], None]] = []

    @property
    def url(self) -> str:
        return self.client.url("api/v1/events")

    # -- one pass --------------------------------------------------------------------------------

    def due_in(self) -> float:
        """Seconds until the backoff allows the next attempt (0: now)."""
        return max(0.0, float(self.store.get_meta(META_NEXT) or 0) - self.wall())

    def upload_once(self) -> UploadResult:
        """Send batches until the outbox is empty or the server stops taking them."""
        result = UploadResult()
        if not self.config.server.url:
            result.error = "no office server configured ([server] url is empty)"
        while result.error is None:
            batch = self._next_batch(result)
            if not batch:
                break
            try:
                answer = self._post(batch)
            except _Retry as exc:
                self._failed(str(exc), exc.after, exc.refused)
                result.error, result.refused = str(exc), exc.refused
                break
            self._apply(batch, answer, result)
        if result.error is None and self.config.server.url:
            self._succeeded(result.unsendable)
        result.remaining = self.store.outbox_counts()["pending"]
        self._prune()
        return result

    def _next_batch(self, result: UploadResult) -> List[dict]:
        """The next batch to send; events that cannot be sent at all are parked on the way (``result`` counts them)."""
        while True:
            batch, size, unsendable = [], 0, []
            for event in self.store.pending_events(limit=self.batch_size):
                body = event.to_json()
                try:
                    length = len(json.dumps(body, ensure_ascii=False, allow_nan=False).encode()) + 1
                except ValueError:  # UnicodeEncodeError included
                    unsendable.append((event.id, "this kiosk cannot send it: " + _unsendable(event.data)))
                    continue
                if batch and size + length > MAX_BYTES - 200:  # room for the envelope
                    break
                batch.append(body)
                size += length
            if unsendable:
                self.store.park(unsendable)
                for event_id, reason in unsendable:
                    log.warning("event %s parked: %s", event_id, reason)
                result.rejected += len(unsendable)
                result.rejections += [f"{i}: {e}" for i, e in unsendable]
                result.unsendable += [f"{i}: {e}" for i, e in unsendable]
            if batch or not unsendable:  # a batch of only unsendable events: look at the next ones
                return batch

    def _post(self, batch: List[dict]) -> dict:
        body = json.dumps({"kiosk_id": self.config.kiosk.id, "events": batch}, ensure_ascii=False,
                          allow_nan=False).encode()
        try:
            response = self.client.post_json(self.url, body, timeout=self.timeout)
        except OfficeUnreachable as exc:  # its message names the URL and why, never the token
            raise _Retry(str(exc)) from None
        if response.status_code in (401, 403):
            raise _Retry("server refused this kiosk's token", after=REFUSED_RETRY, refused=True)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"the office server answered HTTP {response.status_code}",
                         after=_retry_after(response.headers.get("Retry-After")))
        if response.status_code != 200:
            raise _Retry(f"the office server answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
            for key in ("accepted", "duplicates", "rejected"):
                if not isinstance(answer.get(key, []), list):
                    raise ValueError(key)
        except (ValueError, AttributeError):
            raise _Retry("the office server's answer is not the protocol's JSON") from None
        return answer

    def _apply(self, batch: List[dict], answer: dict, result: UploadResult) -> None:
        sent = {e["id"] for e in batch}
        accepted = [i for i in answer.get("accepted", []) if i in sent]
        duplicates = [i for i in answer.get("duplicates", []) if i in sent]
        rejected = [(r.get("id"), str(r.get("error", "rejected"))) for r in answer.get("rejected", [])
                    if isinstance(r, dict) and r.get("id") in sent]
        self.store.mark_delivered(accepted + duplicates)
        self.store.park(rejected)
        result.sent += len(accepted)
        result.duplicates += len(duplicates)
        result.rejected += len(rejected)
        result.rejections += [f"{i}: {e}" for i, e in rejected]
        answered = set(accepted) | set(duplicates) | {i for i, _ in rejected}
        if not answered:
            # The server took nothing and said nothing of these: sending them again at once would loop.
            message = "the office server's answer names none of the events sent"
            self._failed(message, None, False)
            result.error = message

    # -- backoff -----------------------------------------------------------------------------------

    def _failed(self, message: str, after: Optional[float], refused: bool) -> None:
        failures = int(self.store.get_meta(META_FAILURES) or 0) + 1
        if after is None:
            # Full jitter: anywhere between 0 and the exponential ceiling, so twenty kiosks
            # coming back after an outage do not all knock at the same second.
            after = max(BACKOFF_FIRST, self.rng() * min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (failures - 1)))
        self.store.set_meta(META_FAILURES, str(failures))
        self.store.set_meta(META_NEXT, str(self.wall() + after))
        self.store.set_meta(META_ERROR, valid_text(message))
        log.warning("upload failed (%d in a row), next try in %.0f s: %s", failures, after, message)

    def _succeeded(self, unsendable: List[str]) -> None:
        self.store.set_meta(META_FAILURES, "0")
        self.store.set_meta(META_NEXT, "0")
        # The rest got through; an event parked because this kiosk cannot send it is still the last error.
        self.store.set_meta(META_ERROR, f"{len(unsendable)} event(s) parked: {unsendable[-1]}" if unsendable else "")
        self.store.set_meta(META_SUCCESS, officetime.rfc3339(officetime.now()))
        for listener in list(self.on_success):
            listener()

    def reaching(self) -> bool:
        """Whether the last pass reached the office server (and one ever did)."""
        return bool(self.store.get_meta(META_SUCCESS)) and (self.store.get_meta(META_FAILURES) or "0") == "0"

    def _prune(self) -> None:
        before = officetime.now() - timedelta(days=self.config.server.keep_days)
        self.store.prune_delivered(officetime.rfc3339(before))

    def status(self) -> dict:
        counts = self.store.outbox_counts()
        return {**counts, "last_error": self.store.get_meta(META_ERROR) or "",
                "last_success": self.store.get_meta(META_SUCCESS) or "", "next_attempt_in": round(self.due_in(), 1),
                "server": self.config.server.url or ""}

    # -- in the running kiosk ------------------------------------------------------------------------

    def start(self) -> None:
        """Upload in a background thread: at once, then whenever woken or the backoff allows.

        The thread also records the heartbeats (``self.heartbeat``): the first at once, before the first pass.
        """
        if self._thread is None and self.config.server.url:
            self._thread = threading.Thread(target=self._run, name="uploader", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Something new is in the outbox: try soon (the backoff still applies)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            # A heartbeat due now goes into the outbox first, so the pass below sends it.
            beat_in = self.heartbeat.tick() if self.heartbeat is not None else None
            wait = self.due_in()
            if wait <= 0:
                try:
                    result = self.upload_once()
                    wait = self.due_in() if result.error else 60.0
                except Exception as exc:  # the uploader must never die: the outbox would grow for ever
                    log.exception("upload pass failed")
                    wait = self._pass_failed(exc)
            if beat_in is not None:  # wake for the next heartbeat, even in a long backoff
                wait = min(wait, beat_in)
            self._wake.wait(wait)
            self._wake.clear()

    def _pass_failed(self, exc: Exception) -> float:
        """Keep what went wrong as the last error (``kiosk upload status``), with the backoff; seconds to wait."""
        try:
            self._failed(f"upload pass failed: {type(exc).__name__}: {exc}", None, False)
            return max(self.due_in(), BACKOFF_FIRST)
        except Exception:  # a store that cannot even take the error (disk full): the log has it
            log.exception("cannot record the failed upload pass")
            return 60.0

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)


def _unsendable(data: Any, path: str = "data") -> str:
    """Why an event's data cannot be sent: where a text UTF-8 cannot carry, or a NaN, is."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (f"{path} holds text that is not valid Unicode (U+{ord(data[exc.start]):04X} at character "
                    f"{exc.start}, a lone surrogate)")
    elif isinstance(data, float) and (math.isnan(data) or math.isinf(data)):
        return f"{path} is {data!r}, which JSON cannot carry"
    elif isinstance(data, dict):
        for key, value in data.items():
            found = _unsendable(key, f"{path} key {valid_text(str(key))!r}") or \
                _unsendable(value, f"{path}.{valid_text(str(key))}")
            if found:
                return found
    elif isinstance(data, list):
        for number, value in enumerate(data):
            found = _unsendable(value, f"{path}[{number}]")
            if found:
                return found
    return "" if path != "data" else "its data cannot be written as JSON"


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header (seconds form), capped at the backoff's maximum."""
    try:
        return min(BACKOFF_MAX, max(0.0, float(value)))
    except (TypeError, ValueError):
        return None
