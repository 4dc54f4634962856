"""
The running kiosk's part in a system update
===========================================

:func:`start_updates` is called once the app's first frame is on its way (``KioskApp.on_start``):

* it tells the update agent (kiosk/updates/agent.py) whether anybody is at the screen, from Kivy's main
  thread every few seconds (the agent's thread only reads a flag): nobody is when the home screen has
  shown, untouched and without the voice guide, for :data:`QUIET_SECONDS`;
* it writes the app's health report (kiosk/updates/health.py) that the check at boot reads: the first
  frame, the store, the printer, the buttons, and each upload that reaches the office;
* with simulated slots, the restart the agent asks for ends ``kiosk run`` (a real kiosk restarts whole).
"""

from __future__ import annotations

import threading

from kivy.clock import Clock

__all__ = ["start_updates", "QUIET_SECONDS"]

#: The home screen untouched this long: nobody is about to use the kiosk.
QUIET_SECONDS = 120.0


def start_updates(app) -> list:
    """Start the agent and the health report; return the Clock events to cancel at the app's stop."""
    from ..updates.health import HealthReport, devices

    services = app.services
    agent = services.open_updates()
    nobody = threading.Event()
    agent.is_idle = nobody.is_set

    def look(_dt=None):
        quiet = (app.manager.current == "home" and not app.voice.active
                 and app.monotonic() - app.last_activity >= QUIET_SECONDS)
        if quiet:
            nobody.set()
        else:
            nobody.clear()

    if agent.slots.name == "simulated":
        agent.on_reboot = lambda: Clock.schedule_once(lambda _dt: app.stop())
    report = HealthReport(agent.folder, agent.slots.boot_id())

    def first_frame_report():
        try:
            store = services.store.read(lambda c: c.execute("PRAGMA quick_check").fetchone()[0])
        except Exception as exc:  # noqa: BLE001 -- the check at boot says what it was
            store = f"{type(exc).__name__}: {exc}"
        report.note(first_frame=True, store=store, **devices(services))

    services.uploader.on_success.append(lambda: report.note(upload="ok"))
    Clock.schedule_once(lambda _dt: threading.Thread(target=first_frame_report, name="health", daemon=True).start())
    agent.start()
    return [Clock.schedule_interval(look, 5)]
