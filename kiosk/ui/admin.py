"""
Admin screens
=============

For the office's staff and the technician, not for residents: a 5-second press
on the top-left corner (:class:`CornerHold`) opens a big PIN keypad
(``AdminPinScreen``); the right PIN opens ``AdminScreen``: the kiosk's state
on the left, the actions on the right.  The PIN, the lockout and what each
action does are in the domain (``kiosk/admin_pin.py``, ``ticketing_pause.py``,
``ticket_numbers.py``, ``admin_status.py``, ``poweroff.py``); here they are
only shown and called.
Layout in ``admin.kv``.
"""

from pathlib import Path

from kivy.clock import Clock
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from .widgets import WrapLabel

__all__ = ["AdminPinScreen", "AdminScreen", "CornerHold", "HOLD_SECONDS"]

#: How long the corner must be held: long enough that no resident does it by chance.
HOLD_SECONDS = 5.0
#: The corner's size, in layout units (1/100 of the screen's short side).
CORNER_UNITS = 12


class CornerHold:
    """Calls ``on_hold()`` when a finger rests on the top-left corner for ``HOLD_SECONDS``.

    Bound to the Window's touch events ahead of the widgets; it never consumes
    a touch, so whatever is under the corner still works normally.
    """

    def __init__(self, window, unit, on_hold, seconds: float = HOLD_SECONDS):
        self.window, self.unit, self.on_hold, self.seconds = window, unit, on_hold, seconds
        self._timers = {}

    def _in_corner(self, touch) -> bool:
        size = self.unit() * CORNER_UNITS
        return touch.x <= size and touch.y >= self.window.height - size

    def down(self, _window, touch):
        if self._in_corner(touch):
            self._timers[touch.uid] = Clock.schedule_once(lambda _dt: self._held(touch.uid), self.seconds)
        return False

    def move(self, _window, touch):
        if touch.uid in self._timers and not self._in_corner(touch):
            self._timers.pop(touch.uid).cancel()
        return False

    def up(self, _window, touch):
        timer = self._timers.pop(touch.uid, None)
        if timer is not None:
            timer.cancel()
        return False

    def _held(self, uid):
        self._timers.pop(uid, None)
        self.on_hold()


class StatusValue(WrapLabel):
    """A status value, coloured by its ``level`` (ok, warn, fail); wrapped between words (戶政事務所 whole)."""

    level = StringProperty("ok")


class AdminPinScreen(Screen):
    """A keypad with big keys; the digits show as dots."""

    entered = StringProperty()
    message = StringProperty()

    def press(self, key: str) -> None:
        if key == "clear":
            self.entered = ""
        elif len(self.entered) < 8:
            self.entered += key
            self.message = ""


class AdminScreen(Screen):
    """State on the left (``rows``: (label, value, level)), actions on the right, a result line below."""

    rows = ListProperty()
    faults = ListProperty()
    message = StringProperty()
    confirm = StringProperty()     # the action waiting for a second (or third) tap
    confirm_step = NumericProperty(0)

    def on_rows(self, _instance, rows):
        from kivy.factory import Factory

        grid = self.ids.get("status")
        if grid is None:
            return
        grid.clear_widgets()
        for label, value, level in rows:
            name, shown = Factory.StatusLabel(text=label), StatusValue(text=value, level=level)
            # both cells of a row as tall as the taller text (a label or a value may wrap), top-aligned
            fit = _row_fitter(name, shown)
            name.bind(texture_size=fit)
            shown.bind(texture_size=fit)
            fit()
            grid.add_widget(name)
            grid.add_widget(shown)


def _row_fitter(*cells):
    def fit(*_args):
        height = max([cell.texture_size[1] for cell in cells] + [cells[0].font_size * 1.5])
        for cell in cells:
            cell.height = height
    return fit


