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
"""

from datetime import datetime
from typing import Optional

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from ..i18n import messages as messages_in
from protocol.officetime import office_day

__all__ = ["ServiceTile", "TicketScreen", "TakenScreen", "reopens_text"]


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
    """One service: its letter, its name, how many people are waiting, and the estimated wait when known."""

    prefix = StringProperty()
    name_zh = StringProperty()
    name_en = StringProperty()
    waiting = NumericProperty(0)
    estimate = StringProperty()   # "3–8" minutes from the office server's fresh data; "" when not known
    state_key = StringProperty()  # "" when open, else the message key saying why not (ticket.closed, ticket.full)
    compact = BooleanProperty(False)  # set in ticket.kv: a long name, so the estimate replaces the count
    opens_at = ObjectProperty(None, allownone=True)    # closed or full: when numbers are handed out again
    checked_at = ObjectProperty(None, allownone=True)  # when opens_at was worked out (today, tomorrow...)


class TicketScreen(Screen):
    """The services as tiles; ``refresh()`` updates the waiting counts and which are open."""

    services = ListProperty()   # Service objects, in the config's order

    def on_kv_post(self, _base_widget):
        self.on_services(self, self.services)

    def on_services(self, _instance, services):
        grid = self.ids.get("tiles")
        if grid is None:
            return
        grid.clear_widgets()
        for service in services:
            grid.add_widget(ServiceTile(prefix=service.prefix, name_zh=service.name, name_en=service.name_en))

    def tiles(self):
        return self.ids.tiles.children[::-1]


class TakenScreen(Screen):
    """The number just taken, or why there is none."""

    label = StringProperty()        # A012, or "" when no number was taken
    message = StringProperty()      # what to do; "" for a ticket that printed
    ok = BooleanProperty(True)
    ticket_texture = ObjectProperty(None, allownone=True)  # the simulated printer's paper, as the emulator drew it
