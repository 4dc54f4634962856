"""
Printed lines in the resident's language
========================================

The printer's own font carries what its encoding carries (Big5 by default):
Chinese, English, Indonesian and Filipino.  Vietnamese letters with their
marks (ệ, ữ, ở) and Thai it cannot, and a printer sent them prints ``?``.  A
paragraph the printer cannot carry is therefore drawn here, line by line, as
pictures for the encoder's :class:`~hardware.printer.escpos.Raster` blocks
(``GS v 0``): Thai runs in Noto Sans Thai, everything else in Noto Sans CJK TC
(which has every Vietnamese letter), each run shaped by HarfBuzz (Pillow with
libraqm) on one baseline, as the screens' text provider does
(``ui/text_provider.py``; both cut the text with :func:`kiosk.fonts.runs`).

Lines break between words to the paper's width (``line_breaks.py``): Thai only
where the catalogue marks a word boundary (U+200B), Vietnamese words of two
syllables (dịch vụ) whole.  A paragraph the printer can carry stays text,
broken the same way at its columns.

Size: 24 dots to the em, the height of the printer's own characters, so a
drawn line reads like a printed one.  Each line is drawn in a box 34 dots
tall, room for Thai's stacked marks and Vietnamese's double accents, so lines
follow one another at an even pitch; the box's blank rows cost next to
nothing on the wire (the encoder sends them as a one-byte-wide band).  No
Kivy here: the printer's path runs without a screen.
"""

from __future__ import annotations

import bisect
import struct
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple, Union

from PIL import Image, ImageDraw, ImageFont, features

from hardware.printer.escpos import PrinterProfile, Raster, Text, chars_per_line, text_columns, unencodable

from . import fonts
from .i18n import ZWSP, unbreakable_words
from .line_breaks import wrap_lines

__all__ = ["SIZE", "ASCENT", "DESCENT", "DRAWN_ALIGN", "printer_carries", "paragraph", "draw_line", "line_width", "columns"]

#: Dots to the em of a drawn line: the printer's own characters are 24 dots tall.
SIZE = 24
#: The line box above and below the baseline, in dots: Thai's highest tone mark over an upper vowel (ปั๊)
#: reaches 25 dots up, its lowest tail (ฎ) 7 down.  Ink beyond the box (a taller mark) grows it, never cut.
ASCENT, DESCENT = 26, 8
#: Drawn lines are flush left.  Centred, every row of a line would start with blank bytes (a printer that
#: ignores ``ESC a`` for pictures needs its centring drawn in): a third more bytes on 58 mm paper, half as
#: many again on 80 mm, and a Vietnamese ticket's five drawn lines would take over 6 s at 9600 baud.
DRAWN_ALIGN = "left"
LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


def printer_carries(text: str, profile: PrinterProfile) -> bool:
    """Whether the printer can print ``text`` as text in its own font (else it is drawn)."""
    return profile.encoding != "raster" and not unencodable(text, profile.encoding)


def columns(text: str, profile: PrinterProfile) -> int:
    """The ASCII columns ``text`` takes as printed text: in two-byte mode every other character is a wide cell."""
    if profile.encoding == "utf-8":
        return text_columns(text)
    return sum(1 if c.isascii() else 2 for c in text)


def paragraph(text: str, profile: PrinterProfile, lang: str, align: str = "center",
              bold: bool = False) -> List[Union[Text, Raster]]:
    """``text`` as lines that fit the paper, broken between words: printed text at ``align`` if the printer
    carries it, else drawn lines (:func:`draw_line`), each its own block, at :data:`DRAWN_ALIGN`."""
    words = unbreakable_words(lang)
    if printer_carries(text, profile):
        lines, _fits = wrap_lines(text, chars_per_line(profile), lambda t: columns(t, profile), words)
        return [Text(line, align=align, bold=bold) for line in lines if line]
    lines, _fits = wrap_lines(text, profile.width_dots, lambda t: line_width(t, bold), words)
    return [Raster(draw_line(line, bold, profile.width_dots), align=DRAWN_ALIGN) for line in lines if line]


def line_width(text: str, bold: bool = False, size: int = SIZE) -> float:
    """How many dots wide ``text`` is drawn (its runs shaped, each in its face)."""
    return sum(_face(script, bold, size).getlength(run, features=_features(script))
               for script, run in fonts.runs(text) if run)


def _features(script: Optional[str]) -> Optional[List[str]]:
    """OpenType features a run is shaped with: in the CJK face, proportional punctuation (``palt``), or the
    quotes around a Vietnamese title (“Đơn đăng ký”) take a Chinese character's whole width."""
    return ["palt"] if script is None and LAYOUT == ImageFont.Layout.RAQM else None  # features need libraqm


