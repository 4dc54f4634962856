"""
The live queue page's reminders (提醒我), over HTTP
==================================================

What the page's script and its service worker ask for (``office/push.py``
holds the rules, the keys and the sending); all public, nothing personal:

* ``GET /q/push-key``: the office's VAPID public key, for ``pushManager.subscribe``;
* ``POST /q/<day>/<number>/push``: the browser's subscription for a waiting
  ticket (JSON ``{"subscription": PushSubscription.toJSON(), "lang", "near"}``):
  ``201``; ``404`` for a ticket not waiting; ``400`` for anything else;
* ``DELETE /q/<day>/<number>/push`` (``{"endpoint"}``): reminders off;
* ``GET /q/sw.js``: the service worker that shows the messages (scope ``/q/``);
* ``GET /q/manifest.webmanifest``: what an iPhone needs to run the page from
  its Home Screen, the only place Safari lets a web page be sent messages.

At most :data:`MAX_PER_TICKET` browsers a ticket (a family's phones): a page
cannot make the server keep endless rows.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy import func, select

from . import calls, push
from .current import database as _db, now as _now
from .queue_texts import LANGUAGES
from .schema import PUSH_SUBSCRIPTIONS

__all__ = ["blueprint", "MAX_PER_TICKET"]

log = logging.getLogger("office.push")

blueprint = Blueprint("push", __name__)

MAX_PER_TICKET = 5


@blueprint.get("/q/push-key")
def push_key():
    response = jsonify(key=push.application_key(_db()))
    response.headers["Cache-Control"] = "no-cache"
    return response


def _body() -> dict:
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise push.PushError("send JSON")
    return body


@blueprint.post("/q/<day>/<number>/push")
def subscribe(day: str, number: str):
    number = number.upper()
    try:
        body = _body()
        subscription = push.check_subscription(body.get("subscription"), push.extra_endpoints())
        near = body.get("near", push.NEAR)
        if isinstance(near, bool) or not isinstance(near, int) or not 1 <= near <= 20:
            raise push.PushError("near must be a whole number 1-20")
        lang = body.get("lang") if body.get("lang") in LANGUAGES else "zh-TW"
    except push.PushError as exc:
        return jsonify(error=str(exc)), 400
    db = _db()
    answer = calls.public_answer(db, day, number, _now())
    if answer is None or answer["state"] != "waiting":
        return jsonify(error="no such ticket waiting"), 404
    kept = db.read(lambda conn: conn.execute(select(func.count()).select_from(PUSH_SUBSCRIPTIONS).where(
        PUSH_SUBSCRIPTIONS.c.day == day, PUSH_SUBSCRIPTIONS.c.number == number,
        PUSH_SUBSCRIPTIONS.c.endpoint != subscription["endpoint"])).scalar())
    if kept >= MAX_PER_TICKET:
        return jsonify(error=f"at most {MAX_PER_TICKET} browsers a ticket"), 429
    push.subscribe(db, day, number, subscription, lang, near)
    log.info("reminders on for %s of %s", number, day)  # never the endpoint: it identifies the browser
    return jsonify(ok=True, near=near), 201


@blueprint.delete("/q/<day>/<number>/push")
def unsubscribe(day: str, number: str):
    try:
        endpoint = _body().get("endpoint")
    except push.PushError as exc:
        return jsonify(error=str(exc)), 400
    if not isinstance(endpoint, str):
        return jsonify(error="send {\"endpoint\": ...}"), 400
    return jsonify(removed=push.unsubscribe(_db(), day, number.upper(), endpoint))


@blueprint.get("/q/sw.js")
def service_worker():
    response = Response(render_template("push_sw.js"), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/q/manifest.webmanifest")
def manifest():
    name = _db().office_name() or "戶政事務所"
    body = {"name": name, "short_name": name[:12], "start_url": request.args.get("start", "/q/"),
            "scope": "/q/", "display": "standalone", "background_color": "#ffffff", "theme_color": "#0d294a"}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
