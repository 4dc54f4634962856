"""
``kiosk selftest``
==================

A technician's check of one kiosk, one row per part, each PASS, WARN or FAIL
with a short reason and, for WARN and FAIL, what to do::

    PASS  printer    online, paper OK, cover closed (/dev/serial0 @ 9600 baud)
    FAIL  printer    out of paper (/dev/pts/3)
                     -> load a new roll

Each check is a small function of a :class:`SelfTest` (the config, the
options, and the devices it opened once) returning a :class:`Check`;
:meth:`SelfTest.run` runs them in order and turns a check that crashes into a
FAIL row, so one broken part never hides the others.  :func:`render_row` (or
:func:`render_text`) and :func:`render_json` print the result; :func:`exit_code`
is 0 when nothing failed (WARN allowed), else 1.  No Kivy and no GPIO specifics
here beyond opening the pins through :func:`hardware.open_hardware`, so an
admin screen can run the same checks.

What it never does: import Kivy (the display is read from ``/sys/class/drm``
and ``/proc/bus/input/devices``), write to the kiosk's database (it is
checked with a connection that only reads, and a corrupt file is left where
it is for the kiosk to move aside), or show the server token (every row is
scrubbed of it).

In simulated mode (``[hardware] mode = "simulated"``) it checks the
simulated devices: buttons and LEDs on gpiozero's mock pins, the ``sim://``
printer through the same :class:`~hardware.printer.PrinterLink` as a real
one.  With ``--interactive`` the mock buttons are pressed by typing their
keys (``buttons.keys``) and Enter.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Tuple
from urllib.parse import urlsplit

from protocol import officetime

from . import clock_sync
from protocol.ratings import Scale

__all__ = ["Check", "SelfTest", "PASS", "WARN", "FAIL", "render_row", "render_text", "render_json", "summary",
           "exit_code", "make_test_page", "TEST_PAGE_SAMPLE"]

log = logging.getLogger("kiosk.selftest")

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
_RANK = {PASS: 0, WARN: 1, FAIL: 2}

FREE_WARN_MB, FREE_FAIL_MB = 200, 20
BACKLOG_WARN_EVENTS, BACKLOG_WARN_HOURS = 5000, 24
NET_TIMEOUT = 3.0         # seconds for DNS, for the connection, and to connect over HTTP
HTTP_READ_TIMEOUT = 5.0   # seconds for the office server's answer
CLOCK_OFFSET_WARN = 1.0   # seconds
OLDEST_PLAUSIBLE_YEAR = 2025  # a clock before this was never set (a Pi has no battery clock)
MIN_SCREEN = (800, 480)   # the smallest layout the kiosk is drawn for
PAGE_ONLY_FORMS_WARN = 3   # more forms than this whose QR only opens a page listing forms: a WARN
ABS_MT_POSITION_X = 0x35  # linux/input-event-codes.h: a multi-touch screen has this axis

#: Big5 text a printer must get right: 許, 功 and 蓋 end in byte 0x5C (a backslash in ASCII), which
#: firmware that is not really Big5 mangles; the rest is what tickets and slips print.
TEST_PAGE_SAMPLE = ("許功蓋 戶籍謄本 印鑑證明", "滿意 普通 不滿意", "請留意叫號燈號，過號請重新抽號")

#: BCM GPIO number -> pin on the Pi's 40-pin header, so a technician finds the wire.
HEADER_PIN = {2: 3, 3: 5, 4: 7, 14: 8, 15: 10, 17: 11, 18: 12, 27: 13, 22: 15, 23: 16, 24: 18, 10: 19, 9: 21,
              25: 22, 11: 23, 8: 24, 7: 26, 0: 27, 1: 28, 5: 29, 6: 31, 12: 32, 13: 33, 19: 35, 16: 36, 26: 37,
              20: 38, 21: 40}

PINS_BUSY_ADVICE = ("if the kiosk app is running it holds the pins and the printer port: "
                    "sudo systemctl stop kiosk, run the selftest, sudo systemctl start kiosk")


@dataclass(frozen=True)
class Check:
    """One row of the report: ``status`` is PASS, WARN or FAIL; ``advice`` says what to do (for WARN/FAIL)."""

    name: str
    status: str
    reason: str
    advice: str = ""


def _worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=_RANK.__getitem__, default=PASS)


def _pin(pin, header: bool = False) -> str:
    """``BCM pin 17``, or with ``header`` ``BCM pin 17 (header pin 11)``: where the wire goes."""
    on_header = HEADER_PIN.get(pin) if header else None
    return f"BCM pin {pin}" + (f" (header pin {on_header})" if on_header else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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
        from hardware import open_hardware
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
        from .services import Services

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
            self._store, self._database = _open_database(self.config.data_dir)
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


# -- rendering ---------------------------------------------------------------------------------------

def render_row(check: Check, width: int = 10) -> str:
    """``PASS  printer     online, paper OK``; WARN and FAIL add an indented line with what to do."""
    line = f"{check.status}  {check.name.ljust(width)}  {check.reason}"
    if check.status != PASS and check.advice:
        line += "\n" + " " * (width + 8) + "-> " + check.advice
    return line


def render_text(checks: List[Check], kiosk_id: str = "") -> str:
    """Every row, aligned, and a summary line."""
    width = max((len(c.name) for c in checks), default=0)
    return "\n".join([render_row(c, width) for c in checks] + [summary(checks, kiosk_id)])


def summary(checks: List[Check], kiosk_id: str = "") -> str:
    counts = {status: sum(c.status == status for c in checks) for status in (PASS, WARN, FAIL)}
    who = f"kiosk {kiosk_id}: " if kiosk_id else ""
    return (f"{who}{_plural(len(checks), 'check')}: {counts[PASS]} PASS, {counts[WARN]} WARN, {counts[FAIL]} FAIL"
            f" -> {'FAILED' if counts[FAIL] else 'OK'}")


def render_json(checks: List[Check], kiosk_id: str = "") -> str:
    """``{"ok": bool, "kiosk": id, "checks": [{"name", "status", "reason", "advice"}, ...]}``."""
    return json.dumps({"ok": exit_code(checks) == 0, "kiosk": kiosk_id, "checks": [asdict(c) for c in checks]},
                      ensure_ascii=False, indent=2)


def exit_code(checks: List[Check]) -> int:
    """0 when nothing failed (warnings allowed), else 1."""
    return 1 if any(c.status == FAIL for c in checks) else 0


# -- config --------------------------------------------------------------------------------------------

def check_config(t: SelfTest) -> Check:
    """The file loaded (else there would be no self-test); WARN with what ``kiosk config check`` warns about."""
    from .config import config_warnings

    config = t.config
    where = str(config.source) if config.source else "built-in defaults"
    reason = (f"{where}: kiosk {config.kiosk.id} ({config.kiosk.office}), {config.hardware.mode} hardware, "
              f"language {config.kiosk.language}")
    warnings = config_warnings(config)
    if not warnings:
        return Check("config", PASS, reason)
    return Check("config", WARN, "; ".join([reason] + [f"{w.key} {w.message}" for w in warnings]),
                 "; ".join(dict.fromkeys(w.advice for w in warnings)))


# -- display ---------------------------------------------------------------------------------------------

def check_display(t: SelfTest) -> Check:
    if t.simulated:
        from .errors import NoDisplayError
        from .ui.environment import find_display  # plain Python: imports no Kivy
        try:
            driver = find_display()
        except NoDisplayError:
            return Check("display", PASS, "simulated: no display here (kiosk screenshot works headless), "
                                          "no touch screen checked")
        return Check("display", PASS, f"simulated: kiosk run opens a window (SDL {driver}), no touch screen checked")
    return _display_real(t.root, t.config.display.rotation)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def drm_connectors(root: Path) -> List[Tuple[str, str, str, List[str]]]:
    """``(card, connector, status, modes)`` of each display connector the kernel's KMS driver has."""
    found = []
    for status in sorted((root / "sys/class/drm").glob("card*-*/status")):
        card, _, connector = status.parent.name.partition("-")
        if connector.startswith("Writeback"):
            continue  # not a screen
        found.append((card, connector, _read(status).strip(), _read(status.parent / "modes").split()))
    return found


