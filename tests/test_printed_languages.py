"""The ticket and the form slip in the resident's language (issue 19), through the real encoder and the emulator.

Chinese stays Big5 text in the printer's own font; what Big5 cannot carry (Vietnamese, Thai) is drawn and
sent as pictures (``GS v 0``), shaped by HarfBuzz, Thai in its own face, broken between words.  The pictures
the emulator prints are compared with lines drawn here independently, straight from Pillow and libraqm with
the catalogue's own word boundaries: same words on each line, same shapes, dot for dot (within a few dots).
"""

import re
import subprocess
import sys
import textwrap
from datetime import datetime

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont
from pyzbar.pyzbar import decode

from hardware.printer.emulator import render
from hardware.printer.escpos import PrinterProfile, dots_for_paper, encode
from kiosk.config import Config, defaults
from kiosk.fonts import fallback_files, font_files
from kiosk.form_slips import FormSlips
from kiosk.i18n import ZWSP, messages
from kiosk.printed_text import draw_line, paragraph
from kiosk.ticket_layout import TicketText, profile_for, ticket_blocks
from protocol import officetime
from protocol.forms_format import load_catalogue
from protocol.service_list import Service

PUBLIC = "https://erlin-queue.example.gov.tw/"
AT = datetime(2026, 12, 8, 10, 40, tzinfo=officetime.TAIPEI)
RAQM = ImageFont.Layout.RAQM
THAI = re.compile("[\u0e00-\u0e7f]+")
GOAL_BYTES, GOAL_SECONDS = 6 * 1024, 6.0


def config_for(paper_mm):
    return Config(defaults()).with_values("printer", paper_mm=paper_mm).with_values("server", public_url=PUBLIC)


def ticket(lang, paper_mm=58, estimate=(15, 25)):
    """The blocks and bytes of ticket A012 with 11 people ahead, as the kiosk would print it."""
    config = config_for(paper_mm)
    profile = profile_for(config)
    blocks = ticket_blocks(config, TicketText("A012", config.service("A"), AT, 11, lang, estimate), profile)
    return config, blocks, encode(blocks, profile)


def paper(data, paper_mm):
    return render(data, width_dots=dots_for_paper(paper_mm), font_path=str(font_files()["regular"]))


def pictures(data):
    """How many pictures (runs of GS v 0 with nothing else between them), and the bytes that are not pictures."""
    count, rest, i, last_end = 0, b"", 0, None
    while True:
        start = data.find(b"\x1dv0\x00", i)
        if start < 0:
            return count, rest + data[i:]
        row_bytes, rows = data[start + 4] | data[start + 5] << 8, data[start + 6] | data[start + 7] << 8
        count += start != last_end
        rest += data[i:start]
        i = last_end = start + 8 + row_bytes * rows


def big5_text(text):
    return b"\x1c&" + text.encode("cp950") + b"\x1c."


# -- the reference: lines drawn here with Pillow and libraqm alone ------------------------------------------------

def faces(size=24, bold=False):
    style = "bold" if bold else "regular"
    return (ImageFont.truetype(str(font_files()[style]), size, layout_engine=RAQM),
            ImageFont.truetype(str(fallback_files()["thai"][style]), size, layout_engine=RAQM))


def reference_runs(text):
    at, out = 0, []
    for match in THAI.finditer(text):
        out += [(False, text[at:match.start()]), (True, match.group())]
        at = match.end()
    return [(thai, run) for thai, run in out + [(False, text[at:])] if run]


def reference_width(text, size=24, bold=False):
    cjk, thai = faces(size, bold)
    return sum((thai if is_thai else cjk).getlength(run, features=None if is_thai else ["palt"])
               for is_thai, run in reference_runs(text))


