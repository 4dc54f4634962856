"""The kiosk's hardware opened together: rating buttons, their LEDs and the receipt printer.

Each has a real backend (gpiozero pins, a pyserial port) and a simulated one
(gpiozero's ``MockFactory``, the ``sim://`` printer); :func:`open_hardware`
picks one set by mode, in this one place.
"""

import logging
import time
import warnings
from contextlib import ExitStack

from gpiozero import Device
from gpiozero.exc import GPIOZeroError
from gpiozero.pins.mock import MockFactory, MockPWMPin

from .buttons import RatingButtons
from .exc import HardwareError, PrinterNotConnected
from .leds import ButtonLeds
from .printer import PrinterLink

__all__ = ["Hardware", "open_hardware", "MODES", "SIMULATED_PRINTER_URL"]

log = logging.getLogger("hardware")

MODES = ("real", "simulated")
SIMULATED_PRINTER_URL = "sim://printer"


class Hardware:
    """Buttons, LEDs and printer, opened together and closed together.

    ``mode`` is ``"real"`` or ``"simulated"``; ``buttons`` is a
    :class:`~hardware.buttons.RatingButtons`, ``leds`` a
    :class:`~hardware.leds.ButtonLeds`, ``printer`` a
    :class:`~hardware.printer.PrinterLink`.  In simulated mode
    ``simulated_printer`` is the :class:`~hardware.printer.SimulatedPrinter`
    behind the link (None in real mode).  ``printer`` is None when the
    printer's port could not be opened; ``printer_fault`` then says why, so
    the kiosk can keep taking ratings and say what is wrong.
    """

    def __init__(self, mode, buttons, leds, printer, pin_factory=None, simulated_printer=None, printer_fault=None,
                 gpio_fault=None):
        self.mode = mode
        self.gpio_fault = gpio_fault
        self.buttons = buttons
        self.leds = leds
        self.printer = printer
        self.pin_factory = pin_factory
        self.simulated_printer = simulated_printer
        self.printer_fault = printer_fault

    def __repr__(self):
        return f"<Hardware {self.mode}: {self.buttons!r} {self.leds!r} {self.printer!r}>"

    @property
    def simulated(self):
        """Return True if no real GPIO or printer is used."""
        return self.mode == "simulated"

    def press(self, index):
        """Press and release simulated button *index*: its pin goes low then high, through gpiozero as on a Pi.

        With a hold rule it is held a little longer than the debounce window, as a finger holds it: the
        press counts when the button comes back up, and the window would otherwise end after the release.
        """
        self.set_pressed(index, True)
        if self.buttons.hold_after is not None:
            time.sleep(self.buttons.debounce + 0.01)
        self.set_pressed(index, False)

    def set_pressed(self, index, down):
        """Push simulated button *index* down (True) or let it up: a key held down holds the button."""
        if not self.simulated:
            raise HardwareError("simulated buttons only; in real mode press the real button")
        if not 0 <= index < len(self.buttons):
            raise IndexError(f"no button {index!r}: there are {len(self.buttons)}")
        pin = self.buttons.devices[index].pin
        if down:
            pin.drive_low()
        else:
            pin.drive_high()

    def led_states(self):
        """Return each LED's brightness now, 0.0 (off) to 1.0 (full), in button order (none without GPIO)."""
        return self.leds.values if self.leds is not None else ()

    def invite(self):
        """Let the button LEDs glow to invite a rating (nothing without GPIO)."""
        if self.leds is not None:
            self.leds.invite()

    def confirm(self, index):
        """Light button *index*'s LED to confirm a stored rating (nothing without GPIO)."""
        if self.leds is not None:
            self.leds.confirm(index)

    def close(self):
        """Turn the LEDs off and release pins and port; safe to call more than once."""
        # ExitStack: each part is closed even if closing another one fails; the LEDs go first.
        with ExitStack() as stack:
            for part in (self.printer, self.buttons, self.leds):
                if part is not None:
                    stack.callback(part.close)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _unheard(index):
    log.info("button %d pressed, but nobody is listening", index)


