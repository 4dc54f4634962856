"""
Appointments checked in at the kiosk (預約報到)
==============================================

Staff enter the day's appointments on ``/appointments``
(``office/appointment_pages.py``), one at a time or as a CSV file: a date, a
time, the service it is for, and a short code of digits the resident was
given (made up here when staff leave it empty).  No name, no ID number, no
phone: the code is all the office needs at the kiosk.

At the kiosk the resident taps 預約報到 (the service marked ``check_in``,
F in the usual list) and types the code on a keypad; the kiosk asks
``POST /api/v1/appointments/check-in`` (:func:`check_in`).  The answer is the
office's next number of the check-in service (F007, ``office/numbering.py``),
and the appointment remembers it and the kiosk's ticket event id.  When that
ticket is uploaded, it waits in the *appointment's* service (A, B …), not in F,
and is called there at its time, ahead of walk-ins (the rule:
``office/CALLING.md``, "Appointments"; ``office/calls.py`` and
``office/forecast.py`` apply it).

A code is refused, and nothing is taken, when it is not an appointment's
(``unknown``), when the resident is more than :data:`EARLY_MINUTES` early or
another day's (``early``), more than :data:`LATE_MINUTES` late (``late``: a
regular number, the desk decides), or already checked in (``used``: the answer
says the number given then).  Asked again with the same request id (the answer
was lost), the kiosk gets the same number.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import date, datetime, time, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from protocol import officetime
from protocol.service_list import DEFAULT_SERVICES

from .numbering import take_number
from .schema import APPOINTMENTS, CALL_EVENTS, CALLS
from .turns import take_turn

__all__ = ["EARLY_MINUTES", "LATE_MINUTES", "CODE_DIGITS", "REASONS", "AppointmentError", "CheckInRefused",
           "services", "parse_day", "parse_time", "add", "import_csv", "cancel", "day_list", "check_in",
           "appointment_streak"]

#: Check-in opens this many minutes before the appointment ...
EARLY_MINUTES = 30
#: ... and closes this many after it (later: a regular number).
LATE_MINUTES = 15
#: The codes made up here: six digits, one in a million to guess.
CODE_DIGITS = 6
_CODE = re.compile(r"[0-9]{4,8}")
#: Why a code checks nothing in (the kiosk says each: ``checkin.refused_<reason>``).
REASONS = ("unknown", "early", "late", "used")


class AppointmentError(ValueError):
    """An appointment staff entered that cannot be kept (the message says which field, in Chinese)."""


class CheckInRefused(Exception):
    """No check-in: ``reason`` (:data:`REASONS`), with the appointment's time (``at``, early and late) and the
    number it was given (``number``, used), for the kiosk to say."""

    def __init__(self, reason: str, message: str, at: Optional[str] = None, number: Optional[str] = None):
        assert reason in REASONS, reason
        super().__init__(message)
        self.reason, self.at, self.number = reason, at, number

    def answer(self) -> dict:
        """The API's 409 body; an early code's says when check-in opens (``opens``)."""
        opens = (officetime.rfc3339(datetime.fromisoformat(self.at) - timedelta(minutes=EARLY_MINUTES))
                 if self.reason == "early" else None)
        return {"error": str(self), "reason": self.reason, "at": self.at, "number": self.number, "opens": opens}


def services() -> List:
    """The services an appointment can be for: the usual list's, less priority and the check-in itself."""
    return [s for s in DEFAULT_SERVICES if s.prefix != "P" and not s.check_in]


def parse_day(text: str) -> date:
    """A date as staff type it: 2026-12-08, 2026/12/08, or the ROC year's 115/12/08 (民國)."""
    match = re.fullmatch(r"\s*(\d{2,4})[-/.](\d{1,2})[-/.](\d{1,2})\s*", str(text))
    if not match:
        raise AppointmentError(f"日期「{text}」看不懂：請寫 2026-12-08 或 115/12/08")
    year, month, day = map(int, match.groups())
    try:
        return date(year + 1911 if year < 1000 else year, month, day)
    except ValueError:
        raise AppointmentError(f"日期「{text}」不是有效的日期") from None


