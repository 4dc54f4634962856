"""
The monthly report
==================

What the director reads once a month (每月統計分析), computed from the rows
:class:`~office.db.Database` returns (``ratings()``, ``tickets()``,
``form_views()``): every function here but :func:`load_report`,
:func:`load_today` and :func:`form_titles` is pure, so it is tested without
Flask or a database.  The report's CSV files are :mod:`office.report_csv`'s.

The report names the office (:meth:`~office.db.Database.office_name`), the
period and the kiosks whose data it holds, and each form by its title.

% satisfied is computed as the kiosk computes it (``kiosk/rating_stats.py``,
``kiosk ratings stats``): the answers that are not misuse; satisfied are the
top of three or the top two of five (:meth:`protocol.ratings.Scale.satisfied`);
misuse (a press within the response interval of the one before) is excluded
and counted on its own.  Each rating is judged on its own scale, so a kiosk
whose buttons were changed from three to five mid-month still counts right.
That count (:class:`~office.report_figures.Satisfaction`) and the services'
labels are :mod:`office.report_figures`'s, shared with the number-calling figures.

Months and days are office days in Asia/Taipei (the ``day`` the server
stored with each row), named in the ROC calendar: ``115/11`` is 民國115年11月.

The number-calling figures (waits, service times, no-shows, ratings linked to
the counter call they rate) are :mod:`office.call_stats`'s; :func:`load_report`
reads them with the rest.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from sqlalchemy import func, select

from protocol import officetime
from protocol.periods import Period
from protocol.ratings import REASONS

from . import call_stats as calling
from . import forms_list
from .report_figures import NO_SERVICE, Satisfaction, satisfaction, scale_of, service_label
from .remote import PHONE
from .update_states import system_health
from .schema import EVENTS, FORM_VIEWS

__all__ = ["MonthlyReport", "Today", "parse_month", "previous_months", "satisfaction_by", "reason_counts", "tickets_per_service", "tickets_per_hour", "form_downloads",
           "build_report", "load_report", "build_today", "load_today", "REASON_LABELS", "FormCount", "form_titles",
           "kiosks_of", "remote_tickets", "month_key", "kiosk_health", "OFFLINE_AFTER_MINUTES"]

REASON_LABELS: Dict[str, str] = {"wait_time": "等候時間太長", "attitude": "服務態度", "explanation": "說明不清楚",
                                 "environment": "環境設施", "other": "其他"}
assert tuple(REASON_LABELS) == REASONS, "a reason the kiosk asks about has no label here"
NO_LOCATION = "（未設定）"
TREND_MONTHS = 6


# -- months --------------------------------------------------------------------------------------

_MONTH = re.compile(r"(\d{1,4})[/-](\d{1,2})")
_HOW = "請寫民國年/月，例如 115/11"
_FIRST_YEAR, _LAST_YEAR = 1913, 2910  # 民國 2 年 to 999 年


def parse_month(text: Optional[str], today: Optional[date] = None) -> Period:
    """``115/11`` (ROC; ``2026-11`` also taken) as a Period; None or empty: this month in Asia/Taipei.

    ValueError with a message for the staff page, in Chinese: what is wrong with what was given, and the example.
    """
    if text is None or not text.strip():
        return Period.parse(today=today or officetime.office_day())
    text = text.strip()
    if len(text) > 20:
        raise ValueError(f"月份格式錯誤：輸入太長（{len(text)} 個字元）；{_HOW}。")
    found = _MONTH.fullmatch(text)
    if not found:
        raise ValueError(f"月份格式錯誤：「{text}」不是年/月；{_HOW}。")
    year, month = int(found.group(1)), int(found.group(2))
    year = year + 1911 if year < 1000 else year  # 115 is an ROC year, 2026 a Gregorian one (as Period.parse)
    if not 1 <= month <= 12:
        raise ValueError(f"月份格式錯誤：「{text}」沒有 {month} 月；{_HOW}。")
    if year < 1912:
        raise ValueError(f"月份格式錯誤：「{text}」在民國元年（1912 年）以前，沒有民國年份；{_HOW}。")
    if not _FIRST_YEAR <= year <= _LAST_YEAR:  # the report reads 6 months back and links the next one
        raise ValueError(f"月份格式錯誤：「{text}」超出報表的範圍（民國 {_FIRST_YEAR - 1911} 年至 "
                         f"{_LAST_YEAR - 1911} 年）；{_HOW}。")
    return Period.parse(month=f"{year}-{month:02d}")


def month_key(period: Period) -> str:
    """``115/11``: the month as the report's URLs name it."""
    return f"{officetime.roc_year(period.first)}/{period.first.month:02d}"


