"""
The kiosks' API
===============

Six endpoints under ``/api/v1``, all with the kiosk's bearer token
(``office/PROTOCOL.md`` is the contract):

* ``POST /api/v1/events``: a batch of events; each is accepted, a duplicate,
  or rejected with its reason, in one transaction;
* ``POST /api/v1/numbers``: the next office number of a service, the same
  for every kiosk (``office/numbering.py``);
* ``POST /api/v1/appointments/check-in``: an appointment's code typed at the
  kiosk, answered with its ticket's number (``office/appointments.py``);
* ``GET /api/v1/kiosks/{id}/config``: the forms override and announcements,
  with an ETag so an unchanged answer costs a ``304``;
* ``GET /api/v1/kiosks/{id}/queue``: people waiting and the pace per service
  today, for the wait a kiosk shows on its tiles and prints on a ticket;
* ``GET /api/v1/updates/{id}/bundle``: a system update uploaded to this
  server, in HTTP ranges (``office/updates.py``).

Errors are JSON ``{"error": "..."}``.  The token is never logged, and neither
is the Authorization header.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Optional

from flask import Blueprint, Response, jsonify, request, send_file
from pydantic import ValidationError

from protocol import officetime
from protocol.events import MAX_EVENTS

from . import appointments, calls, forms_list, updates
from .current import database as _db, now as _now
from .models import MAX_DEPTH, Batch, CheckInRequest, NumberRequest, describe, parse_events
from .numbering import NumberRefused, kiosk_slot, take_number

__all__ = ["blueprint", "ApiError"]

log = logging.getLogger("office.api")

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    """A request the API refuses; answered as JSON ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Optional[dict] = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@blueprint.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return jsonify(error=exc.message), exc.status, exc.headers


def _authenticate() -> str:
    """The id of the kiosk whose bearer token came with the request; 401 otherwise."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "missing bearer token: send 'Authorization: Bearer <token>' "
                            "(kiosk-office kiosk add ID prints one)",
                       {"WWW-Authenticate": 'Bearer realm="kiosk-office"'})
    kiosk_id = _db().kiosk_for_token(token)
    if kiosk_id is None:
        raise ApiError(401, "unknown token: it was never issued, or a newer one replaced it",
                       {"WWW-Authenticate": 'Bearer realm="kiosk-office", error="invalid_token"'})
    return kiosk_id


def _same_kiosk(token_kiosk: str, claimed: str) -> None:
    if claimed != token_kiosk:
        raise ApiError(403, f"this token belongs to kiosk {token_kiosk!r}, not {claimed!r}")


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _json_body(shape: str):
    """The request's JSON object; 400 (saying ``shape``) for anything else."""
    raw = request.get_data(cache=False)  # 413 past MAX_CONTENT_LENGTH (app.py's error handler answers)
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except ValueError as exc:  # UnicodeDecodeError included
        raise ApiError(400, f"the body is not JSON: {exc}") from None
    except RecursionError:  # arrays or objects nested a thousand deep: no kiosk sends that
        raise ApiError(400, "the body is nested too deeply to read; an event nests at most "
                            f"{MAX_DEPTH} levels") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the body must be a JSON object {shape}")
    return body


@blueprint.post("/events")
def post_events():
    kiosk_id = _authenticate()
    body = _json_body('{"kiosk_id": ..., "events": [...]}')
    try:
        batch = Batch.model_validate(body)
    except ValidationError as exc:
        raise ApiError(400, f"bad request body: {describe(exc)}") from None
    _same_kiosk(kiosk_id, batch.kiosk_id)
    if len(batch.events) > MAX_EVENTS:
        raise ApiError(413, f"{len(batch.events)} events in one request; send at most {MAX_EVENTS} per request")
    valid, rejected = parse_events(batch.events, now=_now())
    # Answer with each id as the kiosk sent it (it may differ from the canonical form in case only).
    sent = {event.id: sent_id for sent_id, event in valid}
    result = _db().ingest(kiosk_id, [event for _, event in valid])
    answer = {"accepted": [sent[i] for i in result.accepted], "duplicates": [sent[i] for i in result.duplicates],
              "rejected": [{"id": r.id, "error": r.error} for r in rejected]
              + [{"id": sent[i], "error": error} for i, error in result.rejected]}
    log.info("%s: %d accepted, %d duplicates, %d rejected", kiosk_id, len(answer["accepted"]),
             len(answer["duplicates"]), len(answer["rejected"]))
    for item in answer["rejected"][:5]:  # a few say what is wrong; the kiosk parks them all
        log.warning("%s: event %s rejected: %s", kiosk_id, item["id"], item["error"])
    return jsonify(answer)


