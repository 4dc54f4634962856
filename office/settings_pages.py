"""
The settings page
=================

``/settings`` (staff only, signed in through ``office/pages.py``):
what the office sets once: its name (機關名稱, heading the report and the live
queue page), the waits that turn a service amber and red on the dashboard and
the counter pages (office/alerts.py), how many numbers of each service phones
may take a day on ``/take`` (office/remote.py), and for all its kiosks the marquee's
announcements they read
through ``GET /api/v1/kiosks/{id}/config``.  The forms are on their own page,
``/forms`` (office/forms_pages.py).

Announcements are blocks, one per announcement, its Chinese and its other
languages (English, Tiếng Việt, Bahasa Indonesia, ภาษาไทย, Filipino) stacked
in it, each input labelled in its language's own name: a clerk cannot pair a
translation with the wrong Chinese text, as a text box of lines per language
would let them, and six languages side by side would not fit a 1280 px
screen.  A few empty blocks are offered for new ones; a block emptied is an
announcement removed.
"""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request, session

from . import alerts, marquee, remote
from .current import database as _db
from .db import check_office_name
from .pages import _check_csrf, login_required

__all__ = ["blueprint"]

log = logging.getLogger("office.pages")

blueprint = Blueprint("settings", __name__)


# -- settings: the office name and the announcements -----------------------------------------------

#: Empty rows offered under the announcements for new ones (save, and there are more).
SPARE_ROWS = 3


def _announcement_rows(announcements, spare: int = SPARE_ROWS):
    """The page's blocks: each announcement (language -> text), then a few empty ones, within the limit."""
    rows = [dict(item) for item in announcements]
    return rows + [{} for _ in range(max(0, min(spare, marquee.MAX_ANNOUNCEMENTS - len(rows))))]


@blueprint.route("/settings", methods=["GET", "POST"])
@login_required
def page():
    db = _db()
    current = db.config_for("*")
    office_name = db.office_name()
    levels = alerts.wait_levels(db)
    limits = remote.remote_limits(db)
    rows = _announcement_rows(marquee.rows(current))
    problems, saved = [], False
    if request.method == "POST":
        _check_csrf()
        office_name = request.form.get("office_name", "")
        # One input per language and block, in the page's order (getlist keeps it).
        columns = [request.form.getlist(f"announcement_{lang}") for lang in marquee.LANGUAGES]
        rows = typed = [dict(zip(marquee.LANGUAGES, texts)) for texts in zip(*columns)]
        announcements, problems = marquee.check(typed)
        if len({len(column) for column in columns}) > 1:  # not this page's form (one open before an update
            # added a language): never pair texts by guess, nor drop the translations it has no inputs for
            problems.insert(0, "公告表格不完整（各語言的則數不同），請重新整理頁面再試一次")
        try:
            check_office_name(office_name)
        except ValueError as exc:
            problems.insert(0, str(exc))
        # A form opened before the thresholds were on the page sends none: the office's stay as they are.
        levels = (request.form.get("wait_amber", levels[0]), request.form.get("wait_red", levels[1]))
        try:
            alerts.check_levels(*levels)
        except ValueError as exc:
            problems.insert(0, str(exc))
        limits = {prefix: request.form.get(f"remote_{prefix}", str(n)).strip() for prefix, n in limits.items()}
        bad = [prefix for prefix, n in limits.items() if not (n.isdigit() and int(n) <= 999)]
        if bad:
            problems.insert(0, f"網路取號張數須為 0–999 的整數（服務 {'、'.join(bad)}）")
        if not problems:  # all checked first: nothing is saved unless everything is right
            db.set_office_name(office_name)
            levels = alerts.set_wait_levels(db, *levels)
            remote.set_remote_limits(db, {prefix: int(n) for prefix, n in limits.items()})
            db.set_config("*", announcements=announcements or None)
            log.info("%s changed the office name, the wait thresholds or the announcements", session.get("staff"))
            saved = True
            current = db.config_for("*")
            office_name = db.office_name()
            rows = _announcement_rows(marquee.rows(current))
    status = 400 if problems else 200
    bad_rows = {p.row for p in problems if isinstance(p, marquee.Problem)}
    bad_texts = {(p.row, p.lang) for p in problems if isinstance(p, marquee.Problem) and p.lang}
    services = [(s.prefix, s.name, limits.get(s.prefix, 0)) for s in remote.services()]
    return render_template("settings.html", office_name=office_name, levels=levels, remote_services=services, rows=rows,
                           languages=marquee.LANGUAGES,
                           native_names=marquee.NATIVE_NAMES,
                           problems=problems, bad_rows=bad_rows, bad_texts=bad_texts, saved=saved), status
