"""The ESC/POS ticket encoder: a small document model in, printer bytes out.

A ticket is a list of blocks (:class:`Text`, :class:`QR`, :class:`Feed`,
:class:`Cut`, :class:`Raster`); :func:`encode` turns it into the bytes for
one printer, described by a :class:`PrinterProfile`.  Everything here is a
pure function: no port, no printer, so tests compare bytes.

Why our own encoder: python-escpos sends CJK text only as GB18030 and has no
Big5, which is what printers sold in Taiwan carry in ROM.  And why text mode
at all: a ticket sent as text with a native QR code is a few hundred bytes,
the same ticket as one picture about 20 times more, which takes 15-30 s at
the 9600-19200 baud of a GPIO-UART printer.

How text goes out, by ``PrinterProfile.encoding``:

* ``big5`` (default) and ``gb18030``: ``FS &`` (two-byte mode), the line in
  cp950 or GB18030, ``FS .``.  A pure-ASCII line is sent as plain ASCII.
* ``utf-8``: after ``ESC @``, ``FS ( C 02 00 30 02`` (Epson: select UTF-8 as
  the character encoding) and raw UTF-8 on every line.
* ``raster``: every line drawn with Pillow and sent as a ``GS v 0`` image,
  for printers with no CJK font.

A line with any character the encoding cannot carry (a Vietnamese name, a
rare ideograph like 堃 that cp950 lacks) is drawn as an image *as a whole*,
never sent with ``?`` in its place.  Drawing needs ``font_path``: this package
does not import the kiosk, so the caller passes one of
``kiosk.fonts.font_files()``; or ``draw``, a function that draws a line
itself (the kiosk's ``printed_text.draw_line``: Thai in its own face, each run
shaped by HarfBuzz), which one font file cannot.

Alignment: each block that prints sends its own ``ESC a n`` first, so no
block depends on what the one before it left behind.  Images (raster lines,
raster QR, :class:`Raster`) are sent after ``ESC a 0`` with their alignment
drawn in as blank dots on the left, because some printers ignore ``ESC a``
for ``GS v 0``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Optional

import qrcode
from PIL import Image, ImageDraw, ImageFont

__all__ = ["Text", "QR", "Feed", "Cut", "Raster", "PrinterProfile", "PAPER_DOTS", "dots_for_paper", "encode",
           "text_columns", "chars_per_line", "unencodable"]

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
UTF8_MODE = FS + b"(C\x02\x000\x02"  # FS ( C pL pH fn=48 m=2: character encoding UTF-8 (Epson)
KANJI_ON, KANJI_OFF = FS + b"&", FS + b"."
CUT = GS + b"VB\x00"  # GS V 66 0: feed to the cutter and cut partially

ALIGN = {"left": 0, "center": 1, "right": 2}
CODECS = {"big5": "cp950", "gb18030": "gb18030", "utf-8": "utf-8", "raster": None}
DOT_ROWS_PER_LINE = 24  # the printer's CJK font is 24 x 24 dots, its ASCII font 12 x 24
QR_MAX_BYTES = 2331  # a version 40 QR code at error correction M holds this many bytes


def _check(name, value, allowed):
    if value not in allowed:
        choices = f"{allowed.start}..{allowed.stop - 1}" if isinstance(allowed, range) else ", ".join(allowed)
        raise ValueError(f"{name} must be one of {choices}, not {value!r}")


@dataclass(frozen=True)
class Text:
    """One printed line (a trailing LF is added), ``width`` x ``height`` times the normal size."""

    text: str
    width: int = 1
    height: int = 1
    align: str = "left"
    bold: bool = False

    def __post_init__(self):
        _check("Text.width", self.width, range(1, 9))
        _check("Text.height", self.height, range(1, 9))
        _check("Text.align", self.align, ALIGN)
        # A control byte inside a line would be read by the printer as a command.
        bad = [c for c in self.text if unicodedata.category(c) == "Cc"]
        if bad:
            raise ValueError(f"Text {self.text!r} contains control characters {''.join(bad)!r}: one Text is one line")


@dataclass(frozen=True)
class QR:
    """A QR code of ``data`` (a URL), ``module`` dots per module."""

    data: str
    module: int = 6
    align: str = "center"

    def __post_init__(self):
        _check("QR.module", self.module, range(1, 17))
        _check("QR.align", self.align, ALIGN)
        if len(self.data.encode("utf-8")) > QR_MAX_BYTES:
            raise ValueError(f"QR data of {len(self.data.encode('utf-8'))} bytes is more than a QR code holds "
                             f"({QR_MAX_BYTES} at error correction M)")


@dataclass(frozen=True)
class Feed:
    """Blank paper: ``lines`` line feeds (``ESC d n``)."""

    lines: int = 1

    def __post_init__(self):
        _check("Feed.lines", self.lines, range(0, 256))


@dataclass(frozen=True)
class Cut:
    """Feed to the cutter and cut, leaving a hinge (``GS V 66 0``)."""


@dataclass(frozen=True)
class Raster:
    """A picture (a logo), dark pixels printed, at most ``width_dots`` wide."""

    image: Image.Image
    align: str = "center"

    def __post_init__(self):
        _check("Raster.align", self.align, ALIGN)


#: Printable dots across each paper width (mm) a kiosk printer takes, at 203 dpi (8 dots a mm).
PAPER_DOTS = {58: 384, 80: 576}


def dots_for_paper(paper_mm: int) -> int:
    """The printable width in dots of ``paper_mm`` paper (``printer.paper_mm``: 58 or 80)."""
    try:
        return PAPER_DOTS[paper_mm]
    except KeyError:
        raise ValueError(f"no printer paper {paper_mm!r} mm wide; known: {', '.join(map(str, PAPER_DOTS))}") from None


@dataclass(frozen=True)
class PrinterProfile:
    """What one printer can do: paper width, text encoding, native QR, and a font for images.

    :param int width_dots: printable width: 384 for 58 mm paper, 576 for 80 mm.
    :param str encoding: ``big5`` (cp950), ``gb18030``, ``utf-8`` or ``raster``.
    :param str qr: ``native`` (``GS ( k``) or ``raster`` (drawn here, for printers without it).
    :param str font_path: a Traditional Chinese font file, needed whenever a line is drawn.
    :param draw: ``draw(text, bold, size)``, a line drawn black on white ``size`` dots to the em, the whole line
        box: used instead of ``font_path`` when given.
    """

    width_dots: int = 384
    encoding: str = "big5"
    qr: str = "native"
    font_path: Optional[str] = None
    draw: Optional[Callable[[str, bool, int], Image.Image]] = None

    def __post_init__(self):
        _check("PrinterProfile.encoding", self.encoding, CODECS)
        _check("PrinterProfile.qr", self.qr, ("native", "raster"))
        if self.width_dots <= 0 or self.width_dots % 8:
            raise ValueError(f"PrinterProfile.width_dots must be a positive multiple of 8, not {self.width_dots!r}")

    @property
    def narrow(self) -> bool:
        """58 mm paper or narrower: QR codes are drawn with smaller modules to fit."""
        return self.width_dots <= PAPER_DOTS[58]


def text_columns(text: str) -> int:
    """Return how many ASCII columns ``text`` takes: wide (CJK, full-width) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def chars_per_line(profile: PrinterProfile, width: int = 1) -> int:
    """Return how many ASCII columns fit on a line at ``width`` (the ASCII font is 12 dots wide)."""
    return profile.width_dots // (12 * width)


def unencodable(text: str, encoding: str) -> str:
    """Return the characters of ``text`` (each once) that ``encoding`` cannot carry."""
    _check("encoding", encoding, CODECS)
    codec = CODECS[encoding]
    if codec is None:  # an image carries anything the font has
        return ""
    missing = []
    for c in dict.fromkeys(text):
        try:
            c.encode(codec)
        except UnicodeEncodeError:
            missing.append(c)
    return "".join(missing)


def encode(blocks: Iterable, profile: PrinterProfile = PrinterProfile()) -> bytes:
    """Return the ESC/POS bytes that print ``blocks`` on the printer ``profile`` describes.

    :raises ValueError: if a line must be drawn (see the module docstring) and
        ``profile.font_path`` is None, or a picture is wider than the paper.
    """
    out = [INIT, UTF8_MODE if profile.encoding == "utf-8" else b""]
    for block in blocks:
        if isinstance(block, Text):
            out.append(_text(block, profile))
        elif isinstance(block, QR):
            out.append(_qr_native(block) if profile.qr == "native" else _qr_raster(block, profile))
        elif isinstance(block, Feed):
            out.append(ESC + b"d" + bytes([block.lines]))
        elif isinstance(block, Cut):
            out.append(CUT)
        elif isinstance(block, Raster):
            out.append(_image(_ink(block.image), block.align, profile.width_dots))
        else:
            raise TypeError(f"cannot print {block!r}: expected Text, QR, Feed, Cut or Raster")
    return b"".join(out)


def _text(block: Text, profile: PrinterProfile) -> bytes:
    text = block.text
    # An empty line has nothing to draw: a plain LF, even on a raster printer.
    if (profile.encoding == "raster" and text) or unencodable(text, profile.encoding):
        return _raster_line(block, profile)
    size = (block.width - 1) << 4 | (block.height - 1)
    if text.isascii():
        body = text.encode("ascii")  # every printer reads ASCII as is: no mode switch needed
    elif profile.encoding == "utf-8":
        body = text.encode("utf-8")
    else:
        body = KANJI_ON + text.encode(CODECS[profile.encoding]) + KANJI_OFF
    return b"".join([
        ESC + b"a" + bytes([ALIGN[block.align]]), GS + b"!" + bytes([size]),
        ESC + b"E\x01" if block.bold else b"", body, ESC + b"E\x00" if block.bold else b"",
        GS + b"!\x00" if size else b"", LF,
    ])


def _qr_native(block: QR) -> bytes:
    data = block.data.encode("utf-8")
    store = len(data) + 3  # pL pH count fn's three bytes (cn fn m) and the data
    return b"".join([
        ESC + b"a" + bytes([ALIGN[block.align]]),
        GS + b"(k\x04\x001A2\x00",  # fn 65: model 2
        GS + b"(k\x03\x001C" + bytes([block.module]),  # fn 67: module size in dots
        GS + b"(k\x03\x001E1",  # fn 69: error correction M (15 %)
        GS + b"(k" + bytes([store & 0xFF, store >> 8]) + b"1P0" + data,  # fn 80: store the data
        GS + b"(k\x03\x001Q0",  # fn 81: print what was stored
        LF,
    ])


def _qr_raster(block: QR, profile: PrinterProfile) -> bytes:
    """Return the QR code drawn as an image, error correction M with a 4-module quiet zone.

    If ``block.module`` dots per module would not fit the paper, the largest
    module size that fits is used instead: a 60-character URL is 41 modules
    (246 dots at 6), a 300-character one 77 modules, which on 384-dot paper
    drops to 4 dots per module.
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1)
    qr.add_data(block.data.encode("utf-8"))
    qr.make(fit=True)
    matrix = qr.get_matrix()  # the modules, quiet zone included; we scale them ourselves
    side = len(matrix)
    module = min(block.module, profile.width_dots // side)
    if module < 1:
        raise ValueError(f"a QR code of {len(block.data)} characters is {side} modules wide: "
                         f"more than the {profile.width_dots} dots of this paper")
    mask = Image.new("1", (side, side))
    mask.putdata([255 if dark else 0 for row in matrix for dark in row])
    return _image(mask.resize((side * module, side * module), Image.Resampling.NEAREST),
                  block.align, profile.width_dots)


def _raster_line(block: Text, profile: PrinterProfile) -> bytes:
    """Return one line drawn with the profile's font, as ``ESC a 0`` + ``GS v 0``; no LF follows."""
    if profile.draw is not None:
        return _drawn_line(block, profile)
    if profile.font_path is None:
        why = ("every line is drawn" if profile.encoding == "raster" else
               f"{unencodable(block.text, profile.encoding)!r} cannot be sent in {profile.encoding}")
        raise ValueError(f"cannot print {block.text!r}: {why}, and drawing it needs a font "
                         "(set PrinterProfile.font_path to a Traditional Chinese font file)")
    missing = "".join(c for c in dict.fromkeys(block.text) if ord(c) not in _cmap(profile.font_path))
    if missing:  # Pillow would draw an empty box: as wrong as a '?'
        raise ValueError(f"cannot print {block.text!r}: the font {profile.font_path} has no {missing!r}")
    size = DOT_ROWS_PER_LINE * block.height
    font = _font(profile.font_path, size)
    stroke = block.height if block.bold else 0  # a bold face is not at hand: thicken the strokes
    ascent, descent = font.getmetrics()  # the whole line box, so stacked Vietnamese accents fit
    width = max(1, int(font.getlength(block.text)) + 2 * stroke)
    canvas = Image.new("L", (width, ascent + descent + 2 * stroke), 0)
    ImageDraw.Draw(canvas).text((stroke, stroke), block.text, font=font, fill=255,
                                stroke_width=stroke, stroke_fill=255)
    if block.width != block.height:
        canvas = canvas.resize((max(1, width * block.width // block.height), canvas.height))
    if canvas.width > profile.width_dots:  # squeeze rather than cut a name short
        canvas = canvas.resize((profile.width_dots, max(1, canvas.height * profile.width_dots // canvas.width)))
    return _image(canvas.point(lambda v: 255 if v >= 128 else 0, "1"), block.align, profile.width_dots)


def _drawn_line(block: Text, profile: PrinterProfile) -> bytes:
    """One line drawn by the profile's ``draw`` at its height, stretched to its width, squeezed to fit."""
    canvas = _ink(profile.draw(block.text, block.bold, DOT_ROWS_PER_LINE * block.height))
    if block.width != block.height:
        canvas = canvas.resize((max(1, canvas.width * block.width // block.height), canvas.height))
    if canvas.width > profile.width_dots:  # squeeze rather than cut a name short
        canvas = canvas.resize((profile.width_dots, max(1, canvas.height * profile.width_dots // canvas.width)))
    return _image(canvas, block.align, profile.width_dots)


@lru_cache(maxsize=16)
def _font(path: str, size: int):
    return ImageFont.truetype(str(path), size)  # a CJK font is 16 MB: open it once per size


@lru_cache(maxsize=4)
def _cmap(path: str) -> frozenset:
    """Return the code points the font at ``path`` has glyphs for."""
    from fontTools.ttLib import TTFont  # imported here: only a drawn line needs it

    with TTFont(str(path), lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap())


def _ink(image: Image.Image) -> Image.Image:
    """Return a 1-bit mask of the picture's dark pixels (transparent counts as paper)."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image)
    return image.convert("L").point(lambda v: 255 if v < 128 else 0, "1")


def _image(mask: Image.Image, align: str, width_dots: int) -> bytes:
    """Return ``ESC a 0`` + ``GS v 0`` bands for a 1-bit ``mask`` (set = black), aligned by left padding.

    Only ink costs time on the wire: a run of blank rows (the space above and
    below a drawn line of text, a QR code's quiet zone) goes as a blank image
    one byte wide, which feeds the paper by exactly that many dots on any
    printer (``ESC J`` counts in motion units that differ between models), and
    each band of rows with ink is sent only as far right as its ink reaches.
    The paper comes out the same, dot for dot.
    """
    if mask.width > width_dots:
        raise ValueError(f"a picture {mask.width} dots wide does not fit paper {width_dots} dots wide")
    left = {"left": 0, "center": (width_dots - mask.width) // 2, "right": width_dots - mask.width}[align]
    out = [ESC + b"a\x00"]
    for top, bottom, right in _bands(mask):
        if right == 0:  # blank rows
            out.append(_raster_command(1, bottom - top, bytes(bottom - top)))
            continue
        row_bytes = (left + right + 7) // 8
        padded = Image.new("1", (row_bytes * 8, bottom - top), 0)
        padded.paste(mask.crop((0, top, right, bottom)), (left, 0))
        out.append(_raster_command(row_bytes, bottom - top, padded.tobytes()))  # Pillow packs MSB first, 1 = ink
    return b"".join(out)


def _raster_command(row_bytes: int, rows: int, bits: bytes) -> bytes:
    return GS + b"v0\x00" + bytes([row_bytes & 0xFF, row_bytes >> 8, rows & 0xFF, rows >> 8]) + bits


#: A run of blank rows is sent on its own when that saves more than the two headers (8 bytes each) it costs.
BAND_HEADERS = 16


def _bands(mask: Image.Image):
    """Return ``(top, bottom, right)`` row bands that cover ``mask``, top to bottom: ``right`` is how far right
    the band's ink reaches, in dots, and 0 for blank rows worth sending as a narrow image of their own."""
    stride = (mask.width + 7) // 8
    data = mask.tobytes()
    reach = [min(mask.width, 8 * len(data[y * stride:(y + 1) * stride].rstrip(b"\x00"))) for y in range(mask.height)]
    runs = []  # [top, bottom, right] of rows all blank or all with ink
    for y, dots in enumerate(reach):
        if runs and (runs[-1][2] == 0) == (dots == 0):
            runs[-1][1], runs[-1][2] = y + 1, max(runs[-1][2], dots)
        else:
            runs.append([y, y + 1, dots])
    bands = []
    for i, (top, bottom, right) in enumerate(runs):
        between_ink = 0 < i < len(runs) - 1
        if right == 0 and between_ink and (bottom - top) * (stride - 1) <= BAND_HEADERS:
            right = bands[-1][2]  # cheaper kept inside the ink around it than sent with two more headers
        if bands and right and bands[-1][2]:
            bands[-1][1], bands[-1][2] = bottom, max(bands[-1][2], right)
        else:
            bands.append([top, bottom, right])
    return [tuple(band) for band in bands]