def _real_pin_factory():
    """Return gpiozero's default pin factory, or raise HardwareError saying why there is none."""
    with warnings.catch_warnings(record=True) as fallbacks:
        warnings.simplefilter("always")
        try:
            Device.ensure_pin_factory()
        except (GPIOZeroError, ImportError, OSError, RuntimeError) as exc:
            tried = "; ".join(str(w.message) for w in fallbacks) or str(exc)
            raise HardwareError(f"no GPIO found ({tried}). This is not a Raspberry Pi, or its GPIO library "
                                "is missing: on a PC set [hardware] mode = \"simulated\"") from exc
    for w in fallbacks:  # gpiozero settled on a fallback, say which ones it passed over
        log.warning("%s", w.message)
    return Device.pin_factory


def _open_printer(url, baudrate, timeout, flow_control):
    """Return (link, None), or (None, why) when the port cannot be opened."""
    try:
        return PrinterLink(url, baudrate=baudrate, timeout=timeout, flow_control=flow_control), None
    except PrinterNotConnected as exc:
        log.warning("no printer: %s", exc)
        return None, str(exc)


def open_hardware(mode, button_pins, led_pins, printer_url, baudrate=9600, on_press=None, *, printer_timeout=1.0,
                  flow_control="none",
                  debounce=0.05, stuck_after=10.0, on_stuck=None, on_released_stuck=None, clock=time.monotonic,
                  hold_after=None, on_hold=None):
    """Open buttons, LEDs and printer for *mode* and return a :class:`Hardware`.

    ``"real"`` uses gpiozero's default pin factory and the printer at
    *printer_url*.  ``"simulated"`` uses a fresh gpiozero ``MockFactory`` and a
    simulated printer: *printer_url* if it is a ``sim://`` URL, else
    ``sim://printer`` (the configured URL is ignored, and logged as such).
    ``on_press(index)`` is called on each button press; on a real Pi from a
    gpiozero thread, see :class:`~hardware.buttons.RatingButtons`, which also
    explains *debounce*, *stuck_after*, *on_stuck*, *on_released_stuck*, *clock*,
    *hold_after* and *on_hold*.

    A printer whose port cannot be opened does not stop the kiosk (ratings
    and forms work without it): ``printer`` is then None and
    ``printer_fault`` says why.

    No GPIO in real mode (a Pi whose GPIO library is missing, a PC
    configured as a Pi) does not stop it either: ``buttons`` and ``leds`` are
    then None, ``gpio_fault`` says why, and residents rate on the screen.

    :raises ~hardware.exc.HardwareError: an unknown mode, or a bad pin
        (:exc:`~hardware.exc.PinError`).  Nothing is left open.
    """
    if mode not in MODES:
        raise HardwareError(f"unknown hardware mode {mode!r}; use one of {', '.join(map(repr, MODES))}")
    if on_press is None:
        on_press = _unheard
    if mode == "simulated":
        # Its own factory, not Device.pin_factory: simulated pins must never reach a real device.
        factory = MockFactory(pin_class=MockPWMPin)
        if not printer_url.lower().startswith("sim://"):
            log.warning("simulated hardware: ignoring printer url %r, using %r", printer_url, SIMULATED_PRINTER_URL)
            printer_url = SIMULATED_PRINTER_URL
    else:
        try:
            factory = _real_pin_factory()
        except HardwareError as exc:
            log.error("%s", exc)
            printer, fault = _open_printer(printer_url, baudrate, printer_timeout, flow_control)
            return Hardware(mode, None, None, printer, printer_fault=fault, gpio_fault=str(exc))

    opened = []
    try:
        buttons = RatingButtons(button_pins, on_press, pin_factory=factory, debounce=debounce,
                                stuck_after=stuck_after, on_stuck=on_stuck, on_released_stuck=on_released_stuck,
                                clock=clock, hold_after=hold_after, on_hold=on_hold)
        opened.append(buttons)
        leds = ButtonLeds(led_pins, pin_factory=factory)
        opened.append(leds)
    except BaseException:
        for part in reversed(opened):
            part.close()
        raise
    printer, fault = _open_printer(printer_url, baudrate, printer_timeout, flow_control)
    simulated_printer = printer.port.printer if printer and mode == "simulated" else None  # the sim:// far end
    return Hardware(mode, buttons, leds, printer, pin_factory=factory, simulated_printer=simulated_printer,
                    printer_fault=fault)
