"""Draw an ESC/POS byte stream as the paper a thermal printer would print.

The simulated printer keeps the bytes it receives; this module turns them
into a picture of the ticket (white paper, black dots, one pixel per dot), so
``make run`` can show the ticket a resident would get and tests can read its
QR code back.  The existing emulators (escpos-tools, receiptio, escpresso,
EscPosUtils) are not Python and none handles Big5, the code page of the
printers sold in Taiwan: hence this small one, drawing with Pillow and the
Traditional Chinese font whose path it is given (this package does not import
the kiosk, which owns the font).

Only the commands the kiosk sends are drawn:

==================  ===============  ==========================================
bytes               command          drawn as
==================  ===============  ==========================================
``1B 40``           ESC @            reset: left, 1x1, bold off, one-byte mode;
                                     text not yet printed is thrown away
``0A``              LF               print the line, advance (30 dots if empty)
``1B 61 n``         ESC a n          align 0 left, 1 centre, 2 right (or '0'-'2')
``1D 21 n``         GS ! n           size: width (n >> 4) + 1, height (n & 15) + 1
``1B 45 n``         ESC E n          bold on (n odd) or off
``1C 26``/``1C 2E`` FS & / FS .      enter / leave two-byte (Kanji) mode
``1C 28 43 ..``     FS ( C           character encoding: ``30 02`` selects UTF-8
``1B 64 n``         ESC d n          print the line and feed n lines
``1D 56 m [n]``     GS V             cut (m 0, 1, 48, 49; m 65, 66 feed n dots
                                     first): a dashed line across the paper
``1D 28 6B ..``     GS ( k, cn 49    QR: model (65), module size (67), error
                                     correction (69), store (80), print (81)
``1D 76 30 ..``     GS v 0           raster image, MSB first, 1 = black
``10 04 n``         DLE EOT n        status request: prints nothing
==================  ===============  ==========================================

Text is laid out as on a 203 dpi printer: a 12 x 24 dot cell for a one-byte
character, 24 x 24 for a two-byte one, times the size; a line wraps at the
paper's edge.  In two-byte mode a byte from 0x81 starts a character of the
given encoding (``"big5"``, read as cp950, or ``"gb18030"``); outside it
bytes from 0x80 are code page 437, a printer's default table.  With
``"utf-8"`` UTF-8 sequences are read everywhere.  Commands of known length
that are not drawn are skipped, anything else is skipped a byte or two at a
time; each gives a line in the warnings, and nothing in the data can make
:func:`render` raise or loop.  Text left without a final LF is not printed,
as on a real printer, and a warning says so.
"""

import logging
import unicodedata
from math import ceil

import qrcode
from PIL import Image, ImageDraw, ImageFont

__all__ = ["render", "render_to_png", "LINE_HEIGHT"]

log = logging.getLogger("hardware")

DLE, LF, CR, FS, ESC, GS = 0x10, 0x0A, 0x0D, 0x1C, 0x1B, 0x1D
NAMES = {DLE: "DLE", FS: "FS", ESC: "ESC", GS: "GS"}
CODECS = {"big5": "cp950", "cp950": "cp950", "gb18030": "gb18030", "utf-8": "utf-8", "utf8": "utf-8"}
CELL = 24  # dots: a character's height, and a two-byte character's width, at 1x1
LINE_HEIGHT = 30  # dots from one 1x1 line to the next (24 + 6), the usual 1/6 inch
QR_ERRORS = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
             50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}
MAX_WARNINGS = 100
# Commands of known length that are not drawn: (first, second byte) -> parameter bytes.
SKIPPED = {(ESC, 0x32): 0, (ESC, 0x33): 1, (ESC, 0x21): 1, (ESC, 0x2D): 1, (ESC, 0x4A): 1, (ESC, 0x4D): 1,
           (ESC, 0x74): 1, (ESC, 0x52): 1, (ESC, 0x47): 1, (ESC, 0x20): 1, (ESC, 0x7B): 1, (ESC, 0x70): 3,
           (GS, 0x42): 1, (GS, 0x48): 1, (GS, 0x66): 1, (GS, 0x68): 1, (GS, 0x77): 1, (GS, 0x4C): 2,
           (GS, 0x61): 1, (GS, 0x72): 1, (FS, 0x21): 1, (FS, 0x2D): 1, (DLE, 0x05): 1, (DLE, 0x14): 3}


