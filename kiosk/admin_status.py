"""
What the admin screen shows: one status row per part, and the latest faults (no Kivy)
=====================================================================================

The admin screen (``kiosk/ui/admin.py``) shows what a technician or a clerk
checks first: this kiosk's name and version, its network address, the office
server and the upload backlog, the printer, free storage, the buttons, whether
the boot file was wrong, whether ticketing is paused.  Each is a
:class:`StatusRow` built here from the store and the services, so the rows are
tested without a screen.  Asking the printer is slow (seconds when it is off):
:func:`printer_row` does that alone, for the caller to run off the main thread.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional
from urllib.parse import urlsplit

from .ticketing_pause import ticketing_paused

__all__ = ["StatusRow", "status_rows", "printer_row", "storage_row", "latest_faults", "local_addresses",
           "PROVISIONING_ERRORS"]

#: Written by provisioning/kiosk-provision into the data directory when the boot file is wrong.
PROVISIONING_ERRORS = "provisioning-errors.txt"


@dataclass(frozen=True)
class StatusRow:
    """One line of the admin status: ``key`` names it (message ``admin.row_<key>``), ``level`` colours it."""

    key: str
    value: str
    level: str = "ok"  # ok | warn | fail


def local_addresses() -> List[str]:
    """This machine's IPv4 addresses other than loopback ("" list: no network)."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True,
                             text=True, timeout=2).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [f"{fields[3].split('/')[0]} ({fields[1]})" for fields in (line.split() for line in out.splitlines())
            if len(fields) > 3]


def _short_time(rfc3339: str) -> str:
    """``2026-11-27T14:05:09+08:00`` as ``11-27 14:05`` in Taipei time ("" stays "")."""
    if not rfc3339:
        return ""
    from datetime import datetime

    from protocol import officetime
    return datetime.fromisoformat(rfc3339).astimezone(officetime.TAIPEI).strftime("%m-%d %H:%M")


def latest_faults(store, limit: int = 5) -> List[str]:
    """The latest faults, newest first, as ``11-27 14:05 kind: message``."""
    rows = store.read(lambda c: c.execute(
        "SELECT at, data FROM events WHERE type = 'fault' ORDER BY seq DESC LIMIT ?", (limit,)).fetchall())
    faults = []
    for at, data in rows:
        fault = json.loads(data)
        faults.append(f"{_short_time(at)} {fault.get('kind', '?')}: {fault.get('message', '')}")
    return faults


def status_rows(services, printer_state: StatusRow, addresses: Optional[List[str]] = None) -> List[StatusRow]:
    """Everything a technician or clerk checks first, from the store and the services (no printer I/O here:
    the caller asks the printer off the main thread and passes ``printer_state``)."""
    from . import __version__

    config, store = services.config, services.store
    rows = [StatusRow("kiosk", f"{config.kiosk.id} · {config.kiosk.office}"),
            StatusRow("version", __version__)]
    addresses = local_addresses() if addresses is None else addresses
    rows.append(StatusRow("address", ", ".join(addresses) if addresses else "—", "ok" if addresses else "warn"))
    upload = services.uploader.status()
    if config.server.url:
        host = urlsplit(config.server.url).hostname or config.server.url
        rows.append(StatusRow("server", host, "warn" if upload["last_error"] else "ok"))
        rows.append(StatusRow("last_upload", " · ".join(filter(None, [_short_time(upload["last_success"]) or "—",
                                                                     upload["last_error"]])),
                              "warn" if upload["last_error"] else "ok"))
    else:
        rows.append(StatusRow("server", "—", "warn"))
    rows.append(StatusRow("outbox", f"{upload['pending']} / {upload['parked']}",
                          "warn" if upload["parked"] or upload["pending"] > 500 else "ok"))
    rows.append(printer_state)
    rows.append(storage_row(config.data_dir))
    hardware = services.hardware
    silent = [key for key in (store.get_meta("silent_buttons") or "").split(",") if key]
    if hardware is not None and hardware.gpio_fault:
        rows.append(StatusRow("buttons", hardware.gpio_fault, "fail"))
    else:
        rows.append(StatusRow("buttons", ", ".join(silent) if silent else "OK", "warn" if silent else "ok"))
    setup_wrong = (config.data_dir / PROVISIONING_ERRORS).exists()
    rows.append(StatusRow("setup", "kiosk.toml" if setup_wrong else "OK", "fail" if setup_wrong else "ok"))
    paused = ticketing_paused(store)
    rows.append(StatusRow("ticketing", "paused" if paused else "OK", "warn" if paused else "ok"))
    return rows


def storage_row(data_dir: Path) -> StatusRow:
    """The data folder's free space: a full one records no rating or ticket (kiosk/store.py's StoreFull)."""
    from .store import FULL_BELOW_BYTES, free_bytes

    free = free_bytes(data_dir)
    if free is None:
        return StatusRow("storage", "?", "warn")
    text = f"{free // (1 << 20)} MB free" if free >= 1 << 20 else f"FULL: {free // 1024} KB free"
    return StatusRow("storage", text, "fail" if free < FULL_BELOW_BYTES else "warn" if free < 50 << 20 else "ok")


def printer_row(services) -> StatusRow:
    """Ask the printer how it is (slow: seconds when it is off); call it off the main thread."""
    from hardware.exc import PrinterError

    try:
        link = services.printer_link()
        status = link.check_ready()
    except PrinterError as exc:
        return StatusRow("printer", str(exc), "fail")
    return StatusRow("printer", "paper near end" if status.paper_near_end else "OK",
                     "warn" if status.paper_near_end else "ok")
