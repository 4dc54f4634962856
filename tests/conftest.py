"""
Shared fixtures
===============

Kivy is configured here, at import time, before any test module can import
it: an offscreen SDL window (no X server), no command-line parsing, a
throw-away KIVY_HOME.  One Kivy window exists per process, so the UI fixtures
share one app for the whole session (``kiosk_ui``) and reset it before each
test (``ui``).

    def test_tap_ticket(ui):
        ui.tap(ui.home.ids.ticket)
        assert ui.app.manager.current == "ticket"
"""

import atexit
import os
import shutil
import tempfile
import threading

import pytest

os.environ["KIOSK_CLOCK_SYNCED"] = "1"
os.environ.pop("KIOSK_CONFIG", None)  # a developer's own config must not leak into tests

from kiosk.ui import environment  # noqa: E402  (imports no Kivy)


def _scratch_kivy_home() -> str:
    """Kivy's home for this test process, removed when it ends (not one more folder in /tmp a run)."""
    home = tempfile.mkdtemp(prefix="kiosk-test-kivy-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


# Opened at the largest supported size: SDL's offscreen window keeps drawing at the size it was opened
# with, so a window grown later would grab black beyond it; tests shrink it (the ``ui`` fixture: 1280x800).
environment.configure("offscreen", size=(1920, 1080), fullscreen=False,
                      kivy_home=_scratch_kivy_home())


#: Under libfaketime (`.ci/hours`, `make test-hours`): the machine's clock is set to an awkward hour.
UNDER_FAKETIME = "faketime" in os.environ.get("LD_PRELOAD", "") and bool(os.environ.get("FAKETIME"))


def pytest_configure(config):
    config.addinivalue_line("markers", "clock: depends on the date or the hour; `make test-hours` runs these under "
                                       "libfaketime at 00:05 and 23:59 in Taipei and 23:59 UTC (tests/README.md)")


#: Test files that depend on the date or the hour as a whole (a test elsewhere says so with @pytest.mark.clock):
#: ticket numbers per office day, tickets "5 minutes ago", the live queue page's day, Taipei months, opening hours.
CLOCK_FILES = {
    "test_office_calling_pages.py",   # the issue 17 test: tickets of the last 40 minutes, called over HTTP
    "test_office_queue_page.py",
    "test_office_api.py",
    "test_office_calls.py",
    "test_office_report.py",
    "test_end_to_end.py",             # real processes: the kiosk's month and the report's
    "test_tickets.py",
    "test_tile_opening.py",
    "test_office_wide_numbers.py",   # real processes (the server, `kiosk ticket print`) on the office clock
    "test_office_take.py",            # the phones' hours, the office day of a number taken on the phone
    "test_kiosk_checkin.py",          # an appointment's window, on a real server and the shared app, office clock
    "test_office_appointments.py",    # appointments' days and windows (a pinned clock)
    "test_office_push.py",            # today's reminders, yesterday's dropped; a real serve on the office clock
}


@pytest.hookimpl(tryfirst=True)  # before `-m clock` selects
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in CLOCK_FILES:
            item.add_marker(pytest.mark.clock)
    if not UNDER_FAKETIME:
        return
    # Chromium hangs under libfaketime: the browser tests run in the ordinary run only (their clock is a fixture too).
    skip = pytest.mark.skip(reason="Chromium does not run under libfaketime; checked in the ordinary run")
    for item in items:
        if any("chromium" in str(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif")):
            item.add_marker(skip)


@pytest.fixture
def office_clock():
    """The office's clock for a test that depends on the date or the hour: Tuesday 8 Dec 2026, 10:00 in Taipei,
    running from there (tests/office_clock.py).  ``create_app(db, clock=office_clock)``, tickets at
    ``office_clock() - timedelta(minutes=5)``, a subprocess on the same clock with ``office_clock.command(...)``
    and ``office_clock.env()``; ``office_clock.set(moment)`` moves it."""
    from office_clock import OfficeClock
    return OfficeClock()


@pytest.fixture
def pinned_kiosk_clock(office_clock, monkeypatch):
    """``protocol.officetime.now`` reads ``office_clock`` for the test (the kiosk's own code in this process)."""
    from protocol import officetime
    monkeypatch.setattr(officetime, "now", office_clock)
    return office_clock


@pytest.fixture
def fresh_simulated_printers():
    """No sim:// printer remembers bytes or faults from another test."""
    from hardware.printer import SimulatedPrinter
    SimulatedPrinter.reset_all()
    yield
    SimulatedPrinter.reset_all()


class FakeMonotonic:
    """A monotonic clock the test moves by hand: ``clock.advance(61)``; safe to read from any thread."""

    def __init__(self, start=1000.0):
        self.now = start
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self.now

    def advance(self, seconds):
        with self._lock:
            self.now += seconds


@pytest.fixture
def clock():
    """A FakeMonotonic for the code under test (misuse interval, idle timeout)."""
    return FakeMonotonic()


@pytest.fixture
def bclock():
    """A second FakeMonotonic, for the buttons' debounce and stuck rules."""
    return FakeMonotonic(start=50.0)


class UI:
    """The running kiosk app, with helpers to draw frames, tap widgets and grab pixels."""

    def __init__(self, app, clock):
        self.app = app
        self.clock = clock

    @property
    def window(self):
        from kivy.core.window import Window
        return Window

    @property
    def screen(self):
        return self.app.manager.current_screen

    @property
    def home(self):
        return self.app.manager.get_screen("home")

    def frames(self, count=3):
        from kivy.base import EventLoop
        for _ in range(count):
            EventLoop.idle()

    def tap(self, widget):
        """A real touch (down, then up) at the centre of ``widget``."""
        from kivy.tests.common import UnitTestTouch
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frames(1)
        touch.touch_up()
        self.frames(2)

    def resize(self, size):
        self.window.size = size
        self.frames(4)

    def ratings(self):
        """Every rating stored so far, oldest first, as dicts (with the reason, if any)."""
        def query(conn):
            cursor = conn.execute("SELECT e.id, r.* FROM ratings r JOIN events e ON e.seq = r.seq ORDER BY r.seq")
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
        return self.app.services.store.read(query)

    def wait_for(self, condition, seconds=5):
        """Draw frames until condition() holds; False if it never does."""
        import time
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            self.frames(1)
            time.sleep(0.01)
        return True

    def grab(self):
        from kiosk.ui.capture import grab
        self.frames(3)
        return grab()


@pytest.fixture(scope="session")
def kiosk_ui(tmp_path_factory):
    from kivy.base import EventLoop

    from kiosk.config import Config, defaults
    from kiosk.services import open_services
    from kiosk.ui.app import KioskApp

    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path_factory.mktemp("kiosk-data"))
    config = Config(values)
    clock = FakeMonotonic()
    services = open_services(config, monotonic=clock)
    app = KioskApp(config, services=services, monotonic=clock)
    app._run_prepare()  # what App.run() does before its loop; the tests drive the loop
    EventLoop.start()
    ui = UI(app, clock)
    ui.frames(3)
    yield ui
    services.close()
    app.stop()


@pytest.fixture
def ui(kiosk_ui):
    """The shared app, back on the home screen in Chinese at 1280x800."""
    app = kiosk_ui.app
    app.lang = app.kiosk_config.kiosk.language
    app.show("home")
    kiosk_ui.clock.advance(60)  # past the response interval: a new resident, not misuse
    # ...who has just touched the screen: else the idle timeout (60 s) could fire on the next second's
    # check, send the app home in Chinese in the middle of a test, and fail it once in a while.
    app.last_activity = kiosk_ui.clock()
    kiosk_ui.resize((1280, 800))
    yield kiosk_ui
