"""
Ticket layout
=============

What a queue ticket says, as blocks for the ESC/POS encoder
(``hardware/printer/escpos.py``): the office, the service, the number large,
the ROC date and time, how many are ahead (and the estimated wait when the
office server's data is fresh: ``kiosk/queue_status.py``; a number the kiosk
gave alone, cut off from its server, says it is called once the kiosk is back
online), a QR code of the
ticket's live queue page captioned 掃描查看叫號進度, and the notice — in
Chinese, plus the same essentials in the resident's language when they used
another screen: the office and service in English, the messages in their
language.  The QR code is printed only when there is an address a
resident's phone can open (``server.public_url`` or ``tickets.qr_url``): the
kiosk's own ``server.url`` is often one only the office's network knows, and
a QR code that opens nothing, or a portal's home page, helps nobody.

Text mode with the printer's own Big5 font and QR: a few hundred bytes, a
second at 9600 baud, where one picture of the same ticket would take half a
minute.  Only the lines the printer's encoding cannot carry (Vietnamese,
Thai) are drawn, shaped, broken between words (``printed_text.py``): a
Vietnamese or Thai ticket stays under 6 KB, 6 s at 9600 baud.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import List, Optional, Tuple

from hardware.printer.escpos import QR, Cut, Feed, PrinterProfile, Text, chars_per_line, dots_for_paper, text_columns
from protocol import officetime
from protocol.service_list import Service
from protocol.urls import under

from . import fonts
from .i18n import messages
from .printed_text import draw_line, paragraph

__all__ = ["Appointment", "TicketText", "ticket_blocks", "profile_for", "qr_data", "ticket_url", "fitting", "minutes_text"]


@dataclass(frozen=True)
class Appointment:
    """An appointment checked in at the kiosk (預約報到): its ticket says its service and time, not people ahead."""

    service: Service      # the service it is for (its ticket waits there)
    at: datetime          # office time


@dataclass(frozen=True)
class TicketText:
    """What is printed on one ticket."""

    label: str            # A012
    service: Service
    at: datetime          # office time
    people_ahead: int
    lang: str             # the resident's screen language
    estimate: Optional[Tuple[int, int]] = None  # minutes (low, high) from the office server's data; None: not printed
    alone: bool = False   # numbered by the kiosk alone, cut off from its server: called once it reconnects
    appointment: Optional[Appointment] = None  # a check-in's ticket: the appointment, in place of people ahead


def minutes_text(estimate: Tuple[int, int]) -> str:
    """``3–8``, or ``5`` when both ends are equal: the minutes of an estimate as the tiles and tickets say them."""
    low, high = estimate
    return f"{low}" if low == high else f"{low}–{high}"


def profile_for(config) -> PrinterProfile:
    """The printer's capabilities from ``[printer]``; lines it cannot print as text (a name with 堃 or in Thai)
    drawn as the resident's lines are, each run shaped in the face that has its script."""
    return PrinterProfile(width_dots=dots_for_paper(config.printer.paper_mm),
                          encoding=config.printer.encoding, qr=config.printer.qr,
                          font_path=str(fonts.font_files()["regular"]), draw=_draw)


def _draw(text: str, bold: bool, size: int):
    return draw_line(text, bold, size=size)


def ticket_url(config, number: str, service: str, day: date, lang: str) -> Optional[str]:
    """What a ticket's QR code opens, or None: the ticket carries no QR code.

    ``tickets.qr_url`` if set; else the office server's live queue page (``office/calling_pages.py``'s
    ``/q/<day>/<number>``: people ahead, now serving, the wait) at ``server.public_url``, opening in the
    language the ticket was taken in (``?lang=vi``: any of ``settings.LANGUAGES``).  Never ``server.url``: that is
    the kiosk's way to the office server, often a LAN address (127.0.0.1 with ``make run``) a phone on mobile data
    cannot open.
    """
    template = config.tickets.qr_url
    if not template:
        base = config.server.public_url
        if not base:
            return None
        template = under(base, "q/{date}/{number}?lang={lang}")
    return template.format(number=number, service=service, kiosk=config.kiosk.id, date=day.isoformat(), lang=lang)


def qr_data(config, ticket: TicketText) -> Optional[str]:
    return ticket_url(config, ticket.label, ticket.service.prefix, ticket.at.date(), ticket.lang)


def fitting(text: str, profile: PrinterProfile, largest: int, align: str = "center", bold: bool = False) -> Text:
    """The text at the largest size (up to ``largest``) at which it fits on one line, never below 1."""
    for size in range(largest, 1, -1):
        if text_columns(text) * size <= chars_per_line(profile):
            return Text(text, width=size, height=size, align=align, bold=bold)
    return Text(text, height=2 if largest > 1 else 1, align=align, bold=bold)


def ticket_blocks(config, ticket: TicketText, profile: PrinterProfile) -> List[object]:
    zh = messages("zh-TW")
    own = None if ticket.lang == "zh-TW" else messages(ticket.lang)  # the resident's language, beside Chinese
    day = ticket.at.date()
    blocks: List[object] = [
        fitting(config.kiosk.office, profile, 1, bold=True),
        fitting(ticket.service.name, profile, 2, bold=True),
        Feed(1),
        Text(ticket.label, width=4, height=4, align="center", bold=True),
        Feed(1),
        Text(f"{officetime.roc_short(day)}  {ticket.at.strftime('%H:%M')}", align="center"),
    ]
    booked = ticket.appointment
    if booked:
        blocks += paragraph(zh.text("ticket.appointment", time=booked.at.strftime("%H:%M"), service=booked.service.name),
                            profile, "zh-TW", bold=True)
    else:
        blocks.append(Text(zh.text("ticket.people_ahead", count=ticket.people_ahead), height=2, align="center"))
    if ticket.estimate:
        blocks.append(Text(zh.text("ticket.estimate", minutes=minutes_text(ticket.estimate)), align="center"))
    if ticket.alone:
        blocks += paragraph(zh.text("ticket.alone"), profile, "zh-TW")
    if own:
        # The office's and the services' names are in Chinese and English only (config): English for every
        # other language, as on the screens.
        blocks += [*paragraph(config.kiosk.office_en, profile, "en"), *paragraph(ticket.service.name_en, profile, "en"),
                   *paragraph(own.text("ticket.appointment", time=booked.at.strftime("%H:%M"),
                                       service=booked.service.name_in(ticket.lang)) if booked else
                              own.text("ticket.people_ahead", count=ticket.people_ahead), profile, ticket.lang)]
        if ticket.estimate:
            blocks += paragraph(own.text("ticket.estimate", minutes=minutes_text(ticket.estimate)), profile, ticket.lang)
        if ticket.alone:
            blocks += paragraph(own.text("ticket.alone"), profile, ticket.lang)
    url = qr_data(config, ticket)
    if url:  # else no QR, and no caption promising one
        # Right under the QR, what it opens: a bare QR on a ticket says nothing to a resident (issue 15).
        blocks += [QR(url, module=6 if profile.narrow else 8), Text(zh.text("ticket.qr_caption"), align="center")]
        if own:
            blocks += paragraph(own.text("ticket.qr_caption"), profile, ticket.lang)
    blocks += [Feed(1), Text(zh.text("ticket.notice"), align="center")]
    if own:
        blocks += paragraph(own.text("ticket.notice"), profile, ticket.lang)
    blocks += [Feed(3), Cut()]
    return blocks