def _word_bits(words: List[str]) -> int:
    """Bits per word of the kernel's bitmaps: its ``long`` (a 64-bit kernel may run 32-bit programs)."""
    machine = os.uname().machine
    return 64 if "64" in machine or machine == "s390x" or any(len(w) > 8 for w in words) else 32


def input_devices(text: str, word_bits: Optional[int] = None) -> List[dict]:
    """Each device of ``/proc/bus/input/devices``: name, event node, and whether it is a multi-touch screen.

    ``word_bits``: the kernel's ``long`` in bits, in which the ``B: ABS=`` bitmap is written (default: guessed).
    """
    devices = []
    for block in re.split(r"\n\s*\n", text):
        name = re.search(r'^N: Name="(.*)"$', block, re.M)
        handlers = re.search(r"^H: Handlers=(.*)$", block, re.M)
        axes = re.search(r"^B: ABS=(.*)$", block, re.M)
        if not name or not handlers:
            continue
        event = next((h for h in handlers.group(1).split() if h.startswith("event")), None)
        bits = 0
        if axes:
            words = axes.group(1).split()
            size = word_bits or _word_bits(words)
            for word in words:  # most significant word first
                bits = bits << size | int(word, 16)
        devices.append({"name": name.group(1), "event": event, "touch": bool(bits >> ABS_MT_POSITION_X & 1)})
    return devices


