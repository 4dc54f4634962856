"""
The system updates page
=======================

``/updates`` (staff only): the bundles listed (version, size, when and by whom), a form to upload one or to
give the https address of one, and the rollout: each kiosk with the system it runs, its slot, the bundle it
is offered and how far it got (from its newest heartbeat).  Staff offer a bundle to one kiosk first; once a
kiosk runs it (``good``), 更新其餘服務機 offers it to all the others; 停止 withdraws it from every kiosk
not yet on it.  The rules are ``office/updates.py``'s.
"""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request, session

from . import updates
from .current import database as _db
from .pages import _check_csrf, login_required
from .update_states import kiosk_rows

__all__ = ["blueprint"]

log = logging.getLogger("office.pages")

blueprint = Blueprint("updates", __name__)

#: An upload up to this size (a bundle is a few hundred MB; the app's own limit is a kiosk request's).
MAX_UPLOAD_BYTES = 2 * 1024 ** 3


def _act(db, action: str, who: str) -> str:
    """Do what the form asked; the line that says it was done.  BundleError (ValueError) otherwise."""
    if action == "upload":
        upload = request.files.get("bundle")
        if upload is None or not upload.filename:
            raise updates.BundleError("請選擇一個 .raucb 檔")
        found = updates.add_file(db, upload.stream, who)
        return f"已加入 {found.version}（{found.size / 1024 ** 2:.0f} MB）"
    if action == "url":
        found = updates.add_url(db, request.form.get("url", "").strip(), request.form.get("version", "").strip(),
                                request.form.get("sha256", ""), int(request.form.get("size", "0") or 0), who)
        return f"已加入 {found.version}（由 {found.url} 下載）"
    bundle_id = int(request.form.get("bundle", "0") or 0)
    if action == "first":
        kiosk = request.form.get("kiosk", "")
        changed = updates.assign(db, bundle_id, [kiosk], who)
        return f"{kiosk} 將更新" if changed else f"{kiosk} 已在更新清單中"
    if action == "rest":
        changed = updates.assign_rest(db, bundle_id, who)
        return f"其餘 {len(changed)} 台服務機將更新"
    if action == "withdraw":
        return f"已停止：{updates.withdraw(db, bundle_id)} 台服務機不再更新"
    raise updates.BundleError("不明的動作")


@blueprint.route("/updates", methods=["GET", "POST"])
@login_required
def page():
    db = _db()
    problem, done = None, None
    if request.method == "POST":
        request.max_content_length = MAX_UPLOAD_BYTES
        _check_csrf()
        who = session["staff"]
        try:
            done = _act(db, request.form.get("action", ""), who)
            log.info("%s on /updates: %s", who, done)
        except ValueError as exc:  # BundleError, or a number that is not one
            problem = str(exc)
    listed = updates.bundles(db)
    rows = kiosk_rows(db, listed)
    good = {row["bundle"].id for row in rows if row["bundle"] and row["state"] == "good"}
    return render_template("updates.html", bundles=listed, rows=rows, good=good, problem=problem, done=done,
                           kiosks=[row["id"] for row in rows])
