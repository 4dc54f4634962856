"""
The appointments page
=====================

``/appointments`` (staff only): the appointments of a day (today unless
``?day=`` says which), each with its time, service, code and whether it was
checked in (the number printed, when, at which kiosk); a form to add one
(the code left empty is made up: six digits); a CSV file to import many
(date, time, service, code; a header line is skipped; all or nothing); and a
button to cancel one not yet checked in.  The rules and the check-in are
``office/appointments.py``'s.
"""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request, session

from protocol import officetime

from . import appointments
from .appointments import AppointmentError
from .current import database as _db, now as _now
from .pages import _check_csrf, login_required

__all__ = ["blueprint"]

log = logging.getLogger("office.pages")

blueprint = Blueprint("appointments", __name__)

#: A CSV file bigger than this is not a day's appointments (the app's request limit is larger).
MAX_CSV_BYTES = 200_000


def _day() -> str:
    asked = request.values.get("day", "").strip()
    try:
        return appointments.parse_day(asked).isoformat() if asked else officetime.office_day(_now()).isoformat()
    except AppointmentError:
        return officetime.office_day(_now()).isoformat()


def _csv_text() -> str:
    upload = request.files.get("csv")
    data = upload.read(MAX_CSV_BYTES + 1) if upload else b""
    if not data:
        raise AppointmentError("請選擇一個 CSV 檔")
    if len(data) > MAX_CSV_BYTES:
        raise AppointmentError(f"檔案太大（上限 {MAX_CSV_BYTES // 1000} KB）")
    for encoding in ("utf-8-sig", "big5"):  # Excel in Taiwan saves CSV as Big5 unless told otherwise
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AppointmentError("檔案不是 UTF-8 或 Big5 的文字檔")


@blueprint.route("/appointments", methods=["GET", "POST"])
@login_required
def page():
    db, day = _db(), _day()
    problem, done = None, None
    entered = {"day": day, "time": "", "service": "", "code": ""}
    if request.method == "POST":
        _check_csrf()
        action, who = request.form.get("action"), session["staff"]
        try:
            if action == "add":
                entered = {key: request.form.get(key, "") for key in entered}
                row = appointments.add(db, entered["day"], entered["time"], entered["service"], entered["code"], who)
                done, day = f"已新增：{row['day']} {row['at'][11:16]} {row['service']}，代碼 {row['code']}", row["day"]
                entered = {"day": day, "time": "", "service": "", "code": ""}
            elif action == "import":
                rows = appointments.import_csv(db, _csv_text(), who)
                done = f"已匯入 {len(rows)} 筆預約"
            elif action == "cancel":
                cancelled = appointments.cancel(db, int(request.form.get("id", "0") or 0))
                done = "已取消" if cancelled else None
                problem = None if cancelled else "這筆預約已報到或已不存在，未取消"
            log.info("%s: appointments %s", who, action)
        except (AppointmentError, ValueError) as exc:
            problem = str(exc)
    rows = appointments.day_list(db, day)
    return render_template("appointments.html", day=day, rows=rows, problem=problem, done=done, entered=entered,
                           services=appointments.services(),
                           names={s.prefix: s.name for s in appointments.services()}, early=appointments.EARLY_MINUTES,
                           late=appointments.LATE_MINUTES,
                           checked_in=sum(1 for r in rows if r["ticket_id"]))