def previous_months(period: Period, count: int) -> List[Period]:
    """``count`` months ending with ``period``'s, oldest first."""
    months, first = [], period.first
    for _ in range(count):
        months.append(Period.parse(month=f"{first.year}-{first.month:02d}"))
        first = date(first.year - 1, 12, 1) if first.month == 1 else date(first.year, first.month - 1, 1)
    return months[::-1]


# -- satisfaction --------------------------------------------------------------------------------

def satisfaction_by(ratings: Iterable[Mapping[str, Any]], key: str, empty: str) -> List[Tuple[str, Satisfaction]]:
    """Satisfaction per value of ``key`` (``service``, ``location``, ``kiosk_id``), sorted; ``empty`` names ''."""
    groups: Dict[str, List[Mapping[str, Any]]] = defaultdict(list)
    for row in ratings:
        groups[row.get(key) or ""].append(row)
    return [(name or empty, satisfaction(rows)) for name, rows in sorted(groups.items())]


def reason_counts(ratings: Iterable[Mapping[str, Any]]) -> Tuple[List[Tuple[str, str, int]], int]:
    """Follow-up answers to "why?" after a negative rating: ``[(key, label, n)]`` and how many went unanswered.

    Misuse ratings are left out, as in % satisfied.  Every known reason is
    listed (0 included); a reason a newer kiosk sends is listed after them.
    """
    counts: Counter = Counter()
    unanswered = 0
    for row in ratings:
        scale = scale_of(row["scale"])
        if row["misuse"] or scale is None:
            continue
        n = row.get("n", 1)
        if row.get("reason"):
            counts[row["reason"]] += n
        elif scale.negative(row["score"]):
            unanswered += n
    rows = [(key, label, counts.pop(key, 0)) for key, label in REASON_LABELS.items()]
    rows += [(key, key, n) for key, n in sorted(counts.items())]
    return rows, unanswered


# -- tickets and forms ---------------------------------------------------------------------------

def tickets_per_service(tickets: Iterable[Mapping[str, Any]]) -> List[Tuple[str, str, int]]:
    """``[(service code, label, tickets)]`` sorted by code."""
    counts = Counter(row["service"] for row in tickets)
    return [(code, service_label(code), n) for code, n in sorted(counts.items())]


def tickets_per_hour(tickets: Iterable[Mapping[str, Any]]) -> Dict[int, int]:
    """Tickets per office hour 0-23; every hour from 8 to 17 is present, and any other that has tickets."""
    counts = Counter(row["hour"] for row in tickets)
    hours = set(range(8, 18)) | set(counts)
    return {hour: counts.get(hour, 0) for hour in sorted(hours)}


def last_tickets(tickets: Sequence[Mapping[str, Any]]) -> Dict[str, Mapping[str, Any]]:
    """The latest ticket of each service (rows are oldest first)."""
    latest: Dict[str, Mapping[str, Any]] = {}
    for row in tickets:
        latest[row["service"]] = row
    return latest


class FormCount(NamedTuple):
    """One form's line in the report: its code, the title people know it by, views and slips printed."""

    code: str
    title: str
    views: int
    slips: int


def form_downloads(views: Iterable[Mapping[str, Any]],
                   titles: Optional[Mapping[str, str]] = None) -> List[FormCount]:
    """Views and slips per form, the most used first; titled from ``titles`` (code -> title), else the code."""
    counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for row in views:
        counts[row["code"]][0 if row["kind"] == "view" else 1] += 1
    titles = titles or {}
    rows = [FormCount(code, titles.get(code) or code, v, s) for code, (v, s) in counts.items()]
    return sorted(rows, key=lambda r: (-r.views - r.slips, r.code))


