"""
Shaped text, and a second face for the scripts the first lacks
==============================================================

Kivy's SDL2 text provider (SDL2_ttf as the PyPI wheel builds it) places each
glyph where it falls, without shaping: Thai tone marks sit on the vowels
above the consonant instead of over them, ญ and ฐ keep the tail a vowel
below replaces, น้ำ's marks collide.  Pillow with libraqm shapes with
HarfBuzz, like a browser.  And a Kivy label has one font with no fallback:
Noto Sans CJK TC has no Thai (and is full, 65,535 glyphs, so none can be
merged in), Noto Sans Thai has no Chinese, and a Thai screen still shows
the office's name and untranslated announcements in Chinese.

:class:`ShapedLabel` is a Kivy text provider that does both for a label
with Thai in it: each piece of text Kivy lays out is cut into runs by
script, every run is shaped by HarfBuzz and drawn with the face that has its
script, on the label font's baseline.  The label's own font (the Traditional
Chinese face, which also carries Latin and Vietnamese letters) draws
everything but Thai.  Labels without Thai stay with SDL2_ttf, as fast and
pixel for pixel as before.

:func:`install` makes it Kivy's text provider; ``ui/environment.py`` calls it
before anything imports a Kivy widget (``kivy.uix.label`` and Kivy's markup
label take their provider class when they are first imported).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Dict, Optional, Tuple

from PIL import Image, ImageDraw, ImageFont, features

from kivy.core.image import ImageData
from kivy.core.text.text_sdl2 import LabelSDL2

from ..fonts import THAI, runs  # Kivy-free: the printer's raster lines cut text into the same runs

__all__ = ["ShapedLabel", "install", "runs", "THAI"]

LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC

_fallbacks: Dict[str, Dict[str, Path]] = {}  # script -> {"regular": file, "bold": file}


class ShapedLabel(LabelSDL2):
    """Kivy's SDL2 text provider, except for text with Thai: that is laid out and drawn with Pillow and HarfBuzz.

    Text without Thai (Chinese, English, Vietnamese's precomposed letters) needs no shaping and is drawn
    by SDL2_ttf exactly as before, at its speed (``kiosk bench text``: Pillow's path costs several times
    more per label, mostly rasterising glyphs SDL2_ttf keeps cached).  A label whose text has Thai is
    measured and drawn wholly by the Pillow path, so its pieces agree with each other.
    """

    _faces: Dict[Tuple[str, int], ImageFont.FreeTypeFont] = {}  # not _fonts: LabelBase's registered names

    _checked_text: Optional[str] = None  # the label's text whose Thai was last looked for, and the answer
    _has_thai = False

    def _shaped(self, text: str = "") -> bool:
        # Kivy measures a label word by word: the label's own text is searched once per text, not per word.
        if self._text is not self._checked_text:
            self._checked_text, self._has_thai = self._text, bool(THAI.search(self._text or ""))
        return self._has_thai or bool(THAI.search(text))

    def _font(self, script: Optional[str]) -> Optional[ImageFont.FreeTypeFont]:
        size = int(self.options["font_size"])
        if size < 1:
            return None
        path = str(self.options["font_name_r"])
        if script is not None and script in _fallbacks:
            path = str(_fallbacks[script]["bold" if self.options["bold"] else "regular"])
        key = (path, size)
        font = ShapedLabel._faces.get(key)
        if font is None:
            font = ShapedLabel._faces[key] = ImageFont.truetype(path, size, layout_engine=LAYOUT)
        return font

    def _metrics(self) -> Tuple[int, int]:
        font = self._font(None)
        return font.getmetrics() if font else (0, 0)

    def get_extents(self, text: str) -> Tuple[int, int]:
        if not self._shaped(text):
            return super().get_extents(text)
        font = self._font(None)
        if font is None:
            return 0, 0
        ascent, descent = font.getmetrics()
        width = sum(self._font(script).getlength(run) for script, run in runs(text)) if text else 0
        return math.ceil(width), ascent + descent

    def _render_begin(self) -> None:
        self._pillow = self._shaped()
        if not self._pillow:
            return super()._render_begin()
        self._image = Image.new("RGBA", self._size, (255, 255, 255, 0))
        self._draw = ImageDraw.Draw(self._image)

    def _render_text(self, text: str, x: float, y: float) -> None:
        if not self._pillow:
            return super()._render_text(text, x, y)
        if self._font(None) is None:
            return
        fill = tuple(int(round(c * 255)) for c in self.options["color"])
        baseline = y + self._metrics()[0]
        for script, run in runs(text):
            font = self._font(script)
            self._draw.text((x, baseline), run, font=font, fill=fill, anchor="ls")
            x += font.getlength(run)

    def _render_end(self) -> ImageData:
        if not self._pillow:
            return super()._render_end()
        image = self._image
        del self._image, self._draw
        return ImageData(image.width, image.height, "rgba", image.tobytes())


def install(fallbacks: Dict[str, Dict[str, Path]]) -> None:
    """Make :class:`ShapedLabel` Kivy's text provider, with the fallback faces per script."""
    for name in ("kivy.uix.label", "kivy.core.text.markup"):
        if name in sys.modules and not issubclass(sys.modules[name].__dict__.get(
                "CoreLabel" if name == "kivy.uix.label" else "MarkupLabelBase", ShapedLabel), ShapedLabel):
            raise RuntimeError(f"{name} was imported before the text provider was installed")
    _fallbacks.clear()
    _fallbacks.update(fallbacks)
    import kivy.core.text as core_text

    core_text.Label = core_text.Text = ShapedLabel
