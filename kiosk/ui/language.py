"""
The language picker
===================

The kiosk speaks every language of ``settings.LANGUAGES``.  A resident picks
one with one tap on its own name in its own script ("中文", "English",
"Tiếng Việt"...: ``app.language_name`` of that language's catalogue), never a
flag: a flag is a country, and the person who needs the picker may not read
the language on screen.  The picker is written for LANGUAGES, whatever it
holds, and shows in two places:

- ``LanguageRow``: the home screen's row under the greeting, one button per
  language, all as wide as the longest name needs (shrinking to share the
  row when there are many), the current one filled in;
- ``LanguageScreen`` (name "language"): every other screen's header has a
  language button (the word "Language" in the current language beside a
  drawn globe, ``widgets.kv``) that opens this screen of big buttons;
  choosing one switches and returns to the screen the resident came from.

Both call the app (``app.choose_language``, ``app.open_languages``): the
language is the app's, and the idle timeout returns home in
``kiosk.language`` from here as from any screen.  Layout in ``language.kv``.
"""

from __future__ import annotations

import math

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen

from ..i18n import messages
from ..settings import LANGUAGES
from .widgets import WrapLabel

__all__ = ["LanguageChoice", "LanguageRow", "LanguageGrid", "LanguageScreen", "language_name"]


def language_name(lang: str) -> str:
    """The language's own name in its own script ("中文", "English"): its catalogue's ``app.language_name``."""
    return messages(lang).text("app.language_name")


class LanguageChoice(ButtonBehavior, WrapLabel):
    """One language, by its own name; filled in when it is the one on screen (``selected``)."""

    lang = StringProperty()
    selected = BooleanProperty(False)
    font_units = NumericProperty(4.6)  # the largest text size, in app.u; the name shrinks to fit its button

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.text = language_name(self.lang)

    def on_release(self):
        App.get_running_app().choose_language(self.lang)

    def natural_width(self) -> float:
        """How wide the name is on one line at its largest size, padding included."""
        measure = self._measure(self.max_font_size or self.font_size)
        return measure(self.text) + self.padding[0] + self.padding[2] + 2


class LanguageRow(BoxLayout):
    """The home screen's row: one ``LanguageChoice`` per language, in LANGUAGES order, centred."""

    available = NumericProperty(0)  # the width the row may take (its parent's, less the margins)
    min_choice_width = NumericProperty(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._fit_trigger = Clock.create_trigger(self._fit, -1)
        for lang in LANGUAGES:
            choice = LanguageChoice(lang=lang, size_hint_x=None)
            choice.bind(max_font_size=self._fit_trigger)
            self.add_widget(choice)
        for name in ("available", "min_choice_width", "spacing", "padding"):
            self.fbind(name, self._fit_trigger)

    @property
    def choices(self):
        return list(reversed(self.children))  # Kivy keeps children last-added first

    def _fit(self, *_args) -> None:
        """Every button as wide as the longest name needs, but no wider than an equal share of the row."""
        choices = self.choices
        if not choices or self.available <= 0:
            return
        spacing = self.spacing if isinstance(self.spacing, (int, float)) else self.spacing[0]
        share = (self.available - self.padding[0] - self.padding[2] - spacing * (len(choices) - 1)) / len(choices)
        width = min(share, max([self.min_choice_width] + [c.natural_width() for c in choices]))
        for choice in choices:
            choice.width = width
        self.width = width * len(choices) + spacing * (len(choices) - 1) + self.padding[0] + self.padding[2]


class LanguageGrid(GridLayout):
    """The language screen's big buttons: one column per language up to three, then rows of two or three."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        count = len(LANGUAGES)
        self.cols = count if count <= 3 else (2 if count == 4 else 3)
        self.rows = math.ceil(count / self.cols)
        for lang in LANGUAGES:
            self.add_widget(LanguageChoice(lang=lang, font_units=7))

    @property
    def choices(self):
        return list(reversed(self.children))


class LanguageScreen(Screen):
    """Every language in big buttons; the header's back button, or a choice, returns to ``back_to``."""

    back_to = StringProperty("home")  # the screen the resident opened the picker from (app.open_languages)
