"""
The lobby display's voice: which languages it speaks, and the office's own recordings
=====================================================================================

The office chooses which languages the display speaks after each call's chime,
in order (:func:`languages`, :func:`set_languages`: one ``meta`` row, like the
office name; unset: Mandarin alone, as before).  For each language the display
uses, per call:

1. the **clips** the office recorded on ``/voice`` (``office/voice_pages.py``), played one after the other,
   when every clip that call needs (``office/announce.py`` ``clips``) is recorded and the display could decode it;
2. else the browser's **speechSynthesis** voice for that language, if the display's device has one;
3. else nothing, silently (the chime and the screen still show the call).

Each display reports what it found (:func:`record_report`: per language its voice's name and the clips it
decoded), so the staff page shows which source each display uses for each language.

Clips are kept in the database (``voice_clips``, ``office/schema.py`` says why), checked here: a known
language and word (:func:`clip_keys`), one of :data:`CONTENT_TYPES` whose first bytes match it (what
MediaRecorder makes in Chromium, Firefox and Safari, and WAV or MP3 files), at most :data:`MAX_CLIP_BYTES`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import delete, func, insert, select, update

from . import announce
from .db import Database, _now
from .schema import META, VOICE_CLIPS, VOICE_REPORTS

__all__ = ["LANGS", "LANGUAGE_NAMES", "DEFAULT_LANGUAGES", "MAX_CLIP_BYTES", "CONTENT_TYPES", "ClipError",
           "languages", "set_languages", "clip_keys", "check_clip", "put_clip", "get_clip", "delete_clip",
           "inventory", "plan", "record_report", "reports"]

LANGS = announce.LANGS
#: Each language by its own name (shared/reference/access-lang.md: never by a flag).
LANGUAGE_NAMES = {"zh-TW": "中文（國語）", "en": "English", "vi": "Tiếng Việt", "id": "Bahasa Indonesia",
                  "th": "ภาษาไทย", "fil": "Filipino"}
DEFAULT_LANGUAGES = ("zh-TW",)
_META_KEY = "display_voices"
#: A clip is a word or a short phrase: 200 KB is about 30 s of Opus, 2 s of CD-quality WAV.  Under the app's
#: request limit (MAX_CONTENT_LENGTH, 256 KB), so this check and its message come first.
MAX_CLIP_BYTES = 200 * 1024
#: The types a clip may have, each with a test of its first bytes (aliases are stored as the first name).
CONTENT_TYPES = {
    "audio/webm": lambda b: b[:4] == b"\x1a\x45\xdf\xa3",            # Matroska/WebM (Chromium, Firefox)
    "audio/ogg": lambda b: b[:4] == b"OggS",                         # Ogg Opus (Firefox)
    "audio/mp4": lambda b: b[4:8] == b"ftyp",                        # MP4/AAC (Safari)
    "audio/mpeg": lambda b: b[:3] == b"ID3" or (len(b) > 1 and b[0] == 0xFF and b[1] & 0xE0 == 0xE0),
    "audio/wav": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
}
_ALIASES = {"audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "audio/vnd.wave": "audio/wav",
            "audio/x-m4a": "audio/mp4", "audio/mp3": "audio/mpeg", "video/webm": "audio/webm"}


class ClipError(ValueError):
    """A clip refused, with the HTTP status to answer and a message saying what is wrong."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# -- which languages, in order ---------------------------------------------------------------------------

def _check_languages(chosen: Sequence[str]) -> List[str]:
    chosen = list(chosen)
    unknown = [lang for lang in chosen if lang not in LANGS]
    if unknown:
        raise ValueError(f"不認識的語言 {', '.join(map(str, unknown))}（可選 {', '.join(LANGS)}）")
    if len(set(chosen)) != len(chosen):
        raise ValueError("同一個語言只能選一次")
    return chosen


