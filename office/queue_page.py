"""
What the residents' live queue page says, and in which language
================================================================

The page ``/q/<day>/<number>`` (``office/calling_pages.py``) is read on a
resident's phone, in the language the ticket was taken in: the kiosk puts it in
the QR code as ``?lang=`` (its own codes: ``zh-TW``, ``en``, ``vi``, ``id``,
``th``, ``fil``).  This module picks the language for a request, names the
ticket's service, and draws the page with a link to each language (by its own
name, in its own script).  The words are gettext catalogues
(``office/queue_texts.py``, ``office/locale/``).

The language comes from ``?lang=``, else the browser's Accept-Language (its
first of the six), else Chinese: a code the page does not know (a kiosk newer
than the office server, a hand-typed address) is never an error.  Deliberately
**not** from the ticket's stored language: the address is easy to guess (a day
and a number), and a page that opened in the language a stranger's ticket was
taken in would tell anyone who tries the numbers which residents read
Vietnamese or Thai (the public API keeps that rule too: nothing about the
resident).  The QR carries the language, so the resident loses nothing by it.
"""

from __future__ import annotations

import json
import re
from typing import Dict, Iterable, Optional, Tuple
from urllib.parse import quote, urlencode

from flask import current_app, render_template, request
from markupsafe import Markup
from sqlalchemy import select

from protocol.service_list import DEFAULT_SERVICES

from .queue_texts import DEFAULT_LANG, LANGUAGES, long_date, texts
from .schema import EVENTS, TICKETS

__all__ = ["DEFAULT_LANG", "LANGUAGES", "language_for", "supported", "service_names", "long_date", "page"]

#: Codes a phone may send for one of the page's languages under another name: Tagalog for Filipino, and the
#: old code for Indonesian that Java (so some Android browsers) still uses.
_ALIASES = {"tl": "fil", "in": "id"}
#: Han characters: a name written in Chinese on a page in another language is marked ``lang="zh-Hant-TW"``, so
#: the phone draws it with a Traditional Chinese face rather than a Japanese or Simplified one.
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def supported(code: Optional[str]) -> Optional[str]:
    """The page's language for a code (``en``, ``EN-us``, ``zh``, ``zh-Hant-TW``, ``fil-PH``, ``tl``), or None.

    Any Chinese is the page's Chinese: a reader of Simplified reads Traditional better than English.
    """
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    for lang in LANGUAGES:
        if code == lang.lower():
            return lang
    primary = code.split("-")[0]
    if primary == "zh":
        return "zh-TW"
    primary = _ALIASES.get(primary, primary)
    return next((lang for lang in LANGUAGES if lang.lower().split("-")[0] == primary), None)


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
    Without one, the shipped catalogue's name for the letter (its English and other languages' names only
    where the kiosk's Chinese name is the catalogue's, so a renamed service is never given another's); a name
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
    own: Dict[str, str] = {}
    if shipped is not None and zh in ("", shipped.name):
        # The catalogue's service: its name in each language, as the kiosk's screen in that language names it
        # (Service.name_in: the language's own name where the catalogue has one, else the English).
        en = en or shipped.name_en
        own = {lang: shipped.name_in(lang) for lang in LANGUAGES if lang not in ("zh-TW", "en")}
    if shipped is not None:
        zh = zh or shipped.name
    zh = zh or en or service
    # A page in another language than Chinese reads the English name better than the Chinese one.
    return {lang: zh if lang == "zh-TW" else (own.get(lang) or en or zh) for lang in LANGUAGES}


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def page(template: str, status: int, lang: str, *, office: str, every: int, **context):
    """A page under /q/ in ``lang`` (a Flask response), with a link to the same address in each language.

    The links keep the address and ``?every=`` and change ``?lang=``, so a reload keeps the choice.
    ``office`` is the office's name as set (empty: the catalogue's neutral heading).
    """
    path, kept = quote(request.path), {k: v for k, v in request.args.items() if k == "every"}
    links = [{"name": texts(code)("page.language_name"), "html_lang": language.html, "current": code == lang,
              "href": f"{path}?{urlencode(dict(kept, lang=code))}"} for code, language in LANGUAGES.items()]
    t = texts(lang)
    response = current_app.make_response((render_template(
        template, t=t, html_lang=t.language.html, locale=t.language.locale, languages=links, office=office,
        every=every, plural_rule=Markup(t.plural_rule), text_lang=lambda text: _text_lang(text, lang), **context),
        status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = t.language.html
    response.vary.add("Accept-Language")
    return response


def _text_lang(text: Optional[str], lang: str) -> str:
    """``zh-Hant-TW`` for a name in Chinese shown on a page in another language (the office's, a service's), else ''."""
    return LANGUAGES[DEFAULT_LANG].html if lang != DEFAULT_LANG and text and _HAN.search(text) else ""