def reference_lines(text, width):
    """The catalogue's text broken greedily at its spaces and word marks (U+200B), whole words to a line."""
    words = re.findall(rf"([ {ZWSP}]?)([^ {ZWSP}]+)", text)
    lines = []
    for sep, word in words:
        joined = lines[-1] + (sep if sep == " " else "") + word if lines else word
        if lines and reference_width(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    return lines


def reference_ink(text, size=24, bold=False):
    """The line's ink, trimmed to its bounding box: each run shaped in its own face on one baseline."""
    cjk, thai = faces(size, bold)
    canvas = Image.new("L", (int(reference_width(text, size, bold)) + 60, 5 * size), 0)
    draw, x = ImageDraw.Draw(canvas), 10.0
    for is_thai, run in reference_runs(text):
        face = thai if is_thai else cjk
        draw.text((x, 3 * size), run, font=face, fill=255, anchor="ls", features=None if is_thai else ["palt"])
        x += face.getlength(run, features=None if is_thai else ["palt"])
    ink = canvas.point(lambda v: 255 if v >= 128 else 0).convert("1")
    return ink.crop(ink.getbbox())


def matches(printed, reference):
    """The same shape within a few dots: sizes within 2 dots, at most 3 % of the ink differing."""
    if abs(printed.width - reference.width) > 2 or abs(printed.height - reference.height) > 2:
        return False
    size = (max(printed.width, reference.width), max(printed.height, reference.height))
    a, b = Image.new("1", size), Image.new("1", size)
    a.paste(printed, (0, 0))
    b.paste(reference, (0, 0))
    differing = ImageChops.logical_xor(a, b).histogram()[255]
    return differing <= 0.03 * max(1, b.histogram()[255])


class Paper:
    """The emulator's paper, searched for a line of ink."""

    def __init__(self, image):
        self.ink = image.convert("L").point(lambda v: 255 if v < 128 else 0).convert("1")
        self.inked_rows = [y for y in range(self.ink.height)
                           if self.ink.crop((0, y, self.ink.width, y + 1)).getbbox() is not None]

    def has(self, reference):
        """Whether some rows of the paper hold exactly the reference's ink (within a few dots), nothing else."""
        for top in self.inked_rows:
            rows = self.ink.crop((0, top, self.ink.width, top + reference.height))
            box = rows.getbbox()
            if box and box[1] == 0 and matches(rows.crop(box), reference):
                return True
        return False


# -- the ticket ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("lang", ["vi", "th"])
def test_the_chinese_lines_stay_big5_text_and_the_residents_are_pictures(lang, paper_mm):
    _config, blocks, data = ticket(lang, paper_mm)
    own = messages(lang)
    count, text_part = pictures(data)
    for chinese in ("前面還有 11 位", "預估等候 15–25 分鐘", "掃描查看叫號進度", "請留意叫號燈號，過號請重新抽號", "戶籍登記"):
        assert big5_text(chinese) in text_part
    assert b"\x1d!\x33\x1bE\x01A012" in text_part  # the number: the printer's own glyphs at 4x4, bold
    assert b"Erlin Household" in text_part and b"Household registration" in text_part  # names in English, text
    assert b"?" not in text_part.split(b"\x1d(k")[0]  # nothing became a question mark before the QR code
    for key in ("ticket.people_ahead", "ticket.qr_caption", "ticket.notice"):
        for word in own.text(key, count=11).replace(ZWSP, " ").split():
            if not word.isascii():
                assert word.encode("utf-8") not in data  # drawn, not sent as text the printer cannot read
    assert count >= 4  # people ahead, estimate, QR caption, notice: each a line or more of its own
    assert len(data) <= GOAL_BYTES and len(data) * 10 / 9600 <= GOAL_SECONDS, f"{len(data)} bytes"


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_the_thai_lines_print_as_harfbuzz_draws_them_broken_between_words(paper_mm):
    _config, _blocks, data = ticket("th", paper_mm)
    printed = Paper(paper(data, paper_mm))
    own = messages("th")
    width = dots_for_paper(paper_mm)
    expected = [line for key in ("ticket.people_ahead", "ticket.estimate", "ticket.qr_caption", "ticket.notice")
                for line in reference_lines(own.text(key, count=11, minutes="15–25"), width)]
    assert len(expected) >= 4
    for line in expected:
        reference = reference_ink(line)
        assert printed.has(reference), f"{line!r} is not on the paper as drawn"


def test_the_thai_notice_breaks_only_where_the_catalogue_marks_a_word():
    _config, _blocks, data = ticket("th", 58)
    printed = Paper(paper(data, 58))
    notice = messages("th").text("ticket.notice")
    lines = reference_lines(notice, 384)
    assert len(lines) >= 2  # too long for one 58 mm line: it does break
    assert all(printed.has(reference_ink(line)) for line in lines)


def test_a_line_narrower_than_a_thai_phrase_breaks_only_at_the_catalogues_word_marks():
    """Paper 160 dots wide: the notice's phrases (between spaces) are wider, so it breaks at U+200B, whole words."""
    profile = PrinterProfile(width_dots=160)
    notice = messages("th").text("ticket.notice")
    blocks = paragraph(notice, profile, "th")
    lines = reference_lines(notice, 160)
    assert len(lines) > len(notice.split(" "))  # some lines end between two words of one phrase
    assert len(blocks) == len(lines)
    printed = Paper(render(encode(blocks, profile), width_dots=160))
    for line in lines:
        assert printed.has(reference_ink(line)), f"{line!r} is not on the paper as drawn"


def test_a_vietnamese_ticket_prints_its_lines_whole_with_their_marks():
    _config, _blocks, data = ticket("vi", 58)
    printed = Paper(paper(data, 58))
    own = messages("vi")
    for key in ("ticket.people_ahead", "ticket.qr_caption"):
        text = own.text(key, count=11)
        assert reference_width(text) <= 384  # one line each on 58 mm
        assert printed.has(reference_ink(text)), f"{text!r} not printed as drawn"


@pytest.mark.parametrize("lang", ["en", "id", "fil"])
def test_languages_big5_carries_stay_text(lang):
    _config, blocks, data = ticket(lang)
    count, _text_part = pictures(data)
    assert count == 0 and len(data) < 1024
    assert messages(lang).text("ticket.qr_caption").encode("ascii") in data


@pytest.mark.parametrize("lang", ["vi", "th"])
def test_the_ticket_in_another_language_still_reads_its_qr_code(lang):
    _config, _blocks, data = ticket(lang, 58)
    codes = decode(paper(data, 58).convert("L"))
    assert [c.data.decode() for c in codes] == [f"{PUBLIC}q/2026-12-08/A012?lang={lang}"]


def test_a_chinese_name_with_thai_in_it_is_drawn_with_the_thai_face_not_refused():
    """A name the office typed (the config's) with a Thai word: drawn whole, each script in its face, on one baseline."""
    config = config_for(58)
    odd = Service("D", f"新民 ไทย{ZWSP}บริการ", "New residents")  # U+200B where a Thai line may break: not drawn
    config = config.with_services((odd,))
    profile = profile_for(config)
    data = encode(ticket_blocks(config, TicketText("D001", odd, AT, 0, "zh-TW"), profile), profile)
    count, text_part = pictures(data)
    assert count == 1 and "新民".encode("cp950") not in text_part  # the whole line is the picture
    # The service's line is printed at twice the size, in bold: 48 dots to the em, the bold faces.
    assert Paper(paper(data, 58)).has(reference_ink("新民 ไทยบริการ", size=48, bold=True))


def test_the_printer_draws_thai_without_kivy():
    """`kiosk ticket print` runs without a screen: its drawing (runs, line breaks, shaping) imports no Kivy."""
    code = textwrap.dedent("""
        import sys
        sys.modules["kivy"] = None  # `import kivy` now fails, as on a machine without it
        from datetime import datetime
        from hardware.printer.escpos import encode
        from kiosk.config import Config, defaults
        from kiosk.ticket_layout import TicketText, profile_for, ticket_blocks
        config = Config(defaults())
        profile = profile_for(config)
        blocks = ticket_blocks(config, TicketText("A001", config.service("A"), datetime(2026, 12, 8, 10, 40), 3, "th"),
                               profile)
        print(encode(blocks, profile).count(b"\\x1dv0"))
    """)
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert int(ran.stdout) >= 4


def test_a_letter_no_face_has_is_refused_by_name_never_printed_as_a_box():
    with pytest.raises(ValueError, match="NotoSansCJKtc-Regular.otf has no 'ក'"):
        draw_line("Xin chào ក")  # Khmer: in neither the Chinese face nor the Thai one
    assert draw_line("Xin chào ไทย").height >= 24  # the same line with Thai in it is drawn


# -- the form slip -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("lang", ["vi", "th"])
def test_a_form_slip_in_vietnamese_or_thai(lang, paper_mm):
    config = config_for(paper_mm)
    catalogue, _problems = load_catalogue()
    form = catalogue.by_code("move-in")  # a form with a direct file: the scan downloads it
    data = FormSlips(None, config, lambda: None).render(form, lang)
    count, text_part = pictures(data)
    assert big5_text(form.title) in text_part and big5_text("手機掃描，下載申請書") in text_part
    assert b"?" not in text_part.split(b"\x1d(k")[0]
    assert count >= 1 and len(data) <= GOAL_BYTES
    image = paper(data, paper_mm)
    caption = messages(lang).text("home.forms_hint")
    lines = reference_lines(caption, dots_for_paper(paper_mm))
    printed = Paper(image)
    assert all(printed.has(reference_ink(line)) for line in lines), caption
    assert [c.data.decode() for c in decode(image.convert("L"))] == [form.address(PUBLIC)]
