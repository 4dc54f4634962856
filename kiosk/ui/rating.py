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

__all__ = ["Face", "FaceButton", "TicketChip", "RatingScreen", "ThanksScreen", "ReasonScreen", "face_colour"]

#: Face colours from best to worst: green, light green, amber, orange, red (the arcade buttons' colours).
COLOURS = {1.0: (0.16, 0.6, 0.24, 1), 0.5: (0.5, 0.72, 0.2, 1), 0.0: (0.96, 0.7, 0.08, 1),
           -0.5: (0.93, 0.45, 0.1, 1), -1.0: (0.82, 0.18, 0.14, 1)}


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


class TicketChip(ButtonBehavior, BoxLayout):
    """A ticket recently taken here (A012 戶籍登記); tapping it says "this rating is about that visit"."""

    label = StringProperty()
    prefix = StringProperty()
    picked = BooleanProperty(False)


class RatingScreen(Screen):
    """One FaceButton per choice of the configured scale, best on the left like the buttons.

    Above them, the tickets taken here in the last ``ratings.ticket_minutes``: a
    resident may pick theirs, and the rating then names that ticket and service.
    """

    choices = ListProperty()  # [(key, mood), ...] best first
    recent = ListProperty()   # [(label, prefix), ...] newest first
    picked = StringProperty() # the label of the ticket picked, "" for none

    def on_recent(self, _instance, recent):
        row = self.ids.get("tickets")
        if row is None:
            return
        row.clear_widgets()
        for label, prefix in recent:
            row.add_widget(TicketChip(label=label, prefix=prefix))
        self.picked = ""

    def on_picked(self, _instance, picked):
        for chip in self.ids.tickets.children:
            chip.picked = chip.label == picked

    def pick(self, label):
        self.picked = "" if self.picked == label else label

    def on_kv_post(self, _base_widget):
        self.on_choices(self, self.choices)
        self.on_recent(self, self.recent)

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
