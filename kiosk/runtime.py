"""
Starting the kiosk
==================

The order matters: choose the display and configure Kivy *before* importing
it, open the services (store, rating service, hardware: ``services.py``),
then the app, which listens to them.  ``screenshot`` runs the same app
offscreen with no services: it shows screens and records nothing.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from typing import Optional, Tuple

from .config import Config

__all__ = ["run_kiosk", "screenshot"]

log = logging.getLogger("kiosk")

#: Where ``kiosk run --local-office`` serves; $KIOSK_LOCAL_OFFICE_PORT moves it (tests, a busy 8080).
LOCAL_OFFICE_PORT = 8080


def run_kiosk(config: Config, window: Optional[Tuple[int, int]] = None, local_office: bool = False) -> int:
    """Run the kiosk until it is closed; return the exit code.

    ``local_office``: with no office server configured, run one in this
    process (``kiosk/local_office.py``) and upload to it, so that what the
    kiosk records can be seen arriving (``make run``).
    """
    from .services import open_services
    from .displays import find_display
    from .ui import environment

    driver = find_display()  # NoDisplayError, with the headless help, before any Kivy import
    fullscreen = config.display.fullscreen and window is None
    environment.configure(
        driver,
        size=window or (800, 480),
        fullscreen=fullscreen,
        rotation=config.display.rotation,
        touch_screen=not config.simulated,
        kivy_home=str(config.data_dir / "kivy"),
    )
    from .ui.app import KioskApp

    office = None
    if local_office and not config.server.url:
        from .local_office import LocalOffice
        port = int(os.environ.get("KIOSK_LOCAL_OFFICE_PORT", LOCAL_OFFICE_PORT))
        try:
            office = LocalOffice(config.data_dir / "local-office", config.kiosk.id, port=port,
                                 on_lan=os.environ.get("KIOSK_LOCAL_OFFICE_LAN", "yes") != "no")
        except OSError as exc:  # a busy port, or the office extra not installed (LocalOfficeFailed)
            print(f"office server: not started on 127.0.0.1:{port} ({exc}); the kiosk runs without one. "
                  "Set KIOSK_LOCAL_OFFICE_PORT to use another port.", flush=True)
        else:
            config = config.with_values("server", url=office.url, token=office.token,
                                        public_url=office.public_url or "")
            print(f"office server: {office.url} (this kiosk's events arrive there)", flush=True)
            print(f"  call numbers at {office.url}counter and watch {office.url}display: sign in as "
                  f"'{office.staff_user}', the password is in {office.staff_password_file}", flush=True)
            print(office.phones_hint(), flush=True)
    # Store and buttons first: a press during start-up is recorded, and shown once the window is up.
    services = open_services(config)
    app = KioskApp(config, services=services)
    log.info("kiosk %s starting: %s", config.kiosk.id, config.summary())
    # systemd stops the kiosk with SIGTERM: leave the main loop so the LEDs go
    # dark and the store closes, instead of dying mid-frame.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: app.stop())
    try:
        app.run()
    finally:
        services.close()
        if office is not None:
            office.close()
    return 0


def screenshot(config: Config, screen: str, out, size: Tuple[int, int] = (1280, 800),
               lang: Optional[str] = None, state: Optional[str] = None, mode: str = "normal",
               reach: Optional[str] = None) -> Path:
    """Render one screen offscreen at ``size`` from the store's state and write it to ``out`` as PNG.

    ``state``: draw it from a named, seeded state (``kiosk/lived_in.py``) in a
    scratch store instead of this kiosk's own store.  ``mode`` "large": large text and high contrast, as
    a resident turns it on (issue 20); ``reach`` "low" or "full": as ``display.reach`` (default: the config's).
    Either way nothing is
    uploaded, no hardware is opened and no number is taken (``ui/scenes.py``).
    """
    from .ui import environment

    environment.configure("offscreen", size=size, fullscreen=False, rotation=0)
    from .services import open_services
    from .ui import scenes
    from .ui.app import KioskApp
    from .ui.capture import run_and_capture

    seeded = None
    if state is not None:
        from .lived_in import seed
        seeded = seed(state, config)
        config = seeded.config
    services = open_services(config, with_hardware=False)
    if seeded is not None and seeded.queue:
        services.queue.accept(seeded.queue)  # what the office server said a moment ago
    app = KioskApp(config, services=services, live=False)
    if lang:
        app.lang = lang
    app.large = mode == "large"
    if reach is not None:
        app.reach_low = reach == "low"
    try:
        run_and_capture(app, lambda a: scenes.show(a, screen, seeded), Path(out))
    finally:
        services.close()
    return Path(out)