def _display_real(root: Path, rotation: int) -> Check:
    connectors = drm_connectors(root)
    if not connectors:
        return Check("display", FAIL, "no KMS display: no connector in /sys/class/drm",
                     "the Pi's display driver is off: dtoverlay=vc4-kms-v3d in the boot partition's config.txt, "
                     "then reboot")
    connected = [c for c in connectors if c[2] == "connected"]
    if not connected:
        seen = ", ".join(f"{name} {status}" for _card, name, status, _modes in connectors)
        return Check("display", FAIL, f"no screen connected ({seen})",
                     "check the HDMI or DSI cable and that the screen has power, then reboot "
                     "(the screen is detected at boot)")
    card, name, _status, modes = connected[0]
    mode = modes[0] if modes else "no modes"
    parts = [f"{name} {mode}" + (f", rotated {rotation}°" if rotation else "")]
    problems: List[Tuple[str, str, str]] = []
    size = re.match(r"(\d+)x(\d+)", mode)
    if size and (int(size.group(1)) * int(size.group(2)) < MIN_SCREEN[0] * MIN_SCREEN[1]):
        problems.append((WARN, f"{mode} is smaller than the {MIN_SCREEN[0]}x{MIN_SCREEN[1]} the screens are drawn for",
                         "use a screen of at least 800x480"))
    node = root / "dev/dri" / card
    if node.exists() and not os.access(node, os.R_OK | os.W_OK):
        problems.append((FAIL, f"cannot open /dev/dri/{card}",
                         "run as the kiosk user or root: the kiosk user needs the video and render groups"))
    devices = input_devices(_read(root / "proc/bus/input/devices"))
    touch = [d for d in devices if d["touch"]]
    if not touch:
        problems.append((FAIL, f"no touch device among {_plural(len(devices), 'input device')}",
                         "connect the touch screen's USB cable (an HDMI monitor needs it for touch), then check "
                         "/proc/bus/input/devices"))
    else:
        first = touch[0]
        parts.append(f"touch: {first['name']} ({first['event']})")
        if len(touch) > 1:
            names = ", ".join(f"{d['name']} ({d['event']})" for d in touch)
            problems.append((WARN, f"{len(touch)} touch devices ({names}): each one is an input, so a tap may "
                                   "count twice", "unplug the extra touch device"))
        else:
            parts.append("one input provider (hidinput)")
        for device in touch:
            event = root / "dev/input" / (device["event"] or "")
            if device["event"] and event.exists() and not os.access(event, os.R_OK):
                problems.append((FAIL, f"cannot read /dev/input/{device['event']}",
                                 "run as the kiosk user or root: the kiosk user needs the input group"))
    status = _worst(p[0] for p in problems)
    return Check("display", status, "; ".join(parts + [p[1] for p in problems]),
                 "; ".join(p[2] for p in problems if p[0] == status))


# -- buttons and LEDs --------------------------------------------------------------------------------------

def _gpio(t: SelfTest, name: str, part: str):
    """``(hardware, None)``, or ``(None, FAIL row)`` when the pins cannot be used."""
    from hardware.exc import HardwareError
    try:
        hw = t.hardware()
    except HardwareError as exc:
        return None, Check(name, FAIL, f"cannot open the {part} pins: {exc}", PINS_BUSY_ADVICE)
    if hw.buttons is None:
        said, t.gpio_row = t.gpio_row, t.gpio_row or name
        return None, Check(name, FAIL, f"no GPIO (see {said})" if said else f"no GPIO: {hw.gpio_fault}",
                           "on a Raspberry Pi: install the GPIO library into the kiosk's venv (pip install lgpio) "
                           "and check the kiosk user is in the gpio group")
    return hw, None


def _held(hw) -> List[int]:
    return [i for i, device in enumerate(hw.buttons.devices) if device.is_pressed]


def _held_row(t: SelfTest, name: str, held: List[int]) -> Check:
    pins = t.config.buttons.pins
    which = ", ".join(f"{t.scale.choice(i).label} ({_pin(pins[i], header=True)})" for i in held)
    return Check(name, FAIL, f"held down: {which}",
                 "a stuck button, or its wire touches GND: free the button or check its wiring "
                 "(the kiosk ignores a held button until it is released)")


def check_buttons(t: SelfTest) -> Check:
    hw, failed = _gpio(t, "buttons", "button")
    if failed:
        return failed
    held = _held(hw)
    if held:
        return _held_row(t, "buttons", held)
    pins = t.config.buttons.pins
    labels = " / ".join(c.label for c in t.scale.choices)
    where = "mock pins" if t.simulated else "BCM pins"
    return Check("buttons", PASS, f"{len(pins)} buttons ({labels}) on {where} {', '.join(map(str, pins))}, none "
                                  "held down; not pressed (use --interactive)")


