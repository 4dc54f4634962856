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

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

__all__ = ["ServiceTile", "TicketScreen", "TakenScreen"]


class ServiceTile(ButtonBehavior, BoxLayout):
    """One service: its letter, its name, how many people are waiting, and the estimated wait when known."""

    prefix = StringProperty()
    name_zh = StringProperty()
    name_en = StringProperty()
    waiting = NumericProperty(0)
    estimate = StringProperty()   # "3–8" minutes from the office server's fresh data; "" when not known
    crowded = BooleanProperty(False)  # set in ticket.kv: a long name and an estimate share the tile
    state_key = StringProperty()  # "" when open, else the message key saying why not (ticket.closed, ticket.full)


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
