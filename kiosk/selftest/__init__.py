"""
``kiosk selftest``
==================

A technician's check of one kiosk, one row per part, each PASS, WARN or FAIL
with a short reason and, for WARN and FAIL, what to do::

    PASS  printer    online, paper OK, cover closed (/dev/serial0 @ 9600 baud)
    FAIL  printer    out of paper (/dev/pts/3)
                     -> load a new roll

Each check is a small function of a :class:`SelfTest` (the config, the
options, and the devices it opened once) returning a :class:`~.rows.Check`;
:meth:`SelfTest.run` runs them in order and turns a check that crashes into a
FAIL row, so one broken part never hides the others.  The checks live by what
they look at:

- ``display.py``: the screen and its touch device;
- ``devices.py``: the buttons, their LEDs, the printer and its test page;
- ``network.py``: the office server, reached and the token accepted;
- ``system.py``: the clock, the free room, the database and the outbox;
- ``catalogues.py``: the config file, the services, the forms, the font.

``rows.py`` holds the row itself and ``output.py`` prints the rows
(:func:`render_row`, :func:`render_text`, :func:`render_json`, the summary) and
gives the exit code: 0 when nothing failed (WARN allowed), else 1.  This module
holds the runner, and names what the CLI and the admin screen use.  No Kivy and
no GPIO specifics here beyond opening the pins through
:func:`hardware.devices.open_hardware`, so an admin screen can run the same checks.

What it never does: import Kivy or anything of ``kiosk/ui`` (the display is
read from ``/sys/class/drm`` and ``/proc/bus/input/devices``), write to the
kiosk's database (it is checked with a connection that only reads, and a
corrupt file is left where it is for the kiosk to move aside), or show the
server token (every row is scrubbed of it).

In simulated mode (``[hardware] mode = "simulated"``) it checks the
simulated devices: buttons and LEDs on gpiozero's mock pins, the ``sim://``
printer through the same :class:`~hardware.printer.PrinterLink` as a real
one.  With ``--interactive`` the mock buttons are pressed by typing their
keys (``buttons.keys``) and Enter.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Tuple

from protocol.ratings import Scale

from .catalogues import check_config, check_fonts, check_forms, check_services
from .devices import check_button, check_buttons, check_leds, check_printer, check_test_page
from .display import check_display
from .network import check_network
from .output import exit_code, render_json, render_row, render_text, summary
from .rows import FAIL, PASS, WARN, Check
from .system import check_clock, check_database, check_outbox, check_storage, open_database

__all__ = ["Check", "SelfTest", "PASS", "WARN", "FAIL", "render_row", "render_text", "render_json", "summary",
           "exit_code"]

log = logging.getLogger("kiosk.selftest")


class SelfTest:
    """What the checks share: the config, the options, and each device opened once (``close()`` releases them).

    :param printer_url: check this printer instead of the configured one (``--printer``).
    :param interactive: ask for a press of each button (``--interactive``), waiting ``timeout`` s each.
    :param test_page: print a test page after the printer check (``--test-page``).
    :param prompt: shows a person what to do (``press 滿意 now``).
    :param keys_in: in simulated mode, lines of ``buttons.keys`` read from here press the mock buttons.
    :param root: where ``/sys``, ``/proc`` and ``/dev`` are looked up for the display (a test's fake tree).
    :param printer_link: the running kiosk's own printer link (a callable; the admin screen): used, never closed.
    :param skip: names of checks to leave out (the admin screen: the kiosk itself holds the button pins).
    """

    def __init__(self, config, *, printer_url: Optional[str] = None, interactive: bool = False,
                 test_page: bool = False, timeout: float = 10.0, prompt: Callable[[str], None] = print,
                 keys_in=None, root="/", printer_link: Optional[Callable[[], object]] = None,
                 skip: Iterable[str] = ()):
        self.config = config
        self.printer_link = printer_link
        self.skip = frozenset(skip)
        self.printer_url = printer_url
        self.interactive = interactive
        self.test_page = test_page
        self.timeout = timeout
        self.prompt = prompt
        self.root = Path(root)
        self.scale = Scale.of_size(len(config.buttons.pins))
        self._hardware = None
        self._hardware_error = None
        self.gpio_row: Optional[str] = None  # the first row that said why there is no GPIO
        self._printer = None
        self.printer_row: Optional[Check] = None  # the printer check's row, once it ran
        self._store = None
        self._database = None  # the database row, once the file was checked
        self._presses: "queue.Queue[int]" = queue.Queue()
        self._lines: "queue.Queue[str]" = queue.Queue()
        if keys_in is not None:
            threading.Thread(target=self._read_keys, args=(keys_in,), name="selftest-keys", daemon=True).start()

    @property
    def simulated(self) -> bool:
        return self.config.simulated

    # -- the devices, opened once ------------------------------------------------------------------

    def hardware(self):
        """The buttons and LEDs, as the kiosk opens them (mock pins in simulated mode); HardwareError if not."""
        from hardware.devices import open_hardware
        from hardware.exc import HardwareError

        if self._hardware is None and self._hardware_error is None:
            buttons = self.config.buttons
            try:
                self._hardware = open_hardware(
                    self.config.hardware.mode, buttons.pins, buttons.leds, self.config.printer.url,
                    self.config.printer.baudrate, self._presses.put, flow_control=self.config.printer.flow_control,
                    debounce=buttons.debounce_ms / 1000, stuck_after=buttons.stuck_after)
            except HardwareError as exc:
                self._hardware_error = exc
            else:
                if self._hardware.printer is not None:  # the printer is checked on a link of its own
                    self._hardware.printer.close()
        if self._hardware_error is not None:
            raise self._hardware_error
        return self._hardware

    def printer(self):
        """The printer link: ``--printer URL``, else the one the kiosk itself would open; PrinterNotConnected if not."""
        from hardware.printer import PrinterLink
        from ..services import Services

        if self.printer_link is not None:
            return self.printer_link()
        if self._printer is None or self._printer.closed:
            printer = self.config.printer
            self._printer = (PrinterLink(self.printer_url, baudrate=printer.baudrate,
                                         flow_control=printer.flow_control)
                             if self.printer_url else Services.printer_link_for(self.config))
        return self._printer

    def store(self):
        """``(store, database row)``: a :class:`~kiosk.store.Store` that only reads, or None with the row saying why."""
        if self._database is None:
            self._store, self._database = open_database(self.config.data_dir)
        return self._store, self._database

    def close(self) -> None:
        for part in (self._printer, self._hardware, self._store):
            if part is not None:
                try:
                    part.close()
                except Exception:  # closing must never hide the report
                    log.exception("closing %r failed", part)
        self._printer = self._hardware = self._store = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- button presses ----------------------------------------------------------------------------

    def _read_keys(self, stream) -> None:
        for line in stream:
            self._lines.put(line)

    def _press_mock(self, index: int) -> None:
        """Press mock button ``index`` as a finger would: down, held past the debounce, up."""
        pin = self._hardware.buttons.devices[index].pin
        pin.drive_low()
        time.sleep(self.config.buttons.debounce_ms / 1000 + 0.01)
        pin.drive_high()

    def ask_press(self, text: str) -> Tuple[Optional[int], float]:
        """Prompt with ``text``, wait up to ``timeout`` s for a button press; return ``(index or None, seconds)``."""
        while not self._presses.empty():  # a press from before the prompt does not count
            self._presses.get_nowait()
        self.prompt(text)
        start = time.monotonic()
        deadline = start + self.timeout
        keys = self.config.buttons.keys
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, self.timeout
            if self.simulated:
                try:
                    line = self._lines.get_nowait()
                except queue.Empty:
                    pass
                else:
                    for key in line.strip():
                        if key in keys:
                            self._press_mock(keys.index(key))
                            break
            try:
                return self._presses.get(timeout=min(left, 0.05)), time.monotonic() - start
            except queue.Empty:
                continue

    # -- running -----------------------------------------------------------------------------------

    def plan(self) -> List[Tuple[str, Callable[["SelfTest"], Check]]]:
        """The checks to run, in order, each with its row's name."""
        steps = [("config", check_config), ("display", check_display)]
        if self.interactive:
            steps += [(f"button {i + 1}", partial(check_button, index=i)) for i in range(self.scale.size)]
        else:
            steps.append(("buttons", check_buttons))
        steps += [("leds", check_leds), ("printer", check_printer)]
        if self.test_page:
            steps.append(("test page", check_test_page))
        steps += [("network", check_network), ("clock", check_clock), ("storage", check_storage),
                  ("database", check_database), ("outbox", check_outbox), ("services", check_services),
                  ("forms", check_forms), ("fonts", check_fonts)]
        return [(name, step) for name, step in steps if name not in self.skip]

    def run(self, on_check: Optional[Callable[[Check], None]] = None) -> List[Check]:
        """Run every check of :meth:`plan`; call ``on_check`` with each row as it is known; return the rows."""
        rows = []
        for name, step in self.plan():
            try:
                row = step(self)
            except Exception as exc:  # one broken check must not hide the others
                log.debug("check %s failed", name, exc_info=True)
                row = Check(name, FAIL, f"the check itself failed: {type(exc).__name__}: {exc}",
                            "run 'kiosk selftest -v' and report what it prints")
            row = self._scrubbed(row)
            rows.append(row)
            if on_check is not None:
                on_check(row)
        return rows

    def _scrubbed(self, row: Check) -> Check:
        """The row without any secret of the config (the server token), whatever a server or library wrote."""
        for setting, value in self.config.items():
            if setting.secret and value and (value in row.reason or value in row.advice):
                row = replace(row, reason=row.reason.replace(value, "***"), advice=row.advice.replace(value, "***"))
        return row
