"""
The phone's page for taking a number: /take
===========================================

Public, no sign-in: a resident at home picks a service and gets the office's
next number of it (``office/remote.py``), then the same live queue page a
printed ticket's QR opens (``/q/<day>/<number>``).  In the six languages of the
live queue page, picked the same way (``?lang=``, else the browser's).

What keeps it fair, besides the office's limits (``office/remote.py``):

* **one active ticket per phone**: the number taken is kept in the phone's
  session cookie; while it waits or is being served, the page shows it and takes
  no other (a resident who clears cookies can take one more, within the remote
  limit: no phone number or account is asked for, on purpose);
* **a rate per address**: at most :data:`RATE_TRIES` tries in
  :data:`RATE_SECONDS` from one IP address (``429`` after), counted in this
  process (behind a reverse proxy, the proxy's address: limit there too; the
  app's ``TAKE_RATE`` config, ``(tries, seconds)``, changes it: the simulated
  day's phones all come from 127.0.0.1);
* the form carries the session's CSRF token, as the staff pages' do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from typing import Deque, Dict, Optional

from flask import Blueprint, current_app, redirect, request, session, url_for

from protocol import officetime

from . import calls, queue_page as texts, remote
from .current import database as _db, now as _now
from .pages import _check_csrf, csrf_token

__all__ = ["blueprint", "RATE_TRIES", "RATE_SECONDS"]

log = logging.getLogger("office.take")

blueprint = Blueprint("take", __name__)

#: Tries (a number taken or refused) one address may make in RATE_SECONDS.
RATE_TRIES, RATE_SECONDS = 6, 600
_SESSION_KEY = "remote_ticket"


class _Rate:
    """At most ``tries`` per address in a sliding window of ``seconds``, in this process."""

    def __init__(self, tries: int, seconds: float):
        self.most, self.seconds = tries, seconds
        self._tries: Dict[str, Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tries = self._tries[address]
            while tries and tries[0] <= now - self.seconds:
                tries.popleft()
            if len(tries) >= self.most:
                return False
            tries.append(now)
            if len(self._tries) > 10000:  # forget addresses with no recent try, so the map cannot grow for ever
                for key in [k for k, v in self._tries.items() if not v]:
                    del self._tries[key]
            return True


def _rate() -> _Rate:
    """This app's counts (each app its own: a test's app, a server's)."""
    found = current_app.extensions.get("office_take_rate")
    if found is None:  # two first requests at once: setdefault keeps one of the two
        found = current_app.extensions.setdefault("office_take_rate", _Rate(
            *current_app.config.get("TAKE_RATE", (RATE_TRIES, RATE_SECONDS))))
    return found


def _language() -> str:
    return texts.language_for(request.values.get("lang"), request.accept_languages)


def _active(db, now) -> Optional[dict]:
    """The number this phone took that still waits or is being served today, or None."""
    kept = session.get(_SESSION_KEY)
    if not (isinstance(kept, list) and len(kept) == 2):
        return None
    day, number = kept
    answer = calls.public_answer(db, day, number, now)
    if answer is None or answer["state"] not in ("waiting", "called") or day != officetime.office_day(now).isoformat():
        return None
    return {"day": day, "number": number, "state": answer["state"]}


def _page(status: int, lang: str, problem: Optional[str] = None, mine: Optional[dict] = None):
    db, now = _db(), _now()
    offers = [dict(prefix=o.service.prefix, name=o.service.name_in(lang), open=o.open, left=o.left)
              for o in remote.offers(db, now)]
    return texts.page("take.html", status, lang, office=db.office_name(), every=20, offers=offers,
                      mine=mine if mine is not None else _active(db, now), problem=problem, csrf=csrf_token(),
                      code=lang)


@blueprint.get("/take")
def take_page():
    return _page(200, _language())


@blueprint.post("/take")
def take_number():
    lang = _language()
    _check_csrf()
    if not _rate().allow(request.remote_addr or "?"):
        log.warning("too many tries to take a number from %s", request.remote_addr)
        return _page(429, lang, problem="take.too_many")
    db, now = _db(), _now()
    mine = _active(db, now)
    if mine is not None:
        return _page(409, lang, problem="take.already", mine=mine)
    try:
        taken = remote.take_remote(db, request.form.get("service", ""), lang, now)
    except remote.RemoteRefused as exc:
        return _page(409, lang, problem=f"take.refused_{exc.reason}")
    session[_SESSION_KEY] = [taken["day"], taken["number"]]
    log.info("number %s of %s taken on a phone", taken["number"], taken["day"])
    return redirect(url_for("calling.queue_page", day=taken["day"], number=taken["number"], lang=lang), code=303)
