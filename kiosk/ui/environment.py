"""
Kivy's environment, set before Kivy is imported
===============================================

Kivy reads its settings from the environment and from ``kivy.config`` at
import time, so every choice about the window is made here, once, by the
CLI command that needs a screen.  Commands that show nothing never call this
and never import Kivy.
"""

from __future__ import annotations

import glob
import os
import sys
import tempfile
from typing import Optional, Tuple

from ..errors import NoDisplayError

__all__ = ["configure", "find_display", "HEADLESS_HELP"]

HEADLESS_HELP = (
    "To see the kiosk on a machine without a screen:\n"
    "  xvfb-run -a -s '-screen 0 1280x800x24' make run      (a virtual X display)\n"
    "  .venv/bin/kiosk screenshot home --out home.png        (a picture of a screen)"
)


def find_display() -> str:
    """The SDL video driver to use: the caller's choice, X11/Wayland, or KMS on a console."""
    if os.environ.get("SDL_VIDEODRIVER"):
        return os.environ["SDL_VIDEODRIVER"]
    if os.environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    if os.environ.get("DISPLAY"):
        return "x11"
    if glob.glob("/dev/dri/card*"):
        return "kmsdrm"  # the appliance: straight on the Pi's display, no desktop
    raise NoDisplayError("no display found: $DISPLAY and $WAYLAND_DISPLAY are unset and there is no /dev/dri/card*.\n"
                         + HEADLESS_HELP)


def configure(driver: str, size: Tuple[int, int], fullscreen: bool, rotation: int = 0,
              touch_screen: bool = False, kivy_home: Optional[str] = None) -> None:
    """Prepare Kivy for one window; call before anything imports kivy."""
    if "kivy" in sys.modules and "kivy.core.window" in sys.modules:
        raise RuntimeError("Kivy's window already exists; configure() must run before it is imported")
    os.environ["SDL_VIDEODRIVER"] = driver
    os.environ["KIVY_NO_ARGS"] = "1"           # our CLI owns the command line
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy logs through `logging`, like the rest
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    # Kivy's own config.ini would override ours at every start: all its settings are made here.
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
    # Kivy still wants a home folder; never the user's ~/.kivy on an appliance.
    os.environ.setdefault("KIVY_HOME", kivy_home or os.path.join(tempfile.gettempdir(), f"kiosk-kivy-{os.getuid()}"))

    from kivy.config import Config

    width, height = size
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "rotation", str(rotation))
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    Config.set("graphics", "show_cursor", "0" if touch_screen else "1")
    Config.set("kivy", "exit_on_escape", "0")  # a resident must not be able to close the kiosk
    Config.set("kivy", "keyboard_mode", "system")
    # Exactly one input provider, or every touch arrives twice.
    for option in list(Config.options("input")):
        Config.remove_option("input", option)
    if touch_screen:
        Config.set("input", "touchscreen", "probesysfs,provider=hidinput")
    else:
        Config.set("input", "mouse", "mouse,multitouch_on_demand")