def _light(hw, index: int, value: float) -> None:
    if hw.leds is not None and index < len(hw.leds.devices):
        hw.leds.devices[index].value = value


def check_button(t: SelfTest, index: int) -> Check:
    """``--interactive``: ask a person to press button ``index`` (its LED lit) and wait for it."""
    name = f"button {index + 1}"
    hw, failed = _gpio(t, name, "button")
    if failed:
        return failed
    if index in _held(hw):
        return _held_row(t, name, [index])
    label, pin = t.scale.choice(index).label, t.config.buttons.pins[index]
    how = f"; simulated: type {t.config.buttons.keys[index]} and Enter" if t.simulated else ""
    _light(hw, index, 1)
    try:
        pressed, seconds = t.ask_press(f"press {label} now (button {index + 1} on {_pin(pin)}, within "
                                       f"{t.timeout:g} s{how})")
    finally:
        _light(hw, index, 0)
    if pressed is None:
        return Check(name, FAIL, f"{label} ({_pin(pin)}): no press within {t.timeout:g} s",
                     f"check the wiring of {_pin(pin, header=True)} to the {label} button, and the button's other "
                     "leg to GND")
    if pressed != index:
        other, other_pin = t.scale.choice(pressed).label, t.config.buttons.pins[pressed]
        return Check(name, FAIL, f"{other} ({_pin(other_pin)}) was pressed, not {label} ({_pin(pin)})",
                     "buttons.pins lists the pins best first: swap the two buttons' wires, or the two pins in the "
                     "config")
    return Check(name, PASS, f"{label} pressed on {_pin(pin)} after {seconds:.1f} s")


def check_leds(t: SelfTest) -> Check:
    hw, failed = _gpio(t, "leds", "LED")
    if failed:
        return failed
    pins = t.config.buttons.leds
    dark = []
    for index, device in enumerate(hw.leds.devices):
        device.value = 1
        if device.value != 1:
            dark.append(pins[index])
        if not t.simulated:
            time.sleep(0.3)  # long enough to see, one after the other
        device.value = 0
    if dark:
        return Check("leds", FAIL, f"LED pins {', '.join(map(str, dark))} did not take the value set",
                     "check that no other program uses these pins")
    if t.simulated:
        return Check("leds", PASS, f"{len(pins)} LEDs on mock pins {', '.join(map(str, pins))} lit and read back")
    return Check("leds", PASS, f"{len(pins)} LEDs on BCM pins {', '.join(map(str, pins))} lit one after the other "
                               "(each should have flashed once)")


# -- printer ---------------------------------------------------------------------------------------------

def _printer_failure(name: str, exc, url: str) -> Check:
    """A FAIL row for a printer that cannot be opened or asked."""
    from hardware.exc import PrinterNoReply, PrinterNotConnected
    if isinstance(exc, PrinterNotConnected):
        return Check(name, FAIL, str(exc), "plug the printer in and switch it on; [printer] url names its port")
    if isinstance(exc, PrinterNoReply):
        return Check(name, FAIL, f"no reply from the printer {url} to a status request",
                     "switch it on, check the cable, and that [printer] baudrate matches the printer's setting")
    return Check(name, FAIL, str(exc), "check [printer] baudrate and that this is an ESC/POS printer")


def check_printer(t: SelfTest) -> Check:
    t.printer_row = _check_printer(t)
    return t.printer_row


def _check_printer(t: SelfTest) -> Check:
    from hardware.exc import PrinterError
    url = t.printer_url or t.config.printer.url
    try:
        link = t.printer()
        url = link.url
        status = link.status()
    except PrinterError as exc:
        return _printer_failure("printer", exc, url)
    where = f"{'simulated printer ' if url.startswith('sim://') else ''}{url} @ {link.baudrate} baud"
    faults = [(status.paper_out, "out of paper", "load a new roll"),
              (status.cover_open, "cover open", "close the cover"),
              (not status.online and not status.paper_out and not status.cover_open,
               "offline (an error such as a paper or cutter jam)",
               "check its error light; switch it off and on")]
    found = [(words, advice) for bad, words, advice in faults if bad]
    if found:
        return Check("printer", FAIL, f"{', '.join(w for w, _ in found)} ({where})", "; ".join(a for _, a in found))
    if status.paper_near_end:
        return Check("printer", WARN, f"online, paper near end ({where})", "have a new roll ready")
    return Check("printer", PASS, f"online, paper OK, cover closed ({where})")