@functools.lru_cache(maxsize=1)
def _shipped_titles() -> Dict[str, str]:
    """code -> title of the catalogue the kiosks ship with (protocol/data/forms.toml)."""
    from protocol.forms_format import load_catalogue  # only the report needs it
    return {form.code: form.title for form in load_catalogue()[0].forms}


def form_titles(db, first_day: str, last_day: str) -> Dict[str, str]:
    """The title of each form viewed or printed on these office days.

    The title the kiosk showed comes with its ``form_view`` / ``form_slip``
    event (kept, as sent, in ``events.data``); the newest wins, so a title the
    office corrected shows from then on.  A kiosk too old to send titles gets the
    office's forms list's (``office/forms_list.py``), else the shipped
    catalogue's; a code in none of them stays a code.
    """
    # One row per distinct event body (a form's code, title, category, language): a handful per form, however
    # many thousand views a month holds.
    query = (select(EVENTS.c.data, func.max(FORM_VIEWS.c.at))
             .join(FORM_VIEWS, FORM_VIEWS.c.event_id == EVENTS.c.id)
             .where(FORM_VIEWS.c.day >= first_day, FORM_VIEWS.c.day <= last_day)
             .group_by(EVENTS.c.data))
    titles = dict(_shipped_titles())
    titles.update((row.code, row.title) for row in forms_list.rows(db))
    for data, _ in sorted(db.read(lambda c: c.execute(query).all()), key=lambda row: row[1]):
        body = json.loads(data)
        title = body.get("title")
        if isinstance(title, str) and title.strip() and isinstance(body.get("code"), str):
            titles[body["code"]] = title.strip()
    return titles


def kiosks_of(*row_lists: Iterable[Mapping[str, Any]]) -> List[str]:
    """The ids of the kiosks these rows came from, sorted: which kiosks a report covers."""
    return sorted({row["kiosk_id"] for rows in row_lists for row in rows if row.get("kiosk_id")} - {PHONE})


def remote_tickets(tickets: Iterable[Mapping[str, Any]]) -> int:
    """How many of these tickets were taken on a phone (/take, office/remote.py)."""
    return sum(1 for row in tickets if row.get("kiosk_id") == PHONE)


# -- the report ----------------------------------------------------------------------------------

@dataclass
class MonthlyReport:
    period: Period
    key: str                                      # 115/11
    overall: Satisfaction
    trend: List[Tuple[Period, Satisfaction]]      # this month and the 5 before, oldest first
    by_service: List[Tuple[str, Satisfaction]]
    by_location: List[Tuple[str, Satisfaction]]
    by_kiosk: List[Tuple[str, Satisfaction]]
    reasons: List[Tuple[str, str, int]]
    reasons_unanswered: int
    tickets_total: int
    tickets_by_service: List[Tuple[str, str, int]]
    tickets_by_hour: Dict[int, int]
    forms: List[FormCount]
    clock_unsynced: int                           # ratings sent while the kiosk's clock was not synced
    calls: Optional["calling.CallStats"] = None   # number calling (office/call_stats.py); None: not loaded
    office_name: str = ""                         # Database.office_name(); "" until staff set it
    kiosks: List[str] = field(default_factory=list)  # the kiosks whose ratings, tickets or forms are in it
    tickets_remote: int = 0                       # of tickets_total, taken on a phone (/take)