def languages(db: Database) -> List[str]:
    """The languages the display speaks, in order (unset: Mandarin alone)."""
    stored = db.read(lambda c: c.execute(select(META.c.value).where(META.c.key == _META_KEY)).scalar())
    if stored is None:
        return list(DEFAULT_LANGUAGES)
    try:
        return _check_languages(json.loads(stored))
    except (ValueError, TypeError):  # a row this server cannot read (written by hand): the default, not a crash
        return list(DEFAULT_LANGUAGES)


def set_languages(db: Database, chosen: Sequence[str]) -> List[str]:
    """Store the languages (ValueError in Chinese for an unknown or repeated one); [] is the chime alone."""
    chosen = _check_languages(chosen)

    def store(conn):
        conn.execute(delete(META).where(META.c.key == _META_KEY))
        conn.execute(insert(META).values(key=_META_KEY, value=json.dumps(chosen)))
    db.write(store)
    return chosen


# -- the clips ---------------------------------------------------------------------------------------------

def clip_keys(lang: str) -> List[str]:
    """Every clip a call in ``lang`` can need: the phrases, the number words, then the letters A … Z."""
    if lang not in LANGS:
        raise ClipError(404, f"no language {lang!r}: one of {', '.join(LANGS)}")
    return announce.phrases(lang) + announce.letters()


def check_clip(lang: str, key: str, content_type: Optional[str], data: bytes) -> str:
    """The type to store ``data`` as, or ClipError saying what is wrong (404 unknown clip, 415 type, 413, 400)."""
    if key not in clip_keys(lang):
        raise ClipError(404, f"{key!r} is not a clip of {lang}: see GET /voice for the list")
    base = (content_type or "").split(";")[0].strip().lower()
    base = _ALIASES.get(base, base)
    if base not in CONTENT_TYPES:
        raise ClipError(415, f"a clip must be sent as one of {', '.join(CONTENT_TYPES)}, got {content_type!r}")
    if len(data) > MAX_CLIP_BYTES:
        raise ClipError(413, f"a clip may be at most {MAX_CLIP_BYTES // 1024} KB, this one is {len(data) // 1024} KB: "
                             "record the word alone, a few seconds at most")
    if not data:
        raise ClipError(400, "the clip is empty (nothing was recorded)")
    if not CONTENT_TYPES[base](data):
        raise ClipError(400, f"the data is not {base}: its first bytes do not match that type")
    return base


def put_clip(db: Database, lang: str, key: str, content_type: Optional[str], data: bytes, by: str) -> Dict[str, Any]:
    """Check and store a clip (replacing the one recorded before); what was stored, without the data."""
    stored_type = check_clip(lang, key, content_type, data)
    row = {"content_type": stored_type, "data": data, "digest": hashlib.sha256(data).hexdigest()[:16],
           "recorded_at": _now(), "recorded_by": by}

    def store(conn):
        where = (VOICE_CLIPS.c.lang == lang) & (VOICE_CLIPS.c.key == key)
        if not conn.execute(update(VOICE_CLIPS).where(where).values(**row)).rowcount:
            conn.execute(insert(VOICE_CLIPS).values(lang=lang, key=key, **row))
    db.write(store)
    return {"lang": lang, "key": key, "size": len(data), **{k: v for k, v in row.items() if k != "data"}}


def get_clip(db: Database, lang: str, key: str) -> Optional[Dict[str, Any]]:
    """The clip (content_type, data, digest, recorded_at, recorded_by), or None."""
    query = select(VOICE_CLIPS).where(VOICE_CLIPS.c.lang == lang, VOICE_CLIPS.c.key == key)
    row = db.read(lambda c: c.execute(query).mappings().first())
    return dict(row) if row is not None else None


def delete_clip(db: Database, lang: str, key: str) -> bool:
    """Remove a clip; whether there was one."""
    where = (VOICE_CLIPS.c.lang == lang) & (VOICE_CLIPS.c.key == key)
    return bool(db.write(lambda c: c.execute(delete(VOICE_CLIPS).where(where)).rowcount))


