"""
The lobby display's voice: the staff page and the clips' API
============================================================

* ``/voice`` (staff): which languages the display speaks after the chime, in order (a form, saved whole or not
  at all); per language the words and phrases to record (``office/announce.py`` ``phrases``) and the letters
  of the services in use, each recorded in the browser (MediaRecorder), played back, recorded again or
  removed; and per lobby display which source it uses for each language: the office's clips, the device's
  speech voice, or nothing (``office/voice.py``).  Template ``voice.html``, its JavaScript inline.
* ``GET /api/v1/voice/plan`` (staff or display token): the languages in order and their clips' digests.
* ``GET /api/v1/voice/clips/<lang>/<key>`` (staff or display token): one clip, with its type and an ETag.
* ``PUT`` / ``DELETE`` the same address (staff, with the page's CSRF token in ``X-CSRF-Token``): the body is
  the recording, its ``Content-Type`` one of ``voice.CONTENT_TYPES``; errors are JSON ``{"error": …}``.
* ``POST /api/v1/voice/report`` (display token): what that display can speak (its voices, the clips decoded).
"""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta

from flask import Blueprint, Response, jsonify, render_template, request, session
from sqlalchemy import select

from protocol import officetime

from . import announce, displays, voice
from .current import database as _db, now as _now
from .pages import login_required
from .schema import TICKETS

__all__ = ["blueprint"]

log = logging.getLogger("office.voice_pages")

blueprint = Blueprint("voice", __name__)


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@blueprint.errorhandler(_Refused)
@blueprint.errorhandler(voice.ClipError)
def _refused(exc):
    return jsonify(error=getattr(exc, "message", None) or str(exc)), exc.status


def _reader() -> tuple:
    """("staff", name) or ("display", name) for the display's reads; _Refused 401 otherwise (token never logged)."""
    if session.get("staff"):
        return "staff", session["staff"]
    token = request.args.get("token", "")
    name = displays.display_for_token(_db(), token) if token else None
    if name is None:
        if token:
            log.warning("a display token was refused by the voice API (from %s)", request.remote_addr)
        raise _Refused(401, "sign in first, or open the display with its token (kiosk-office display add NAME)")
    return "display", name


def _staff_writer() -> str:
    """The signed-in staff member sending the page's CSRF token in X-CSRF-Token; _Refused otherwise."""
    if not session.get("staff"):
        raise _Refused(401, "sign in first (/login)")
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        raise _Refused(403, "the page has expired (signed in again elsewhere?): reload /voice and record again")
    return session["staff"]


def _letters_in_use():
    """Service letters of the last 30 days' tickets, with P (priority) and A (the first service) always."""
    since = (officetime.office_day(_now()) - timedelta(days=30)).isoformat()
    query = select(TICKETS.c.service).where(TICKETS.c.day >= since).distinct()
    found = {s for (s,) in _db().read(lambda c: c.execute(query).all()) if s and len(s) == 1 and s.isupper()}
    return sorted(found | {"A", "P"})


def _language_rows(chosen, clips, in_use):
    """Per language (the chosen ones first): its words to record, its letters, and how many are recorded."""
    rows = []
    for lang in chosen + [lang for lang in voice.LANGS if lang not in chosen]:
        words = announce.phrases(lang)
        recorded = clips[lang]
        needed = words + in_use
        rows.append({"lang": lang, "name": voice.LANGUAGE_NAMES[lang], "chosen": lang in chosen,
                     "position": chosen.index(lang) + 1 if lang in chosen else None,
                     "words": words, "letters_in_use": in_use,
                     "other_letters": [c for c in announce.letters() if c not in in_use],
                     "recorded": recorded, "done": sum(1 for k in needed if k in recorded), "needed": len(needed),
                     "example": announce.display_text("A105", 3, lang)})
    return rows


def _source(lang_row, report_item):
    """What a display uses for a language, as the staff page says it (see office/voice.py)."""
    if report_item is None:
        return "unknown", "尚未回報"
    decoded, failed, name = report_item["clips"], report_item["failed"], report_item["voice"]
    complete = lang_row["done"] == lang_row["needed"] and failed == 0 and decoded >= lang_row["needed"]
    if complete:
        return "clips", "本所錄音"
    if name:
        note = "（錄音不齊，用瀏覽器語音）" if decoded else ""
        return "speech", f"瀏覽器語音：{name}{note}"
    if decoded:
        return "partial", f"部分錄音（{decoded} 個可播；缺錄音的號碼不播報）"
    return "none", "無（不播報，只有提示音）"


