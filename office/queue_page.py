"""
What the residents' live queue page says
========================================

The page ``/q/<day>/<number>`` (``office/calling_pages.py``) is read on a
resident's phone, in the language the ticket was taken in: the kiosk puts it in
the QR code as ``?lang=`` (its own codes, ``zh-TW`` and ``en``).  This module
holds the page's languages and their texts, picks one for a request, and names
the ticket's service.

The language comes from ``?lang=``, else the browser's Accept-Language, else
Chinese.  Deliberately **not** from the ticket's stored language: the address
is easy to guess (a day and a number), and a page that opened in the language
a stranger's ticket was taken in would tell anyone who tries the numbers which
residents read Vietnamese or English (the public API keeps that rule too:
nothing about the resident).  The QR carries the language, so the resident
loses nothing by it.

A language of the kiosks that the page has no texts for yet (issue 19 adds
``vi``, ``id``, ``th``, ``fil``) is never an error: the page goes on to the
browser's languages, then Chinese.  Adding one is one entry in ``TEXTS``.
"""

from __future__ import annotations

import json
from typing import Dict, Iterable, Optional, Tuple

from sqlalchemy import select

from protocol.service_list import DEFAULT_SERVICES

from .schema import EVENTS, TICKETS

__all__ = ["DEFAULT_LANG", "TEXTS", "language_for", "supported", "service_names"]

DEFAULT_LANG = "zh-TW"

#: Every text of the page and of its not-found page, per language (the kiosk's codes).  ``{…}`` are filled in
#: by the template and by the page's script alike; the values are plain text (the template escapes them).
TEXTS: Dict[str, Dict[str, str]] = {
    "zh-TW": {
        "html_lang": "zh-Hant-TW", "own_name": "中文", "locale": "zh-TW",
        "office": "戶政事務所", "heading": "叫號進度", "switch": "語言",
        "yours": "您的號碼",
        "ahead": "前面還有", "serving": "目前叫號", "wait": "預估等候",
        "waiting": "等候中", "called": "請到 {counter} 號櫃檯", "done": "已完成服務",
        "no_show": "已過號，請洽服務台", "expired": "已過期：此號碼只在當天有效",
        "people": "{n} 人", "at_counter": "{number}（{counter} 號櫃檯）", "list_sep": "、",
        "minutes": "約 {low}–{high} 分鐘", "unknown": "暫無估計",
        "updated": "更新時間", "refresh": "重新整理", "offline": "無法連線，稍後再試",
        "note": "本頁每 {every} 秒自動更新；預估時間僅供參考。過號請洽服務台。",
        "missing_title": "查無此號碼",
        "missing_number": "查不到{day}的 {number} 號。",
        "missing_address": "這個網址不完整或有誤，查不到號碼。",
        "missing_check": "請核對號碼單上的號碼與日期，或再掃描一次號碼單上的 QR 碼；仍有疑問請洽服務台。",
        "missing_today": "剛抽的號碼可能要稍候片刻才會出現：本頁每 {every} 秒自動再查一次。",
    },
    "en": {
        "html_lang": "en", "own_name": "English", "locale": "en-GB",
        "office": "Household Registration Office", "heading": "Queue status", "switch": "Language",
        "yours": "Your number",
        "ahead": "People ahead", "serving": "Now serving", "wait": "Estimated wait",
        "waiting": "Waiting", "called": "Please go to counter {counter}", "done": "Served",
        "no_show": "Missed: please ask at the information desk",
        "expired": "Expired: a number is valid on its own day only",
        "people": "{n}", "at_counter": "{number} (counter {counter})", "list_sep": ", ",
        "minutes": "{low}–{high} min", "unknown": "Unknown",
        "updated": "Updated", "refresh": "Refresh", "offline": "Cannot connect; trying again",
        "note": "This page updates every {every} seconds; the estimate is only a guide. "
                "Missed your call? Ask at the information desk.",
        "missing_title": "Number not found",
        "missing_number": "No number {number} was found for {day}.",
        "missing_address": "This address is incomplete or wrong: it names no number.",
        "missing_check": "Check the number and the date on your ticket, or scan the QR code on it again; "
                         "if in doubt, ask at the information desk.",
        "missing_today": "A number just taken may take a moment to appear: this page looks again every "
                         "{every} seconds.",
    },
}
assert DEFAULT_LANG in TEXTS and all(set(t) == set(TEXTS[DEFAULT_LANG]) for t in TEXTS.values()), \
    "every language of the live queue page needs every text"


def supported(code: Optional[str]) -> Optional[str]:
    """The page's language for a code (``en``, ``EN-us``, ``zh``, ``zh-Hant-TW``), or None for one it lacks.

    Any Chinese is the page's Chinese: a reader of Simplified reads Traditional better than English.
    """
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    for lang in TEXTS:
        if code == lang.lower():
            return lang
    primary = code.split("-")[0]
    if primary == "zh":
        return "zh-TW"
    return next((lang for lang in TEXTS if lang.lower().split("-")[0] == primary), None)


def language_for(requested: Optional[str], accepted: Iterable[Tuple[str, float]]) -> str:
    """The page's language: ``?lang=`` if the page has it, else the browser's first it has, else Chinese.

    ``accepted`` is the Accept-Language header as (code, quality) pairs, best first (werkzeug's
    ``request.accept_languages``).
    """
    chosen = supported(requested)
    if chosen:
        return chosen
    for code, quality in accepted:
        chosen = supported(code) if quality > 0 and code != "*" else None
        if chosen:
            return chosen
    return DEFAULT_LANG


_DEFAULT_NAMES = {s.prefix: s for s in DEFAULT_SERVICES}


def service_names(db, day: str, number: str, service: str) -> Dict[str, str]:
    """The name of ``service`` in each language of the page, for ticket ``number`` of ``day``.

    The kiosk's ticket event carries the service's name as the kiosk showed it (``service_name``, and
    ``service_name_en`` if it sends one): the ticket's own event says what was printed on it; a ticket
    transferred to another service takes the name from the newest ticket of that service up to that day.
    Without one, the shipped catalogue's name for the letter (its English one only where the kiosk's
    Chinese name is the catalogue's, so a renamed service is never given a wrong English name); a name
    known in Chinese only is shown on every page rather than a bare letter; the letter as a last resort.
    """
    def read(conn):
        own = (select(EVENTS.c.data).join(TICKETS, TICKETS.c.event_id == EVENTS.c.id)
               .where(TICKETS.c.day == day, TICKETS.c.number == number, TICKETS.c.service == service)
               .order_by(TICKETS.c.at.desc()).limit(1))
        newest = (select(EVENTS.c.data).join(TICKETS, TICKETS.c.event_id == EVENTS.c.id)
                  .where(TICKETS.c.day <= day, TICKETS.c.service == service)
                  .order_by(TICKETS.c.day.desc(), TICKETS.c.at.desc()).limit(1))
        return conn.execute(own).scalar() or conn.execute(newest).scalar()

    data = json.loads(db.read(read) or "{}")
    zh, en = _text(data.get("service_name")), _text(data.get("service_name_en"))
    shipped = _DEFAULT_NAMES.get(service.upper())
    if shipped is not None:
        if not en and zh in ("", shipped.name):
            en = shipped.name_en
        zh = zh or shipped.name
    zh = zh or en or service
    # A page in another language than Chinese reads the English name better than the Chinese one.
    return {lang: zh if lang == "zh-TW" else (en or zh) for lang in TEXTS}


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""