def _number_request(model, shape: str):
    """The authenticated kiosk's id and its request for a number (``model``: NumberRequest or CheckInRequest)."""
    kiosk_id = _authenticate()
    body = _json_body(shape)
    try:
        asked = model.model_validate(body, context={"now": _now()})
    except ValidationError as exc:
        raise ApiError(400, f"bad request body: {describe(exc)}") from None
    _same_kiosk(kiosk_id, asked.kiosk_id)
    return kiosk_id, asked


@blueprint.post("/numbers")
def post_numbers():
    kiosk_id, asked = _number_request(NumberRequest, '{"kiosk_id": ..., "request_id": ..., "service": ..., "at": ...}')
    day = officetime.office_day(asked.moment).isoformat()
    try:
        answer = _db().write(lambda conn: take_number(conn, kiosk_id, asked.request_id, asked.service, day,
                                                      asked.daily_limit))
    except NumberRefused as exc:
        return jsonify(error=str(exc), reason=exc.reason), 409
    log.info("%s: number %s of %s", kiosk_id, answer["number"], day)
    return jsonify(answer)


@blueprint.post("/appointments/check-in")
def post_check_in():
    kiosk_id, asked = _number_request(
        CheckInRequest, '{"kiosk_id": ..., "request_id": ..., "service": ..., "at": ..., "code": ...}')
    try:
        answer = _db().write(lambda conn: appointments.check_in(conn, kiosk_id, asked.code, asked.request_id,
                                                                asked.service, asked.daily_limit, _now()))
    except appointments.CheckInRefused as exc:
        log.info("%s: check-in refused (%s)", kiosk_id, exc.reason)  # never the code: it is the resident's
        return jsonify(exc.answer()), 409
    except NumberRefused as exc:
        return jsonify(error=str(exc), reason=exc.reason), 409
    log.info("%s: appointment checked in as %s", kiosk_id, answer["number"])
    return jsonify(answer)


@blueprint.get("/kiosks/<kiosk_id>/config")
def get_config(kiosk_id: str):
    _same_kiosk(_authenticate(), kiosk_id)
    db = _db()
    db.contact(kiosk_id)
    answer = db.config_for(kiosk_id)
    answer["forms"] = forms_list.forms_for(db, kiosk_id)  # the office's forms list (office/forms_list.py)
    answer["number_slot"] = kiosk_slot(db, kiosk_id)  # for numbering alone while cut off (office/numbering.py)
    answer["update"] = updates.offer_for(db, kiosk_id)  # the system it should run (office/updates.py)
    body = json.dumps(answer, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    etag = hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # keep it, but ask each time
    return response


@blueprint.get("/updates/<int:bundle_id>/bundle")
def get_bundle(bundle_id: int):
    """A bundle uploaded here, for any kiosk of the office; HTTP ranges, so a download cut off goes on."""
    kiosk_id = _authenticate()
    found = updates.bundle(_db(), bundle_id)
    if found is None or not found.file_name:
        raise ApiError(404, f"no bundle {bundle_id} on this server")
    path = updates.bundle_folder(_db()) / found.file_name
    if not path.is_file():
        raise ApiError(404, f"bundle {bundle_id} ({found.version}) is listed but its file is gone from the server")
    log.info("%s: bundle %s (%s) %s", kiosk_id, bundle_id, found.version, request.headers.get("Range", "whole"))
    response = send_file(path, mimetype="application/octet-stream", conditional=True, etag=found.sha256,
                         max_age=0)
    return response


@blueprint.get("/kiosks/<kiosk_id>/queue")
def get_queue(kiosk_id: str):
    _same_kiosk(_authenticate(), kiosk_id)
    now = _now()
    response = jsonify(calls.kiosk_queue(_db(), officetime.office_day(now), now))
    response.headers["Cache-Control"] = "no-store"
    return response