def parse_time(text: str) -> time:
    """A time of day: 09:30 or 9:30."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(text))
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise AppointmentError(f"時間「{text}」看不懂：請寫 09:30")
    return time(int(match.group(1)), int(match.group(2)))


def _stamp(day: date, at: time) -> str:
    return officetime.rfc3339(datetime.combine(day, at, tzinfo=officetime.TAIPEI))


def _entry(day_text: str, time_text: str, service: str, code: str) -> Tuple[str, str, str, str]:
    """(day, at, service, code) checked; code "" when one is to be made up."""
    day, at = parse_day(day_text), parse_time(time_text)
    service = str(service).strip().upper()
    known = [s.prefix for s in services()]
    if service not in known:
        raise AppointmentError(f"服務「{service}」不能預約：請選 {'、'.join(known)}")
    code = str(code or "").strip()
    if code and not _CODE.fullmatch(code):
        raise AppointmentError(f"代碼「{code}」不行：代碼是 4 到 8 位數字（留空由系統產生）")
    return day.isoformat(), _stamp(day, at), service, code


def _insert(conn: Connection, entry: Tuple[str, str, str, str], by: str) -> Dict:
    day, at, service, code = entry
    taken = set(conn.execute(select(APPOINTMENTS.c.code).where(APPOINTMENTS.c.day == day)).scalars())
    if code in taken:
        raise AppointmentError(f"{day} 已有代碼 {code} 的預約：同一天的代碼不能重複")
    while not code or code in taken:
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    row = dict(day=day, at=at, service=service, code=code, created_by=by,
               created_at=officetime.rfc3339(officetime.now()))
    row["id"] = conn.execute(insert(APPOINTMENTS).values(**row)).inserted_primary_key[0]
    return row


def add(db, day: str, at: str, service: str, code: str = "", by: str = "") -> Dict:
    """Keep one appointment; its row (with the code made up if none was given).  AppointmentError if not."""
    entry = _entry(day, at, service, code)
    try:
        return db.write(lambda conn: _insert(conn, entry, by))
    except IntegrityError:  # the same code given at the same moment by another page
        raise AppointmentError(f"{entry[0]} 已有代碼 {entry[3]} 的預約：同一天的代碼不能重複") from None


def import_csv(db, text: str, by: str = "") -> List[Dict]:
    """Keep every appointment of a CSV file (date, time, service, code; a header line is skipped), or none:
    AppointmentError naming every line that is wrong."""
    rows, problems = [], []
    for number, fields in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        fields = [f.strip() for f in fields]
        if not any(fields) or (number == 1 and not re.match(r"\d", fields[0])):
            continue  # an empty line, or the header
        try:
            if len(fields) < 3:
                raise AppointmentError("要有日期、時間、服務三欄（代碼可省略）")
            rows.append((number, _entry(fields[0], fields[1], fields[2], fields[3] if len(fields) > 3 else "")))
        except AppointmentError as exc:
            problems.append(f"第 {number} 行：{exc}")
    if not rows and not problems:
        problems.append("檔案裡沒有預約")
    if problems:
        raise AppointmentError("；".join(problems[:10]) + ("……" if len(problems) > 10 else ""))

    def write(conn):
        kept = []
        for number, entry in rows:
            try:
                kept.append(_insert(conn, entry, by))
            except AppointmentError as exc:
                raise AppointmentError(f"第 {number} 行：{exc}（整個檔案都沒有匯入）") from None
        return kept
    return db.write(write)


def cancel(db, appointment_id: int) -> bool:
    """Remove an appointment not yet checked in; whether one was."""
    return bool(db.write(lambda conn: conn.execute(delete(APPOINTMENTS).where(
        APPOINTMENTS.c.id == appointment_id, APPOINTMENTS.c.ticket_id.is_(None))).rowcount))


def day_list(db, day: str) -> List[Dict]:
    """The appointments of ``day``, by time."""
    query = select(APPOINTMENTS).where(APPOINTMENTS.c.day == day).order_by(APPOINTMENTS.c.at, APPOINTMENTS.c.id)
    return [dict(row) for row in db.read(lambda conn: conn.execute(query).mappings().all())]


def _find(conn: Connection, code: str, today: str):
    """The appointment ``code`` names: today's, else the next one to come, else the latest past; None."""
    rows = conn.execute(select(APPOINTMENTS).where(APPOINTMENTS.c.code == code)
                        .order_by(APPOINTMENTS.c.day)).mappings().all()
    return (next((r for r in rows if r["day"] == today), None) or next((r for r in rows if r["day"] > today), None)
            or (rows[-1] if rows else None))