def inventory(db: Database, langs: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """The clips recorded, per language: key -> {digest, content_type, size, recorded_at, recorded_by}."""
    langs = list(LANGS if langs is None else langs)
    query = select(VOICE_CLIPS.c.lang, VOICE_CLIPS.c.key, VOICE_CLIPS.c.digest, VOICE_CLIPS.c.content_type,
                   VOICE_CLIPS.c.recorded_at, VOICE_CLIPS.c.recorded_by,
                   func.length(VOICE_CLIPS.c.data).label("size")).where(VOICE_CLIPS.c.lang.in_(langs))
    found: Dict[str, Dict[str, Dict[str, Any]]] = {lang: {} for lang in langs}
    for row in db.read(lambda c: c.execute(query).mappings().all()):
        found[row["lang"]][row["key"]] = {"digest": row["digest"], "content_type": row["content_type"],
                                          "size": row["size"], "recorded_at": row["recorded_at"],
                                          "recorded_by": row["recorded_by"]}
    return found


def plan(db: Database) -> Dict[str, Any]:
    """What the display reads (``GET /api/v1/voice/plan``): the languages in order, each with the speech
    engine's language tag and its clips recorded (key -> digest, for the display's cache)."""
    chosen = languages(db)
    clips = inventory(db, chosen)
    return {"languages": [{"lang": lang, "name": LANGUAGE_NAMES[lang], "speech_lang": announce.SPEECH_LANG[lang],
                           "clips": {key: found["digest"] for key, found in clips[lang].items()}}
                          for lang in chosen]}


# -- what each display can say -----------------------------------------------------------------------------

def _checked_report(report: Any) -> Dict[str, Dict[str, Any]]:
    if not isinstance(report, dict):
        raise ValueError('send {"languages": {"vi": {"voice": "name or null", "clips": 12, "failed": 0}}}')
    found = report.get("languages")
    if not isinstance(found, dict) or len(found) > len(LANGS):
        raise ValueError('"languages" must be an object: language -> {voice, clips, failed}')
    checked = {}
    for lang, item in found.items():
        if lang not in LANGS or not isinstance(item, dict):
            raise ValueError(f"unknown language {lang!r} or not an object")
        voice, clips, failed = item.get("voice"), item.get("clips", 0), item.get("failed", 0)
        if voice is not None and not isinstance(voice, str):
            raise ValueError(f"{lang}: voice must be a name or null")
        if any(isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 1000 for n in (clips, failed)):
            raise ValueError(f"{lang}: clips and failed must be whole numbers 0-1000")
        checked[lang] = {"voice": voice[:100] if voice else None, "clips": clips, "failed": failed}
    return checked


def record_report(db: Database, display: str, report: Any) -> Dict[str, Any]:
    """Keep what ``display`` says it can speak (ValueError if malformed); the newest replaces the last."""
    sound = report.get("sound", True) if isinstance(report, dict) else True
    if not isinstance(sound, bool):
        raise ValueError('"sound" must be true or false (whether the display may play sound)')
    checked = {"languages": _checked_report(report), "sound": sound}
    text, now = json.dumps(checked, ensure_ascii=False), _now()

    def store(conn):
        if not conn.execute(update(VOICE_REPORTS).where(VOICE_REPORTS.c.display == display)
                            .values(report=text, reported_at=now)).rowcount:
            conn.execute(insert(VOICE_REPORTS).values(display=display, report=text, reported_at=now))
    db.write(store)
    return checked


def reports(db: Database) -> List[Dict[str, Any]]:
    """Every display's last report: display, reported_at, sound (whether it may play sound: a browser plays
    nothing until someone presses 啟用聲音, unless started with --autoplay-policy=no-user-gesture-required),
    languages (lang -> voice, clips, failed)."""
    rows = db.read(lambda c: c.execute(select(VOICE_REPORTS).order_by(VOICE_REPORTS.c.display)).mappings().all())
    return [{"display": row["display"], "reported_at": row["reported_at"], "sound": True,
             **json.loads(row["report"])} for row in rows]
