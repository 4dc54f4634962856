"""
The number-calling pages
========================

Plain server-rendered HTML with a little vanilla JavaScript inline in the
templates (no build step, no CDN, nothing fetched from the Internet: the
office LAN may have none).  They use the JSON API of ``office/calls_api.py``.

* ``/counter`` (staff sign-in): a clerk's page: counter number and services
  (kept in the browser's localStorage), 叫下一號 / 重呼 / 過號 / 完成 / 轉櫃 with
  keyboard shortcuts N / R / S / D / T, the current ticket, people waiting and
  the estimates;
* ``/display`` (staff sign-in, or a display token: ``/display?token=…`` from
  ``kiosk-office display add NAME``, ``office/displays.py``): the lobby TV: now
  serving per counter, the last calls, a two-tone chime (Web Audio) and the
  call said in the languages the office chose on ``/voice``, each from the
  office's recorded clips, else the browser's speechSynthesis, else not at all
  (``office/voice.py``).
  It passes the token on to the state request and the event stream; a wrong
  token is a ``401`` page (the token is never logged).  After a lost connection
  it shows 連線中斷，重新連線中…, reconnects with ``since=`` its last event and
  shows the calls made meanwhile, speaking only the newest;
* ``/q/<day>/<number>`` (public, no sign-in): the live queue page a ticket's QR
  code opens: the office, the service's name, the ticket's date (民國) and
  number, people ahead, now serving in its service, the estimated wait; in the
  language of ``?lang=`` (the kiosk puts the ticket's in the QR) or the
  browser's, with links to the others (``office/queue_page.py``).  Nothing
  about the resident (no kiosk, time, nor the language the ticket was stored
  with: the address is easy to guess).  Any other address under
  ``/q/`` (a number not taken that day, a malformed day or number) is a ``404``
  page of the same look in the resident's language, rendered here (not by the
  app's error handler) so it never falls back to the framework's English page.
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from typing import Optional

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select

from protocol import officetime

from . import calls, displays, queue_page as texts
from .forecast import PRIORITY
from .schema import TICKETS
from .current import database as _db, now as _now
from .pages import login_required

__all__ = ["blueprint", "queue_answer"]

log = logging.getLogger("office.calling_pages")

blueprint = Blueprint("calling", __name__)

_NUMBER = re.compile(r"[A-Za-z]?\d{1,4}")
#: The live queue page reads the public API this often (seconds; ``?every=`` between the bounds).
QUEUE_REFRESH_SECONDS = 20
QUEUE_REFRESH_BOUNDS = (2, 60)


def _known_services(day: date):
    """Service prefixes with tickets in the last 30 days (the counter page offers them), P left out."""
    since = (day - timedelta(days=30)).isoformat()
    query = select(TICKETS.c.service).where(TICKETS.c.day >= since).distinct()
    found = {s for (s,) in _db().read(lambda c: c.execute(query).all()) if s}
    return sorted(found - {PRIORITY})


@blueprint.get("/counter")
@login_required
def counter():
    return render_template("counter.html", services=_known_services(officetime.office_day(_now())))


def _display_page(token):
    response = current_app.make_response(render_template("display.html", token=token))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the address may hold the token
    return response


@blueprint.get("/display")
def display():
    """The lobby TV: for the staff session, or with a display token (``?token=``) and no sign-in."""
    token = request.args.get("token", "")
    if session.get("staff") and not token:
        return _display_page(None)
    if not token:
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    if displays.display_for_token(_db(), token) is None:
        log.warning("the display page refused a display token (from %s)", request.remote_addr)  # never the token
        response = current_app.make_response((render_template(
            "message.html", title="顯示器代碼無效 Unknown display token",
            message="這個網址的顯示器代碼無效或已被更換，請向管理者索取新的網址"
                    "（kiosk-office display add 名稱）。 This display token is unknown or was replaced: "
                    "ask for the display's new address (kiosk-office display add NAME)."), 401))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    return _display_page(token)


def queue_answer(day: str, number: str):
    """What ``GET /api/v1/queue/{day}/{number}`` answers (the same fields), or None for no such ticket."""
    return calls.public_answer(_db(), day, number, _now())


def _ticket_day(day: str) -> Optional[date]:
    """The day of a ``/q/`` address (``YYYY-MM-DD`` exactly, in the ROC calendar), or None."""
    try:
        found = date.fromisoformat(day)
    except ValueError:
        return None
    # fromisoformat also reads 20261201 and 2026-W49-2; 1911 and before has no ROC year.
    return found if found.isoformat() == day and found.year > 1911 else None


def _refresh_seconds() -> int:
    try:
        every = int(request.args.get("every", QUEUE_REFRESH_SECONDS))
    except ValueError:
        every = QUEUE_REFRESH_SECONDS
    return min(max(every, QUEUE_REFRESH_BOUNDS[0]), QUEUE_REFRESH_BOUNDS[1])


def _language() -> str:
    """The resident's language: ``?lang=`` (the kiosk puts the ticket's in the QR), else the browser's."""
    return texts.language_for(request.args.get("lang"), request.accept_languages)


def _resident_page(template: str, status: int, lang: str, **context):
    """A page under /q/ in ``lang``, with links to the same address in the page's other languages."""
    return texts.page(template, status, lang, office=_db().office_name(), every=_refresh_seconds(), **context)


@blueprint.get("/q/<day>/<number>")
def queue_page(day: str, number: str):
    """The residents' live queue page (public): rendered with the answer now, then refreshed by the page."""
    ticket_day, number, lang = _ticket_day(day), number.upper(), _language()
    if ticket_day is None or not _NUMBER.fullmatch(number):
        return queue_nowhere()
    roc_day = texts.long_date(ticket_day, lang)  # as the kiosk's header writes it in that language
    answer = queue_answer(day, number)
    if answer is None:  # not taken that day, or not uploaded yet: today's page keeps looking
        watch = ticket_day == officetime.office_day(_now())
        return _resident_page("queue_missing.html", 404, lang, day=day, number=number, roc_day=roc_day, watch=watch)
    service_name = texts.service_names(_db(), day, number, answer["service"])[lang]
    return _resident_page("queue.html", 200, lang, day=day, number=number, q=answer, roc_day=roc_day,
                          service_name=service_name)


@blueprint.get("/q")
@blueprint.get("/q/")
@blueprint.get("/q/<path:rest>")
def queue_nowhere(rest: str = ""):
    """An address under /q/ that names no ticket: the residents' not-found page, never the framework's."""
    return _resident_page("queue_missing.html", 404, _language(), day=None, number=None, roc_day=None, watch=False)
