"""
Ticket screens
==============

抽號碼牌: one large tile per service with its letter, its name, how many
are waiting and, when the office server's data is fresh, about how long
(``TicketScreen``); after a tap, the number taken and, on a
simulated printer, the ticket as it would come out of the printer
(``TakenScreen``); or a polite notice when no number can be handed out
(closed, full for today, printer trouble), or when the ticket did not print
and the resident must remember the number.  Layout in ``ticket.kv``.

``TicketController`` (``app.tickets``) is what these screens do: the tiles'
state, taking a number off the main thread (the printer is slow), the
office's queue figures; the rules are in ``kiosk/tickets.py``.
"""

import logging
import threading
from datetime import datetime
from typing import Optional

from kivy.clock import Clock
from kivy.properties import (AliasProperty, BooleanProperty, ListProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from PIL import Image

from protocol import officetime
from protocol.officetime import office_day

from .. import fonts
from ..i18n import messages as messages_in
from ..ticket_layout import minutes_text
from ..speech import spoken_language
from ..ticketing_pause import ticketing_paused
from ..voice_guide import sentences, spelled, ticket_speech

__all__ = ["ServiceTile", "TicketScreen", "TakenScreen", "TicketController", "reopens_text", "DOUBLE_TAP_SECONDS"]

log = logging.getLogger("kiosk.ui")

#: Taps on the ticket screen this soon after a ticket are the same resident's double tap.
DOUBLE_TAP_SECONDS = 1.5


def reopens_text(opening: Optional[datetime], now: datetime, lang: str) -> str:
    """When a closed or full service hands out numbers again, as its tile says it.

    今天 13:30 再開放 / Opens today 13:30, 明天 08:00 再開放 / Opens tomorrow 08:00,
    週一 08:00 再開放 / Opens Mon 08:00; "" when it never opens (``Service.next_opening``).
    """
    if opening is None:
        return ""
    messages = messages_in(lang)
    days = (office_day(opening) - office_day(now)).days
    hhmm = opening.strftime("%H:%M")
    if days == 0:
        return messages.text("ticket.opens_today", time=hhmm)
    if days == 1:
        return messages.text("ticket.opens_tomorrow", time=hhmm)
    weekday = messages.text("ticket.weekdays").split()[office_day(opening).weekday()]
    return messages.text("ticket.opens_on", day=weekday, time=hhmm)


class ServiceTile(ButtonBehavior, BoxLayout):
    """One service: its letter, its name in the screen's language, how many people are waiting, and the
    estimated wait when known."""

    prefix = StringProperty()
    service = ObjectProperty(None, allownone=True)  # the Service: its name_in(app.lang) is the tile's name
    waiting = NumericProperty(0)
    estimate = StringProperty()   # "3–8" minutes from the office server's fresh data; "" when not known
    state_key = StringProperty()  # "" when open, else the message key saying why not (ticket.closed, ticket.full)
    compact = BooleanProperty(False)  # set in ticket.kv: a long name, so the estimate replaces the count
    needed = NumericProperty(0)  # set in ticket.kv: the least height that shows its texts (compact if need be)
    opens_at = ObjectProperty(None, allownone=True)    # closed or full: when numbers are handed out again
    checked_at = ObjectProperty(None, allownone=True)  # when opens_at was worked out (today, tomorrow...)

    def voice_labels(self):
        """The tile's texts in the order the voice guide says them: letter, name, waiting (or closed), the rest."""
        ids = self.ids
        return [ids.letter, ids.name, ids.waiting, ids.bottom]


class TicketScreen(Screen):
    """The services as tiles; ``refresh()`` updates the waiting counts and which are open."""

    services = ListProperty()   # Service objects, in the config's order
    tallest = NumericProperty(0)  # the most any tile needs (ServiceTile.needed): mounted high, rows are this tall

    def on_kv_post(self, _base_widget):
        self.on_services(self, self.services)

    def on_services(self, _instance, services):
        grid = self.ids.get("tiles")
        if grid is None:
            return
        grid.clear_widgets()
        for service in services:
            tile = ServiceTile(prefix=service.prefix, service=service)
            tile.bind(needed=self._measure)
            grid.add_widget(tile)
        self._measure()

    def _measure(self, *_args):
        self.tallest = max((tile.needed for tile in self.ids.tiles.children), default=0)

    def tiles(self):
        return self.ids.tiles.children[::-1]


class TakenScreen(Screen):
    """The number just taken, or why there is none."""

    label = StringProperty()        # A012, or "" when no number was taken
    message = StringProperty()      # what to do; "" for a ticket that printed
    spoken = StringProperty()       # what the voice guide says: the ticket's content, or the message
    ok = BooleanProperty(True)
    ticket_texture = ObjectProperty(None, allownone=True)  # the simulated printer's paper, as the emulator drew it
    #: A ticket printed with something to say (a number the kiosk gave alone), beside its paper: the message
    #: needs the room, so the caption goes and the number is smaller (ticket.kv).
    crowded = AliasProperty(lambda self: bool(self.ok and self.message and self.ticket_texture),
                            bind=("ok", "message", "ticket_texture"), cache=True)


def paper_texture(data: bytes, config):
    """The simulated printer's paper for ``data``, drawn by the emulator, as a Kivy texture."""
    from kivy.graphics.texture import Texture

    from hardware.printer.emulator import render
    from hardware.printer.escpos import dots_for_paper

    image = render(data, width_dots=dots_for_paper(config.printer.paper_mm),
                   font_path=str(fonts.font_files()["regular"]), encoding=config.printer.encoding).convert("RGB")
    texture = Texture.create(size=image.size, colorfmt="rgb")
    texture.blit_buffer(image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).tobytes(), colorfmt="rgb", bufferfmt="ubyte")
    return texture


