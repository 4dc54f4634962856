"""
Shared widgets
==============

``Tile`` (a big coloured touch target on the home screen), ``BigButton``,
``WrapLabel`` (text that breaks lines only between words: never inside an
English word nor inside a Chinese word of the catalogue's ``[layout]
unbreakable`` list, shrinking its font down to a floor rather than do so),
``Header`` (office name or screen title, the ROC clock, the back, language
and large-text buttons: ``NavButton`` each), ``NavBar`` (those buttons at
the bottom of the screen instead, for ``display.reach = "low"``, whose
screens keep their header and words in a ``TopBand``) and ``Marquee`` (the
電子字幕機 strip).  Their look, and the drawn icons, are in ``widgets.kv``;
sizes there are in ``app.u``, one hundredth of the screen's short side, so
the same layout works from 800x480 to 1920x1080.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Tuple

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import (BooleanProperty, ColorProperty, ListProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.stencilview import StencilView

from ..settings import LANGUAGES
from ..i18n import ZWSP, unbreakable_words
from ..line_breaks import break_units, wrap_lines

__all__ = ["Tile", "BigButton", "NavButton", "BackButton", "Header", "NavBar", "Marquee", "WrapLabel", "CapsLabel",
           "wrap_lines", "break_units"]

#: Separator between announcements on the marquee (full-width spaces read well in CJK).
MARQUEE_GAP = "\u3000\u3000◆\u3000\u3000"


def _all_unbreakable_words() -> Tuple[str, ...]:
    """Every language's list, longest first (a Chinese name can appear on the English screen too)."""
    words = {w for lang in LANGUAGES for w in unbreakable_words(lang)}
    return tuple(sorted(words, key=len, reverse=True))


class WrapLabel(Label):
    """A label that breaks its lines itself, only where ``wrap_lines`` allows.

    Set ``text_size: self.width, None`` (or a height too) as for any wrapping
    label.  With ``max_font_size`` set, the label picks its own ``font_size``:
    the largest size, down to ``min_font_size``, at which no word is wider
    than the line, the text takes at most ``fit_lines`` lines (0: any) and,
    with ``fit_height``, its lines are no taller than that.
    ``text`` keeps the text as given; only the drawn lines get the breaks.
    """

    max_font_size = NumericProperty(0)  # 0: font_size is fixed, only wrap
    min_font_size = NumericProperty(0)
    break_after = StringProperty()  # characters a line may also break after ("/" in an address)
    fit_lines = NumericProperty(0)  # not Label.max_lines, which drops the lines past it
    fit_height = NumericProperty(0)  # 0: any height; else the lines, padding included, must fit it
    fits = BooleanProperty(True)  # False: even at min_font_size a word or the lines did not fit

    _measurers: dict = {}

    def __init__(self, **kwargs):
        self._wrap_key = None
        self._wrapped = ""
        super().__init__(**kwargs)
        for name in ("max_font_size", "min_font_size", "fit_lines", "fit_height", "break_after"):
            self.fbind(name, self._trigger_texture)

    def _measure(self, size: float) -> Callable[[str], float]:
        from kivy.core.text import Label as CoreLabel

        # the unit too: the size a label is drawn at may depend on it (text size steps, kiosk/fonts.py)
        app = App.get_running_app()
        key = (self.font_name, self.bold, self.italic, round(size, 2), getattr(app, "u", None))
        if key not in WrapLabel._measurers:
            if len(WrapLabel._measurers) > 400:
                WrapLabel._measurers.clear()
            core = CoreLabel(font_name=self.font_name, bold=self.bold, italic=self.italic, font_size=size)
            cache = {}

            def measure(text, core=core, cache=cache):
                if text not in cache:
                    cache[text] = core.get_extents(text)[0]
                return cache[text]
            WrapLabel._measurers[key] = measure
        return WrapLabel._measurers[key]

    def layout_for(self, width: float, max_font_size: float,
                   text: Optional[str] = None) -> Tuple[float, List[str], bool]:
        """The font size, lines and whether they fit, were the label ``width`` wide with that largest size
        (and ``text`` instead of its own, if given)."""
        room = width - self.padding[0] - self.padding[2] - 1  # 1 px: Kivy's own measure must agree
        words = _all_unbreakable_words()
        if max_font_size:  # never below the floor, even when asked for less
            size = max(max_font_size, self.min_font_size)
            floor = self.min_font_size or size
        else:
            size = floor = self.font_size
        while True:
            lines, fits = wrap_lines(self.text if text is None else text, room, self._measure(size), words,
                                     self.break_after)
            fits = fits and (not self.fit_lines or len(lines) <= self.fit_lines)
            if fits and self.fit_height and len(lines) > 1:  # one line always fits the box it is centred in
                # 5 % to spare: the texture Kivy draws is a little taller than the lines' own extents
                fits = len(lines) * self._line_height(size) * 1.05 + self.padding[1] + self.padding[3] <= self.fit_height
            if fits or size <= floor:
                return size, lines, fits
            size = max(floor, size * 0.94)

    def height_for(self, width: float, max_font_size: float, text: Optional[str] = None) -> float:
        """How tall the label's text (or ``text``) would be (``layout_for``), padding included: to fit a
        column ahead."""
        if not (self.text if text is None else text):
            return 0.0
        size, lines, _fits = self.layout_for(width, max_font_size, text)
        return len(lines) * self._line_height(size) + self.padding[1] + self.padding[3]

    def _line_height(self, size: float) -> float:
        from kivy.core.text import Label as CoreLabel

        core = CoreLabel(font_name=self.font_name, bold=self.bold, italic=self.italic, font_size=size)
        return core.get_extents("Hg")[1] * self.line_height

    def _rewrap(self):
        width = self.text_size[0]
        key = (self.text, width, tuple(self.padding), self.max_font_size, self.min_font_size, self.fit_lines, self.break_after,
               self.font_name, self.bold, self.italic, None if self.max_font_size else self.font_size)
        if key == self._wrap_key:
            return
        self._wrap_key = key
        if width is None or not self.text:
            self._wrapped, self.fits = self.text, True
            return
        size, lines, fits = self.layout_for(width, self.max_font_size)
        self._wrapped, self.fits = "\n".join(lines), fits
        if self.max_font_size and abs(self.font_size - size) > 0.01:
            self.font_size = size
            self._label.options["font_size"] = size

    def texture_update(self, *largs):
        self._rewrap()
        self._label.text = self._wrapped
        super().texture_update(*largs)


