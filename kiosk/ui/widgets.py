"""
Shared widgets
==============

``Tile`` (a big coloured touch target on the home screen), ``BigButton``,
``Header`` (office name or screen title, the ROC clock, the language switch)
and ``Marquee`` (the 電子字幕機 strip).  Their look is in ``widgets.kv``;
sizes there are in ``app.u``, one hundredth of the screen's short side, so
the same layout works from 800x480 to 1920x1080.
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ColorProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.stencilview import StencilView

__all__ = ["Tile", "BigButton", "Header", "Marquee"]

#: Separator between announcements on the marquee (full-width spaces read well in CJK).
MARQUEE_GAP = "\u3000\u3000◆\u3000\u3000"


class Tile(ButtonBehavior, BoxLayout):
    """A large touch target: a title and a one-line hint on a solid colour."""

    title = StringProperty()
    hint = StringProperty()
    icon = StringProperty()  # "ticket", "forms" or "rating": drawn in widgets.kv
    color = ColorProperty((0.08, 0.4, 0.75, 1))

    def on_icon(self, _instance, name):
        box = self.ids.icon_box
        box.clear_widgets()
        box.add_widget(Factory.get(f"{name.capitalize()}Icon")())


class BigButton(ButtonBehavior, Label):
    """A button sized for a finger (at least 12 mm on the 7-inch display)."""

    color_bg = ColorProperty((1, 1, 1, 1))


class Header(BoxLayout):
    """The top bar of every screen."""

    title = StringProperty()
    show_back = BooleanProperty(False)
    back_to = StringProperty("home")  # the screen the back button returns to


class Marquee(StencilView):
    """Announcements scrolling right to left, one after another, forever."""

    messages = ListProperty()
    speed = NumericProperty(80)  # pixels per second
    shift = NumericProperty(0)  # where the text starts, from the strip's left edge
    text = StringProperty()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._event = None

    def on_messages(self, _instance, messages):
        self.text = MARQUEE_GAP.join(messages)
        self.shift = 0  # the first announcement starts readable, at the left edge

    def start(self):
        if self._event is None:
            self._event = Clock.schedule_interval(self.step, 1 / 30)

    def stop(self):
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def step(self, dt):
        """Move the text left; once it has gone, bring it back in from the right edge."""
        self.shift -= self.speed * dt
        if self.shift < -self.ids.label.texture_size[0]:
            self.shift = self.width
