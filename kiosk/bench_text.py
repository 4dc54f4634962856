"""
``kiosk bench text``
====================

What the shaped text costs: every message of each language laid out and
drawn (``LabelBase.render``, the pixels Kivy then puts in a texture) by the
kiosk's text provider (``kiosk/ui/text_provider.py``: Pillow, HarfBuzz, Thai
in its own face) beside Kivy's SDL2 provider in the same process, the
baseline the kiosk used before.  The SDL2 provider draws Thai wrongly (no
shaping, no Thai face): its figure is only what the same work costs there.
Figures in milliseconds per message, and the ratio.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, List, Optional, Sequence

from .settings import LANGUAGES

__all__ = ["bench_text"]

FONT_SIZE = 32
ROUNDS = 5


class _Sink:
    """Takes the drawn pixels instead of a GL texture: the bench needs no window."""

    def blit_data(self, data) -> None:
        self.size = (data.width, data.height)


_SINK = _Sink()


def _time_per_label(provider, texts: List[str], font: str) -> float:
    """The median over rounds of the mean time to lay out and draw one of ``texts``, in ms."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for text in texts:
            label = provider(text=text, font_size=FONT_SIZE, font_name=font)
            label.resolve_font_name()
            label._size = label.render()  # the first pass measures, as Kivy's refresh() does
            label.texture = _SINK         # the second draws the pixels, handed to no GL texture
            label.render(real=True)
        rounds.append((time.perf_counter() - start) * 1000 / len(texts))
    return statistics.median(rounds)


def bench_text(langs: Optional[Sequence[str]] = None, say: Callable[[str], None] = print) -> int:
    from .ui import environment

    environment.configure("offscreen", size=(800, 480), fullscreen=False)  # the provider, no window opened
    from kivy.core.text import LabelBase
    from kivy.core.text.text_sdl2 import LabelSDL2

    from . import fonts
    from .i18n import ZWSP, messages
    from .ui.text_provider import ShapedLabel

    paths = fonts.font_files()
    LabelBase.register("KioskBench", fn_regular=str(paths["regular"]), fn_bold=str(paths["bold"]))
    say(f"kiosk bench text: every message laid out and drawn at {FONT_SIZE} px, median of {ROUNDS} rounds")
    say(f"{'language':10}{'messages':>9}{'SDL2 (ms)':>12}{'shaped (ms)':>13}{'ratio':>8}")
    for lang in langs or LANGUAGES:
        texts = [text.replace(ZWSP, "") for value in messages(lang).by_key.values()
                 for text in (value if isinstance(value, tuple) else (value,)) if text.strip()]
        _time_per_label(ShapedLabel, texts[:5], "KioskBench")  # open the faces before timing
        _time_per_label(LabelSDL2, texts[:5], "KioskBench")
        sdl2 = _time_per_label(LabelSDL2, texts, "KioskBench")
        shaped = _time_per_label(ShapedLabel, texts, "KioskBench")
        say(f"{lang:10}{len(texts):>9}{sdl2:>12.3f}{shaped:>13.3f}{shaped / sdl2:>7.1f}×")
    say("A screen has some 20-40 labels and draws them once per language change: "
        "the shaped figure times 40 is that change's text cost.")
    return 0
