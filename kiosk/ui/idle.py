"""
Time for everyone: "Need more time?" before the idle timeout
============================================================

After ``display.idle_timeout`` seconds without a touch, a resident in the
middle of something (any screen but home and the setup-error screen) is asked
需要更多時間嗎？ / Need more time? over the screen, with a countdown of
``display.idle_warning`` seconds (at least 20: WCAG 2.1 SC 2.2.1 asks for 20 s
to extend a time limit with one simple action).  A tap anywhere on it, or a
press of any rating button, keeps the resident where they were and starts the
idle time again; the press is no rating.  When the countdown ends the kiosk
goes home and back to its default language, as it did without the prompt.
The home screen never asks (nothing is in progress) but goes back to the
default language; nothing is interrupted while the printer is busy.

``IdleController`` (``app.idle``) is called by the app's once-a-second
``check_idle``; ``IdlePrompt`` is its ModalView (layout in ``idle.kv``).  A
button press comes on gpiozero's thread: ``answers_press`` only reads a flag
and hands the answer over to Kivy's main thread.
"""

from __future__ import annotations

import logging
import math
from typing import Optional

from kivy.clock import Clock
from kivy.properties import NumericProperty
from kivy.uix.modalview import ModalView

__all__ = ["IdlePrompt", "IdleController", "QUIET_SCREENS"]

log = logging.getLogger("kiosk.ui")

#: Screens the idle timeout never interrupts with a question: home (nothing in progress) and the
#: out-of-service screen (it must stay up until the setup file is fixed).
QUIET_SCREENS = ("home", "setup_error")


class IdlePrompt(ModalView):
    """需要更多時間嗎？ over the whole window: any touch on it answers yes."""

    seconds_left = NumericProperty(0)

    def __init__(self, on_answer, **kwargs):
        super().__init__(**kwargs)
        self._on_answer = on_answer

    def on_touch_down(self, touch):
        # Anywhere: the big button is only the most obvious place.  The touch goes no further, so a tap
        # meant as "yes" never takes a ticket or rates under the prompt.
        self._on_answer()
        return True

    def on_touch_move(self, touch):
        return True

    def on_touch_up(self, touch):
        return True


class IdleController:
    """The idle timeout, and the question before it (``app.idle``)."""

    def __init__(self, app):
        self.app = app
        self.prompt: Optional[IdlePrompt] = None
        self.showing = False  # read from gpiozero's thread (answers_press): a plain flag
        self._deadline = 0.0
        if app.services is not None:
            app.services.press_takers.append(self.answers_press)

    @property
    def _display(self):
        return self.app.kiosk_config.display

    def check(self) -> None:
        """Once a second: count the prompt down, or show it, or go home; see the module's docstring."""
        app = self.app
        now = app.monotonic()
        if self.showing:
            left = self._deadline - now
            if left > 0:
                self.prompt.seconds_left = math.ceil(left)
                return
            self.dismiss()
            self.go_home()
            return
        if now - app.last_activity < self._display.idle_timeout:
            return
        current = app.manager.current
        if current == "setup_error":
            return
        if app.printer_busy:  # a ticket or slip printing: its own screen follows; wait for it
            return
        if current == "home" and not app.voice.active:  # a resident listening on home is in the middle of it
            if app.lang != app.kiosk_config.kiosk.language or app.large != app.kiosk_config.display.large_text:
                self.go_home()
            return
        self.warn()

    def warn(self) -> None:
        """Show the question with its countdown (``display.idle_warning`` seconds)."""
        if self.prompt is None:
            self.prompt = IdlePrompt(on_answer=self.extend)
        self._deadline = self.app.monotonic() + self._display.idle_warning
        self.prompt.seconds_left = self._display.idle_warning
        self.showing = True
        log.info("idle for %ss on %s: asking whether more time is needed", self._display.idle_timeout,
                 self.app.manager.current)
        self.prompt.open(animation=False)
        self.app.voice.idle_question()

    def extend(self) -> None:
        """Yes, more time: the prompt goes, the resident stays where they were, the idle time starts again."""
        if not self.showing:
            return
        self.app.last_activity = self.app.monotonic()
        self.dismiss()
        self.app.voice.idle_answered()

    def dismiss(self) -> None:
        """Close the prompt if it shows (also when the screen changes under it)."""
        self.showing = False
        if self.prompt is not None and self.prompt.parent is not None:
            self.prompt.dismiss(animation=False)

    def go_home(self) -> None:
        """No answer: home, and the default language for the next person."""
        app = self.app
        log.info("idle: back to the home screen")
        app.voice.resident_left()  # before the screen changes: the guide says nothing more
        app.show("home")
        app.lang = app.kiosk_config.kiosk.language
        app.large = app.kiosk_config.display.large_text  # large text or not was the last resident's choice

    def answers_press(self, _index: int) -> bool:
        """A rating button was pressed (any thread): while the prompt shows, it answers yes and is no rating."""
        if not self.showing:
            return False
        Clock.schedule_once(lambda _dt: self.extend())
        return True
