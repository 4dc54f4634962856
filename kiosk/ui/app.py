"""
The kiosk application
=====================

``KioskApp`` builds the screen manager (home + one screen per feature) above
the marquee strip, and wires the services into it: the configuration, the
messages, the local store and the hardware.  Each feature's flow is
its controller's, beside its screens: ``app.tickets`` (``ticket.py``),
``app.forms`` (``forms.py``), ``app.ratings`` (``rating.py``), ``app.admin``
(``admin.py``); the kv files call them.  The app itself owns navigation
(``show``), the language, the clock, the idle timeout and the setup check.
Everything a screen shows is bound to a property here (``lang``, ``u``,
``clock_date``...), so a language switch or a window resize updates every
screen at once.

Threads: gpiozero calls back from its own thread on a real Pi, and tickets,
form slips and the office's answers are worked out on threads of their own.
All of them reach the widgets only through ``Clock.schedule_once`` (for a
rating: the rating controller's step after a rating,
``Services.after_rating_steps``); no other thread touches a widget.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Optional

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from protocol import officetime

from .. import fonts, watchdog
from ..admin_status import PROVISIONING_ERRORS
from ..announcements import own_announcements
from ..config import Config
from ..forms import warm_qr_cache
from ..i18n import long_date, messages
from ..queue_status import REFRESH_SECONDS as QUEUE_REFRESH_SECONDS
from ..settings import LANGUAGES
from . import FEATURES, SCREENS
from .admin import AdminController, AdminPinScreen, AdminScreen, CornerHold
from .checkin import CheckInController, CheckInScreen
from .forms import FormListScreen, FormScreen, FormsController, FormsScreen
from .home import HomeScreen
from .idle import IdleController
from .language import LanguageScreen
from .rating import RatingController, RatingScreen, ReasonScreen, ThanksScreen
from .screens import LazyScreenManager, release_free_memory
from .ticket import TakenScreen, TicketController, TicketScreen
from .update_hooks import start_updates
from .voice import VoiceController
from .widgets import Marquee

__all__ = ["KioskApp", "register_fonts"]

log = logging.getLogger("kiosk.ui")

HERE = Path(__file__).parent
KV_FILES = ("widgets.kv", "language.kv", "home.kv", "rating.kv", "ticket.kv", "forms.kv", "admin.kv", "idle.kv",
            "checkin.kv")
#: How often the kiosk asks the office server for its central settings (forms catalogue, announcements):
#: an announcement set at the office is on the marquee within this.  An unchanged answer is a bodiless 304.
OFFICE_SYNC_SECONDS = 5 * 60
#: Large text (issue 20, EN 301 549 5.1.4): every size of the layout, text and targets alike, this many times larger.
LARGE_SCALE = 1.5


def register_fonts() -> None:
    """Make the Traditional Chinese face Kivy's default for every label."""
    paths = fonts.font_files()
    # Replacing the default family (Roboto) means no label can fall back to a
    # font without CJK glyphs and show boxes.
    LabelBase.register(DEFAULT_FONT, fn_regular=str(paths["regular"]), fn_bold=str(paths["bold"]))


_text_unit: Optional[Callable[[], float]] = None  # the running app's layout unit, for text_size_step
_kivy_resolve_font_name = LabelBase.resolve_font_name


def _resolve_font_name_in_steps(label) -> None:
    """Kivy's font resolution, then the size snapped to one of ``fonts.TEXT_STEPS``.

    Kivy calls this on every label before it measures or draws (``refresh``), after any
    change of ``font_size``; the widget's own ``font_size`` (and so the layout) is untouched.
    """
    _kivy_resolve_font_name(label)
    size = label.options.get("font_size")
    unit = _text_unit() if _text_unit is not None else 0
    if unit and isinstance(size, (int, float)):
        label.options["font_size"] = fonts.text_size_step(size, unit)


def snap_text_sizes(unit: Callable[[], float]) -> None:
    """Draw every label at one of a few sizes (``fonts.TEXT_STEPS`` times ``unit()``).

    Kivy's SDL2 text provider opens a FreeType face of the CJK font per (font, size), about
    2.5 MB each; the kv files' ``app.u * k`` sizes were some 25 distinct sizes.  Done here,
    in one place, rather than in every kv rule.
    """
    global _text_unit
    _text_unit = unit
    LabelBase.resolve_font_name = _resolve_font_name_in_steps


def _load_kv() -> None:
    for name in KV_FILES:
        path = str(HERE / name)  # from __file__, never from the working directory
        if path not in Builder.files:
            Builder.load_file(path)


