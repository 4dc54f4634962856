"""
High contrast for the large-text mode
=====================================

The screens' colours are chosen for at least 4.5:1 (WCAG 2 AA); the large-text mode (issue 20) asks for 7:1
(WCAG 2 AAA, 1.4.6).  Rather than a second hand-picked palette that would drift from the first, each colour
is kept and only darkened, hue and all, until it reaches 7:1: ``behind_white`` for a colour white text stands
on (a tile, a button), ``on_page`` for a text colour on the light page.  The kv files wrap their colours in
them with ``app.large``, so a switch of mode redraws every colour at once.
"""

from __future__ import annotations

from typing import Sequence, Tuple

__all__ = ["behind_white", "on_page", "luminance", "contrast_ratio", "PAGE", "TARGET"]

#: The page's colour (``Window.clearcolor``).
PAGE = (0.96, 0.96, 0.94, 1)
#: A little above 7:1, so that anti-aliased edges measured in the pictures still reach 7:1.
TARGET = 7.6

Colour = Tuple[float, float, float, float]


def luminance(colour: Sequence[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour given as 0-1 channels (Kivy's)."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2 contrast ratio of two 0-1 colours, 1.0 to 21.0 (the layout audit's, on pixels, is this one)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _darkened(colour: Sequence[float], against: Sequence[float]) -> Colour:
    """``colour`` scaled towards black, in steps of 2 %, until it stands at ``TARGET`` against ``against``."""
    r, g, b, a = colour
    factor = 1.0
    while contrast_ratio((r * factor, g * factor, b * factor), against) < TARGET and factor > 0:
        factor -= 0.02
    factor = max(factor, 0.0)
    return (r * factor, g * factor, b * factor, a)


def behind_white(colour: Sequence[float], large: bool) -> Colour:
    """A colour white text stands on: as it is, or in the large-text mode darkened to 7:1 and more."""
    return tuple(colour) if not large else _darkened(colour, (1, 1, 1))


def on_page(colour: Sequence[float], large: bool) -> Colour:
    """A text colour on the light page: as it is, or in the large-text mode darkened to 7:1 and more."""
    return tuple(colour) if not large else _darkened(colour, PAGE)