def _page(problems=(), saved=False, status=200):
    db = _db()
    chosen = voice.languages(db)
    rows = _language_rows(chosen, voice.inventory(db), _letters_in_use())
    by_lang = {row["lang"]: row for row in rows}
    display_rows = []
    for report in voice.reports(db):
        sources = [(lang, *_source(by_lang[lang], report["languages"].get(lang))) for lang in chosen]
        display_rows.append({"display": report["display"], "at": report["reported_at"], "sources": sources,
                             "sound": report["sound"]})
    known = {d["display"] for d in display_rows}
    for found in displays.displays(db):
        if found["name"] not in known:
            display_rows.append({"display": found["name"], "at": None,
                                 "sources": [(lang, "unknown", "尚未回報（顯示器開啟後回報）") for lang in chosen],
                                 "sound": True})
    return render_template("voice.html", chosen=chosen, rows=rows, displays=display_rows, problems=problems,
                           saved=saved, names=voice.LANGUAGE_NAMES, speech_langs=announce.SPEECH_LANG,
                           max_kb=voice.MAX_CLIP_BYTES // 1024), status


@blueprint.get("/voice")
@login_required
def page():
    return _page()


@blueprint.post("/voice")
@login_required
def save():
    sent = request.form.get("csrf", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        return _page(problems=["表單已過期（頁面開啟太久，或已重新登入）：請重新整理頁面，再送出一次。"], status=400)
    positions, problems = {}, []
    for lang in voice.LANGS:
        raw = request.form.get(f"order_{lang}", "")
        if raw in ("", "0"):
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= len(voice.LANGS):
            problems.append(f"{voice.LANGUAGE_NAMES[lang]} 的順序必須是 1–{len(voice.LANGS)}，或不播報")
            continue
        positions.setdefault(int(raw), []).append(lang)
    for position, langs in sorted(positions.items()):
        if len(langs) > 1:
            problems.append(f"{'、'.join(voice.LANGUAGE_NAMES[lang] for lang in langs)} 都選了第 {position} 個："
                            "每個順序只能有一個語言")
    if problems:
        return _page(problems=problems, status=400)
    chosen = [positions[p][0] for p in sorted(positions)]
    voice.set_languages(_db(), chosen)
    log.info("%s set the display's languages: %s", session.get("staff"), ", ".join(chosen) or "none")
    return _page(saved=True)


# -- the JSON API ------------------------------------------------------------------------------------------

@blueprint.get("/api/v1/voice/plan")
def plan():
    _reader()
    response = jsonify(voice.plan(_db()))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/api/v1/voice/clips/<lang>/<key>")
def get_clip(lang: str, key: str):
    _reader()
    voice.clip_keys(lang)  # 404 for a language that is not one
    found = voice.get_clip(_db(), lang, key)
    if found is None:
        raise _Refused(404, f"no clip {key!r} recorded for {lang}")
    etag = found["digest"]
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    response = Response(found["data"], mimetype=found["content_type"])
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "private, no-cache"  # the display keeps it in memory; asks again by ETag
    return response


@blueprint.put("/api/v1/voice/clips/<lang>/<key>")
def put_clip(lang: str, key: str):
    who = _staff_writer()
    length = request.content_length
    if length is not None and length > voice.MAX_CLIP_BYTES:  # before reading it (the app's own limit is 256 KB)
        raise _Refused(413, f"a clip may be at most {voice.MAX_CLIP_BYTES // 1024} KB, this one is "
                            f"{length // 1024} KB: record the word alone, a few seconds at most")
    stored = voice.put_clip(_db(), lang, key, request.content_type, request.get_data(cache=False), who)
    log.info("%s recorded the %s clip %r (%d bytes, %s)", who, lang, key, stored["size"], stored["content_type"])
    return jsonify(stored), 201


@blueprint.delete("/api/v1/voice/clips/<lang>/<key>")
def delete_clip(lang: str, key: str):
    who = _staff_writer()
    voice.clip_keys(lang)
    if not voice.delete_clip(_db(), lang, key):
        raise _Refused(404, f"no clip {key!r} recorded for {lang}")
    log.info("%s removed the %s clip %r", who, lang, key)
    return Response(status=204)


@blueprint.post("/api/v1/voice/report")
def report():
    kind, name = _reader()
    if kind != "display":  # a staff browser previewing /display is not a lobby display
        return Response(status=204)
    if not request.is_json:
        raise _Refused(415, "send Content-Type: application/json")
    try:
        voice.record_report(_db(), name, request.get_json(silent=True))
    except ValueError as exc:
        raise _Refused(400, str(exc)) from None
    return Response(status=204)