def make_test_page(config) -> Tuple[bytes, str]:
    """The test page as ESC/POS for the configured printer, and the text of its QR code."""
    from hardware.printer.escpos import QR, Cut, Feed, PrinterProfile, Text, encode
    from .errors import FontError
    from .fonts import font_files
    from .ticket_layout import fitting, ticket_url

    try:
        font = str(font_files(build=False)["regular"])
    except FontError:
        font = None  # fine while every line can be sent as text
    profile = PrinterProfile(width_dots=384 if config.printer.paper_mm == 58 else 576,
                             encoding=config.printer.encoding, qr=config.printer.qr, font_path=font)
    now = officetime.now()
    # The ticket's QR, so a technician can scan it and see the live queue page open; without one the printer's QR
    # is still tested, with a text that says so.
    ticket_qr = ticket_url(config, "A000", "A", now.date(), config.kiosk.language)
    qr = ticket_qr or f"kiosk {config.kiosk.id} self-test: no live-queue QR on tickets (server.public_url is not set)"
    blocks = [Text("SELF-TEST 自我檢測", align="center", bold=True),
              fitting(config.kiosk.office, profile, 2, bold=True),
              Text(config.kiosk.office_en, align="center"),
              Text(f"{config.kiosk.id}  {officetime.roc_short(now.date())}  {now.strftime('%H:%M')}", align="center"),
              Feed(1)]
    blocks += [Text(line) for line in TEST_PAGE_SAMPLE]
    blocks += [Text("0123456789 ABCDEFGHIJ abcdefghij"),
               Text("Big5 " + ("OK if 許功蓋 reads right" if config.printer.encoding == "big5"
                               else f"({config.printer.encoding})")),
               QR(qr, module=6 if profile.width_dots <= 384 else 8),
               Text(ticket_qr or "no live-queue QR on tickets", align="center"),
               Text(f"{config.printer.paper_mm} mm, {config.printer.encoding}, QR {config.printer.qr}", align="center"),
               Feed(3), Cut()]
    return encode(blocks, profile), qr


def check_test_page(t: SelfTest) -> Check:
    from hardware.exc import PrinterError
    url = t.printer_url or t.config.printer.url
    if t.printer_row is not None and t.printer_row.status == FAIL:  # asking again would only wait again
        return Check("test page", FAIL, "not printed: the printer cannot print (see the printer row)",
                     t.printer_row.advice)
    try:
        data, qr = make_test_page(t.config)
    except ValueError as exc:  # a line the printer cannot take as text, and no font to draw it
        return Check("test page", FAIL, f"not printed: {exc}", "run 'kiosk fonts build'")
    try:
        link = t.printer()
        url = link.url
        link.check_ready()
        link.write(data)
        link.check_ready()  # a printer that ran out or went away midway only says so afterwards
    except PrinterError as exc:
        failed = _printer_failure("test page", exc, url)
        return replace(failed, reason=f"not printed: {failed.reason}")
    return Check("test page", PASS, f"sent {len(data)} bytes to {url}: the office name, Big5 sample "
                                    f"{TEST_PAGE_SAMPLE[0].split()[0]}, a QR code of {qr}: check the paper")


# -- network -------------------------------------------------------------------------------------------

def _resolve(host: str, port: int, timeout: float):
    """getaddrinfo with a deadline (it has none of its own); TimeoutError when DNS is silent."""
    answer: dict = {}

    def ask():
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            answer["error"] = exc

    thread = threading.Thread(target=ask, name="selftest-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no DNS answer for {host} within {timeout:g} s")
    if "error" in answer:
        raise answer["error"]
    return answer["infos"]


