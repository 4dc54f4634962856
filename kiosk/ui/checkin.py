"""
The appointment check-in screen
===============================

預約報到: the tile of the check-in service (``check_in = true``; F in the
usual list) opens a keypad with big keys where the resident types the code
they were given when they booked, then 確定.  The office checks the code
(``kiosk/tickets.py``'s ``TicketService.check_in``, ``office/appointments.py``)
and the kiosk prints a ticket saying the appointment's time and service; or
the screen says why not, in the resident's language, and the keypad stays
for another try: a code the office does not know, too early (with when
check-in opens), too late, already checked in (with its number), or the
office not answering.  A kiosk without an office server knows no
appointments: its check-in tile prints a plain number, as any tile does.

Layout in ``checkin.kv``; the rules are the office's.
"""

import logging
import threading
from datetime import datetime
from typing import Optional

from kivy.clock import Clock
from kivy.properties import AliasProperty, BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from protocol import officetime

__all__ = ["CheckInScreen", "CheckInController", "MIN_DIGITS", "MAX_DIGITS", "refusal_text"]

log = logging.getLogger("kiosk.ui")

#: The office's codes are 4-8 digits (office/appointments.py).
MIN_DIGITS, MAX_DIGITS = 4, 8


class CheckInScreen(Screen):
    """The keypad, the digits typed, and what the office said of the last code."""

    prefix = StringProperty()   # the check-in service's letter
    code = StringProperty()     # the digits typed so far
    message = StringProperty()  # why the last code checked nothing in ("" before any)
    busy = BooleanProperty(False)  # asking the office and printing: the keys wait
    too_short = BooleanProperty(False)  # 確定 with fewer than MIN_DIGITS: the intro says so, the keys stay
    #: The digits spaced to be checked one by one, or blanks for the four at least a code has.
    shown_code = AliasProperty(lambda self: " ".join(self.code) if self.code else "_ _ _ _", bind=("code",),
                               cache=True)

    def press(self, key: str) -> None:
        if self.busy:
            return
        if key == "delete":
            self.code = self.code[:-1]
        elif key.isdigit() and len(self.code) < MAX_DIGITS:
            self.code += key
        self.too_short = False


def _when(moment: Optional[datetime], now: datetime) -> str:
    """An appointment's time as the screen says it: 10:00 today, 115/12/08 10:00 another day."""
    if moment is None:
        return ""
    if officetime.office_day(moment) == officetime.office_day(now):
        return moment.strftime("%H:%M")
    return f"{officetime.roc_short(officetime.office_day(moment))} {moment.strftime('%H:%M')}"


def refusal_text(t, exc, now: datetime) -> str:
    """What the screen says of a code the office checked nothing in for (``t``: the app's ``t``)."""
    return t(f"checkin.refused_{exc.reason}", when=_when(exc.at, now), opens=_when(exc.opens, now),
             number=exc.number or "")


class CheckInController:
    """What the check-in screen does, for the app (``app.checkin``)."""

    def __init__(self, app):
        self.app = app

    def open(self, prefix: str) -> None:
        screen = self.app.manager.get_screen("checkin")
        screen.prefix, screen.code, screen.message, screen.busy, screen.too_short = prefix, "", "", False, False
        self.app.show("checkin")

    def submit(self) -> None:
        """確定: check the code in and print its ticket, off the main thread (the office and the printer)."""
        app = self.app
        screen = app.manager.get_screen("checkin")
        if screen.busy or app.printer_busy or app.services is None:
            return
        if len(screen.code) < MIN_DIGITS:
            screen.too_short = True
            return
        screen.busy = app.printer_busy = True
        threading.Thread(target=self._check_in, args=(screen.prefix, screen.code, app.lang), name="check-in",
                         daemon=True).start()

    def _check_in(self, prefix: str, code: str, lang: str) -> None:
        from ..tickets import CheckInRefused, TicketPrintFailed, TicketRefused

        hardware = self.app.hardware
        simulated = hardware.simulated_printer if hardware is not None else None
        before = len(simulated.received) if simulated is not None else 0
        try:
            ticket, booked = self.app.services.tickets.check_in(prefix, code, lang=lang)
            outcome = ("ok", ticket.label, None, booked)
        except CheckInRefused as exc:
            outcome = ("checkin", "", exc, None)
        except TicketRefused as exc:
            outcome = ("refused", "", exc.reason, None)
        except TicketPrintFailed as exc:
            outcome = ("failed", exc.ticket.label, None, None)
        except Exception:
            log.exception("check-in at %s failed", prefix)
            outcome = ("checkin", "", None, None)
        kind, label, why, booked = outcome
        paper = bytes(simulated.received[before:]) if simulated is not None and kind == "ok" else b""
        Clock.schedule_once(lambda _dt: self.show_outcome(prefix, kind, label, why, paper, booked))

    def show_outcome(self, prefix: str, kind: str, label: str, why, paper: bytes, booked=None) -> None:
        """On the main thread: the ticket (the taken screen, saying the appointment), a ticket refusal as any
        tile's, or the office's answer on the keypad screen (the code kept to be corrected if it was unknown)."""
        from ..office_numbers import CheckInRefused

        app = self.app
        screen = app.manager.get_screen("checkin")
        screen.busy = False
        if kind != "checkin":
            note = (app.t("checkin.taken", time=booked.at.strftime("%H:%M"), service=booked.service.name_in(app.lang))
                    if booked is not None else "")
            app.tickets.show_outcome(prefix, kind, label, why, paper, note=note)
            return
        app.printer_busy = False
        refused = why if why is not None else CheckInRefused("offline", "the check-in failed")
        screen.message = refusal_text(app.t, refused, officetime.now())
        if refused.reason != "unknown":
            screen.code = ""
        app.show("checkin", return_home_after=60)