def build_report(period: Period, ratings: Sequence[Mapping[str, Any]], tickets: Sequence[Mapping[str, Any]],
                 views: Sequence[Mapping[str, Any]], history: Sequence[Mapping[str, Any]] = (),
                 calls: Optional[calling.CallRows] = None, office_name: str = "",
                 form_titles: Optional[Mapping[str, str]] = None) -> MonthlyReport:
    """The report of ``period`` from its rows; ``history``: ratings of the months before it, for the trend;
    ``calls``: the month's number-calling rows (:func:`office.call_stats.load_calls`), or None to leave them out;
    ``form_titles``: code -> title for the forms section (:func:`form_titles`)."""
    first, last = period.first.isoformat(), period.last.isoformat()
    month = [r for r in ratings if first <= r["day"] <= last]
    tickets = [t for t in tickets if first <= t["day"] <= last]
    views = [v for v in views if first <= v["day"] <= last]
    trend = []
    everything = list(history) + month
    for p in previous_months(period, TREND_MONTHS):
        a, b = p.first.isoformat(), p.last.isoformat()
        trend.append((p, satisfaction(r for r in everything if a <= r["day"] <= b)))
    reasons, unanswered = reason_counts(month)
    return MonthlyReport(
        period=period, key=month_key(period), overall=satisfaction(month), trend=trend,
        by_service=[(service_label(s) if s != NO_SERVICE else s, sat)
                    for s, sat in satisfaction_by(month, "service", NO_SERVICE)],
        by_location=satisfaction_by(month, "location", NO_LOCATION),
        by_kiosk=satisfaction_by(month, "kiosk_id", "?"),
        reasons=reasons, reasons_unanswered=unanswered,
        tickets_total=len(tickets), tickets_by_service=tickets_per_service(tickets),
        tickets_remote=remote_tickets(tickets),
        tickets_by_hour=tickets_per_hour(tickets), forms=form_downloads(views, form_titles),
        clock_unsynced=sum(r.get("n", 1) for r in month if not r.get("clock_synced", True)),
        office_name=office_name, kiosks=kiosks_of(month, tickets, views),
        calls=None if calls is None else calling.build_call_stats(
            [c for c in calls.calls if first <= c["day"] <= last], calls.events,
            [r for r in calls.ratings if first <= r["day"] <= last], tickets, counter_ratings=calls.counter_ratings,
            links=calls.links))


def load_report(db, period: Period) -> MonthlyReport:
    """Read the month's rows (and the trend's ratings) from ``db`` and build the report."""
    months = previous_months(period, TREND_MONTHS)
    first, last = period.first.isoformat(), period.last.isoformat()
    # Counted at ingest (db.rating_counts, per day), not row by row here: a county's month may hold a million.
    ratings = db.rating_counts(first_day=months[0].first.isoformat(), last_day=last)
    month = [r for r in ratings if r["day"] >= first]
    history = [r for r in ratings if r["day"] < first]
    return build_report(period, month, db.tickets(first_day=first, last_day=last),
                        db.form_views(first_day=first, last_day=last), history,
                        calling.load_calls(db, first, last, linked=True),
                        office_name=db.office_name(), form_titles=form_titles(db, first, last))


# -- today ---------------------------------------------------------------------------------------

@dataclass
class Today:
    day: date
    ratings: Satisfaction
    tickets_total: int
    tickets_by_service: List[Tuple[str, str, int, Optional[Mapping[str, Any]]]]  # code, label, n, latest ticket
    kiosks: List[Dict[str, Any]]                              # + "offline", "silent_minutes", "health"
    tickets_remote: int = 0                                   # of tickets_total, taken on a phone (/take)


#: A kiosk not heard from (any upload, heartbeat or config request) for longer than this is offline;
#: ``kiosk-office serve --offline-minutes`` changes it.  The kiosks' heartbeats come every 5 minutes.
OFFLINE_AFTER_MINUTES = 15

