"""
Rating screens
==============

服務評價: the same scale as the arcade buttons, drawn as large faces with
their labels (``RatingScreen``); after a rating, a thank-you
(``ThanksScreen``) that returns home by itself; after a negative rating, an
optional "why?" (``ReasonScreen``) with five big answers and a skip.
Layout in ``rating.kv``.  The screens call ``RatingController``
(``app.ratings``), which calls the rating service; a rating stored by a
button, on gpiozero's thread, reaches these screens through the
controller's step after a rating (``Services.after_rating_steps``), which
hands over to Kivy's main thread.
"""

import logging
from typing import Optional

from kivy.clock import Clock
from kivy.properties import (BooleanProperty, ColorProperty, ListProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from protocol.ratings import Scale

from ..errors import StoreError

__all__ = ["Face", "FaceButton", "TicketToggle", "RatingScreen", "ThanksScreen", "ReasonScreen", "RatingController",
           "face_colour", "shown_problems"]

log = logging.getLogger("kiosk.ui")

#: Face colours from best to worst: green, light green, amber, orange, red (the arcade buttons' colours).
COLOURS = {1.0: (0.16, 0.6, 0.24, 1), 0.5: (0.5, 0.72, 0.2, 1), 0.0: (0.96, 0.7, 0.08, 1),
           -0.5: (0.93, 0.45, 0.1, 1), -1.0: (0.82, 0.18, 0.14, 1)}


#: Problems of the setup file shown on its out-of-service screen; the rest are counted (kiosk config check lists them).
SHOWN_PROBLEMS = 4


def shown_problems(problems: str, lang: str) -> str:
    """The setup file's first problems, one a line, and how many more: the staff panel stays on the screen."""
    from kivy.app import App

    lines = [line for line in problems.splitlines() if line.strip()]
    shown = lines[:SHOWN_PROBLEMS]
    if len(lines) > SHOWN_PROBLEMS:
        shown.append(App.get_running_app().t("setup.more", lang, count=len(lines) - SHOWN_PROBLEMS))
    return "\n".join(shown)


def face_colour(mood):
    return COLOURS[min(COLOURS, key=lambda m: abs(m - mood))]


class Face(Widget):
    """A round face drawn with canvas instructions; ``mood`` 1 smiles broadly, -1 frowns."""

    mood = NumericProperty(0)
    color = ColorProperty((0.96, 0.7, 0.08, 1))


class FaceButton(ButtonBehavior, BoxLayout):
    """A face and its label: one choice of the scale."""

    index = NumericProperty(0)
    mood = NumericProperty(0)
    label = StringProperty()
    compact = BooleanProperty(False)  # five faces in a row: smaller labels, so no word is broken


class TicketToggle(ButtonBehavior, BoxLayout):
    """評價號碼 A012 的服務: a tick box under the faces; ticked, the rating names this resident's ticket."""

    active = BooleanProperty(False)
    text = StringProperty()


class RatingScreen(Screen):
    """One FaceButton per choice of the configured scale, best on the left like the buttons.

    The question (rating.intro) always comes first and large.  Under the faces,
    only when this kiosk handed out a ticket in the last ``ratings.ticket_minutes``
    and nobody rated with it yet: one small toggle naming that newest ticket,
    unticked.  Ticked, the rating names that ticket and its service.  Never a
    list: older tickets are other residents' numbers.
    """

    choices = ListProperty()  # [(key, mood), ...] best first
    ticket = StringProperty()  # the newest ticket taken here lately (A012), "" for none
    ticket_service = StringProperty()  # its service's prefix (A)
    link = BooleanProperty(False)  # the resident ticked "this is about ticket A012"
    hint_key = StringProperty("rating.buttons_hint")  # where the rating buttons are; "" when there are none
    hint_counter = StringProperty()  # the counter they stand at, for rating.buttons_hint_counter

    def on_ticket(self, _instance, _ticket):
        self.link = False  # a new ticket (or none) is never ticked for the resident

    def on_kv_post(self, _base_widget):
        self.on_choices(self, self.choices)

    def on_choices(self, _instance, choices):
        row = self.ids.get("faces")
        if row is None:  # set before the kv rule has built the screen: on_kv_post comes back
            return
        row.clear_widgets()
        for index, (key, mood) in enumerate(choices):
            row.add_widget(FaceButton(index=index, mood=mood, label=key, compact=len(choices) > 3))


class ThanksScreen(Screen):
    """謝謝您的寶貴意見, the face chosen; or, if the rating could not be stored, what to do."""

    mood = NumericProperty(0)
    choice = StringProperty()   # the choice's key, for its label
    saved = BooleanProperty(True)


class ReasonScreen(Screen):
    """Why was the resident not satisfied?  One tap links the answer to the rating."""

    rating = ObjectProperty(None, allownone=True)  # the Rating the answer belongs to


class RatingController:
    """What the rating screens do, for the app (``app.ratings``); the rules are in ``kiosk/ratings.py``."""

    def __init__(self, app):
        self.app = app
        services = app.services
        self.scale = services.ratings.scale if services else Scale.of_size(len(app.kiosk_config.buttons.pins))
        if services is not None:
            # Called on whichever thread recorded the rating; hand over to Kivy's.
            services.show_rating = lambda rating: Clock.schedule_once(lambda _dt: self.on_rated(rating))
            services.ratings.on_fault.append(lambda message: Clock.schedule_once(lambda _dt: self.on_rating_lost()))

    def prepare_screen(self) -> None:
        """Before the rating screen shows: this resident's ticket, if any, and where the rating buttons are.

        Only the newest ticket taken here in the last ``ratings.ticket_minutes``, and only while no rating
        names it yet: an older ticket, or one already rated, is most likely a stranger's number.
        """
        app = self.app
        screen = app.manager.get_screen("rating")
        ratings = app.kiosk_config.ratings
        own = app.services.tickets.newest_unrated(ratings.ticket_minutes) if app.services else None
        screen.ticket, screen.ticket_service = (own.label, own.prefix) if own else ("", "")
        screen.link = False
        # Where the arcade buttons are: at a counter (a whole-number location), else under this screen;
        # no hint at all when the kiosk has no working buttons (no GPIO: residents rate on the screen).
        location = ratings.location.strip()
        if app.hardware is not None and app.hardware.buttons is None:
            screen.hint_key, screen.hint_counter = "", ""
        elif location.isdigit():
            screen.hint_key, screen.hint_counter = "rating.buttons_hint_counter", location
        else:
            screen.hint_key, screen.hint_counter = "rating.buttons_hint", ""

    def rate_touch(self, index: int) -> None:
        """A face was tapped: record it (the step after a rating then shows what follows).

        It names the ticket only if the resident ticked "this is about ticket A012" (never by default).
        """
        services = self.app.services
        if services is None:
            return
        screen = self.app.manager.get_screen("rating")
        linked = screen.link and bool(screen.ticket)
        try:
            services.ratings.rate(index, "touch", service=screen.ticket_service if linked else None,
                                  ticket=screen.ticket if linked else "")
        except StoreError:
            pass  # the fault listener shows the resident what to do
        else:
            if linked:
                screen.ticket, screen.ticket_service = "", ""  # rated: not offered to the next resident
        screen.link = False

    def on_rated(self, rating) -> None:
        """On the main thread, once a rating is on disk: the why-question or the thank-you."""
        ratings = self.app.kiosk_config.ratings
        if rating.negative and ratings.follow_up and not rating.misuse:
            self.app.manager.get_screen("reason").rating = rating
            self.app.show("reason", return_home_after=ratings.follow_up_timeout)
        else:
            self.thank(rating.choice.key, rating.choice.mood)

    def thank(self, choice: str, mood: float, saved: bool = True) -> None:
        screen = self.app.manager.get_screen("thanks")
        screen.choice, screen.mood, screen.saved = choice, mood, saved
        # A message asking the resident to tell the staff stays up longer than a thank-you.
        seconds = self.app.kiosk_config.ratings.thank_you_seconds
        self.app.show("thanks", return_home_after=seconds if saved else max(seconds, 10))

    def on_rating_lost(self) -> None:
        """A rating could not be stored (disk full...): say so where the resident looks."""
        self.thank("", 0, saved=False)

    def answer_reason(self, reason: Optional[str]) -> None:
        """The answer to the why-question (None: skipped), linked to its rating."""
        screen = self.app.manager.get_screen("reason")
        rating, screen.rating = screen.rating, None
        if rating is None:  # a second tap after the first one already answered
            return
        if reason is not None and self.app.services is not None:
            try:
                self.app.services.ratings.set_reason(rating.id, reason)
            except Exception:  # the rating itself is safe; losing the reason is not worth a scary screen
                log.exception("could not store the reason for rating %s", rating.id)
        self.thank(rating.choice.key, rating.choice.mood)
