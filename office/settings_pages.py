"""
The settings page
=================

``/settings`` (staff only, signed in through ``office/pages.py``):
what the office sets once for all its kiosks: the marquee's announcements and
the forms override the kiosks read through ``GET /api/v1/kiosks/{id}/config``.
"""

from __future__ import annotations

import logging
import os
import tempfile

from flask import Blueprint, render_template, request, session

from .current import database as _db
from .pages import _check_csrf, login_required

__all__ = ["blueprint"]

log = logging.getLogger("office.pages")

blueprint = Blueprint("settings", __name__)


# -- settings: announcements and the forms override ----------------------------------------------

def _forms_problems(text: str):
    """What the kiosks would say about this forms override (kiosk.forms.load_catalogue's own check)."""
    from kiosk.forms import load_catalogue
    handle, path = tempfile.mkstemp(suffix=".toml", prefix="office-forms-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
        return [str(p) for p in load_catalogue(override=path)[1]]
    finally:
        os.unlink(path)


@blueprint.route("/settings", methods=["GET", "POST"])
@login_required
def page():
    db = _db()
    current = db.config_for("*")
    announcements = "\n".join(current["announcements"])
    forms = current["forms"] or ""
    problems, saved = [], False
    if request.method == "POST":
        _check_csrf()
        announcements = request.form.get("announcements", "").replace("\r\n", "\n")
        forms = request.form.get("forms", "").replace("\r\n", "\n")
        lines = [line.strip() for line in announcements.split("\n") if line.strip()]
        if any(len(line) > 200 for line in lines):
            problems.append("每則公告最多 200 字。")
        if forms.strip():
            problems += _forms_problems(forms)
        if not problems:
            db.set_config("*", forms=forms if forms.strip() else None, announcements=lines or None)
            log.info("%s changed the office-wide announcements/forms", session.get("staff"))
            saved = True
            current = db.config_for("*")
            announcements, forms = "\n".join(current["announcements"]), current["forms"] or ""
    status = 400 if problems else 200
    return render_template("settings.html", announcements=announcements, forms=forms, problems=problems,
                           saved=saved), status
