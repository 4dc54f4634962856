"""
The number-calling API
======================

JSON over HTTP for the counter page, the lobby display and the residents'
live queue page (``office/PROTOCOL.md``, "Number calling"); the queue itself is
``office/calls.py``.

Staff only (the staff pages' session cookie, ``/login``; else ``401``):

* ``POST /api/v1/calls/next`` ``{"counter": 3, "services": ["A", "B"]}`` → the call, or ``204`` when nobody waits;
* ``POST /api/v1/calls/{id}/recall`` · ``/no-show`` (``{"max_recalls": 2}`` optional) · ``/done`` ·
  ``/transfer`` ``{"to_service": "C"}`` · ``/requeue``;
* ``GET /api/v1/calls/state``: now serving, last calls, waiting per service, estimates, today's no-shows,
  the alerts not yet acknowledged and each service's wait level (``office/alerts.py``);
* ``POST /api/v1/alerts/{id}/ack``: a negative rating at a counter seen to (who and when are kept);
* ``GET /api/v1/calls/stream`` (``?since=<event id>`` or ``Last-Event-ID``): server-sent events, one per action.

**Streams cannot starve the server.**  Under waitress each open stream holds one of its threads, so the
streams open at once are capped: :data:`STREAM_PER_CLIENT` (2) per display token or staff account (a third is
``429``) and ``CALLS_STREAM_MAX_OPEN`` in all (``kiosk-office serve --streams``; beyond it ``503``), both with
``Retry-After``; ``serve`` gives waitress that many threads *more* than ``--threads``, so uploads and pages
always keep theirs.  A stream ends after :data:`STREAM_MAX_SECONDS` (the display reconnects with ``since=``)
and within :data:`STREAM_POLL_SECONDS` of its client going away (``waitress.client_disconnected``, which
``serve`` turns on), so a closed display frees its slot at once, not at the next keep-alive.  A display
refused a stream polls the state instead (``display.html``).

The lobby display's reads (the state, without ``no_shows``, and the stream) also take a display token
instead of the session: ``?token=…`` (``kiosk-office display add NAME``, ``office/displays.py``).  A display
token never grants an action.  A wrong one is ``401``; the token is never logged nor put in a message.

Every POST must be ``Content-Type: application/json``: a page on another site
cannot send that with the staff's cookie without a CORS preflight, which this
server never grants (and the cookie is SameSite=Lax): no CSRF token is needed.

Public (no sign-in, nothing about the resident): ``GET /api/v1/queue/{day}/{number}``.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from datetime import date

from flask import Blueprint, Response, current_app, g, jsonify, request, session, stream_with_context

from protocol import officetime

from . import alerts, calls, displays
from .calls import CallError
from .current import database as _db, now as _now

__all__ = ["blueprint", "STREAM_POLL_SECONDS", "STREAM_KEEPALIVE_SECONDS", "STREAM_MAX_SECONDS",
           "STREAM_MAX_OPEN", "STREAM_PER_CLIENT"]

log = logging.getLogger("office.calls_api")

blueprint = Blueprint("calls_api", __name__, url_prefix="/api/v1")

#: A stream also reads the database this often when not woken (another server process's calls).
STREAM_POLL_SECONDS = 2.0
#: A comment line this often keeps proxies from closing an idle stream.
STREAM_KEEPALIVE_SECONDS = 15.0
#: A stream ends after this long (it holds one of waitress's threads); EventSource reconnects with Last-Event-ID.
STREAM_MAX_SECONDS = 300.0
#: A client that missed more events than this is sent ``reset`` (reload the state) instead of every one of them.
STREAM_REPLAY_MAX = 100
#: ``GET /api/v1/calls/state?last=N``: how many of the last calls (default 5).
LAST_CALLS_BOUNDS = (1, 20)
#: Streams open at once in this process (app.config ``CALLS_STREAM_MAX_OPEN``; ``kiosk-office serve --streams``
#: sets it and gives waitress as many threads more than ``--threads``).  The default suits waitress's own 4.
STREAM_MAX_OPEN = 2
#: Streams open at once per display token or staff account (``CALLS_STREAM_PER_CLIENT``): a TV and its reload.
STREAM_PER_CLIENT = 2
#: A call id is a database integer: a larger one names no call (404), it must never reach the database.
CALL_ID_MAX = 2**63 - 1


class _StreamSlots:
    """How many streams are open, in all and per client; a stream takes a slot before it starts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.total = 0
        self.per_client = {}

    def take(self, client, most: int, per_client: int):
        """Take a slot for ``client``; a release function, or raise _Refused (429 or 503) with Retry-After."""
        with self.lock:
            if self.per_client.get(client, 0) >= per_client:
                raise _Refused(429, f"this display or account already has {per_client} event streams open; "
                                    "close one (each holds a server thread)", retry_after=5)
            if self.total >= most:
                raise _Refused(503, f"the server has {most} event streams open, its most; "
                                    "poll GET /api/v1/calls/state meanwhile", retry_after=10)
            self.total += 1
            self.per_client[client] = self.per_client.get(client, 0) + 1
        released = []

        def release():
            with self.lock:
                if released:
                    return
                released.append(True)
                self.total -= 1
                left = self.per_client[client] - 1
                if left:
                    self.per_client[client] = left
                else:
                    del self.per_client[client]
        return release