class AdminController:
    """What the admin screens do, for the app (``app.admin``); the rules are in ``kiosk/admin_*.py`` and beside them."""

    #: Actions that need a second tap, and the one that needs a third (today's numbers: residents hold them).
    CONFIRMS = {"restart": 1, "shutdown": 1, "reset_numbers": 2}

    def __init__(self, app):
        self.app = app
        self.runtime_dir = Path("/run/kiosk")  # kiosk.service's RuntimeDirectory: the power-off request goes here
        self.gate = None
        if app.services is not None:
            from ..admin_pin import AdminGate
            settings = app.kiosk_config.admin
            self.gate = AdminGate(app.services.store, settings.pin_hash, attempts=settings.attempts,
                                  lockout_seconds=settings.lockout_minutes * 60)

    # -- getting in ------------------------------------------------------------------------------

    def open_keypad(self) -> None:
        """The corner was held: the keypad (or why there is none)."""
        screen = self.app.manager.get_screen("admin_pin")
        screen.entered = ""
        screen.message = "" if self.gate is not None and self.gate.configured else self.app.t("admin.unset")
        self.app.large = False  # the staff's screens are drawn at the ordinary size
        self.app.show("admin_pin")

    def enter_pin(self) -> None:
        screen = self.app.manager.get_screen("admin_pin")
        pin, screen.entered = screen.entered, ""
        if self.gate is None:
            return
        answer = self.gate.try_pin(pin)
        if answer == "ok":
            self.open()
        elif answer == "wrong":
            screen.message = self.app.t("admin.pin_wrong", count=self.gate.attempts_left)
        elif answer == "locked":
            screen.message = self.app.t("admin.pin_locked", minutes=max(1, round(self.gate.locked_for() / 60)))
        else:
            screen.message = self.app.t("admin.unset")

    def open(self, wait_for_printer: bool = False) -> None:
        """The admin screen; ``wait_for_printer``: ask the printer on this thread (a screenshot, not a kiosk)."""
        screen = self.app.manager.get_screen("admin")
        screen.message, screen.confirm, screen.confirm_step = "", "", 0
        if wait_for_printer:
            from ..admin_status import printer_row
            self._show_status(printer_row(self.app.services))
        else:
            self.refresh()
        self.app.show("admin")

    # -- what it shows -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Fill the status now (printer: "asking…"), then again once the printer has answered."""
        from ..admin_status import StatusRow, printer_row

        self._show_status(StatusRow("printer", self.app.t("admin.asking"), "warn"))

        def ask():
            row = printer_row(self.app.services)
            Clock.schedule_once(lambda _dt: self._show_status(row))
        import threading
        threading.Thread(target=ask, name="admin-printer", daemon=True).start()

    def _show_status(self, printer) -> None:
        from ..admin_status import latest_faults, status_rows

        screen = self.app.manager.get_screen("admin")
        rows = status_rows(self.app.services, printer)
        words = {("ticketing", "paused"): self.app.t("admin.value_paused"),
                 ("server", "—"): self.app.t("admin.value_none")}
        screen.rows = [(self.app.t(f"admin.row_{row.key}"), words.get((row.key, row.value), row.value), row.level)
                       for row in rows]
        screen.faults = latest_faults(self.app.services.store) or [self.app.t("admin.no_faults")]

    # -- actions -----------------------------------------------------------------------------------

    def action(self, name: str) -> None:
        """A tap on an action: ask again where it is drastic, else do it and say how it went."""
        screen = self.app.manager.get_screen("admin")
        self.app.last_activity = self.app.monotonic()
        needed = self.CONFIRMS.get(name, 0)
        step = screen.confirm_step + 1 if screen.confirm == name else 1
        if step <= needed:
            screen.confirm, screen.confirm_step = name, step
            key = "admin.confirm_last" if step == needed and needed > 1 else "admin.confirm"
            screen.message = self.app.t(key, action=self.app.t(f"admin.action_{name}"))
            return
        screen.confirm, screen.confirm_step = "", 0
        try:
            result = getattr(self, f"_do_{name}")()
        except Exception as exc:  # say it on the screen: the staff are looking at it
            screen.message = self.app.t("admin.failed", action=self.app.t(f"admin.action_{name}"), reason=str(exc))
            self.app.services.store.record_event("admin", {"action": name, "ok": False, "error": str(exc)[:300]})
            return
        screen.message = result
        self._show_status_later()

    def _show_status_later(self):
        Clock.schedule_once(lambda _dt: self.refresh(), 0.5)

    def _do_test_print(self) -> str:
        from ..test_page import make_test_page
        data, _qr = make_test_page(self.app.kiosk_config)
        # the tickets' print job: ask, send, ask again; a fault is stored and said on the screen, a lost link reopened
        printing = self.app.services.tickets.printing
        printing.send(printing.ready(), data)
        self.app.services.store.record_event("admin", {"action": "test_print"})
        return self.app.t("admin.done_test_print")

    def _do_reprint(self) -> str:
        ticket = self.app.services.tickets.reprint_last()  # records its own admin event
        return self.app.t("admin.done_reprint", number=ticket.label)

    def _do_pause(self) -> str:
        from ..ticketing_pause import set_ticketing_paused, ticketing_paused
        paused = not ticketing_paused(self.app.services.store)
        set_ticketing_paused(self.app.services.store, paused)
        return self.app.t("admin.done_paused" if paused else "admin.done_resumed")

    def _do_reset_numbers(self) -> str:
        from protocol import officetime
        from ..ticket_numbers import reset_today_numbers
        if self.app.services.tickets.numbers is not None:  # one series for the whole office: not this kiosk's
            return self.app.t("admin.reset_numbers_office")
        reset_today_numbers(self.app.services.store, officetime.office_day(officetime.now()).isoformat())
        return self.app.t("admin.done_reset_numbers")

    def _do_selftest(self) -> str:
        """The self-test without the button pins (the kiosk holds them; their state is in the list), in the
        background: the network checks can take seconds."""
        from ..selftest import FAIL, PASS, SelfTest

        services, screen = self.app.services, self.app.manager.get_screen("admin")

        def work():
            test = SelfTest(self.app.kiosk_config, printer_link=services.printer_link, skip=("buttons", "leds"))
            try:
                checks = test.run()
            finally:
                test.close()
            services.store.record_event("admin", {"action": "selftest",
                                                  "failed": [c.name for c in checks if c.status == FAIL]})
            lines = [f"{c.status} {c.name}: {c.reason}" for c in checks if c.status != PASS]
            text = self.app.t("admin.done_selftest", passed=sum(c.status == PASS for c in checks), total=len(checks))
            Clock.schedule_once(lambda _dt: setattr(screen, "message", "\n".join([text] + lines)))
        import threading
        threading.Thread(target=work, name="admin-selftest", daemon=True).start()
        return self.app.t("admin.selftest_running")

    def _do_restart(self) -> str:
        self.app.services.store.record_event("admin", {"action": "restart"})
        Clock.schedule_once(lambda _dt: self.app.stop(), 0.5)  # systemd starts it again (Restart=always)
        return self.app.t("admin.done_restart")

    def _do_shutdown(self) -> str:
        from ..poweroff import request_poweroff
        request_poweroff(self.runtime_dir)
        self.app.services.store.record_event("admin", {"action": "shutdown"})
        return self.app.t("admin.done_shutdown")
