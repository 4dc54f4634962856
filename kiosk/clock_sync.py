"""
Whether the kiosk's clock can be trusted
========================================

A Raspberry Pi has no real-time clock: until the network has set the time,
``officetime.now()`` may be days off.  :func:`clock_synced` says whether it
has been set since boot (events carry the answer to the office server), and
:func:`boot_id` with a monotonic time lets the server place an event taken
before that.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["TIMESYNC_FLAG", "clock_synced", "boot_id"]


#: systemd-timesyncd creates this file once it has synchronised the clock.
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")


def clock_synced() -> bool:
    """Whether the system clock has been set from the network since boot.

    ``KIOSK_CLOCK_SYNCED=0/1`` overrides the answer (tests, and machines that
    keep time another way, e.g. chrony, can say so).
    """
    forced = os.environ.get("KIOSK_CLOCK_SYNCED")
    if forced in ("0", "1"):
        return forced == "1"
    return TIMESYNC_FLAG.exists()


def boot_id() -> str:
    """This boot's identity (Linux's random boot id); monotonic times compare only within one boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"
