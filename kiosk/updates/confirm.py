"""
The new system proves itself
============================

``kiosk update confirm`` runs at every boot (``kiosk-update-confirm.service``, as the kiosk user, after
``kiosk.service`` started).  It decides whether the running slot is kept:

* **A boot into the update just installed** (the record says ``installed`` or ``trying`` and the running
  slot is the one it went to): the state becomes ``trying``, and the check waits up to ``[update]
  confirm_minutes`` for the app's health report (kiosk/updates/health.py) to show the first frame, the
  store, the printer and the buttons no worse than before, and an upload that reached the office.  Then
  the slot is marked good (``good``), or bad, with the reasons kept for the office (``rolled_back``), and
  the machine restarts into the slot it came from.
* **A boot that is not into it** although the record says it should be: the bootloader went back by itself
  (the new system did not get as far as this check, three times; or it restarted while trying).  The record
  says so (``rolled_back``).
* **Any other boot**: the running slot is good; marking it so gives it its tries back, so that power cuts on
  later days never move a kiosk to its other, older slot.

In every case the running slot ends up marked good unless it failed its own check: the running app then
reports the outcome in its next heartbeat.  Nothing here imports Kivy.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from .health import problems, read_report
from .record import UpdateRecord
from .slots import InstallFailed, Slots

__all__ = ["confirm"]

log = logging.getLogger("kiosk.updates")

POLL_SECONDS = 2.0


def confirm(slots: Slots, folder: Path, minutes: float, monotonic: Callable[[], float] = time.monotonic,
            sleep: Callable[[float], None] = time.sleep) -> str:
    """Decide about the running slot (see the module docstring); return the record's state after."""
    if not slots.supported:
        return "unsupported"
    record = UpdateRecord.load(folder)
    booted = slots.booted()
    if record.state == "rolled_back" and record.to_slot and booted == record.to_slot != record.from_slot:
        # left already, but this slot started again (its mark-bad did not reach the bootloader): leave it again
        slots.mark_bad()
        slots.reboot()
        return record.state
    pending = record.state in ("installed", "trying") and record.to_slot
    if pending and booted != record.to_slot:
        why = ("restarted before its checks passed" if record.state == "trying"
               else f"did not start (the bootloader went back to slot {booted} after its tries)")
        record.refuse()
        record.enter("rolled_back", f"{record.version} {why}")
        _mark_good(slots)
        return record.state
    if not pending:
        _mark_good(slots)
        return record.state
    record.enter("trying")
    found = _wait(slots, folder, record, minutes, monotonic, sleep)
    if not found:
        _mark_good(slots)
        record.enter("good")
        return record.state
    record.refuse()
    record.enter("rolled_back", f"{record.version} failed its checks: " + "; ".join(found))
    slots.mark_bad()
    slots.reboot()
    return record.state


def _wait(slots, folder, record, minutes, monotonic, sleep):
    """The problems left when the report shows none, or when ``minutes`` have passed."""
    deadline = monotonic() + minutes * 60
    boot_id = slots.boot_id()
    while True:
        found = problems(read_report(folder, boot_id), record.before, minutes)
        if not found or monotonic() >= deadline:
            return found
        sleep(POLL_SECONDS)


def _mark_good(slots: Slots) -> None:
    try:
        slots.mark_good()
    except InstallFailed as exc:  # said, not fatal: the bootloader's tries are the safety net
        log.error("cannot mark the running slot good: %s", exc)