def draw_line(text: str, bold: bool = False, width_dots: Optional[int] = None, size: int = SIZE) -> Image.Image:
    """One line drawn black on white, in the line box (:data:`ASCENT` + :data:`DESCENT` dots tall at
    :data:`SIZE`, in proportion at another ``size``).

    A line wider than ``width_dots`` (one word longer than the paper) is squeezed to fit rather than cut.

    :raises ValueError: if a character has no glyph in the face that would draw it (it would print as a box).
    """
    text = text.replace(ZWSP, "")  # where a Thai line may break (a name typed with them): nothing to draw
    pieces = [(script, run, _face(script, bold, size)) for script, run in fonts.runs(text) if run]
    for script, run, _font in pieces:
        missing = "".join(c for c in dict.fromkeys(run) if not c.isspace() and ord(c) not in _cmap(_path(script, bold)))
        if missing:
            raise ValueError(f"cannot print {text!r}: the font {_path(script, bold).name} has no {missing!r}")
    margin = 2 * size  # room for any mark above or below the box, found and kept below
    ascent, descent = round(ASCENT * size / SIZE), round(DESCENT * size / SIZE)
    width = max(1, int(sum(font.getlength(run, features=_features(s)) for s, run, font in pieces)) + 2)
    canvas = Image.new("L", (width, margin + ascent + descent + margin), 0)
    draw = ImageDraw.Draw(canvas)
    x, baseline = 1.0, margin + ascent
    for script, run, font in pieces:
        draw.text((x, baseline), run, font=font, fill=255, anchor="ls", features=_features(script))
        x += font.getlength(run, features=_features(script))
    ink = canvas.point(lambda v: 255 if v >= 128 else 0)  # a dot is burnt or not
    box = ink.getbbox()
    top = min(margin, box[1]) if box else margin
    bottom = max(baseline + descent, box[3]) if box else baseline + descent
    line = Image.eval(ink.crop((0, top, width, bottom)), lambda v: 255 - v)  # black ink on white paper
    if width_dots and line.width > width_dots:
        line = line.resize((width_dots, line.height))
    return line


@lru_cache(maxsize=8)
def _path(script: Optional[str], bold: bool) -> Path:
    style = "bold" if bold else "regular"
    return fonts.fallback_files()[script][style] if script else fonts.font_files()[style]


@lru_cache(maxsize=16)
def _face(script: Optional[str], bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_path(script, bold)), size, layout_engine=LAYOUT)  # the CJK face is 16 MB: once


@lru_cache(maxsize=8)
def _cmap(path: Path) -> "_Coverage":
    """The code points the font at ``path`` has glyphs for."""
    from fontTools.ttLib import TTFont  # imported here: only a drawn line needs it

    with TTFont(str(path), lazy=True) as font:
        raw = font.reader["cmap"]  # the table's bytes: its format 12 subtable is read below in a millisecond
        groups = _format12_groups(raw)
        if groups is None:  # a font with Unicode in format 4 only (the Thai face): small, fontTools reads it
            return _Coverage([(code, code) for code in sorted(font.getBestCmap())])
    return _Coverage(groups)


def _format12_groups(raw: bytes) -> Optional[List[Tuple[int, int]]]:
    """The (first, last) code point of each group of the cmap's Unicode format 12 subtable, or None without one.

    fontTools would build a dict of all 44,810 code points of the CJK face: 0.4 s here, seconds on a Pi,
    before the first Vietnamese or Thai ticket could print.
    """
    count = struct.unpack(">H", raw[2:4])[0]
    for i in range(count):
        platform, encoding, offset = struct.unpack(">HHI", raw[4 + 8 * i:12 + 8 * i])
        if (platform, encoding) in ((3, 10), (0, 4), (0, 6)) and struct.unpack(">H", raw[offset:offset + 2])[0] == 12:
            groups = struct.unpack(">I", raw[offset + 12:offset + 16])[0]
            body = raw[offset + 16:offset + 16 + 12 * groups]
            return [(first, last) for first, last, _glyph in struct.iter_unpack(">III", body)]
    return None


class _Coverage:
    """Sorted, non-overlapping ranges of code points; ``code in coverage``."""

    def __init__(self, ranges: List[Tuple[int, int]]):
        self.firsts = [first for first, _last in ranges]
        self.ranges = ranges

    def __contains__(self, code: int) -> bool:
        at = bisect.bisect_right(self.firsts, code) - 1
        return at >= 0 and self.ranges[at][0] <= code <= self.ranges[at][1]