class TicketController:
    """What the ticket screens do, for the app (``app.tickets``); the rules are in ``kiosk/tickets.py``."""

    def __init__(self, app):
        self.app = app
        self._quiet_until = 0.0
        self._queue_asking = False  # a queue status question is out (kiosk/queue_status.py)

    def refresh_tiles(self) -> None:
        """Waiting counts, and which services are closed or full, on the ticket screen's tiles."""
        app, services = self.app, self.app.services
        now = officetime.now()
        for tile in app.manager.get_screen("ticket").tiles():
            service = app.kiosk_config.service(tile.prefix)
            issued = services.tickets.issued_today(tile.prefix) if services else 0
            outlook = services.tickets.outlook(tile.prefix) if services else None
            tile.waiting = outlook.ahead if outlook else 0
            tile.estimate = minutes_text(outlook.estimate) if outlook and outlook.estimate else ""
            tile.state_key = ("ticket.paused" if services and ticketing_paused(services.store) else
                              "ticket.closed" if not service.open_at(now) else
                              "ticket.full" if service.daily_limit and issued >= service.daily_limit else "")
            tile.checked_at, tile.opens_at = now, (service.next_opening(now, next_day=tile.state_key == "ticket.full")
                                                   if tile.state_key in ("ticket.closed", "ticket.full") else None)

    def take(self, prefix: str) -> None:
        """A service tile was tapped: take a number and print it, off the main thread (the printer is slow)."""
        app = self.app
        if app.services is None or app.printer_busy or app.monotonic() < self._quiet_until:
            return  # a second tap while the first ticket prints, or just after, is not a second ticket
        if app.kiosk_config.service(prefix).check_in and app.services.tickets.numbers is not None:
            app.checkin.open(prefix)  # 預約報到: the code first (checkin.py); without a server, a plain number
            return
        app.printer_busy = True
        threading.Thread(target=self._issue, args=(prefix, app.lang), name="ticket", daemon=True).start()

    def _issue(self, prefix: str, lang: str) -> None:
        from ..tickets import TicketPrintFailed, TicketRefused

        hardware = self.app.hardware
        simulated = hardware.simulated_printer if hardware is not None else None
        before = len(simulated.received) if simulated is not None else 0
        try:
            estimate = self.app.services.tickets.outlook(prefix).estimate  # as the ticket prints it
            ticket = self.app.services.tickets.issue(prefix, lang=lang)
            outcome = ("ok", ticket.label, None, ticket.people_ahead, estimate)
        except TicketRefused as exc:
            outcome = ("refused", "", exc.reason, None, None)
        except TicketPrintFailed as exc:
            outcome = ("failed", exc.ticket.label, None, None, None)
        except Exception:
            log.exception("ticket for %s failed", prefix)
            outcome = ("refused", "", "printer", None, None)
        kind, label, reason, ahead, estimate = outcome
        paper = bytes(simulated.received[before:]) if simulated is not None and kind == "ok" else b""
        Clock.schedule_once(lambda _dt: self.show_outcome(prefix, kind, label, reason, paper, ahead, estimate))

    def show_outcome(self, prefix: str, kind: str, label: str, reason: Optional[str], paper: bytes,
                     ahead: Optional[int] = None, estimate=None, note: str = "") -> None:
        """On the main thread, after a tap (or for a picture of it): the number taken (``kind`` ok), a ticket that
        did not print (failed), or why there is none (refused, ``reason``); ``paper``: the simulated printer's;
        ``ahead`` and ``estimate``: as printed on the ticket, for the voice guide; ``note``: what to say beside a
        ticket that printed (an appointment's time, checkin.py)."""
        app = self.app
        app.printer_busy = False
        app.services.uploader.wake()  # the ticket (or the fault) goes to the office soon
        self._quiet_until = app.monotonic() + DOUBLE_TAP_SECONDS
        screen = app.manager.get_screen("taken")
        service = app.kiosk_config.service(prefix).name_in(app.lang)
        screen.label = label
        screen.ok = kind == "ok"
        alone = kind == "ok" and app.services.tickets.numbered_alone(label)  # the counters cannot see it yet
        screen.message = {"ok": note or (app.t("ticket.alone") if alone else ""), "failed": app.t("ticket.print_failed"),
                          "refused": app.t(f"ticket.refused_{reason}", service=service) if reason else ""}[kind]
        screen.ticket_texture = paper_texture(paper, app.kiosk_config) if paper else None
        lang = spoken_language(app.lang)
        screen.spoken = (ticket_speech(lang, label, app.kiosk_config.service(prefix).name_in(lang), ahead,
                                       minutes_text(estimate) if estimate else "") if kind == "ok" and not note else
                         sentences([f"{app.t('ticket.your_number', lang)}: {spelled(label)}", screen.message], lang) if label else
                         screen.message)
        app.show("taken", return_home_after=12 if kind == "ok" else 20)

    def refresh_queue(self) -> None:
        """Ask the office server how many wait and how fast they are served, off the main thread (one at a time)."""
        if self._queue_asking:
            return  # the last question is still out (a slow network): do not pile threads up

        def work():
            try:
                answer = self.app.services.queue.refresh()
            finally:
                self._queue_asking = False
            if answer == "updated":
                Clock.schedule_once(lambda _dt: self.refresh_tiles() if self.app.manager.current == "ticket" else None)
        self._queue_asking = True
        threading.Thread(target=work, name="queue-status", daemon=True).start()
