"""
The self-test's rows for the devices the kiosk drives
=====================================================

The rating buttons and their LEDs on GPIO (opened as the kiosk opens them, mock
pins in simulated mode): none held down, each LED takes the value set, and with
``--interactive`` a press of each button, its LED lit, asked for and waited on.
The thermal printer: online, paper, cover; with ``--test-page``, the test page
(``kiosk/test_page.py``) printed and the printer asked again afterwards.  Each
row names the pin (BCM and header) or the port, so a technician finds the wire.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, List

from .rows import FAIL, PASS, WARN, Check

if TYPE_CHECKING:
    from . import SelfTest

__all__ = ["check_buttons", "check_button", "check_leds", "check_printer", "check_test_page"]


#: BCM GPIO number -> pin on the Pi's 40-pin header, so a technician finds the wire.
HEADER_PIN = {2: 3, 3: 5, 4: 7, 14: 8, 15: 10, 17: 11, 18: 12, 27: 13, 22: 15, 23: 16, 24: 18, 10: 19, 9: 21,
              25: 22, 11: 23, 8: 24, 7: 26, 0: 27, 1: 28, 5: 29, 6: 31, 12: 32, 13: 33, 19: 35, 16: 36, 26: 37,
              20: 38, 21: 40}

PINS_BUSY_ADVICE = ("if the kiosk app is running it holds the pins and the printer port: "
                    "sudo systemctl stop kiosk, run the selftest, sudo systemctl start kiosk")


def _pin(pin, header: bool = False) -> str:
    """``BCM pin 17``, or with ``header`` ``BCM pin 17 (header pin 11)``: where the wire goes."""
    on_header = HEADER_PIN.get(pin) if header else None
    return f"BCM pin {pin}" + (f" (header pin {on_header})" if on_header else "")


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


def check_test_page(t: SelfTest) -> Check:
    from hardware.exc import PrinterError
    from ..test_page import TEST_PAGE_SAMPLE, make_test_page
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
