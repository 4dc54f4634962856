"""
Form slips
==========

A small printed slip with a form's QR code, for a resident who wants to
download it at home: the form's title, the QR (native ``GS ( k``), what a
scan gives (the file, or a page to find the form on), the address to type,
the office and the date.  For a resident on another language's screen, the
title as their screen shows it, the office also in English (the config has no
other) and what a scan gives in their language: drawn when the printer cannot
carry it (Vietnamese, Thai; ``printed_text.py``), as on the ticket.  It goes
through the same printer checks as a ticket (``kiosk/printing.py``) and takes
no queue number; each slip printed is stored as a ``form_slip`` event.
"""

from __future__ import annotations

from typing import Callable, List

from hardware.printer.escpos import QR, Cut, Feed, Text, encode

from protocol import officetime

from .forms import record_slip
from .i18n import messages
from .printed_text import paragraph
from .printing import Printing
from .ticket_layout import fitting, profile_for

__all__ = ["FormSlips", "slip_blocks", "scan_caption"]


def scan_caption(form, lang: str) -> str:
    """What scanning the slip's QR gives, in ``lang``: the file, or a page on which to find the form."""
    if form.url_is_page:
        return messages(lang).text("forms.scan_page", title=form.title_in(lang))
    return messages(lang).text("home.forms_hint")


def slip_blocks(config, form, lang: str, profile) -> List[object]:
    now = officetime.now()
    if lang == "zh-TW":
        blocks = [fitting(form.title, profile, 2, bold=True)]
    else:
        # The title as the screen shows it (title_in: English where the catalogue has none in the language),
        # and the Chinese one the counter staff know it by.
        blocks = [*paragraph(form.title_in(lang), profile, lang, bold=True), Text(form.title, align="center")]
    address = form.address(config.server.public_url)
    blocks += [QR(address, module=5 if profile.narrow else 7), *paragraph(scan_caption(form, "zh-TW"), profile, "zh-TW")]
    if lang != "zh-TW":
        blocks += paragraph(scan_caption(form, lang), profile, lang)
    blocks += [
        Text(address, align="center"),  # ASCII: the printer wraps it at the paper's edge
        Feed(1),
        Text(config.kiosk.office, align="center"),
        *([] if lang == "zh-TW" else paragraph(config.kiosk.office_en, profile, "en")),
        Text(f"{officetime.roc_short(now.date())}  {now.strftime('%H:%M')}", align="center"),
        Feed(3),
        Cut(),
    ]
    return blocks


class FormSlips:
    """Prints form slips; ``print_slip`` raises the printer's PrinterError when it cannot."""

    def __init__(self, store, config, printer: Callable[[], object]):
        self.store = store
        self.config = config
        self.printing = Printing(store, printer)
        self.on_fault = self.printing.on_fault

    def render(self, form, lang: str = "zh-TW") -> bytes:
        profile = profile_for(self.config)
        return encode(slip_blocks(self.config, form, lang, profile), profile)

    def print_slip(self, form, lang: str = "zh-TW") -> None:
        link = self.printing.ready()
        self.printing.send(link, self.render(form, lang))
        record_slip(self.store, form, lang)
