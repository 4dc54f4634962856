"""
Periods
=======

A range of office days named as the office names it: ``115/11`` (a month) or
``115/11/27`` (a day) in the ROC calendar (ISO ``2026-11`` also taken).  The
kiosk's rating statistics and the office server's monthly report read the
same words the same way.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Optional

from . import officetime

__all__ = ["Period"]


@dataclass(frozen=True)
class Period:
    """A range of office days, with how to name it."""

    first: date
    last: date
    name: str

    @classmethod
    def parse(cls, month: Optional[str] = None, day: Optional[str] = None, today: Optional[date] = None) -> "Period":
        """``--month 115/11`` or ``--day 115/11/27`` (ROC; ISO 2026-11 / 2026-11-27 also taken); else this month."""
        if day:
            d = _parse_date(day, with_day=True)
            return cls(d, d, f"民國{officetime.roc_year(d)}年{d.month}月{d.day}日")
        first = _parse_date(month, with_day=False) if month else (today or officetime.office_day()).replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return cls(first, last, f"民國{officetime.roc_year(first)}年{first.month}月")


def _parse_date(text: str, with_day: bool) -> date:
    parts = re.fullmatch(r"(\d{2,4})[/-](\d{1,2})" + (r"[/-](\d{1,2})" if with_day else ""), text.strip())
    example = "115/11/27" if with_day else "115/11"
    if not parts:
        raise ValueError(f"expected a {'day' if with_day else 'month'} such as {example} (ROC year), got {text!r}")
    year = int(parts.group(1))
    year = year + 1911 if year < 1000 else year  # 115 is an ROC year, 2026 a Gregorian one
    try:
        return date(year, int(parts.group(2)), int(parts.group(3)) if with_day else 1)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date: {exc}") from None
