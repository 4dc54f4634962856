"""
The app's health, for the check at boot
=======================================

The running kiosk (``kiosk run``) writes what it knows of itself to ``<data>/update/health.json`` as it
learns it: the first frame drawn, the store opened, the printer's and the buttons' state, the first upload
that reached the office server.  ``kiosk update confirm`` (kiosk/updates/confirm.py) reads it after a boot
into a new system; each report names the boot it was written in (the slots' ``boot_id``), so a report of
an earlier boot is never taken for this one.

:func:`problems` compares it with how the kiosk was before the install: the new system must do no worse (a
printer out of paper before is no reason to go back; a printer that answered before and is missing now is).
Nothing here imports Kivy.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..atomic_files import write_atomically

__all__ = ["HealthReport", "read_report", "problems", "devices", "before_install", "BROKEN_PRINTER"]

log = logging.getLogger("kiosk.updates")

#: Printer states that mean the kiosk cannot reach the printer at all (paper out or a cover open mean it can).
BROKEN_PRINTER = ("printer_missing", "printer_not_connected", "printer_no_reply")


class HealthReport:
    """The app's side: :meth:`note` what it learnt (from any thread); the file is rewritten whole."""

    def __init__(self, folder: Path, boot_id: str):
        self.path = Path(folder) / "health.json"
        self._items: Dict[str, Any] = {"boot_id": boot_id}
        self._lock = threading.Lock()

    def note(self, **items: Any) -> None:
        with self._lock:
            if all(self._items.get(k) == v for k, v in items.items()):
                return
            self._items.update(items)
            data = json.dumps(self._items, ensure_ascii=False).encode("utf-8")
            try:  # in the lock: two threads' notes never land in the wrong order (the older last)
                write_atomically(self.path, data)
            except OSError as exc:  # a full card: the check at boot then says so by itself
                log.warning("cannot write the health report %s: %s", self.path, exc)


def read_report(folder: Path, boot_id: str) -> Optional[Dict[str, Any]]:
    """This boot's report, or None (none yet, or an earlier boot's)."""
    try:
        report = json.loads((Path(folder) / "health.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and report.get("boot_id") == boot_id else None


def devices(services) -> Dict[str, Any]:
    """The printer's and the buttons' state as the heartbeat says them (``gpio`` None without hardware): what the
    app reports at its first frame, and what the kiosk was like before an install."""
    from ..heartbeat import gpio_state, printer_state
    gpio = gpio_state(services.hardware)
    return {"printer": printer_state(services.store, services.hardware)["state"],
            "gpio": gpio["state"] if gpio else None}


def before_install(services, upload_ok: bool) -> Dict[str, Any]:
    """How the kiosk is now, to compare the new system with: printer and buttons, and whether it reaches the
    office server."""
    return {**devices(services), "upload": bool(upload_ok)}


def problems(report: Optional[Dict[str, Any]], before: Dict[str, Any], minutes: float) -> List[str]:
    """What keeps the new system from being kept (empty: keep it)."""
    if report is None or not report.get("first_frame"):
        return [f"the kiosk drew no first frame within {minutes:g} minutes"]
    found = []
    if report.get("store") != "ok":
        found.append(f"the store: {report.get('store') or 'not opened'}")
    printer = report.get("printer")
    if printer in BROKEN_PRINTER and before.get("printer") not in BROKEN_PRINTER:
        found.append(f"the printer: {before.get('printer')} before the update, {printer} now")
    if report.get("gpio") == "gpio_missing" and before.get("gpio") not in (None, "gpio_missing"):
        found.append(f"the buttons' GPIO: {before.get('gpio')} before the update, gpio_missing now")
    if before.get("upload") and report.get("upload") != "ok":
        found.append(f"no upload reached the office server within {minutes:g} minutes")
    return found