def check_network(t: SelfTest) -> Check:
    server = t.config.server
    if not server.url:
        from .reachable import lan_address
        address = lan_address()
        return Check("network", PASS, "no office server configured (uploads off)"
                     + (f"; this kiosk's address {address}" if address else ""))
    parts = urlsplit(server.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = _resolve(host, port, NET_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        why = exc.strerror if isinstance(exc, socket.gaierror) and exc.strerror else str(exc)
        return Check("network", FAIL, f"cannot resolve the office server's name {host}: {why}",
                     "check the network and its DNS server, or put the server's IP address in server.url")
    family, _type, _proto, _name, address = infos[0]
    ip = address[0]
    server_at = f"office server {host}:{port}" + (f" ({ip})" if ip != host else "")
    try:
        with socket.socket(family, socket.SOCK_STREAM) as conn:
            conn.settimeout(NET_TIMEOUT)
            conn.connect(address)
            local = conn.getsockname()[0]
    except OSError as exc:
        why = "no answer" if isinstance(exc, socket.timeout) else (exc.strerror or str(exc))
        return Check("network", FAIL, f"{server_at} unreachable: {why}",
                     "check the kiosk's cable or Wi-Fi, and that the office server runs (kiosk-office serve) "
                     "and its firewall lets the port through")
    where = f"{server_at} reachable from {local}"
    if not server.token:
        return Check("network", FAIL, f"{where}, but server.token is empty",
                     f"on the office server: kiosk-office kiosk add {t.config.kiosk.id}; put the token it prints "
                     "in server.token")
    return _ask_config(t, where)


def _ask_config(t: SelfTest, where: str) -> Check:
    """GET the config endpoint with the token (office/PROTOCOL.md): is this kiosk's token accepted?

    Asked through the kiosk's own :class:`~kiosk.office_client.OfficeClient`, so ``server.ca_bundle``, the token
    and the URL are taken exactly as the uploader, the config sync and the queue status take them.
    """
    from .office_client import OfficeClient, OfficeUnreachable

    config = t.config
    client = OfficeClient(config)
    url = client.kiosk_url("config")
    started = time.monotonic()
    try:
        # The client's messages name the URL, never the headers: the token cannot leak through them.
        response = client.get(url, (NET_TIMEOUT, HTTP_READ_TIMEOUT))
    except OfficeUnreachable as exc:
        if exc.kind == "certificate":
            bundle = config.server.ca_bundle
            return Check("network", FAIL, f"{where}, but its TLS certificate is not trusted"
                         + (f" by server.ca_bundle {bundle}" if bundle else ""),
                         "set server.ca_bundle to the office's CA certificate (PEM), or check the kiosk's clock")
        if exc.kind == "ca_bundle":
            return Check("network", FAIL, f"{where}, but {exc}",
                         "server.ca_bundle must name a PEM file holding the office's CA certificate")
        if exc.kind == "timeout":
            return Check("network", FAIL, f"{where}, but it did not answer {url} within {HTTP_READ_TIMEOUT:g} s",
                         "check that the office server runs (kiosk-office serve) and is not overloaded")
        return Check("network", FAIL, f"{where}, but {exc}",
                     "check server.url: it is the office server's base address")
    finally:
        client.close()
    ms = (time.monotonic() - started) * 1000
    if response.status_code == 200:
        return Check("network", PASS, f"{where}, token accepted (config endpoint, {ms:.0f} ms)")
    if response.status_code in (401, 403):
        try:
            said = str(response.json().get("error", ""))[:160]
        except (ValueError, AttributeError):
            said = ""
        return Check("network", FAIL, f"{where}, but the token was refused (HTTP {response.status_code}"
                                      + (f": {said}" if said else "") + ")",
                     f"on the office server: kiosk-office kiosk add {config.kiosk.id} issues a new token; put it "
                     "in server.token")
    if response.status_code == 404:
        return Check("network", FAIL, f"{where}, but it has no config endpoint at {url} (HTTP 404)",
                     "server.url must be the office server's base address (what kiosk-office serve listens on)")
    return Check("network", FAIL, f"{where}, but it answered HTTP {response.status_code} at {url}",
                 "look at the office server's log")


# -- clock ------------------------------------------------------------------------------------------------

def _timedatectl(*args: str) -> Optional[str]:
    """What ``timedatectl ARGS`` prints, or None where it cannot tell (no systemd: a container, a laptop)."""
    try:
        done = subprocess.run(["timedatectl", *args], capture_output=True, text=True, timeout=NET_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _offset_seconds(text: str) -> Optional[float]:
    """The ``Offset:`` of ``timedatectl timesync-status`` in seconds (``+1.234ms`` -> 0.001234)."""
    match = re.search(r"Offset:\s*([+-]?[\d.]+)\s*(us|µs|ms|s|min)\b", text)
    if not match:
        return None
    scale = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}[match.group(2)]
    return float(match.group(1)) * scale


def check_clock(t: SelfTest) -> Check:
    now = officetime.now()
    day = officetime.office_day(now)
    office = f"office day {officetime.roc_short(day)} ({officetime.roc_date(day)}) {now.strftime('%H:%M')} Asia/Taipei"
    if now.year < OLDEST_PLAUSIBLE_YEAR:
        return Check("clock", FAIL, f"the clock says {now:%Y-%m-%d %H:%M}: it was never set",
                     "connect the kiosk to a network with an NTP server; tickets are numbered by office day")
    answer = _timedatectl("show", "-p", "NTPSynchronized", "--value")
    synced = {"yes": True, "no": False}.get((answer or "").strip())
    if synced is None and clock_sync.TIMESYNC_FLAG.exists():
        synced = True  # systemd-timesyncd says so even where timedatectl cannot be asked
    if synced is None:
        if t.simulated:
            return Check("clock", PASS, f"NTP not checked (simulated; timedatectl cannot tell here); {office}")
        return Check("clock", WARN, f"cannot tell whether the clock is synchronised (timedatectl gave no answer); "
                                    f"{office}", "check that systemd-timesyncd runs: timedatectl timesync-status")
    if not synced:
        if t.simulated:
            return Check("clock", PASS, f"NTP not synchronised on this machine (simulated: not needed); {office}")
        return Check("clock", WARN, f"NTP not synchronised yet: events are marked clock_synced false; {office}",
                     "check the NTP server is reachable: timedatectl timesync-status (the Pi has no battery clock)")
    offset = _offset_seconds(_timedatectl("timesync-status") or "")
    shown = f" (offset {offset * 1000:+.1f} ms)" if offset is not None else ""
    if offset is not None and abs(offset) > CLOCK_OFFSET_WARN:
        return Check("clock", WARN, f"NTP synchronised but {offset:+.1f} s off; {office}",
                     "the clock is being corrected; if it stays off, check the NTP server")
    return Check("clock", PASS, f"NTP synchronised{shown}; {office}")


# -- storage ------------------------------------------------------------------------------------------------

def check_storage(t: SelfTest) -> Check:
    data_dir = t.config.data_dir
    existing = data_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    usage = shutil.disk_usage(existing)
    free_mb = usage.free // 2**20
    where = f"{_size(usage.free)} free of {_size(usage.total)} for {data_dir}"
    if not os.access(existing, os.W_OK | os.X_OK):
        return Check("storage", FAIL, f"{where}, but {existing} cannot be written",
                     "run as the kiosk user (or root), or fix the folder's owner: the kiosk records nothing here")
    if free_mb < FREE_FAIL_MB:
        return Check("storage", FAIL, f"only {where}: the kiosk cannot record ratings or tickets",
                     "make room now: kiosk upload --once sends the outbox (delivered events are then pruned); "
                     "remove old kiosk.db.corrupt-* files")
    if free_mb < FREE_WARN_MB:
        return Check("storage", WARN, f"only {where}",
                     "make room before it fills: kiosk upload --once, remove old kiosk.db.corrupt-* files")
    return Check("storage", PASS, where + ("" if data_dir.exists() else " (created at the kiosk's first start)"))


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 10 * 2**30 else f"{n // 2**20} MB"


def _open_database(data_dir: Path):
    """``(Store or None, database row)``; the file is read, never written, never moved aside."""
    from .store import DB_NAME, MIGRATIONS, Store

    path = data_dir / DB_NAME
    if not path.exists():
        return None, Check("database", PASS, f"no database yet at {path} (the kiosk creates it at its first start)")
    conn = None
    try:
        # A plain connection, as the kiosk's own check at start: a read-only one would leave -wal and -shm
        # files behind, owned by whoever ran this (root), which the kiosk's user then cannot open.
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.OperationalError as exc:  # locked, unreadable: not known to be bad
        if conn is not None:
            conn.close()
        return None, Check("database", FAIL, f"cannot read {path}: {exc}",
                           "run as the kiosk user (or root); if it is locked, try again in a moment")
    except sqlite3.DatabaseError as exc:  # not a database, or damaged pages
        if conn is not None:
            conn.close()
        return None, _corrupt(path, str(exc))
    if problems != ["ok"]:
        conn.close()
        return None, _corrupt(path, "integrity check: " + "; ".join(problems[:2])[:200])
    store = Store(path, conn)
    if version > len(MIGRATIONS):
        return store, Check("database", FAIL, f"{path} has schema version {version}, newer than this software "
                                              f"({len(MIGRATIONS)})", "install the newer kiosk software")
    size = path.stat().st_size // 1024
    later = "" if version == len(MIGRATIONS) else f", updated to {len(MIGRATIONS)} at the kiosk's next start"
    return store, Check("database", PASS, f"{path}: integrity ok, schema version {version}{later}, {size} KB")


def _corrupt(path: Path, why: str) -> Check:
    return Check("database", FAIL, f"{path} is corrupt ({why})",
                 "copy it off for the office first; at its next start the kiosk moves it aside and starts an empty "
                 "one. Several of these: replace the SD card")


def check_database(t: SelfTest) -> Check:
    return t.store()[1]


def check_outbox(t: SelfTest) -> Check:
    from .uploader import META_ERROR

    store, database = t.store()
    if store is None:
        if database.status == PASS:
            return Check("outbox", PASS, "empty (no database yet)")
        return Check("outbox", WARN, "not counted: the database cannot be read (see database)",
                     "fix the database first")
    try:
        counts = store.outbox_counts()
        oldest = store.pending_events(limit=1)
        last_error = store.get_meta(META_ERROR) or ""
    except sqlite3.Error as exc:  # an older schema, updated at the kiosk's next start
        return Check("outbox", WARN, f"not counted: {exc}", "start the kiosk once to update its database")
    pending, parked = counts["pending"], counts["parked"]
    uploads = bool(t.config.server.url)
    waiting = f"{_plural(pending, 'event')} waiting" + ("" if uploads else " (uploads off: kept here)")
    problems = []
    if parked:
        problems.append((f"{_plural(parked, 'event')} parked (refused by the office server, or not encodable)",
                         "kiosk upload status shows them; the office server's log says why it refused them"))
    if uploads and oldest:
        age_h = (officetime.now().timestamp() - _timestamp(oldest[0].at)) / 3600
        if pending >= BACKLOG_WARN_EVENTS or age_h >= BACKLOG_WARN_HOURS:
            problems.append((f"the oldest since {oldest[0].at[:16].replace('T', ' ')}: uploads are not getting "
                             "through" + (f" (last error: {last_error})" if last_error else ""),
                             "kiosk upload --once says why; check the network row"))
    reason = "; ".join([waiting + ("" if parked else ", none parked")] + [p[0] for p in problems])
    return Check("outbox", WARN if problems else PASS, reason, "; ".join(p[1] for p in problems))


def _timestamp(at: str) -> float:
    from datetime import datetime
    try:
        return datetime.fromisoformat(at).timestamp()
    except ValueError:
        return time.time()


# -- catalogues and fonts ------------------------------------------------------------------------------------

def check_services(t: SelfTest) -> Check:
    services = t.config.services
    now = officetime.now()
    closed = [s.prefix for s in services if not s.open_at(now)]
    prefixes = " ".join(s.prefix for s in services)
    return Check("services", PASS, f"{_plural(len(services), 'service')} ({prefixes}), "
                                   + (f"closed now: {' '.join(closed)}" if closed else "all open now")
                                   + f"; numbers wrap at {t.config.tickets.wrap}")


def check_forms(t: SelfTest) -> Check:
    from protocol.forms_format import SHIPPED, load_catalogue
    from .forms import FormCatalogueCache

    override = t.config.forms.file or None
    shipped_problems = load_catalogue()[1]
    if shipped_problems:
        return Check("forms", FAIL, f"the shipped catalogue {SHIPPED} has {len(shipped_problems)} problem(s): "
                                    f"{shipped_problems[0]}", "reinstall the kiosk software")
    cache = FormCatalogueCache(t.config.data_dir)  # reads what the office last sent; writes nothing
    if override:
        catalogue, problems = load_catalogue(override=override)
        if problems:
            kept = cache.current()
            return Check("forms", WARN, f"{override} has {len(problems)} problem(s), first: {problems[0]}; the kiosk "
                                        f"shows the last good catalogue ({len(kept.forms)} forms)",
                         f"kiosk forms check {override} lists every problem with its line")
        source = f"shipped + {override}"
    else:
        catalogue = cache.current()
        source = "shipped" + (f" + the office's ({cache.source})" if cache.source else "")
    shown = f"{len(catalogue.forms)} forms in {len(catalogue.categories)} categories ({source})"
    pages = [form for form in catalogue.forms if form.url_is_page]
    if len(pages) > PAGE_ONLY_FORMS_WARN:
        titles = "、".join(form.title for form in pages[:3]) + ("…" if len(pages) > 3 else "")
        where = (f"on the office server's forms page ({t.config.server.url.rstrip('/')}/forms)" if t.config.server.url
                 else "on the office server's forms page (/forms)")
        return Check("forms", WARN, f"{shown}; {len(pages)} of them only open a web page, where the resident must "
                                    f"search for the form ({titles})",
                     f"{where}, give each the address of its file or upload the file; or in the forms override "
                     "(forms.file)")
    return Check("forms", PASS, shown)


@lru_cache(maxsize=4)
def _face(path: str, _stamp: Tuple[int, int], with_cmap: bool) -> Tuple[str, frozenset]:
    """A font file's family name, and the code points it has glyphs for (a CJK cmap takes 0.2 s: kept)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return font["name"].getDebugName(1), frozenset(font.getBestCmap()) if with_cmap else frozenset()


def check_fonts(t: SelfTest) -> Check:
    from .errors import FontError
    from .fonts import FAMILY, font_files

    try:
        paths = font_files(build=False)
    except FontError as exc:
        return Check("fonts", FAIL, str(exc), "run 'kiosk fonts build' (needs Debian's fonts-noto-cjk)")
    wanted = set(t.config.kiosk.office + "".join(c.label for c in t.scale.choices) + "戶所意度")
    for style, path in paths.items():
        stat = path.stat()
        family, glyphs = _face(str(path), (stat.st_mtime_ns, stat.st_size), style == "regular")
        if family != FAMILY:
            return Check("fonts", FAIL, f"{path} is {family!r}, not {FAMILY!r}", "run 'kiosk fonts build'")
        missing = "".join(sorted(c for c in wanted if c.strip() and ord(c) not in glyphs)) if glyphs else ""
        if missing:
            return Check("fonts", FAIL, f"{path.name} has no glyph for {missing}",
                         "run 'kiosk fonts build' from Debian's fonts-noto-cjk")
    folder = paths["regular"].parent
    return Check("fonts", PASS, f"{FAMILY} regular and bold in {folder}")