def _slots() -> _StreamSlots:
    return current_app.extensions.setdefault("office_stream_slots", _StreamSlots())


_heads: dict = {}  # database URL -> [monotonic time it was read, its last event id]
_heads_lock = threading.Lock()


def _head(db, poll: float) -> int:
    """The database's last event id, read once per ``poll`` seconds for all of this process's streams.

    A call made in this process wakes every stream at once (calls.wait_for_change); this is for the calls of
    another process, so that 100 open streams cost one read every ``poll`` seconds, not 100.
    """
    key, now = db.display_url, time.monotonic()
    with _heads_lock:
        found = _heads.get(key)
        if found is not None and now - found[0] < poll:
            return found[1]
        if found is not None:
            found[0] = now  # this stream reads it; the others use the last value meanwhile
    head = calls.last_event_id(db)
    with _heads_lock:
        _heads[key] = [now, head]
    return head


class _Refused(Exception):
    def __init__(self, status: int, message: str, retry_after=None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


@blueprint.errorhandler(_Refused)
def _refused(exc: _Refused):
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else {}
    return jsonify(error=exc.message), exc.status, headers


@blueprint.errorhandler(CallError)
def _call_error(exc: CallError):
    return jsonify(error=str(exc)), exc.status


@blueprint.errorhandler(ValueError)
def _bad_value(exc: ValueError):
    return jsonify(error=str(exc)), 400


def staff_only(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not session.get("staff"):
            raise _Refused(401, "sign in first (POST /login, the staff pages' session cookie)")
        return view(*args, **kwargs)
    return wrapped


def staff_or_display(view):
    """The staff session, or a display token (``?token=``): for what the lobby display reads, nothing else."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not session.get("staff"):
            token = request.args.get("token", "")
            if not token:
                raise _Refused(401, "sign in first (POST /login, the staff pages' session cookie), "
                                    "or open the display with its token (kiosk-office display add NAME)")
            name = displays.display_for_token(_db(), token)
            if name is None:
                log.warning("a display token was refused (from %s)", request.remote_addr)  # never the token
                raise _Refused(401, "unknown display token: it was never issued, or kiosk-office display add "
                                    "replaced it; ask for the display's new address")
            g.office_reader = ("display", name)
        else:
            g.office_reader = ("staff", session.get("staff"))
        return view(*args, **kwargs)
    return wrapped


def _body() -> dict:
    if not request.is_json:
        raise _Refused(415, "send Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise _Refused(400, "the body must be a JSON object")
    return body


@blueprint.post("/calls/next")
@staff_only
def call_next():
    body = _body()
    counter, services = body.get("counter"), body.get("services")
    if not isinstance(services, list):
        raise _Refused(400, 'send {"counter": 3, "services": ["A", "B"]}')
    call = calls.call_next(_db(), counter, services, _now())
    if call is None:
        return Response(status=204)
    log.info("counter %s called %s", call["counter"], call["number"])
    return jsonify(call)


@blueprint.post("/calls/<int:call_id>/<action>")
@staff_only
def act(call_id: int, action: str):
    if call_id > CALL_ID_MAX:  # 23 digits: no call has it, and the database cannot even be asked
        raise _Refused(404, f"no call {call_id}")
    body, db, now = _body(), _db(), _now()
    if action == "recall":
        call = calls.recall(db, call_id, now)
    elif action == "no-show":
        max_recalls = body.get("max_recalls", calls.MAX_RECALLS)
        if isinstance(max_recalls, bool) or not isinstance(max_recalls, int) or max_recalls < 0:
            raise _Refused(400, f"max_recalls must be a whole number ≥ 0, got {max_recalls!r}")
        call = calls.no_show(db, call_id, now, max_recalls=max_recalls)
    elif action == "done":
        call = calls.done(db, call_id, now)
    elif action == "transfer":
        to_service = body.get("to_service")
        if not isinstance(to_service, str):
            raise _Refused(400, 'send {"to_service": "C"}')
        call = calls.transfer(db, call_id, to_service, now)
    elif action == "requeue":
        call = calls.requeue(db, call_id, now)
    else:
        raise _Refused(404, f"unknown action {action!r}: recall, no-show, done, transfer or requeue")
    log.info("call %s (%s): %s", call_id, call["number"], action)
    return jsonify(call)


@blueprint.get("/calls/state")
@staff_or_display
def get_state():
    raw = request.args.get("last", "5")
    low, high = LAST_CALLS_BOUNDS
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise _Refused(400, f"last must be a whole number {low}-{high}, got {raw!r}")
    db, now = _db(), _now()
    day = officetime.office_day(now)
    answer = calls.state(db, day, last=int(raw), now=now)
    if session.get("staff"):  # the counter page's; a lobby display shows residents none of this
        answer["no_shows"] = calls.no_shows(db, day)  # its 重新排入 list
        levels = alerts.wait_levels(db)
        answer["wait_levels"] = {"amber": levels[0], "red": levels[1]}
        answer["levels"] = {svc: alerts.wait_level(est, levels) for svc, est in answer["estimates"].items()}
        answer["alerts"] = alerts.open_alerts(db, answer["day"])
    return jsonify(answer)


@blueprint.post("/alerts/<int:alert_id>/ack")
@staff_only
def acknowledge_alert(alert_id: int):
    _body()  # JSON only: see the module docstring (no CSRF token needed)
    if alert_id > CALL_ID_MAX:
        raise _Refused(404, f"no alert {alert_id}")
    found = alerts.acknowledge(_db(), alert_id, session["staff"], _now())
    if found is None:
        raise _Refused(404, f"no alert {alert_id}")
    log.info("%s acknowledged alert %s (counter %s)", session["staff"], alert_id, found["counter"])
    return jsonify(found)


def _since() -> int:
    # EventSource's own reconnection sends Last-Event-ID with the URL it first opened: the header is newer.
    raw = request.headers.get("Last-Event-ID", "").strip() or request.args.get("since", "")
    if raw == "":
        return calls.last_event_id(_db())  # from now on
    if not raw.isdigit():
        raise _Refused(400, f"since must be an event id (a whole number), got {raw!r}")
    return int(raw)


def _message(kind: str, data: dict, event_id=None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@blueprint.get("/calls/stream")
@staff_or_display
def stream():
    db, since = _db(), _since()
    poll = current_app.config.get("CALLS_STREAM_POLL_SECONDS", STREAM_POLL_SECONDS)
    keepalive = current_app.config.get("CALLS_STREAM_KEEPALIVE_SECONDS", STREAM_KEEPALIVE_SECONDS)
    limit = current_app.config.get("CALLS_STREAM_MAX_SECONDS", STREAM_MAX_SECONDS)
    replay_max = current_app.config.get("CALLS_STREAM_REPLAY_MAX", STREAM_REPLAY_MAX)
    release = _slots().take(g.office_reader, current_app.config.get("CALLS_STREAM_MAX_OPEN", STREAM_MAX_OPEN),
                            current_app.config.get("CALLS_STREAM_PER_CLIENT", STREAM_PER_CLIENT))
    # waitress (channel_request_lookahead > 0) says when the client has gone: its slot is freed at the next wake.
    gone = request.environ.get("waitress.client_disconnected", lambda: False)

    def events():
        last, start = since, time.monotonic()
        quiet_since = start
        yield "retry: 1000\n\n"
        head = calls.last_event_id(db)
        if last > head or head - last > replay_max:
            # Ahead of this database (it was replaced) or too far behind: the client reloads the state instead.
            yield _message("reset", {"last_event_id": head, "since": last}, head)
            last = head
        catch_up = head if last < head else None  # events up to head were missed: the client speaks only the newest
        woken = True
        while time.monotonic() - start < limit and not gone():
            seen = calls.generation(db)  # before reading: a call committed while reading wakes the wait below
            if woken or _head(db, poll) > last:
                for event in calls.events_since(db, last):
                    last = event["id"]
                    if catch_up is not None and last <= catch_up:
                        event["catch_up_until"] = catch_up
                    yield _message(event["kind"], event, last)
                    quiet_since = time.monotonic()
            if time.monotonic() - quiet_since >= keepalive:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            woken = calls.wait_for_change(db, poll, seen)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    try:
        response = Response(stream_with_context(events()), mimetype="text/event-stream", headers=headers)
    except BaseException:
        release()
        raise
    response.call_on_close(release)  # when waitress closes the response, even one never started
    return response


@blueprint.get("/queue/<day>/<number>")
def queue(day: str, number: str):
    """The live queue page's data: public, so it says nothing about the resident."""
    try:
        date.fromisoformat(day)
    except ValueError:
        raise _Refused(400, f"day must be YYYY-MM-DD, got {day!r}") from None
    answer = calls.public_answer(_db(), day, number, _now())
    if answer is None:
        raise _Refused(404, f"no ticket {number} on {day}")
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response