class KioskApp(App):
    """The lobby kiosk: screens and navigation, language, clock, idle timeout; the features' controllers."""

    lang = StringProperty("zh-TW")
    u = NumericProperty(8)  # one layout unit: 1/100 of the screen's short side, in pixels (× LARGE_SCALE when large)
    large = BooleanProperty(False)  # large text and high contrast (issue 20): everything LARGE_SCALE times larger
    reach_low = BooleanProperty(False)  # display.reach = "low": no control in the screen's top third (widgets.kv)
    clock_date = StringProperty()
    clock_time = StringProperty()
    office_name = StringProperty()

    def __init__(self, config: Config, services=None,
                 monotonic: Callable[[], float] = time.monotonic, live: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.kiosk_config = config  # App.config is Kivy's own ini settings
        self.services = services    # the store's state; None: screens only, nothing read or recorded
        # live=False: a picture of the screens (kiosk screenshot, kiosk audit layout), drawn from the
        # services' state: no upload, no office questions, no hardware, no watchdog, no staff corner.
        self.live = live
        self.monotonic = monotonic
        self._screen_timer = None
        self.printer_busy = False  # one print job at a time, tickets and form slips alike (the printer is slow)
        # Each feature's flow, in a controller beside its screens; the kv files call them (app.tickets.take(...)).
        self.tickets = TicketController(self)
        self.checkin = CheckInController(self)  # 預約報到: the appointment keypad (checkin.py)
        self.forms = FormsController(self)
        self.ratings = RatingController(self)
        self.admin = AdminController(self)
        self.idle = IdleController(self)  # the idle timeout, and "Need more time?" before it (idle.py)
        self.voice = VoiceController(self)  # the voice guide: a rating button held, then speech (voice.py)
        self.lang = config.kiosk.language
        self.large = config.display.large_text  # the office's choice; a resident switches it on the home screen
        self.reach_low = config.display.reach == "low"
        self.last_activity = monotonic()
        self.manager: Optional[ScreenManager] = None
        self.marquee: Optional[Marquee] = None
        self._events = []
        self.bind(lang=self._update_office_name)
        self._update_office_name()

    # -- building ------------------------------------------------------------------------

    def build(self):
        self.title = self.kiosk_config.kiosk.office
        register_fonts()
        snap_text_sizes(lambda: self.u)
        _load_kv()
        Window.clearcolor = (0.96, 0.96, 0.94, 1)
        Window.bind(size=self._update_unit)
        self.bind(large=lambda *_args: self._update_unit(Window, Window.size))
        self._update_unit(Window, Window.size)

        self.forms.catalogue = self.forms.offered()
        # Screens are built the first time they are asked for (kiosk/ui/screens.py): each one
        # costs memory shown or not, above all a CJK font face per text size it uses.
        self.manager = LazyScreenManager(transition=NoTransition(), factories=[
            ("home", HomeScreen),
            ("ticket", lambda: TicketScreen(services=list(self.kiosk_config.services))),
            ("taken", TakenScreen),
            ("checkin", CheckInScreen),
            ("forms", lambda: FormsScreen(categories=[c for c in self.forms.catalogue.categories
                                                      if self.forms.catalogue.in_category(c.code)])),
            ("form_list", FormListScreen),
            ("form", FormScreen),
            ("setup_error", Factory.SetupErrorScreen),
            ("rating", lambda: RatingScreen(choices=[(c.key, c.mood) for c in self.ratings.scale.choices])),
            ("thanks", ThanksScreen),
            ("reason", ReasonScreen),
            ("admin_pin", AdminPinScreen),
            ("admin", AdminScreen),
            ("language", LanguageScreen),
        ])
        self.manager.build_screen("home")  # the first one built is the one shown
        Window.bind(on_flip=self._after_first_frame)
        # A screen built or shown, or a language switched, re-renders labels: the old textures and
        # glyph surfaces are freed, but glibc keeps the pages.  Give them back a moment after.
        trim = Clock.create_trigger(lambda _dt: release_free_memory(), 0.1)
        self.manager.on_build.append(lambda _name, _screen: trim())
        self.manager.bind(current=lambda *_args: trim())
        self.bind(lang=lambda *_args: trim())
        # The office's announcements when it sent any (kept on disk), else the kiosk's own: kiosk/office_sync.py.
        announcements = (self.services.sync.marquee_texts() if self.services else
                         own_announcements(self.kiosk_config))
        self.marquee = Marquee(announcements=announcements, speed=self.kiosk_config.marquee.speed, lang=self.lang)
        self.bind(lang=self.marquee.setter("lang"))  # the announcements in the screen's language
        if self.services is not None:  # new ones arrive on the sync thread: the strip changes on Kivy's
            self.services.sync.on_announcements.append(
                lambda texts: Clock.schedule_once(lambda _dt: self.marquee.announce(texts)))

        root = BoxLayout(orientation="vertical")
        root.add_widget(self.manager)
        root.add_widget(self.marquee)
        self.tick_clock()
        return root

    def _after_first_frame(self, *_args) -> None:
        """Build the three features' screens, one a frame, half a second after the first frame.

        So a resident's first tap on a home tile does not wait for its screen to be built (tens of
        milliseconds here, more on a Pi); the other screens are built when first shown.
        """
        Window.unbind(on_flip=self._after_first_frame)
        waiting = [name for name in FEATURES if not self.manager.is_built(name)]

        def build_next(_dt):
            while waiting and self.manager.is_built(waiting[0]):
                waiting.pop(0)
            if waiting:
                self.manager.build_screen(waiting.pop(0))
                Clock.schedule_once(build_next, 0)
        Clock.schedule_once(build_next, 0.5)

    def setup_problems(self) -> str:
        """What the provisioning service found wrong in the boot partition's kiosk.toml ('' if nothing)."""
        path = self.kiosk_config.data_dir / PROVISIONING_ERRORS
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def check_setup(self, *_args) -> None:
        """Out of service, full screen, while the setup file is wrong; back home once it is fixed."""
        problems = self.setup_problems()
        if problems or self.manager.is_built("setup_error"):  # not built just to say "no problems"
            self.manager.get_screen("setup_error").problems = problems
        if problems and self.manager.current not in ("setup_error", "admin", "admin_pin"):  # staff at work
            self.large = False  # out of service: the ordinary size, for the staff's panel
            self.manager.current = "setup_error"
        elif not problems and self.manager.current == "setup_error":
            self.manager.current = "home"

    def on_start(self):
        Window.bind(on_touch_down=self._note_activity, on_key_down=self._on_key_down, on_key_up=self._on_key_up)
        if not self.live:
            self._events = [Clock.schedule_interval(self.tick_clock, 1)]
            self.check_setup()
            return
        if self.services is not None:  # staff only: a 5-second press on the top-left corner, then the PIN
            self._corner = CornerHold(Window, lambda: self.u, self.admin.open_keypad)
            Window.bind(on_touch_down=self._corner.down, on_touch_move=self._corner.move,
                        on_touch_up=self._corner.up)
        self._events = [Clock.schedule_interval(self.tick_clock, 1), Clock.schedule_interval(self.check_idle, 1),
                        Clock.schedule_interval(self.check_setup, 10)]
        self.check_setup()
        if self.services is not None:
            self._events.append(Clock.schedule_interval(lambda _dt: self.services.check_silent_buttons(), 3600))
            Clock.schedule_once(lambda _dt: self.services.check_silent_buttons(), 5)  # after the first frames
        self.marquee.start()
        if self.hardware is not None:
            self.hardware.invite()
        # systemd: ready now, then pings from this main loop; a frozen UI stops them and gets restarted.
        watchdog.notify("READY=1")
        interval = watchdog.watchdog_interval()
        if interval:
            self._events.append(Clock.schedule_interval(lambda _dt: watchdog.notify("WATCHDOG=1"), interval))
        # Building a QR code for a long address takes tens of milliseconds: do them all now, not on a tap.
        threading.Thread(target=warm_qr_cache, args=(self.forms.catalogue, self.kiosk_config.server.public_url),
                         name="qr-cache", daemon=True).start()
        if self.services is not None:
            self._events += start_updates(self)  # the offered system: downloaded, installed when nobody is here
            self.services.uploader.start()  # does nothing without [server] url
        if self.services is not None and self.kiosk_config.server.url:
            self._events.append(Clock.schedule_interval(lambda _dt: self.sync_office(), OFFICE_SYNC_SECONDS))
            Clock.schedule_once(lambda _dt: self.sync_office(), 10)
            self._events.append(Clock.schedule_interval(lambda _dt: self.tickets.refresh_queue(),
                                                        QUEUE_REFRESH_SECONDS))
            Clock.schedule_once(lambda _dt: self.tickets.refresh_queue(), 2)

    def sync_office(self) -> None:
        """Ask the office server for its forms catalogue and announcements, off the main thread; show new ones
        when they come (the announcements through ``sync.on_announcements``, set in ``build``)."""
        def work():
            if self.services.sync.refresh() == "updated":
                catalogue = self.forms.offered()
                warm_qr_cache(catalogue, self.kiosk_config.server.public_url)
                Clock.schedule_once(lambda _dt: self.forms.use(catalogue))
        threading.Thread(target=work, name="office-sync", daemon=True).start()

    @property
    def hardware(self):
        return self.services.hardware if self.services else None

    def on_stop(self):
        for event in self._events:
            event.cancel()
        self.marquee.stop()
        Window.unbind(on_touch_down=self._note_activity, on_key_down=self._on_key_down, on_key_up=self._on_key_up)
        if getattr(self, "_corner", None) is not None:
            Window.unbind(on_touch_down=self._corner.down, on_touch_move=self._corner.move,
                          on_touch_up=self._corner.up)

    # -- what screens call -----------------------------------------------------------------

    def t(self, key: str, lang: Optional[str] = None, **values) -> str:
        """The message for ``key`` in ``lang`` (kv passes ``app.lang`` so it re-binds on a switch)."""
        return messages(lang or self.lang).text(key, office=self.office_name, **values)

    def show(self, name: str, return_home_after: Optional[float] = None) -> None:
        """Switch to a screen by name; optionally go home by itself after some seconds."""
        if name not in SCREENS:
            raise ValueError(f"no screen {name!r}; screens: {', '.join(SCREENS)}")
        self.last_activity = self.monotonic()
        self.idle.dismiss()  # the screen changes (a tap, or its own timer): no question about the old one
        if self._screen_timer is not None:
            self._screen_timer.cancel()
            self._screen_timer = None
        if self.voice.active:  # a resident listening is not cut off: they go home by choice, or the idle question
            return_home_after = None
        if return_home_after:
            self._screen_timer = Clock.schedule_once(lambda _dt: self.show("home"), return_home_after)
        self.manager.current = name

    def open_languages(self) -> None:
        """The language screen (the header's language button), from the screen shown: a choice there, or its
        back button, returns to that screen."""
        picker = self.manager.get_screen("language")
        if self.manager.current != "language":
            picker.back_to = self.manager.current
        self.show("language")

    def choose_language(self, lang: str) -> None:
        """Speak ``lang`` (a tap on its name); from the language screen, back to where the resident was."""
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}; supported: {', '.join(LANGUAGES)}")
        self.lang = lang
        if self.manager.current == "language":
            self.show(self.manager.get_screen("language").back_to)

    def toggle_language(self) -> None:
        """The next language of LANGUAGES (``kiosk bench`` switches so: every label drawn again)."""
        self.lang = LANGUAGES[(LANGUAGES.index(self.lang) + 1) % len(LANGUAGES)]  # always one of them: checked

    # -- hardware --------------------------------------------------------------------------

    def _on_key_down(self, _window, _key, _scancode, codepoint, _modifiers):
        """In simulated mode, keyboard keys hold the (mock) GPIO buttons down until they come up (a key held
        3 s starts the voice guide); any other key answers "Need more time?"."""
        self._note_activity()
        button = self._key_button(codepoint)
        if button is not None:
            self.hardware.set_pressed(button, True)  # a key's repeats: the pin is already low, no new edge
            return True
        if self.idle.showing:
            self.idle.extend()
            return True
        return False

    def _on_key_up(self, _window, key, *_args):
        button = self._key_button(chr(key) if 0 < key < 0x110000 else "")
        if button is not None:
            self.hardware.set_pressed(button, False)
            return True
        return False

    def _key_button(self, codepoint) -> Optional[int]:
        """The simulated button a keyboard key stands in for (buttons.keys), if any."""
        keys = self.kiosk_config.buttons.keys
        if codepoint in keys and self.hardware is not None and self.hardware.mode == "simulated":
            return keys.index(codepoint)
        return None

    # -- clock and idle --------------------------------------------------------------------

    def tick_clock(self, *_args) -> None:
        moment = officetime.now()
        day = moment.date()
        self.clock_date = long_date(day, self.lang)
        self.clock_time = moment.strftime("%H:%M")

    def check_idle(self, *_args) -> None:
        """After the idle timeout: ask "Need more time?", then go home in the default language (``idle.py``)."""
        self.idle.check()

    def _note_activity(self, *_args):
        self.last_activity = self.monotonic()
        return False  # let the touch go on to the widgets

    def _update_unit(self, _window, size):
        width, height = size
        self.u = min(width / 160, height / 100) * (LARGE_SCALE if self.large else 1)

    def _update_office_name(self, *_args):
        kiosk = self.kiosk_config.kiosk
        self.office_name = kiosk.office if self.lang == "zh-TW" else kiosk.office_en
        self.tick_clock()
