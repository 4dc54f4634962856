"""
The service list
================

The services a resident can take a number for (抽號碼牌), as ``[[services]]``
tables in the kiosk's config file::

    [[services]]
    prefix = "A"                      # the letter on the ticket: A012
    name = "戶籍登記"                  # as shown on screen and printed (zh-TW)
    name_en = "Household registration"
    name_vi = "Đăng ký hộ tịch"       # optional: name_vi, name_id, name_th, name_fil, the name in
    name_id = "Pendaftaran rumah tangga"   # that language (a screen in a language without one shows name_en)
    hours = ["08:00-12:00", "13:30-17:00"]   # optional: when numbers are handed out
    weekdays = [1, 2, 3, 4, 5]        # optional: Monday = 1
    daily_limit = 0                   # optional: 0 = no limit
    check_in = false                  # optional: true for 預約報到, the tile that opens the appointment keypad

The names in the other languages the kiosk speaks are optional keys of their
own, ``name_<language>`` for vi, id, th and fil (``protocol/languages.py``):
the screen in that language shows that name, and English where there is none
(:meth:`Service.name_in`).  Thai has no spaces between words: put U+200B
(zero width space) where a line may break, or the tile cannot wrap it.

Without any ``[[services]]`` the office's usual list (domain.md) is used.  The
office server reads the same list (its report, its live queue page).
:func:`parse_services` checks entries and returns every problem, in the
shape the config module reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Dict, List, Optional, Tuple

from .languages import OTHER_LANGUAGES, Texts, pick, translation_keys, translation_problems, translations, \
    unknown_language
from .officetime import TAIPEI

__all__ = ["Service", "DEFAULT_SERVICES", "parse_services", "SERVICE_KEYS"]

SERVICE_KEYS = ("prefix", "name", "name_en", *translation_keys("name"), "hours", "weekdays", "daily_limit",
                "check_in")


@dataclass(frozen=True)
class Service:
    """One queue: its ticket letter, names, and when it hands out numbers."""

    prefix: str
    name: str
    name_en: str
    hours: Tuple[Tuple[time, time], ...] = ()   # empty: any time
    weekdays: Tuple[int, ...] = ()              # empty: every day; Monday = 1
    daily_limit: int = 0                        # 0: no limit
    names: Texts = ()                           # the name in vi, id, th, fil: (("vi", "Đăng ký hộ tịch"), ...)
    #: 預約報到: the tile opens the appointment keypad (kiosk/appointments.py) instead of printing at once; at most
    #: one service of a list.  Its numbers (F001) are the check-in tickets, waiting in their appointment's service.
    check_in: bool = False

    def name_in(self, lang: str) -> str:
        """The name a reader of ``lang`` sees: its own, Chinese for zh-TW, else English."""
        return pick(lang, self.name, self.name_en, self.names)

    def open_at(self, moment: datetime) -> bool:
        """Whether numbers are handed out at ``moment`` (office time)."""
        if self.weekdays and moment.isoweekday() not in self.weekdays:
            return False
        now = moment.timetz().replace(tzinfo=None)
        return not self.hours or any(start <= now < end for start, end in self.hours)

    def next_opening(self, moment: datetime, *, next_day: bool = False) -> Optional[datetime]:
        """When numbers are handed out again after ``moment``, in office time (Asia/Taipei).

        The start of the next of ``hours`` on one of ``weekdays``, later than
        ``moment``; with ``next_day`` (the service is full for today) the first
        opening of a later office day.  A service without hours opens at the
        midnight that starts its next day.  ``None`` if it never opens (no
        weekday in the next week, which parse_services cannot produce).
        """
        if moment.tzinfo is None:
            raise ValueError(f"next_opening needs a timezone-aware time, got {moment!r}")
        local = moment.astimezone(TAIPEI)
        starts = sorted(start for start, _end in self.hours) or [time(0, 0)]
        for days in range(1 if next_day else 0, 9):
            day = local.date() + timedelta(days=days)
            if self.weekdays and day.isoweekday() not in self.weekdays:
                continue
            for start in starts:
                opening = datetime.combine(day, start, tzinfo=TAIPEI)
                if opening > local and not (days == 0 and not self.hours):
                    return opening
        return None


def _in(vi: str, id_: str, th: str, fil: str) -> Texts:
    return tuple(zip(OTHER_LANGUAGES, (vi, id_, th, fil)))


#: The office's usual list, named with the office's terms (kiosk/locale/glossary.md).  The vi, id, th and fil
#: names are drafts awaiting a native speaker at the office, like the kiosk's catalogues; Thai marks with \u200b
#: where a line may break.
DEFAULT_SERVICES: Tuple[Service, ...] = (
    Service("A", "戶籍登記", "Household registration", names=_in(
        "Đăng ký hộ tịch", "Pendaftaran rumah tangga",
        "การ\u200bจด\u200bทะเบียนราษฎร์", "Household registration")),
    Service("B", "身分證、戶口名簿", "ID card, household certificate", names=_in(
        "CMND, sổ hộ khẩu", "KTP, Kartu Keluarga",
        "บัตรประชาชน, ทะเบียนบ้าน", "ID card, household certificate")),
    Service("C", "謄本、印鑑證明", "Transcripts, seal certificates", names=_in(
        "Bản sao hộ tịch, con dấu", "Salinan data, surat stempel",
        "สำเนา\u200bทะเบียนราษฎร์, หนังสือรับรอง\u200bตราประทับ", "Transcript, sertipiko ng selyo")),
    Service("D", "新住民、國籍", "New residents, nationality", names=_in(
        "Tân di dân, quốc tịch", "Penduduk baru, kewarganegaraan",
        "ผู้ตั้งถิ่นฐาน\u200bใหม่, สัญชาติ", "Bagong residente, nasyonalidad")),
    Service("E", "自然人憑證", "Citizen digital certificate", names=_in(
        "Chứng nhận thể nhân", "Sertifikat digital warga",
        "ใบรับรอง\u200bดิจิทัล\u200bบุคคลธรรมดา", "Citizen Digital Certificate")),
    Service("F", "預約報到", "Appointment check-in", names=_in(
        "Báo đến theo lịch hẹn", "Lapor hadir reservasi",
        "ลง\u200bทะเบียน\u200bตาม\u200bนัดหมาย", "Check-in ng appointment"), check_in=True),
    Service("P", "優先（年長者、身心障礙、孕婦）", "Priority (seniors, disabled, pregnant)", names=_in(
        "Ưu tiên (người cao tuổi, người khuyết tật, phụ nữ mang thai)", "Prioritas (lansia, disabilitas, ibu hamil)",
        "คิว\u200bพิเศษ (ผู้สูงอายุ คนพิการ หญิงตั้งครรภ์)", "Priority (senior, PWD, buntis)")),
)


def _hours(value) -> Tuple[Optional[tuple], Optional[str]]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, f"must be a list of ranges such as [\"08:00-12:00\", \"13:30-17:00\"], got {value!r}"
    ranges = []
    for text in value:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text.strip())
        if not match:
            return None, f"{text!r} is not a range such as \"08:00-12:00\""
        h1, m1, h2, m2 = map(int, match.groups())
        if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60):
            return None, f"{text!r} is not a time of day"
        start, end = time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))
        if start >= end:
            return None, f"{text!r} ends before it starts"
        ranges.append((start, end))
    return tuple(ranges), None


def parse_services(entries: Any, lines: Dict[str, int]) -> Tuple[Tuple[Service, ...], List[Tuple[str, str, Optional[int]]]]:
    """Check ``[[services]]`` entries; return the services and problems as ``(key, message, line)``."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return DEFAULT_SERVICES, [("services", "must be [[services]] tables", lines.get("services"))]
    services, problems = [], []
    seen = {}
    for n, entry in enumerate(entries):
        where = f"services[{n}]"

        def problem(key, message):
            problems.append((f"{where}.{key}", message, lines.get(f"{where}.{key}", lines.get(where))))

        for key in entry:
            if key not in SERVICE_KEYS:
                problem(key, unknown_language(key, ("name",)) or f"unknown key; a service knows: {', '.join(SERVICE_KEYS)}")
        for key, message in translation_problems(entry, ("name",)):
            problem(key, message)
        prefix = entry.get("prefix")
        if not isinstance(prefix, str) or not re.fullmatch(r"[A-Z]", prefix):
            problem("prefix", f"must be one capital letter A-Z (the letter on the ticket), got {prefix!r}")
        elif prefix in seen:
            problem("prefix", f"{prefix!r} is already used by services[{seen[prefix]}]")
        else:
            seen[prefix] = n
        for key in ("name", "name_en"):
            if not isinstance(entry.get(key), str) or not entry.get(key, "").strip():
                problem(key, "is required: the service's name as residents know it")
        hours, message = _hours(entry.get("hours", []))
        if message:
            problem("hours", message)
        weekdays = entry.get("weekdays", [])
        if not isinstance(weekdays, list) or not all(isinstance(d, int) and 1 <= d <= 7 for d in weekdays):
            problem("weekdays", f"must be a list of days 1-7 (Monday = 1), got {weekdays!r}")
        limit = entry.get("daily_limit", 0)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= 9999:
            problem("daily_limit", f"must be a whole number 0-9999 (0: no limit), got {limit!r}")
        check_in = entry.get("check_in", False)
        if not isinstance(check_in, bool):
            problem("check_in", f"must be true or false (true: the appointment check-in tile), got {check_in!r}")
        elif check_in and any(s.check_in for s in services):
            problem("check_in", "another service is already the appointment check-in; one service at most")
        if not any(p[0].startswith(where + ".") for p in problems):
            services.append(Service(prefix, entry["name"].strip(), entry["name_en"].strip(), hours,
                                    tuple(weekdays), limit, translations(entry, "name"), check_in=check_in))
    if not entries:
        problems.append(("services", "lists no service; leave [[services]] out to use the office's usual list",
                         lines.get("services")))
    return (tuple(services) if not problems else DEFAULT_SERVICES), problems
