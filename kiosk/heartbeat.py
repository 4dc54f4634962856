"""
Heartbeats
==========

Every ``[kiosk] heartbeat_minutes`` (default 5; 0: none), and once at start,
the kiosk records a ``heartbeat`` event holding its health summary
(:func:`health`): software version, uptime of the kiosk and of the machine,
outbox backlog, the printer's last known state, the buttons' GPIO, the last
day's faults.  The office server keeps each kiosk's newest one and shows it in
its kiosk list, where a kiosk silent for longer than the office's threshold
(15 minutes) is marked offline (離線).

**Where it runs.**  In the uploader's thread: :meth:`Uploader._run
<kiosk.uploader.Uploader._run>` calls :meth:`Heartbeat.tick` before each wait
and wakes up in time for the next one.  Heartbeats exist for the office
server, so they run exactly when uploading does (a kiosk with no ``[server]
url`` records none, and neither do ``kiosk simulate`` or ``kiosk upload``);
each is recorded just before the pass that sends it; there is no second thread
to start, stop or lose, and no request of its own: it goes out as an outbox
event, through the uploader's (the kiosk's one) :class:`~kiosk.office_client.OfficeClient`,
so ``server.ca_bundle`` and the token apply to it as to everything else.  A heartbeat that fails (a full disk) is logged and the
uploader goes on.

**One heartbeat in the outbox.**  Recording a heartbeat deletes every older
one, in the same transaction.  A server down for a week would otherwise find
2,016 heartbeats waiting, each describing the kiosk at an hour nobody asks
about any more, sent before the events that matter and crowding the SD card;
the newest says everything the office needs, and the backlog and the faults
it counts are events of their own, kept and sent.  Delivered heartbeats go
too (the office has them; ``server.keep_days`` would keep 8,640 of them), and
so does a parked one (the new one meets the same answer if the problem
remains).

**The printer is not asked.**  A status query would share the serial port
with a ticket being printed.  The summary gives the state the kiosk last saw:
the newer of its last printer fault and its last successful print (ticket or
form slip), or the port that could not be opened.

Nothing here imports Kivy.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from protocol import officetime

from . import __version__
from . import clock_sync
from .events import Event

__all__ = ["Heartbeat", "health", "record_heartbeat", "printer_state", "recent_faults", "FAULT_WINDOW"]

log = logging.getLogger("kiosk.heartbeat")

#: The faults a heartbeat counts: those of the last day.
FAULT_WINDOW = timedelta(hours=24)
#: At most this many fault kinds in a summary (the most recent): a heartbeat stays a few hundred bytes.
MAX_FAULT_KINDS = 10
PROC_UPTIME = Path("/proc/uptime")
PROC_SELF_STAT = Path("/proc/self/stat")
#: A heartbeat that could not be recorded is tried again this many seconds later.
RETRY_SECONDS = 60.0
_IMPORTED = time.monotonic()  # when /proc is missing: about when the kiosk started


# -- the summary ---------------------------------------------------------------------------------

def boot_uptime() -> Optional[float]:
    """Seconds since the machine booted (``/proc/uptime``), or None where there is none."""
    try:
        return float(PROC_UPTIME.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def process_uptime() -> float:
    """Seconds since this process started (``/proc/self/stat``), else since this module was imported."""
    try:
        since_boot = boot_uptime()
        # The command name (field 2) may hold spaces and brackets: fields are counted after its ')'.
        fields = PROC_SELF_STAT.read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, in clock ticks since boot
        if since_boot is not None:
            return max(0.0, since_boot - started)
    except (OSError, ValueError, IndexError):
        pass
    return time.monotonic() - _IMPORTED


def _is_printer_kind(kind: Any) -> bool:
    return isinstance(kind, str) and (kind.startswith("printer_") or kind == "ticket_print_failed")


def printer_state(store, hardware=None) -> Dict[str, Any]:
    """The printer as the kiosk last saw it: ``{"state": ..., "at": ..., "message": ...}``.

    ``state`` is ``ok`` (the last job printed), ``printer_paper_near_end`` (it
    printed, warning that the roll is nearly finished), a printer fault's kind
    (``printer_paper_out``, ``printer_cover_open``, ``printer_offline``,
    ``printer_no_reply``, ``printer_not_connected``, ``printer_missing``,
    ``ticket_print_failed``...), or ``unknown`` (nothing printed or failed
    within the outbox's memory).  The printer itself is not asked.
    """
    if hardware is not None and getattr(hardware, "printer_fault", None):
        # The port could not be opened (at start, or when a job last tried): nothing printed since.
        return {"state": "printer_missing", "message": str(hardware.printer_fault)[:200]}

    def read(conn):
        prints = conn.execute(
            "SELECT seq, at FROM tickets WHERE status IN ('printed', 'reprinted') ORDER BY seq DESC LIMIT 2").fetchall()
        prints += conn.execute(
            "SELECT seq, at FROM events WHERE type = 'form_slip' ORDER BY seq DESC LIMIT 2").fetchall()
        faults = conn.execute(
            "SELECT seq, at, data FROM events WHERE type = 'fault' ORDER BY seq DESC LIMIT 200").fetchall()
        return sorted(prints, reverse=True)[:2], faults

    prints, faults = store.read(read)
    printer_faults = []
    for seq, at, data in faults:
        try:
            details = json.loads(data)
        except ValueError:
            continue
        if isinstance(details, dict) and _is_printer_kind(details.get("kind")):
            printer_faults.append((seq, at, details))
    last_print = prints[0] if prints else None
    failures = [f for f in printer_faults if f[2]["kind"] != "printer_paper_near_end"]
    if failures and (last_print is None or failures[0][0] > last_print[0]):
        seq, at, details = failures[0]
        return {"state": details["kind"], "at": at, "message": str(details.get("message", ""))[:200]}
    # A near-end warning is stored as a job starts; it counts if it came with the latest job (or since).
    previous_print = prints[1][0] if len(prints) > 1 else 0
    warnings = [f for f in printer_faults if f[2]["kind"] == "printer_paper_near_end" and f[0] > previous_print]
    if warnings:
        return {"state": "printer_paper_near_end", "at": warnings[0][1]}
    if last_print is not None:
        return {"state": "ok", "at": last_print[1]}
    return {"state": "unknown"}


def gpio_state(hardware) -> Optional[Dict[str, Any]]:
    """The rating buttons' GPIO: ``ok``, ``gpio_missing`` (with why) or ``button_stuck`` (which); None without hardware."""
    if hardware is None:
        return None
    if getattr(hardware, "gpio_fault", None):
        return {"state": "gpio_missing", "message": str(hardware.gpio_fault)[:200]}
    stuck = sorted(getattr(getattr(hardware, "buttons", None), "stuck", ()) or ())
    if stuck:
        return {"state": "button_stuck", "buttons": [index + 1 for index in stuck]}
    return {"state": "ok"}


def recent_faults(store, since: datetime, limit: int = MAX_FAULT_KINDS) -> List[Dict[str, Any]]:
    """Faults recorded since ``since``, by kind: ``[{"kind", "count", "last_at"}]``, most recent kind first."""
    cutoff = officetime.rfc3339(since.astimezone(officetime.TAIPEI))  # `at` is kept in office time: it sorts as text
    rows = store.read(lambda c: c.execute(
        "SELECT at, data FROM events WHERE type = 'fault' AND at >= ? ORDER BY seq DESC LIMIT 1000",
        (cutoff,)).fetchall())
    kinds: Dict[str, Dict[str, Any]] = {}
    for at, data in rows:
        try:
            kind = json.loads(data).get("kind")
        except (ValueError, AttributeError):
            kind = None
        kind = kind if isinstance(kind, str) and kind else "unknown"
        entry = kinds.setdefault(kind, {"kind": kind, "count": 0, "last_at": at})
        entry["count"] += 1
    return list(kinds.values())[:limit]


def _ticketing_paused(store) -> Optional[bool]:
    """Whether staff paused ticketing on the admin screen; None when the store cannot tell."""
    from .ticketing_pause import ticketing_paused
    try:
        return bool(ticketing_paused(store))
    except Exception:  # a summary must not fail for want of one member
        log.exception("cannot tell whether ticketing is paused")
        return None


def _disk_free_mb(folder: Path) -> Optional[int]:
    try:
        return shutil.disk_usage(folder).free // (1024 * 1024)
    except OSError:
        return None


def health(services, now: Optional[datetime] = None) -> Dict[str, Any]:
    """The health summary a heartbeat carries (``office/PROTOCOL.md`` lists its members).

    ``services`` is a :class:`~kiosk.services.Services` (its config, store and
    hardware are read; nothing is written, the printer is not asked).
    """
    config, store, hardware = services.config, services.store, services.hardware
    now = now or officetime.now()
    counts = store.outbox_counts()
    summary: Dict[str, Any] = {
        "kiosk_id": config.kiosk.id,
        "version": __version__,
        "mode": config.hardware.mode,
        "uptime_s": round(process_uptime()),
        "boot_uptime_s": None if boot_uptime() is None else round(boot_uptime()),
        "clock_synced": clock_sync.clock_synced(),
        "backlog": counts["pending"],   # events waiting for the office server, this heartbeat not counted
        "parked": counts["parked"],     # events the server rejected, kept on the kiosk
        "printer": printer_state(store, hardware),
        "faults": recent_faults(store, now - FAULT_WINDOW),
        "disk_free_mb": _disk_free_mb(store.path.parent),
        "heartbeat_minutes": config.kiosk.heartbeat_minutes,
    }
    gpio = gpio_state(hardware)
    if gpio is not None:
        summary["gpio"] = gpio
    paused = _ticketing_paused(store)
    if paused is not None:
        summary["ticketing_paused"] = paused
    if services.updates is not None:  # the running kiosk: its system, slot and update (kiosk/updates/agent.py)
        summary["system"] = services.updates.summary()
    return summary


def record_heartbeat(store, summary: Dict[str, Any]) -> Event:
    """Keep a heartbeat with ``summary`` as its data, deleting every older heartbeat in the same transaction."""
    event = Event.new("heartbeat", summary)

    def write(conn):
        conn.execute("DELETE FROM events WHERE type = 'heartbeat'")  # see the module docstring: one is enough
        return store.add_event(event, conn)

    return store.write(write)


# -- every few minutes -----------------------------------------------------------------------------

class Heartbeat:
    """Records a heartbeat at the first :meth:`tick`, then every ``[kiosk] heartbeat_minutes``.

    ``monotonic`` is the clock that spaces them (tests move it by hand).
    """

    def __init__(self, services, monotonic: Callable[[], float] = time.monotonic):
        self.services = services
        self.interval = services.config.kiosk.heartbeat_minutes * 60.0
        self.monotonic = monotonic
        self._next: Optional[float] = None  # None: due at once (the start-up heartbeat)

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def due_in(self) -> Optional[float]:
        """Seconds until the next heartbeat is due (0: now); None when heartbeats are off."""
        if not self.enabled:
            return None
        return 0.0 if self._next is None else max(0.0, self._next - self.monotonic())

    def soon(self) -> None:
        """The next tick records a heartbeat (something the office should know changed)."""
        self._next = None

    def beat(self) -> Event:
        """Record a heartbeat now (the older one in the outbox goes); return it."""
        return record_heartbeat(self.services.store, health(self.services))

    def tick(self) -> Optional[float]:
        """Record a heartbeat if one is due; return the seconds until the next (None: heartbeats are off)."""
        wait = self.due_in()
        if wait is None or wait > 0:
            return wait
        try:
            self.beat()
        except Exception:  # a full disk, a closed store: try again soon, never take the uploader down
            log.exception("could not record a heartbeat")
            self._next = self.monotonic() + min(RETRY_SECONDS, self.interval)
        else:
            self._next = self.monotonic() + self.interval
        return self.due_in()
