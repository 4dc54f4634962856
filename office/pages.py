"""
The staff pages
===============

For the office's staff, in Traditional Chinese, behind a sign-in (the
kiosks' API keeps its bearer tokens):

* ``/login`` (form), ``/logout`` (POST);
* ``/``: today: tickets per service, ratings so far, the kiosks: whether they are heard from (offline
  after ``create_app(offline_minutes=...)``) and their last heartbeat (version, backlog, printer, faults);
* ``/report?month=115/11``: the monthly report, one printable A4 page with SVG charts, headed on every printed
  page with the office, the period and the kiosks;
* ``/report/<section>.csv?month=115/11``: one section of it as CSV (``office/report_csv.py``: UTF-8 with BOM,
  for Excel); ``/report.csv`` is the summary section, ``/report.zip`` every section;
* ``/settings``: in ``office/settings_pages.py``.

Every staff page has the menu (:data:`NAV`, the current page marked), and an
error on a staff page is a Chinese page (:func:`error_page`), not the web
framework's English one.

Every POST carries the session's CSRF token; the session cookie is
HttpOnly and SameSite=Lax.  Failed sign-ins are limited per name and address,
and per address (:class:`office.staff.LoginLimiter`).  A session is also kept
on the server (``office/staff.py``): every request with a staff cookie is
checked (:func:`_end_stale_session`), so one replayed after logout, after a new
password or once the account is gone signs in nobody.  After signing in, only a
path on this server is followed (:func:`_safe_next`).
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
import secrets
from typing import Optional
from urllib.parse import quote, urlsplit

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request, session,
                   url_for)
from werkzeug.exceptions import HTTPException

from protocol import officetime

from . import alerts, calls
from . import report as reports
from . import report_csv
from .report_figures import percent
from . import staff
from .charts import hbar_chart, vbar_chart
from .current import database as _db, now as _now

__all__ = ["blueprint", "login_required", "error_page", "NAV"]

log = logging.getLogger("office.pages")

blueprint = Blueprint("staff", __name__)


def _limiter() -> staff.LoginLimiter:
    return current_app.extensions["office_login_limiter"]


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def _check_csrf() -> None:
    sent = request.form.get("csrf", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, description="表單已過期（頁面開啟太久，或已重新登入）：請重新整理頁面，再送出一次。")


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not session.get("staff"):
            return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


#: What a browser's URL parser (WHATWG) drops: ASCII tab and newline anywhere, C0 controls and space at the ends.
_DROPPED_ANYWHERE = re.compile(r"[\t\n\r]")
_TRIMMED = "".join(map(chr, range(0x21)))
#: Kept as they are in the path and the query of the rebuilt address; anything else is percent-encoded.
_PATH_SAFE, _QUERY_SAFE = "/%:@!$&'()*+,;=-._~", "/%:@!$&'()*+,;=-._~?"


def _safe_next(target: Optional[str]) -> str:
    """Where to go after signing in: a path on this server, rebuilt from its parts, else today's page.

    ``target`` is read as a browser would read it (tabs and newlines dropped, ``\\`` as ``/``), so that
    ``/<tab>/evil.example`` is seen as the ``//evil.example`` the browser would open; anything with a scheme or a
    host, or not starting with one ``/``, is refused.  The answer is rebuilt from the path and the query only,
    percent-encoded, so what the Location header says is what was checked (and never a newline).
    """
    fallback = url_for("staff.today")
    if not target:
        return fallback
    seen = _DROPPED_ANYWHERE.sub("", target).strip(_TRIMMED).replace("\\", "/")
    try:
        parts = urlsplit(seen)
    except ValueError:
        return fallback
    if seen.startswith("//") or parts.scheme or parts.netloc or not parts.path.startswith("/") \
            or parts.path.startswith("//"):  # ("///host" has an empty netloc to Python, a host to a browser)
        return fallback
    path = quote(parts.path, safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    return path + (f"?{query}" if query else "")


#: The staff pages' menu, in order: (endpoint, label).  An endpoint this server does not have (a blueprint not
#: registered) is left out, so a page can be listed before it exists.
NAV = (("staff.today", "今日"), ("staff.report", "月報表"), ("calling.counter", "叫號"),
       ("calling.display", "大廳顯示"), ("appointments.page", "預約"), ("voice.page", "叫號語音"), ("forms.table", "表單"),
       ("settings.page", "設定"), ("updates.page", "系統更新"))
#: Blueprints whose every page belongs to its one menu item (a forms page other than the table is still 表單).
_WHOLE_BLUEPRINTS = {"forms", "settings"}


def _nav():
    """The menu as (url, label, current) for the page being drawn."""
    items = []
    for endpoint, label in NAV:
        if endpoint not in current_app.view_functions:
            continue
        current = request.endpoint == endpoint or (
            endpoint.split(".")[0] in _WHOLE_BLUEPRINTS and request.blueprint == endpoint.split(".")[0])
        items.append((url_for(endpoint), label, current))
    return items


@blueprint.app_context_processor
def _template_globals():
    return {"csrf_token": csrf_token, "staff_name": session.get("staff"), "roc_date": officetime.roc_date,
            "roc_short": officetime.roc_short, "percent": percent, "nav": _nav}


# -- errors --------------------------------------------------------------------------------------

#: What a page says for an HTTP error: (title, message), in Chinese (werkzeug's own pages are in English).
ERROR_TEXTS = {
    400: ("無法處理這個要求", "送出的內容有誤：請回上一頁，重新整理後再試一次。"),
    401: ("需要登入", "請先登入再開啟這個頁面。"),
    403: ("沒有權限", "這個帳號不能開啟這個頁面。"),
    404: ("找不到這個頁面", "網址可能打錯了，或這個頁面已經移除：請從上方選單前往。"),
    405: ("不支援這個操作", "這個網址不接受這種要求：請從頁面上的按鈕或連結操作。"),
    413: ("送出的資料太大", "送出的資料超過伺服器的上限，請減少內容後再試。"),
    429: ("要求太頻繁", "請稍候再試。"),
    500: ("伺服器發生錯誤", "伺服器處理時發生錯誤，已記錄在伺服器日誌：請稍後再試；一再發生請通知管理者。"),
    503: ("暫時無法服務", "伺服器暫時無法使用（例如資料庫忙碌或無法連線）：請稍後再試。"),
}


def error_page(exc: HTTPException):
    """The Chinese page for an HTTP error on a page (not the JSON API): office/app.py's error handler calls it.

    A description given with ``abort(code, description=...)`` is ours, in Chinese, and says more than the
    generic text: it is shown; werkzeug's English default never is.  The residents' live queue pages
    (``/q/…``) draw their own, in the resident's language: left alone here.
    """
    if request.path.startswith("/q/"):
        return exc
    title, message = ERROR_TEXTS.get(exc.code, (f"發生錯誤（{exc.code}）", "請回上一頁再試一次。"))
    if exc.description and exc.description != type(exc).description:
        message = exc.description
    response = current_app.make_response((render_template("message.html", title=title, message=message),
                                          exc.code or 500))
    sent = dict(exc.get_headers())
    for name in ("Retry-After", "Allow"):  # kept: when to try again, which methods this address takes
        if name in sent:
            response.headers[name] = sent[name]
    return response


# -- signing in ----------------------------------------------------------------------------------

@blueprint.before_app_request
def _end_stale_session() -> None:
    """A staff cookie whose session has ended (logout, new password, account removed) is dropped here.

    Runs before every request of the app, so every check of ``session["staff"]`` (these pages, the calling API
    and pages) sees only a session that is still open.
    """
    if "staff" in session and not staff.session_valid(_db(), session.get("staff"), session.get("sid")):
        log.info("a staff session that had ended was refused")  # never the cookie or its id
        session.clear()


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("login.html", next_url=next_url, error=None, name="")
    _check_csrf()
    name = request.form.get("name", "").strip()[:64]
    password = request.form.get("password", "")
    address = request.remote_addr
    wait = _limiter().blocked_for(name, address)
    if wait is not None:
        log.warning("sign-in for %r from %s refused: too many failures", name, address)
        return render_template("login.html", next_url=next_url, name=name,
                               error=f"登入失敗次數過多，請於 {(wait + 59) // 60} 分鐘後再試。"), 429, \
            {"Retry-After": str(wait)}
    if not staff.check_user(_db(), name, password):
        _limiter().failed(name, address)
        log.warning("failed sign-in for %r from %s", name, address)
        return render_template("login.html", next_url=next_url, name=name, error="帳號或密碼錯誤。"), 401
    _limiter().succeeded(name, address)
    session.clear()  # a new session for the signed-in user (no fixation)
    session.permanent = True
    session["staff"] = name
    session["sid"] = staff.start_session(_db(), name, now=_now().timestamp(),
                                         lifetime=current_app.permanent_session_lifetime.total_seconds())
    csrf_token()
    log.info("%s signed in", name)
    return redirect(_safe_next(next_url))


@blueprint.post("/logout")
def logout():
    _check_csrf()
    staff.end_session(_db(), session.get("sid"))  # the cookie, replayed, signs in nobody
    session.clear()
    return redirect(url_for("staff.login"))


# -- today ---------------------------------------------------------------------------------------

@blueprint.get("/")
@login_required
def today():
    offline_minutes = current_app.config.get("OFFLINE_MINUTES", reports.OFFLINE_AFTER_MINUTES)
    db, now = _db(), _now()
    data = reports.load_today(db, now=now, offline_minutes=offline_minutes)
    service_chart = hbar_chart([(label, n) for _, label, n, _ in data.tickets_by_service], "今日各服務取號數") \
        if data.tickets_by_service else None
    # The queue as the counters see it, each service's wait against the office's thresholds (office/alerts.py).
    day = data.day.isoformat()
    state, levels = calls.state(db, day, now=now), alerts.wait_levels(db)
    queue = [(service, state["waiting"].get(service, 0), estimate, alerts.wait_level(estimate, levels))
             for service, estimate in state["estimates"].items()]
    return render_template("today.html", t=data, service_chart=service_chart,
                           offline_minutes=f"{offline_minutes:g}", office_name=db.office_name(),
                           open_alerts=alerts.open_alerts(db, day), seen_alerts=alerts.acknowledged(db, day),
                           queue=queue, levels=levels)


@blueprint.post("/alerts/<int:alert_id>/ack")
@login_required
def acknowledge_alert(alert_id: int):
    """已處理 on the dashboard: the alert is seen to, by whom and when (office/alerts.py)."""
    _check_csrf()
    if alert_id < 2**63 and alerts.acknowledge(_db(), alert_id, session["staff"], _now()) is not None:
        log.info("%s acknowledged alert %s", session["staff"], alert_id)
    return redirect(url_for("staff.today") + "#alerts")


# -- the monthly report --------------------------------------------------------------------------

def _period_or_400():
    """The month asked for (``?month=115/11``; none: this month, by the app's clock), or the 400 page saying why."""
    try:
        return reports.parse_month(request.args.get("month"), today=officetime.office_day(_now())), None
    except ValueError as exc:
        page = render_template("message.html", title="月份錯誤", message=str(exc),
                               back=(url_for("staff.report"), "回到本月報表"))
        return None, (page, 400)


def _shares(pairs):
    """(label, Satisfaction) pairs as (label, % satisfied) bars; no answers, no bar."""
    return [(label, None if s.share is None else round(100 * s.share, 1)) for label, s in pairs]


def _charts(data: reports.MonthlyReport):
    trend = [(reports.month_key(p), s) for p, s in data.trend]
    return {
        "trend": hbar_chart(_shares(trend), "近六個月滿意度 (%)", maximum=100, unit=" %", highlight=len(trend) - 1),
        "service": hbar_chart(_shares(data.by_service), "各服務滿意度 (%)", maximum=100, unit=" %"),
        "location": hbar_chart(_shares(data.by_location), "各櫃台滿意度 (%)", maximum=100, unit=" %"),
        "reasons": hbar_chart([(label, n) for _, label, n in data.reasons], "不滿意原因"),
        "tickets_service": hbar_chart([(label, n) for _, label, n in data.tickets_by_service], "各服務取號數"),
        "tickets_hour": vbar_chart([(f"{h}", n) for h, n in data.tickets_by_hour.items()], "各時段取號數"),
        # by title (clipped to the chart's label width by charts.py; the table beside it wraps the whole title)
        "forms": hbar_chart([(f.title, f.views + f.slips) for f in data.forms[:15]], "表單檢視與列印"),
    }


@blueprint.get("/report")
@login_required
def report():
    period, error = _period_or_400()
    if error:
        return error
    data = reports.load_report(_db(), period)
    previous = reports.previous_months(period, 2)[0]
    following = reports.Period.parse(month=f"{period.last.year + (period.last.month == 12)}-"
                                     f"{period.last.month % 12 + 1:02d}")  # past the last month: its link says so
    return render_template("report.html", r=data, charts=_charts(data), previous=reports.month_key(previous),
                           following=reports.month_key(following), printed=_now().astimezone(officetime.TAIPEI),
                           sections=report_csv.SECTIONS)


def _download(body: bytes, name: str, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@blueprint.get("/report/<section>.csv")
@login_required
def report_section_csv(section: str):
    """One section of the month's report as CSV (office/report_csv.py): Chinese headers, UTF-8 with BOM."""
    if section not in report_csv.SECTIONS:
        abort(404, description=f"報表沒有「{section}」這一段；可下載的有："
                               + "、".join(f"{s.key}（{s.title}）" for s in report_csv.SECTIONS.values()) + "。")
    period, error = _period_or_400()
    if error:
        return error
    data = reports.load_report(_db(), period)
    return _download(report_csv.section_csv(data, section), report_csv.file_name(data, section), "text/csv")


@blueprint.get("/report.csv")
@login_required
def report_summary_csv():
    """The month in one row (機關, 月份, 服務機, answers, % satisfied, tickets, forms...): the summary section."""
    return report_section_csv("summary")


@blueprint.get("/report.zip")
@login_required
def report_zip():
    """Every section's CSV of the month in one zip."""
    period, error = _period_or_400()
    if error:
        return error
    data = reports.load_report(_db(), period)
    return _download(report_csv.all_sections_zip(data), report_csv.zip_name(data), "application/zip")
