"""
The printer's test page
=======================

What ``kiosk selftest --test-page`` and the admin screen's test print send to
the printer, as blocks for the ESC/POS encoder, beside the ticket's layout
(``ticket_layout.py``) whose pieces it reuses: the office's name at the size a
ticket prints it, a Big5 sample with the characters cheap firmware gets wrong,
and the QR code a ticket would carry, so a technician sees on paper what
residents will get.  The font is optional here: a printer that prints only text
is still tested.
"""

from __future__ import annotations

from typing import Tuple

from hardware.printer.escpos import QR, Cut, Feed, PrinterProfile, Text, dots_for_paper, encode
from protocol import officetime

from .errors import FontError
from .fonts import font_files
from .ticket_layout import fitting, ticket_url

__all__ = ["make_test_page", "TEST_PAGE_SAMPLE"]

#: Big5 text a printer must get right: 許, 功 and 蓋 end in byte 0x5C (a backslash in ASCII), which
#: firmware that is not really Big5 mangles; the rest is what tickets and slips print.
TEST_PAGE_SAMPLE = ("許功蓋 戶籍謄本 印鑑證明", "滿意 普通 不滿意", "請留意叫號燈號，過號請重新抽號")


def make_test_page(config) -> Tuple[bytes, str]:
    """The test page as ESC/POS for the configured printer, and the text of its QR code."""
    try:
        font = str(font_files(build=False)["regular"])
    except FontError:
        font = None  # fine while every line can be sent as text
    profile = PrinterProfile(width_dots=dots_for_paper(config.printer.paper_mm),
                             encoding=config.printer.encoding, qr=config.printer.qr, font_path=font)
    now = officetime.now()
    # The ticket's QR, so a technician can scan it and see the live queue page open; without one the printer's QR
    # is still tested, with a text that says so.
    ticket_qr = ticket_url(config, "A000", "A", now.date(), config.kiosk.language)
    qr = ticket_qr or f"kiosk {config.kiosk.id} self-test: no live-queue QR on tickets (server.public_url is not set)"
    blocks = [Text("SELF-TEST 自我檢測", align="center", bold=True),
              fitting(config.kiosk.office, profile, 2, bold=True),
              Text(config.kiosk.office_en, align="center"),
              Text(f"{config.kiosk.id}  {officetime.roc_short(now.date())}  {now.strftime('%H:%M')}", align="center"),
              Feed(1)]
    blocks += [Text(line) for line in TEST_PAGE_SAMPLE]
    blocks += [Text("0123456789 ABCDEFGHIJ abcdefghij"),
               Text("Big5 " + ("OK if 許功蓋 reads right" if config.printer.encoding == "big5"
                               else f"({config.printer.encoding})")),
               QR(qr, module=6 if profile.narrow else 8),
               Text(ticket_qr or "no live-queue QR on tickets", align="center"),
               Text(f"{config.printer.paper_mm} mm, {config.printer.encoding}, QR {config.printer.qr}", align="center"),
               Feed(3), Cut()]
    return encode(blocks, profile), qr
