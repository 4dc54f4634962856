"""
systemd notifications
=====================

``kiosk.service`` is ``Type=notify`` with ``WatchdogSec=``: the app says
``READY=1`` once its window is up, then ``WATCHDOG=1`` from Kivy's main loop
at half the watchdog interval.  A frozen UI stops the pings and systemd
restarts the kiosk.  This is the small datagram protocol of sd_notify(3),
written here because it is ten lines and the kiosk needs nothing else of
libsystemd.  Outside systemd (``$NOTIFY_SOCKET`` unset) every call does nothing.
"""

from __future__ import annotations

import os
import socket
from typing import Mapping, Optional

__all__ = ["notify", "watchdog_interval"]


def notify(message: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send ``message`` (e.g. ``READY=1``) to systemd; False when not run by systemd or it cannot be sent."""
    address = environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode(), address)
        return True
    except OSError:
        return False


def watchdog_interval(environ: Mapping[str, str] = os.environ) -> Optional[float]:
    """Seconds between pings (half of ``WatchdogSec``), or None when no watchdog is set for this process."""
    usec = environ.get("WATCHDOG_USEC")
    pid = environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000 / 2