def check_in(conn: Connection, kiosk_id: str, code: str, request_id: str, prefix: str, daily_limit: int,
             now: datetime) -> Dict:
    """Check in the appointment ``code`` from ``kiosk_id``'s ticket ``request_id`` (see the module docstring):
    ``{"number", "day", "service", "slot", "appointment": {"service", "at"}}``; CheckInRefused, or NumberRefused
    (the check-in service is full), with nothing taken."""
    today = officetime.office_day(now).isoformat()
    take_turn(conn, f"numbers {today} {prefix}")  # take_number's turn: two kiosks typing one code go one by one
    again = conn.execute(select(APPOINTMENTS).where(APPOINTMENTS.c.ticket_id == request_id)).mappings().first()
    found = again or _find(conn, str(code).strip(), today)
    if found is None:
        raise CheckInRefused("unknown", "no appointment has this code")
    if found["ticket_id"] is not None and found["ticket_id"] != request_id:
        raise CheckInRefused("used", f"this appointment was checked in at {found['checked_in_at']}",
                             at=found["at"], number=found["number"])
    at = datetime.fromisoformat(found["at"])
    if again is None and now < at - timedelta(minutes=EARLY_MINUTES):
        raise CheckInRefused("early", f"check-in opens {EARLY_MINUTES} minutes before {found['at']}", at=found["at"])
    if again is None and now > at + timedelta(minutes=LATE_MINUTES):
        raise CheckInRefused("late", f"check-in closed {LATE_MINUTES} minutes after {found['at']}", at=found["at"])
    given = take_number(conn, kiosk_id, request_id, prefix, today, daily_limit)
    if again is None:
        changed = conn.execute(update(APPOINTMENTS).where(APPOINTMENTS.c.id == found["id"],
                                                          APPOINTMENTS.c.ticket_id.is_(None))
                               .values(ticket_id=request_id, number=given["number"], kiosk_id=kiosk_id,
                                       checked_in_at=officetime.rfc3339(now))).rowcount
        if not changed:  # SQLite's one writer and the turn make this unreachable; never hand out a code twice
            raise CheckInRefused("used", "this appointment was checked in just now", at=found["at"])
    return dict(given, appointment={"service": found["service"], "at": found["at"]})


def appointment_streak(conn: Connection, day: str, counter: int, cap: int) -> int:
    """How many of this counter's last calls today were appointments' tickets, back to its last other call
    (at most ``cap``: the fairness rule's limit, ``office/forecast.py``)."""
    kinds = (select(APPOINTMENTS.c.id)
             .select_from(CALL_EVENTS.join(CALLS, CALLS.c.id == CALL_EVENTS.c.call_id)
                          .outerjoin(APPOINTMENTS, APPOINTMENTS.c.ticket_id == CALLS.c.ticket_id))
             .where(CALL_EVENTS.c.day == day, CALL_EVENTS.c.counter == counter, CALL_EVENTS.c.kind == "call")
             .order_by(CALL_EVENTS.c.id.desc()).limit(cap))
    streak = 0
    for (appointment,) in conn.execute(kinds):
        if appointment is None:
            break
        streak += 1
    return streak