class CapsLabel(Label):
    """One line of capitals (a ticket letter) whose drawn box is the letters, not the font's whole line.

    A CJK font's line is about 1.45 times its size, mostly room for accents and
    descenders capitals do not have; this label keeps the middle 1.1 font sizes
    of its texture, so its size (``texture_size``) is what it shows.
    """

    def texture_update(self, *largs):
        super().texture_update(*largs)
        texture = self.texture
        if texture is not None:
            height = min(texture.height, int(self.font_size * 1.1 + 0.999))
            self.texture = texture.get_region(0, (texture.height - height) // 2, texture.width, height)
            self.texture_size = list(self.texture.size)


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
    natural_width = NumericProperty(0)  # its width when shown (widgets.kv): the header's buttons are 0 when hidden


class NavButton(BigButton):
    """A bar's button (back, language, large text): in the header, or in the ``NavBar`` of a screen mounted
    high; one not shown is hidden, disabled and takes no width (widgets.kv)."""

    shown = BooleanProperty(True)


class BackButton(NavButton):
    back_to = StringProperty("home")  # the screen it returns to: 返回首頁 for home, 上一頁 for another


class Header(BoxLayout):
    """The top bar of every screen: its title and the clock; its buttons unless the ``NavBar`` has them."""

    title = StringProperty()
    show_back = BooleanProperty(False)
    show_language = BooleanProperty(True)  # the language button; not on home (its own row) nor the picker itself
    show_large = BooleanProperty(False)  # the large-text mode's switch: on the home screen
    back_to = StringProperty("home")  # the screen the back button returns to
    #: A staff screen's: its buttons stay in the header on a screen mounted high (display.reach = "low" is
    #: the residents' rule, as the large-text mode is theirs)
    staff = BooleanProperty(False)


class NavBar(BoxLayout):
    """``display.reach = "low"`` (a screen mounted high): the bar at the bottom of a screen with its header's
    buttons, as the header says which (``header``), so that nothing a resident touches is in the top third.
    Elsewhere: no height."""

    header = ObjectProperty(None, allownone=True, rebind=True)  # rebind: kv follows root.header.show_back


class Marquee(StencilView):
    """Announcements scrolling right to left, one after another, forever, in the screen's language."""

    #: Each announcement's text per language (language -> text, "zh-TW" always there), in order: the office's
    #: or the kiosk's own (kiosk/office_sync.py, kiosk/announcements.py).  One without a text in the
    #: screen's language shows in Chinese.  Replace the list to change it (``announce``): one redraw.
    announcements = ListProperty()
    lang = StringProperty("zh-TW")  # bound to app.lang where the app creates the strip
    speed = NumericProperty(80)  # pixels per second
    shift = NumericProperty(0)  # where the text starts, from the strip's left edge
    text = StringProperty()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._event = None
        self.fbind("announcements", self._show)
        self.fbind("lang", self._show)
        self._show()

    def announce(self, announcements) -> None:
        """New announcements, every language at once (the office's, kiosk/office_sync.py); main thread only."""
        self.announcements = [dict(item) for item in announcements]

    def shown(self):
        """The announcements in the screen's language: each one's text in it, or its Chinese without one."""
        return [item.get(self.lang) or item["zh-TW"] for item in self.announcements]

    def _show(self, *_args):
        # One line: the word boundaries a Thai text marks for wrapping (ZWSP) have no use here.
        text = MARQUEE_GAP.join(self.shown()).replace(ZWSP, "")
        if text != self.text:
            self.text = text
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
        # At most a 15th of a second's way per frame: after a stall (a screen built, a busy Pi) the text
        # moves on smoothly instead of jumping past words nobody could read.
        self.shift -= self.speed * min(dt, 1 / 15)
        if self.shift < -self.ids.label.texture_size[0]:
            self.shift = self.width
