"""
Office time
===========

The office runs on Asia/Taipei time whatever the machine's timezone says, and
shows dates in the ROC calendar (民國 year = Gregorian year - 1911).  The kiosk
and the office server both keep their days by it: one definition, here.
Whether a kiosk's clock can be trusted yet is the kiosk's own question
(``kiosk/clock_sync.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Optional

__all__ = ["TAIPEI", "now", "pin", "is_pinned", "office_day", "roc_year", "roc_date", "roc_date_with_weekday",
           "roc_short", "rfc3339", "WEEKDAYS"]


def _taipei() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo("Asia/Taipei")
    except Exception:  # no tz database on this machine
        # Taiwan has kept UTC+8 without daylight saving since 1979, so a fixed
        # offset is exact for every date the kiosk will ever record.
        return timezone(timedelta(hours=8), "Asia/Taipei")


TAIPEI = _taipei()


#: Set by :func:`pin`: the office time a seeded state is drawn at (screenshots, the layout audit).
_pinned: Optional[datetime] = None


def now() -> datetime:
    """The current time in Asia/Taipei, timezone-aware (the pinned time, if one is pinned)."""
    if _pinned is not None:
        return _pinned
    return datetime.now(TAIPEI)


def pin(moment: Optional[datetime]) -> None:
    """Stop the office clock at ``moment`` (None: the real clock again).

    For drawing a seeded state (``kiosk screenshot --state``, ``kiosk audit
    layout``): every screen then shows the same date and the same open or
    closed services, whatever the hour the picture is taken.  The running
    kiosk never pins its clock.
    """
    global _pinned
    if moment is not None and moment.tzinfo is None:
        raise ValueError(f"pin needs a timezone-aware time, got {moment!r}")
    _pinned = moment.astimezone(TAIPEI) if moment is not None else None


def is_pinned() -> bool:
    """Whether the office clock is pinned (:func:`pin`): a picture's time, set on purpose, not the machine's."""
    return _pinned is not None


def office_day(moment: datetime | None = None) -> date:
    """The office day a moment belongs to: its date in Asia/Taipei (rolls over at local midnight)."""
    moment = moment or now()
    if moment.tzinfo is None:
        raise ValueError(f"office_day needs a timezone-aware time, got {moment!r}")
    return moment.astimezone(TAIPEI).date()


def roc_year(day: date) -> int:
    """The 民國 year of a date (2026 -> 115)."""
    if day.year <= 1911:
        raise ValueError(f"no ROC year before 1912: {day!r}")
    return day.year - 1911


def roc_date(day: date, lang: str = "zh-TW") -> str:
    """The long date for the screen: 民國115年11月27日 (English: 27 Nov 2026 (ROC 115))."""
    if lang == "zh-TW":
        return f"民國{roc_year(day)}年{day.month}月{day.day}日"
    return f"{day.day} {day.strftime('%b')} {day.year} (ROC {roc_year(day)})"


#: Weekdays, Monday first, for the dates below (fixed, not the machine's locale: strftime's %a is not).
WEEKDAYS = {"zh-TW": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def roc_date_with_weekday(day: date, lang: str = "zh-TW") -> str:
    """The long date with its weekday, as the kiosk's header and the live queue page write it:
    民國115年12月8日（二）; English: Tue 8 Dec 2026 (ROC 115)."""
    if lang == "zh-TW":
        return f"{roc_date(day)}（{WEEKDAYS[lang][day.weekday()]}）"
    return f"{WEEKDAYS['en'][day.weekday()]} {roc_date(day, 'en')}"


def roc_short(day: date) -> str:
    """The short date used on forms and tickets: 115/11/27."""
    return f"{roc_year(day)}/{day.month:02d}/{day.day:02d}"


def rfc3339(moment: datetime) -> str:
    """An RFC 3339 timestamp with its offset, to the millisecond (2026-11-27T09:30:00.000+08:00)."""
    if moment.tzinfo is None:
        raise ValueError(f"rfc3339 needs a timezone-aware time, got {moment!r}")
    return moment.isoformat(timespec="milliseconds")
