"""
Kivy's environment, set before Kivy is imported
===============================================

Kivy reads its settings from the environment and from ``kivy.config`` at
import time, so every choice about the window is made here, once, by the
CLI command that needs a screen.  Commands that show nothing never call this
and never import Kivy.  Which SDL driver to give it (a desktop's window, or
KMS on the Pi) is found by ``kiosk/displays.py``, plain Python that the
self-test asks too.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Optional, Tuple

__all__ = ["configure"]


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

    from .. import fonts
    from . import text_provider

    text_provider.install(fonts.fallback_files())  # shaped text, Thai beside Chinese: before any Kivy widget
