"""
Which display the kiosk's window can open
=========================================

The SDL video driver for ``kiosk run``: the caller's choice, a desktop's
Wayland or X11, or KMS straight on the Pi's screen; else a
:class:`~kiosk.errors.NoDisplayError` saying how to see the kiosk headless.
Plain Python, apart from the Kivy shell: the window's set-up
(``ui/environment.py``) needs it before Kivy is imported, and the self-test's
display row asks it without any window at all.
"""

from __future__ import annotations

import glob
import os

from .errors import NoDisplayError

__all__ = ["find_display", "HEADLESS_HELP"]

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

