"""The printed ticket says what its QR code is for, right under it, in Big5 text (issue 15, item 6).

A bare QR code on a ticket tells a resident nothing; the caption 掃描查看叫號進度 ("Scan to follow the
queue" on an English ticket) says it opens their live queue page.  Checked on the bytes the printer gets
and on the paper the project's emulator draws from them.  With no address a phone can open
(``server.public_url``, issue 16) the ticket has neither the QR code nor its caption.
"""

import re
from datetime import datetime

import pytest

from hardware.printer import PrinterLink, SimulatedPrinter
from hardware.printer.emulator import render
from kiosk import fonts
from protocol import officetime
from kiosk.config import Config, defaults
from kiosk.store import Store
from kiosk.tickets import TicketService

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")

QR_PRINT = b"\x1d(k\x03\x001Q0\n"  # GS ( k fn 81: print the stored QR code, then its line feed
#: The byte budget of tests/test_escpos.py: about a second at 9600 baud.
BUDGET = 1024


PUBLIC = "https://erlin-queue.example.gov.tw/"


def issue(tmp_path, lang, public=PUBLIC, qr_url="", estimate=False, paper_mm=58):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    values["server"]["url"] = "http://10.0.0.5:8080/"  # the kiosk's way in: never on the ticket
    values["server"]["public_url"] = public
    values["tickets"]["qr_url"] = qr_url
    values["printer"]["paper_mm"] = paper_mm
    config = Config(values)
    store = Store.open(tmp_path)
    link = PrinterLink("sim://caption", timeout=0.2)
    moment = datetime(2026, 11, 27, 9, 30, tzinfo=officetime.TAIPEI)
    service = TicketService(store, config, lambda: link, now=lambda: moment)
    try:
        if estimate:
            from kiosk.queue_status import Outlook
            service.outlook = lambda prefix: Outlook(12, (14, 22), live=True)
        ticket = service.issue("A", lang=lang)
    finally:
        store.close()
    return ticket, bytes(SimulatedPrinter.get("caption").received)


def lines_after_the_qr(data):
    """The text lines printed right after the QR code, decoded as the printer reads them (Big5 in FS & ... FS .)."""
    assert data.count(QR_PRINT) == 1, "the ticket should print one native QR code"
    tail = data.split(QR_PRINT, 1)[1]
    found = []
    for raw in tail.split(b"\n")[:4]:
        raw = re.sub(rb"\x1b[aE!].|\x1d!.", b"", raw, flags=re.S)  # alignment, bold, size
        found.append(raw.replace(b"\x1c&", b"").replace(b"\x1c.", b"").decode("cp950"))
    return found


def test_the_qr_code_is_captioned_in_chinese_right_under_it(tmp_path):
    _ticket, data = issue(tmp_path, "zh-TW")
    assert lines_after_the_qr(data)[0] == "掃描查看叫號進度"
    # Big5 text in two-byte mode, never a picture of the words nor '?' for a character Big5 lacks
    assert b"\x1c&" + "掃描查看叫號進度".encode("big5") + b"\x1c." in data
    assert b"\x1dv0" not in data


def test_an_english_ticket_also_says_it_in_english_under_the_chinese(tmp_path):
    _ticket, data = issue(tmp_path, "en")
    assert lines_after_the_qr(data)[:2] == ["掃描查看叫號進度", "Scan to follow the queue"]


def test_the_paper_shows_the_caption_just_below_a_readable_qr(tmp_path):
    from pyzbar.pyzbar import decode

    ticket, data = issue(tmp_path, "en")
    warnings = []
    paper = render(data, 384, font_path=str(fonts.font_files()["regular"]), encoding="big5", warnings=warnings)
    assert warnings == []
    codes = decode(paper.convert("L"))
    assert [c.data.decode() for c in codes] == [f"{PUBLIC}q/2026-11-27/{ticket.label}?lang=en"]
    qr_bottom = codes[0].rect.top + codes[0].rect.height
    # the first ink below the QR (its quiet zone aside) is the caption's line, not a blank stretch of paper
    grey = paper.convert("L")
    inked = [y for y in range(qr_bottom + 1, min(paper.height, qr_bottom + 120))
             if any(grey.getpixel((x, y)) < 128 for x in range(paper.width))]
    assert inked and inked[0] - qr_bottom < 60, "no caption under the QR code"


def test_with_no_public_url_there_is_no_qr_code_and_no_caption_promising_one(tmp_path):
    from pyzbar.pyzbar import decode

    _ticket, data = issue(tmp_path, "en", public="")
    assert b"\x1d(k" not in data, "a QR code of the kiosk's own server.url, or of a portal, opens nothing useful"
    text = data.decode("cp950", errors="replace")
    assert "掃描" not in text and "Scan" not in text
    paper = render(data, 384, font_path=str(fonts.font_files()["regular"]), encoding="big5")
    assert decode(paper.convert("L")) == []
    # the rest of the ticket is all there: its number, the people ahead, and the notice last, above the cut
    for words in ("前面還有 0 位", "請留意叫號燈號，過號請重新抽號", "Please watch for your number."):
        assert words in text, words
    assert paper.info["cuts"] == 1


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_the_longest_ticket_stays_within_the_byte_budget(tmp_path, paper_mm):
    long_url = "https://office.erlin.example/queue/{date}/{number}?kiosk={kiosk}&service={service}&from=ticket"
    _ticket, data = issue(tmp_path, "en", qr_url=long_url, estimate=True, paper_mm=paper_mm)
    assert "Estimated wait: 14–22 min".encode("cp950") in data
    assert len(data) <= BUDGET, f"the English ticket with an estimate is {len(data)} bytes"


def test_english_lines_break_between_words_not_inside_them(tmp_path):
    _ticket, data = issue(tmp_path, "en")
    text = data.decode("cp950", errors="replace")
    assert "Erlin Household Registration\n" in re.sub(r"\x1b[aE!].|\x1d!.", "", text)
    for line in re.sub(r"\x1b[aE!].|\x1d!.", "", text).split("\n"):
        if line.isascii() and line.strip() and "\x1d(k" not in line:  # the QR's commands are no text
            assert len(line) <= 32, f"{line!r} is wider than 58 mm paper: the printer would cut a word"
