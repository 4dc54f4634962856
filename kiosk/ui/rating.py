"""
Rating screens
==============

服務評價: the same scale as the arcade buttons, drawn as large faces with
their labels (``RatingScreen``); after a rating, a thank-you
(``ThanksScreen``) that returns home by itself; after a negative rating, an
optional "why?" (``ReasonScreen``) with five big answers and a skip.
Layout in ``rating.kv``.  The screens only call the app; the app calls the
rating service.
"""

from kivy.properties import (BooleanProperty, ColorProperty, ListProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

__all__ = ["Face", "FaceButton", "TicketToggle", "RatingScreen", "ThanksScreen", "ReasonScreen", "face_colour", "shown_problems"]

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
