"""
The voice guide on the screens
==============================

``VoiceController`` (``app.voice``) runs the voice guide (``kiosk/voice_guide.py``) over the screens as they
are: a screen's choices are its own buttons, found in the widget tree in the order the kv file lays them out
(the screen's content first, then the bar's: back, language), each said by the text it shows; choosing one
presses it as a tap would (``trigger_action``).  So the guide offers exactly what the screen offers, in every
language, and a new button on a screen is in the guide without a line here.  What a screen says on arrival
(``screen_news``: the ticket just taken, the thank-you) and the guide's own choices (louder, softer, stop;
hear it again) are the only things written for it.

Threads: a button held or pressed comes on gpiozero's thread; ``held`` and ``takes_press`` only read a flag
and hand over to Kivy's main thread.  The voice guide never starts in a picture of the screens (``app.live``
False) or without rating buttons.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import List

from kivy.clock import Clock
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label

from ..speech import VOICES, Speech
from ..voice_guide import Choice, VoiceGuide, button_roles, sentences
from .language import LanguageChoice
from .widgets import Header, NavButton

__all__ = ["VoiceController", "screen_choices", "spoken_text"]

log = logging.getLogger("kiosk.ui")

#: Signs drawn before a button's word (the back button's arrow) that are not said.
_UNSAID = re.compile(r"[←→↑↓]")


def _shown(widget) -> bool:
    return not widget.disabled and widget.opacity > 0 and widget.width > 0 and widget.height > 0


def spoken_text(widget) -> str:
    """What a button says: its own text, or the texts of the labels inside it, in layout order (or in the
    order its ``voice_labels()`` gives)."""
    if isinstance(widget, Label):
        texts = [widget.text]
    elif hasattr(widget, "voice_labels"):  # its own order (a ticket tile: the name before the waiting count)
        texts = [label.text for label in widget.voice_labels() if _shown(label)]
    else:
        texts = [child.text for child in widget.walk(restrict=True)
                 if isinstance(child, Label) and child is not widget and _shown(child)]
    said = [" ".join(_UNSAID.sub(" ", text).split()) for text in texts]
    return ", ".join(text for text in said if text)


def screen_choices(screen) -> List[Choice]:
    """The buttons a resident can press on ``screen``, as choices: its content first, then the bar's (NavButton)."""
    content: List[Choice] = []
    header: List[Choice] = []

    def walk(widget) -> None:
        for child in reversed(widget.children):  # Kivy keeps children last-added first
            if not _shown(child):
                continue
            if isinstance(child, ButtonBehavior):
                lang = child.lang if isinstance(child, LanguageChoice) else None
                if lang is not None and lang not in VOICES:
                    continue  # a language the guide cannot speak (Filipino): the guide speaks English for it
                text = spoken_text(child)
                if text and text not in [c.text for c in content + header]:  # the same "back" twice is one
                    # the bar's buttons (back, language, large text: in the header, or mounted high in the
                    # bottom bar) after the screen's own, wherever they are drawn
                    (header if isinstance(child, NavButton) or lang else content).append(
                        Choice(text, partial(child.trigger_action, 0), lang=lang))
                continue
            walk(child)

    walk(screen)
    return content + header


def screen_place(screen) -> str:
    """Where the resident is: the screen's header title."""
    header = next((w for w in screen.walk(restrict=True) if isinstance(w, Header)), None)
    return header.title if header is not None else ""


def screen_news(app, screen) -> str:
    """What a screen says on arrival besides its title: its introduction, or what just happened."""
    name, ids = screen.name, screen.ids
    if name == "taken":
        return screen.spoken
    if name == "thanks":
        return sentences([ids.title.text, ids.your_rating.text], app.lang)
    if name == "form":  # the form's title (the header says only 下載書表), then how its slip went
        title = screen.form.title_in(app.lang) if screen.form is not None else ""
        return sentences([title, screen.slip_message], app.lang)
    if name == "checkin":  # the office's answer to the code; else what to type, and what is typed so far
        return screen.message or sentences(
            [app.t("checkin.too_short" if screen.too_short else "checkin.intro"), " ".join(screen.code)], app.lang)
    if name == "home":
        return app.t("home.greeting")
    if name == "setup_error":
        return sentences([app.t("setup.title"), app.t("setup.hint")], app.lang)
    intro = ids.get("intro")
    return intro.text if intro is not None else ""


