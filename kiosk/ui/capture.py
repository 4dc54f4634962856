"""
Screenshots
===========

``grab()`` reads the window's pixels (what a resident would see) into a
Pillow image.  ``run_and_capture()`` runs the real app offscreen, shows one
screen (``scenes.py`` says how each is reached), waits a few frames for layout and text, and saves a PNG: the README's
pictures, the tests' pixels and a technician's ``kiosk screenshot`` all come
from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from kivy.clock import Clock
from kivy.core.window import Window
from PIL import Image

__all__ = ["grab", "run_and_capture", "SETTLE_FRAMES"]

#: Frames to wait after a screen change: layout, then label textures, then a draw.
SETTLE_FRAMES = 6


def grab() -> Image.Image:
    """The window's current pixels as an RGB image, top row first."""
    from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels

    width, height = Window.size
    data = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
    image = Image.frombytes("RGBA", (width, height), data)
    return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).convert("RGB")


def run_and_capture(app, show: Callable[[object], None], out: Optional[Path] = None) -> Image.Image:
    """Run ``app``, call ``show(app)`` to reach a screen, and return (and save to ``out``) what the window shows."""
    result = {}
    frames = {"left": SETTLE_FRAMES}

    def start(_dt):
        app.marquee.stop()  # a still strip, so the picture does not depend on timing
        app.marquee.shift = 0
        show(app)
        Clock.schedule_interval(settle, 0)

    def settle(_dt):
        frames["left"] -= 1
        if frames["left"] > 0:
            return True
        result["image"] = grab()
        app.stop()
        return False

    Clock.schedule_once(start, 0)
    app.run()
    image = result["image"]
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        image.save(out)
    return image
