"""
Starting the kiosk
==================

The order matters: choose the display and configure Kivy *before* importing
it, open the store (a resident's data first), then the hardware, whose button
callbacks need the app to hand their events to.  ``screenshot`` runs the same
app offscreen with no hardware and no store.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Optional, Tuple

from .config import Config

__all__ = ["run_kiosk", "screenshot", "open_hardware_for"]

log = logging.getLogger("kiosk")


def open_hardware_for(config: Config, on_press):
    """The buttons, LEDs and printer the config asks for (simulated or real)."""
    from hardware import open_hardware

    return open_hardware(
        mode=config.hardware.mode,
        button_pins=config.buttons.pins,
        led_pins=config.buttons.leds,
        printer_url=config.printer.url,
        baudrate=config.printer.baudrate,
        on_press=on_press,
    )


def run_kiosk(config: Config, window: Optional[Tuple[int, int]] = None) -> int:
    """Run the kiosk until it is closed; return the exit code."""
    from .store import Store
    from .ui import environment

    driver = environment.find_display()  # NoDisplayError, with the headless help, before any Kivy import
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

    store = Store.open(config.data_dir)
    app = KioskApp(config, store=store)
    hardware = open_hardware_for(config, on_press=app.hardware_event)
    app.hardware = hardware
    log.info("kiosk %s starting: %s", config.kiosk.id, config.summary())
    # systemd stops the kiosk with SIGTERM: leave the main loop so the LEDs go
    # dark and the store closes, instead of dying mid-frame.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: app.stop())
    try:
        app.run()
    finally:
        hardware.close()
        store.close()
    return 0


def screenshot(config: Config, screen: str, out, size: Tuple[int, int] = (1280, 800),
               lang: Optional[str] = None) -> Path:
    """Render one screen offscreen at ``size`` and write it to ``out`` as PNG."""
    from .ui import environment

    environment.configure("offscreen", size=size, fullscreen=False, rotation=0)
    from .ui.app import KioskApp
    from .ui.capture import run_and_capture

    app = KioskApp(config)
    if lang:
        app.lang = lang
    run_and_capture(app, screen, Path(out))
    return Path(out)