class _Truncated(Exception):
    "The data ends inside a command"


def _name(command):
    """Return a command's name and bytes for a warning, e.g. ``ESC z (1B 7A)``."""
    words = [NAMES.get(b) or (chr(b) if 0x20 < b < 0x7F else f"0x{b:02X}") for b in command]
    return f"{' '.join(words)} ({command.hex(' ').upper()})"


class _Emulator:
    def __init__(self, width, font_path, encoding, max_height, warnings):
        if encoding.lower() not in CODECS:
            raise ValueError(f"unknown printer encoding {encoding!r}: use one of {', '.join(CODECS)}")
        self.width, self.font_path, self.max_height = width, font_path, max_height
        self.codec = self.base_codec = CODECS[encoding.lower()]
        self.warnings = warnings
        self.paper = Image.new("L", (width, 1024), 255)
        self.y = 0  # top of the next line, in dots
        self.cuts = 0
        self.fonts, self.glyphs = {}, {}
        self.qr_module, self.qr_error, self.qr_data = 3, QR_ERRORS[48], b""
        self.reset()

    def reset(self):
        self.align, self.size, self.bold, self.kanji = 0, (1, 1), False, False
        self.line, self.line_width = [], 0  # glyph masks waiting for LF

    def warn(self, offset, text):
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(f"byte {offset}: {text}")
            log.debug("emulator: %s", self.warnings[-1])
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("more warnings left out")

    # -- the paper -------------------------------------------------------------------------

    def grow(self, bottom):
        """Make the paper at least *bottom* dots long (up to max_height), doubling it as it grows."""
        bottom = min(bottom, self.max_height)
        if bottom > self.paper.height:
            longer = Image.new("L", (self.width, min(max(bottom, 2 * self.paper.height), self.max_height)), 255)
            longer.paste(self.paper, (0, 0))
            self.paper = longer

    def stamp(self, mask, x, y):
        """Print black wherever *mask* is 255, its top left corner at (x, y)."""
        self.grow(y + mask.height)
        self.paper.paste(0, (x, y), mask)

    def place(self, mask, offset, what):
        """Print a QR code or image as a block of its own, at the current alignment."""
        self.print_line()
        spare = self.width - mask.width
        if spare < 0:
            self.warn(offset, f"{what} is {mask.width} dots wide, wider than the paper ({self.width}): cut off")
        self.stamp(mask, max(0, spare * self.align // 2), self.y)
        self.y += mask.height

    def print_line(self, feed_if_empty=False):
        """Print the collected text line (or feed one empty line) and advance."""
        if not self.line:
            self.y += LINE_HEIGHT if feed_if_empty else 0
            return
        tallest = max(mask.height for mask in self.line)
        x = (self.width - self.line_width) * self.align // 2
        for mask in self.line:
            self.stamp(mask, x, self.y + tallest - mask.height)  # characters of a line share their bottom
            x += mask.width
        self.y += tallest + LINE_HEIGHT - CELL
        self.line, self.line_width = [], 0

    # -- text ------------------------------------------------------------------------------

    def font(self, size):
        if size not in self.fonts:
            if self.font_path is not None:
                self.fonts[size] = ImageFont.truetype(str(self.font_path), size)
            else:
                try:
                    self.fonts[size] = ImageFont.load_default(size)
                except TypeError:  # Pillow < 10.1: one small bitmap font
                    self.fonts[size] = ImageFont.load_default()
        return self.fonts[size]

    def glyph(self, char, wide):
        """Return the ink mask of one character cell at the current size and weight."""
        key = (char, wide, self.size, self.bold)
        if key not in self.glyphs:
            (w, h), base = self.size, CELL if wide else CELL // 2
            font = self.font(CELL * h)
            stroke = max(1, h // 2) if self.bold else 0
            # Drawn at the height's scale, then squeezed (proportional Latin) or stretched to the cell.
            drawn = max(base * h, ceil(font.getlength(char)) + 2 * stroke)
            mask = Image.new("L", (drawn, CELL * h), 0)
            draw = ImageDraw.Draw(mask)
            if isinstance(font, ImageFont.FreeTypeFont):
                # Ideographs fill their cell; Latin sits higher to keep its descenders.
                baseline = CELL * h * (0.88 if wide else 0.78)
                draw.text((drawn / 2, baseline), char, fill=255, font=font, anchor="ms", stroke_width=stroke,
                          stroke_fill=255)
            else:
                draw.text((0, 0), char, fill=255, font=font)
            if mask.size != (base * w, CELL * h):
                mask = mask.resize((base * w, CELL * h), Image.BILINEAR)
            self.glyphs[key] = mask.point(lambda v: 255 if v >= 128 else 0)  # a dot is burnt or not
        return self.glyphs[key]

    def put(self, char, wide):
        mask = self.glyph(char, wide)
        if self.line and self.line_width + mask.width > self.width:
            self.print_line()  # wraps at the paper's edge, as a printer does
        self.line.append(mask)
        self.line_width += mask.width

    def text(self, data, i):
        """Take one character starting at data[i] and return the offset after it."""
        b = data[i]
        if b < 0x80:
            self.put(chr(b), wide=False)
            return i + 1
        if self.codec == "utf-8":
            length = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 1
        elif self.kanji and b >= 0x81:
            four = self.codec == "gb18030" and i + 1 < len(data) and 0x30 <= data[i + 1] <= 0x39
            length = 4 if four else 2
        else:
            self.put(bytes((b,)).decode("cp437"), wide=False)
            return i + 1
        chunk = self.take(data, i, length)
        try:
            char = chunk.decode(self.codec)
        except UnicodeDecodeError:
            self.warn(i, f"{chunk.hex(' ').upper()} is not a character in {self.codec}")
            self.put("\ufffd", wide=True)
            return i + (1 if self.codec == "utf-8" else length)  # UTF-8 finds its footing at the next byte
        for c in char:
            self.put(c, wide=self.codec != "utf-8" or unicodedata.east_asian_width(c) in "WF")
        return i + length

    # -- commands --------------------------------------------------------------------------

    @staticmethod
    def take(data, i, n):
        if i + n > len(data):
            raise _Truncated(_name(data[i:i + 2]))
        return data[i:i + n]

    def run(self, data):
        i = 0
        while i < len(data):
            if self.y >= self.max_height:
                self.warn(i, f"the paper is {self.max_height} dots long: the rest is not drawn")
                break
            b = data[i]
            try:
                if b in (ESC, GS, FS, DLE):
                    i = self.command(data, i)
                elif b == LF:
                    self.print_line(feed_if_empty=True)
                    i += 1
                elif b < 0x20 or b == 0x7F:
                    if b != CR:  # CR is harmless: the printer waits for LF
                        self.warn(i, f"control byte 0x{b:02X} ignored")
                    i += 1
                else:
                    i = self.text(data, i)
            except _Truncated as exc:
                self.warn(i, f"the data ends inside {exc}")
                break
        if self.line:
            self.warn(len(data), f"{len(self.line)} characters at the end were never printed (no LF after them)")

    def command(self, data, i):
        """Obey the command at data[i] (ESC, GS, FS or DLE) and return the offset after it."""
        first, second = self.take(data, i, 2)
        name = _name(data[i:i + 2])
        if (first, second) == (ESC, 0x40):
            if self.line:
                self.warn(i, f"ESC @ threw away {len(self.line)} characters not yet printed")
            self.reset()
        elif (first, second) == (FS, 0x26):
            self.kanji = True
        elif (first, second) == (FS, 0x2E):
            self.kanji = False
        elif second == 0x28 and first in (ESC, GS, FS):  # ESC ( / GS ( / FS ( x pL pH, then pL + 256 pH bytes
            head = self.take(data, i, 5)
            size = head[3] + 256 * head[4]
            self.extended(head[:3], self.take(data, i + 5, size), i)
            return i + 5 + size
        elif (first, second) == (GS, 0x76):
            return self.raster(data, i)
        elif (first, second) == (GS, 0x56):
            m = self.take(data, i, 3)[2]
            known = m in (0, 1, 48, 49, 65, 66)
            feed = self.take(data, i, 4)[3] if m in (65, 66) else 0
            if not known:
                self.warn(i, f"GS V with m={m} is not a cut this emulator knows: skipped 3 bytes")
                return i + 3
            self.cut(feed)
            return i + (4 if m in (65, 66) else 3)
        elif (first, second) in ((ESC, 0x61), (ESC, 0x45), (ESC, 0x64), (GS, 0x21), (DLE, 0x04)):
            n = self.take(data, i, 3)[2]
            self.simple(first, second, n, i)
            return i + 3
        elif (first, second) == (ESC, 0x2A):  # ESC * m nL nH: bit image, skipped by its length
            m, low, high = self.take(data, i, 5)[2:]
            size = (low + 256 * high) * (3 if m in (32, 33) else 1)
            self.take(data, i + 5, size)
            self.warn(i, f"{name} (bit image) not drawn: use GS v 0")
            return i + 5 + size
        elif (first, second) in SKIPPED:
            size = 2 + SKIPPED[first, second]
            self.take(data, i, size)
            self.warn(i, f"{name} not emulated: skipped {size} bytes")
            return i + size
        else:
            self.warn(i, f"unknown command {name}: skipped 2 bytes")
        return i + 2

    def simple(self, first, second, n, offset):
        """Obey one of the commands with a single parameter byte n."""
        if second == 0x61:  # ESC a
            if n in (0, 1, 2, 48, 49, 50):
                self.align = n % 48
            else:
                self.warn(offset, f"ESC a {n}: no such alignment, ignored")
        elif second == 0x45:  # ESC E
            self.bold = bool(n & 1)
        elif second == 0x64:  # ESC d
            printed = bool(self.line)
            self.print_line()
            self.y += LINE_HEIGHT * max(0, n - printed)  # the printed line was the first of the n
        elif first == GS:  # GS !
            if n >> 4 > 7 or n & 0x0F > 7:
                self.warn(offset, f"GS ! 0x{n:02X}: sizes go up to 8, ignored")
            else:
                self.size = ((n >> 4) + 1, (n & 0x0F) + 1)
        # DLE EOT n asks for the status: the printer answers, the paper shows nothing.

    def extended(self, head, body, offset):
        """Obey ``GS ( k`` (QR) and ``FS ( C`` (encoding); note the other ``x ( y`` commands as skipped."""
        if head == bytes((FS, 0x28, 0x43)):
            if len(body) >= 2 and body[0] == 0x30:
                self.codec = "utf-8" if body[1] in (2, 0x32) else self.base_codec
            return
        if head != bytes((GS, 0x28, 0x6B)) or len(body) < 2 or body[0] != 49:
            self.warn(offset, f"{_name(head)} with {len(body)} bytes not emulated: skipped")
            return
        fn, params = body[1], body[2:]
        if fn == 65:  # model: only model 2 is drawn, the kind every printer knows
            if params[:1] != b"\x32":
                self.warn(offset, f"QR model {params[:1].hex()} asked for: drawn as model 2")
        elif fn == 67 and params and 1 <= params[0] <= 16:
            self.qr_module = params[0]
        elif fn == 69 and params and params[0] in QR_ERRORS:
            self.qr_error = QR_ERRORS[params[0]]
        elif fn == 80:
            self.qr_data = bytes(params[1:])  # after m = 48
        elif fn == 81:
            self.print_qr(offset)
        else:
            self.warn(offset, f"QR function {fn} with {len(params)} bytes not emulated: skipped")

    def print_qr(self, offset):
        if not self.qr_data:
            self.warn(offset, "QR print without stored data: nothing printed")
            return
        qr = qrcode.QRCode(error_correction=self.qr_error, box_size=1, border=4)  # 4 modules of quiet zone
        try:
            qr.add_data(self.qr_data)
            qr.make(fit=True)
        except (qrcode.exceptions.DataOverflowError, ValueError) as exc:
            self.warn(offset, f"QR of {len(self.qr_data)} bytes cannot be made ({exc}): nothing printed")
            return
        matrix = qr.get_matrix()
        mask = Image.new("L", (len(matrix), len(matrix)))
        mask.putdata([255 if dark else 0 for row in matrix for dark in row])
        self.place(mask.resize((mask.width * self.qr_module,) * 2, Image.NEAREST), offset, "the QR code")

    def raster(self, data, i):
        """GS v 0 m xL xH yL yH d1..dk: draw the image, return the offset after it."""
        m, xl, xh, yl, yh = self.take(data, i, 8)[3:]
        row_bytes, rows = xl + 256 * xh, yl + 256 * yh
        bits = self.take(data, i + 8, row_bytes * rows)
        if row_bytes and rows:
            mask = Image.frombytes("1", (8 * row_bytes, rows), bits).convert("L")  # a 1 bit is a black dot
            scale_x, scale_y = (2 if m & 1 else 1), (2 if m & 2 else 1)  # m 1/49 double width, 2/50 height
            if (scale_x, scale_y) != (1, 1):
                mask = mask.resize((mask.width * scale_x, mask.height * scale_y), Image.NEAREST)
            self.place(mask, i, "the raster image")
        return i + 8 + row_bytes * rows

    def cut(self, feed):
        self.print_line()
        self.y += feed
        mark = Image.new("L", (self.width, 2), 0)
        ImageDraw.Draw(mark).line([(0, 0), (self.width, 0)], fill=255, width=2)
        for x in range(0, self.width, 8):
            mark.paste(0, (x + 4, 0, x + 8, 2))
        self.stamp(mark, 0, self.y + 6)
        self.y += 14
        self.cuts += 1


def render(data: bytes, width_dots: int = 384, font_path=None, encoding: str = "big5", *,
           warnings=None, max_height: int = 50_000) -> Image.Image:
    """Return the paper that printing *data* would give: a 1-bit image *width_dots* wide, one pixel a dot.

    :param font_path: a TrueType/OpenType font with the characters to print (the
        kiosk's Noto Sans CJK TC); None uses Pillow's default font, whose CJK are boxes.
    :param encoding: the printer's two-byte encoding: ``"big5"``, ``"gb18030"`` or ``"utf-8"``.
    :param list warnings: if given, a line is appended for each command skipped or
        cut short; the same lines are in ``image.info["warnings"]``.
    :param max_height: the longest paper drawn, in dots; the rest is left out with a warning.

    ``image.info["cuts"]`` is the number of cuts.
    """
    collected = []
    emulator = _Emulator(width_dots, font_path, encoding, max_height, collected)
    emulator.run(bytes(data))
    length = max(1, min(emulator.y, max_height))
    emulator.grow(length)
    paper = emulator.paper.crop((0, 0, width_dots, length))
    image = paper.convert("1", dither=Image.Dither.NONE)
    image.info.update(cuts=emulator.cuts, warnings=collected)
    if warnings is not None:
        warnings.extend(collected)
    return image


def render_to_png(data: bytes, path, **kwargs) -> Image.Image:
    """Render *data* (see :func:`render`), save it as a PNG at *path* and return the image."""
    image = render(data, **kwargs)
    image.save(path, format="PNG")
    return image
