"""
The update window
=================

``[update] window = "20:00-07:00"``: when a downloaded update may be installed and the kiosk restarted, in
office time (Asia/Taipei, whatever the machine's zone).  A window may span midnight; ``"00:00-00:00"`` is
the whole day.  Never while a resident is at the screen: that is the agent's other condition
(kiosk/updates/agent.py).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Tuple

from protocol import officetime

__all__ = ["parse_window", "in_window"]

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_window(text: str) -> Tuple[time, time]:
    """``"HH:MM-HH:MM"`` as its start and end; ValueError saying what is wrong."""
    found = _WINDOW.match(text) if isinstance(text, str) else None
    if not found:
        raise ValueError(f"must be HH:MM-HH:MM in office time, e.g. '20:00-07:00', got {text!r}")
    h1, m1, h2, m2 = map(int, found.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"has a time that is not one of the day (00:00 to 23:59): {text!r}")
    return time(h1, m1), time(h2, m2)


def in_window(text: str, now: datetime) -> bool:
    """Whether ``now`` (aware) is inside the window, on the office's clock."""
    start, end = parse_window(text)
    if now.tzinfo is None:
        raise ValueError(f"in_window needs a timezone-aware time, got {now!r}")
    moment = now.astimezone(officetime.TAIPEI).time().replace(second=0, microsecond=0)
    if start == end:
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # spans midnight