#: The printer states a heartbeat reports (kiosk/heartbeat.py), as the kiosk list shows them.
PRINTER_LABELS: Dict[str, str] = {
    "ok": "正常", "printer_paper_near_end": "紙將用完 paper low", "printer_paper_out": "缺紙 paper out",
    "printer_cover_open": "上蓋開啟 cover open", "printer_offline": "未就緒 offline",
    "printer_no_reply": "無回應 no reply", "printer_not_connected": "未連接 not connected",
    "printer_missing": "未連接 not connected", "ticket_print_failed": "列印中斷 print failed",
    "printer_error": "故障 error", "unknown": "不明（尚未列印）",
}
#: Fault kinds the kiosk records, in Chinese; any other kind is shown as it came.
FAULT_LABELS: Dict[str, str] = {
    **{kind: label.split(" ")[0] for kind, label in PRINTER_LABELS.items() if kind not in ("ok", "unknown")},
    "button_stuck": "按鈕卡住", "button_released": "卡住的按鈕已放開", "button_silent": "按鈕久未使用",
    "gpio_missing": "按鈕無法使用", "forms_catalogue": "表單目錄有誤", "server_refused": "伺服器拒絕權杖",
    "server_config_invalid": "伺服器設定回應有誤", "database_corrupt": "資料庫損毀已重建",
}


def _parse_time(text: Optional[str]):
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _count(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def kiosk_health(heartbeat: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """What the kiosk list shows of a kiosk's newest heartbeat (``Database.kiosks()``'s ``last_heartbeat``).

    None without one.  Read defensively: a heartbeat stored before the server
    checked their members may lack some or hold other types.
    """
    if not isinstance(heartbeat, Mapping):
        return None
    data = heartbeat.get("data") if isinstance(heartbeat.get("data"), Mapping) else {}
    printer = data.get("printer") if isinstance(data.get("printer"), Mapping) else {}
    state = printer.get("state") if isinstance(printer.get("state"), str) else None
    faults = []
    for fault in data.get("faults") or []:
        if isinstance(fault, Mapping) and isinstance(fault.get("kind"), str):
            faults.append({"kind": fault["kind"], "label": FAULT_LABELS.get(fault["kind"], fault["kind"]),
                           "count": _count(fault.get("count")) or 1})
    gpio = data.get("gpio") if isinstance(data.get("gpio"), Mapping) else {}
    return {
        "at": heartbeat.get("at") if isinstance(heartbeat.get("at"), str) else None,
        "clock_synced": heartbeat.get("clock_synced") is not False and data.get("clock_synced") is not False,
        "version": data.get("version") if isinstance(data.get("version"), str) else None,
        "backlog": _count(data.get("backlog")),
        "parked": _count(data.get("parked")),
        "printer": state,
        "printer_label": None if state is None else PRINTER_LABELS.get(state, state),
        "printer_ok": state in ("ok", "unknown"),
        "gpio": gpio.get("state") if isinstance(gpio.get("state"), str) else None,
        "faults": faults,
        "ticketing_paused": data.get("ticketing_paused") is True,
        "system": system_health(data),  # the system it runs, its slot, its update (office/update_states.py)
    }


def build_today(day: date, ratings: Sequence[Mapping[str, Any]], tickets: Sequence[Mapping[str, Any]],
                kiosks: Sequence[Mapping[str, Any]], now, offline_minutes: float = OFFLINE_AFTER_MINUTES) -> Today:
    """The today page: ``now`` (aware) decides which kiosks are offline (silent > ``offline_minutes``, or never
    heard); each kiosk gets ``health`` (:func:`kiosk_health`) from its newest heartbeat."""
    latest = last_tickets(tickets)
    by_service = [(code, label, n, latest.get(code)) for code, label, n in tickets_per_service(tickets)]
    listed = []
    for kiosk in kiosks:
        row = dict(kiosk)
        contact = _parse_time(row.get("last_contact_at"))
        minutes = None if contact is None else max(0, int((now - contact).total_seconds() // 60))
        row["silent_minutes"] = minutes
        row["offline"] = contact is None or (now - contact).total_seconds() > offline_minutes * 60
        row["health"] = kiosk_health(row.get("last_heartbeat"))
        listed.append(row)
    return Today(day, satisfaction(ratings), len(tickets), by_service, listed, remote_tickets(tickets))


def load_today(db, now=None, offline_minutes: float = OFFLINE_AFTER_MINUTES) -> Today:
    now = now or officetime.now()
    day = officetime.office_day(now).isoformat()
    return build_today(officetime.office_day(now), db.ratings(first_day=day, last_day=day),
                       db.tickets(first_day=day, last_day=day), db.kiosks(), now, offline_minutes)