class VoiceController:
    """The voice guide over the screens (``app.voice``); see the module's docstring."""

    #: Screens after which "Hear it again" repeats what happened.
    NEWS_SCREENS = ("taken", "thanks", "form")
    #: Screens for the staff: the guide stops there.
    STAFF_SCREENS = ("admin_pin", "admin")

    def __init__(self, app):
        self.app = app
        services = app.services
        self.speech: Speech = getattr(services, "speech", None) or Speech()
        buttons = len(app.kiosk_config.buttons.pins)
        no_buttons = app.hardware is not None and app.hardware.buttons is None  # no GPIO: nothing to hold
        #: The kiosk offers the guide (the home screen says how to start it), also in a picture of the screens.
        self.offered = app.kiosk_config.speech.voice_guide and buttons % 2 == 1 and not no_buttons
        self.enabled = self.offered and services is not None and app.live
        self.guide = VoiceGuide(self.speech, button_roles(buttons) if buttons % 2 == 1 else ())
        self._show_trigger = Clock.create_trigger(lambda _dt: self.present())
        self._cut = True  # the next place cuts what is being said short (not right after the instructions)
        if services is not None:
            services.on_button_held = self.held
            services.press_takers.append(self.takes_press)

    @property
    def active(self) -> bool:
        return self.guide.active

    # -- from gpiozero's thread -------------------------------------------------------------------

    def held(self, index: int) -> None:
        """A button held for speech.hold_seconds (any thread): start the guide, or say again how it works."""
        if self.enabled:
            Clock.schedule_once(lambda _dt: self.start())

    def takes_press(self, index: int) -> bool:
        """A button pressed (any thread): while the guide runs, it moves through the choices and is no rating."""
        if not self.guide.active:
            return False
        Clock.schedule_once(lambda _dt: self.press(index))
        return True

    # -- on Kivy's thread -------------------------------------------------------------------------

    def start(self) -> None:
        app = self.app
        app.last_activity = app.monotonic()
        app.idle.dismiss()
        if app.manager.current in self.STAFF_SCREENS:
            return
        if self.guide.active:  # held again: the instructions, then where they were
            self.guide.say(app.t("voice.start", self._lang()))
            self.guide.say_choice(cut=False)
            return
        self._lang_with_voice()
        self.guide.start(app.lang)
        app.manager.bind(current=self._show_trigger)
        app.bind(lang=self._on_lang)
        app.manager.get_screen("form").bind(slip_message=self._show_trigger)
        app.manager.get_screen("checkin").bind(message=self._show_trigger, too_short=self._show_trigger)
        self._cut = False
        self.present()

    def present(self) -> None:
        """Say where the resident is now: what happened, the place, its choices, the first one."""
        if not self.guide.active:
            return
        app = self.app
        screen = app.manager.current_screen
        if screen.name in self.STAFF_SCREENS:
            self.stop(quietly=True)
            return
        news = screen_news(app, screen)
        choices = screen_choices(screen)
        if screen.name in self.NEWS_SCREENS and news:
            choices.insert(0, Choice(app.t("voice.hear_again", self._lang()), partial(self._repeat, news)))
        if screen.name == "home":
            choices += [Choice(app.t("voice.louder", self._lang()), self._louder),
                        Choice(app.t("voice.softer", self._lang()), self._softer),
                        Choice(app.t("voice.stop", self._lang()), self.stop)]
        self.guide.show(self._lang(), screen_place(screen), choices, news=news, cut=self._cut)
        self._cut = True

    def press(self, index: int) -> None:
        self.app.last_activity = self.app.monotonic()
        self.guide.press(index)

    def stop(self, quietly: bool = False) -> None:
        """The guide's "stop" (or a staff screen): off, and the volume back to the office's."""
        app = self.app
        if quietly:
            self.guide.end()
        else:
            self.guide.stop()
            self.speech.volume = self.speech.default_volume
        app.manager.unbind(current=self._show_trigger)
        app.unbind(lang=self._on_lang)
        app.manager.get_screen("form").unbind(slip_message=self._show_trigger)
        app.manager.get_screen("checkin").unbind(message=self._show_trigger, too_short=self._show_trigger)

    # -- the idle question (kiosk/ui/idle.py) ------------------------------------------------------

    def idle_question(self) -> None:
        if self.guide.active:
            self.guide.say(f"{self.app.t('idle.question', self._lang())} {self.app.t('voice.any_button', self._lang())}")

    def idle_answered(self) -> None:
        if self.guide.active:
            self.guide.say_choice()

    def resident_left(self) -> None:
        """No answer to the idle question: the resident has gone; the next one starts without the guide."""
        if self.guide.active:
            self.stop(quietly=True)

    # -- the guide's own choices -------------------------------------------------------------------

    def _repeat(self, news: str) -> None:
        self.guide.say(news)

    def _louder(self) -> None:
        self.speech.louder()
        self.guide.say(self.app.t("voice.louder", self._lang()))

    def _softer(self) -> None:
        self.speech.softer()
        self.guide.say(self.app.t("voice.softer", self._lang()))

    def _on_lang(self, *_args) -> None:
        self._lang_with_voice()
        self._show_trigger()

    def _lang_with_voice(self) -> None:
        """A screen language the guide has no voice for (Filipino): English, which it reads (kiosk/speech.py)."""
        if self.app.lang not in VOICES:
            self.app.lang = "en"

    def _lang(self) -> str:
        return self.app.lang if self.app.lang in VOICES else "en"
