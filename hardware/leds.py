"""The LEDs in (or next to) the rating buttons: invite a rating, confirm one.

Each LED is driven by PWM so it can glow dimly while the kiosk waits
(:meth:`ButtonLeds.invite`) and flash brightly when its button is pressed
(:meth:`ButtonLeds.confirm`).  Connect each LED's anode through a series
resistor to its GPIO pin and its cathode to ground; LEDs that need more than a
GPIO pin can give (12 V arcade buttons) need a transistor driver, see
``hardware/README.md``.

One animation thread drives all the LEDs.  gpiozero's ``blink()`` would start
a thread per flash and its ``source`` a thread per glowing LED; on a Pi 3 that
is CPU for nothing, and a thread started on every press is a cost in the
press-to-disk path the kiosk measures.
"""

import math
import threading
from time import monotonic

from gpiozero import PWMLED

from .pins import PinGroup, close_all, open_pins

__all__ = ["ButtonLeds"]


def glow(peak, period, t):
    """Brightness ``t`` seconds into a glow: 0 -> *peak* -> 0 every *period* seconds.

    A raised cosine rather than linear ramps: the eye sees it as a smooth glow.
    """
    return peak * (1 - math.cos(2 * math.pi * t / period)) / 2


class ButtonLeds(PinGroup):
    """One PWM LED per rating button, in the same order as the buttons.

    :param pins: GPIO pins of the LEDs, best first.
    :param pin_factory: the gpiozero pin factory; :data:`None` uses gpiozero's
        default.  A ``MockFactory`` needs ``pin_class=MockPWMPin``.
    :param float blink_time: seconds on and seconds off for each :meth:`confirm` flash.
    :param int blinks: how many flashes :meth:`confirm` gives.
    :param float peak: brightness (0-1) at the top of the :meth:`invite` glow; kept low
        so a lobby full of glowing buttons is calm, not a Christmas tree.
    :param float period: seconds of one :meth:`invite` fade in and out.
    :param float rest: seconds all LEDs stay dark after a confirmation before the glow returns.
    """

    fps = 25  # glow updates a second: smooth to the eye, light on the CPU

    def __init__(self, pins, pin_factory=None, *, blink_time=0.15, blinks=3, peak=0.25, period=3.0, rest=2.0):
        self.blink_time = blink_time
        self.blinks = blinks
        self.peak = peak
        self.period = period
        self.rest = rest
        self._cond = threading.Condition()
        self._inviting = False   # the idle state: glow (True) or dark (False)
        self._flash = None       # [index, toggles left, clock time of the next toggle] while confirming
        self._glow_from = None   # clock time at which the glow (re)starts, None while it must not
        self._thread = None
        self.devices = open_pins(PWMLED, pins, "LED", pin_factory=pin_factory)

    def __repr__(self):
        return f"<ButtonLeds {', '.join(str(d.pin) for d in self.devices) or 'closed'}>"

    @property
    def values(self):
        """Return each LED's brightness now, 0.0 (off) to 1.0 (full)."""
        return tuple(device.value for device in self.devices)

    def _set(self, index, value):
        device = self.devices[index]
        if device.value != value:
            device.value = value

    def confirm(self, index):
        """Flash LED *index* a few times, all others off; the first flash is lit before this returns."""
        if not 0 <= index < len(self.devices):
            raise IndexError(f"no LED {index!r}: there are {len(self.devices)}")
        with self._cond:
            for i in range(len(self.devices)):
                self._set(i, 1 if i == index else 0)
            self._flash = [index, 2 * self.blinks - 1, monotonic() + self.blink_time]
            self._glow_from = None
            self._wake()

    def invite(self):
        """Make every LED glow gently in and out, the idle "press me" state, also after each confirmation."""
        with self._cond:
            self._inviting = True
            if self._flash is None:
                self._glow_from = monotonic()
            self._wake()

    def off(self):
        """Turn every LED off, and keep them off after confirmations."""
        with self._cond:
            self._inviting, self._flash, self._glow_from = False, None, None
            for i in range(len(self.devices)):
                self._set(i, 0)
            self._wake()

    def _wake(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._animate, name="button-leds", daemon=True)
            self._thread.start()
        self._cond.notify()

    def _animate(self):
        with self._cond:
            while self.devices:
                now = monotonic()
                if self._flash is not None:
                    index, left, at = self._flash
                    if now < at:
                        self._cond.wait(at - now)
                        continue
                    # Each toggle in turn, even when woken late: a flash is never skipped.
                    self._set(index, 0 if self.devices[index].value else 1)
                    self._flash = [index, left - 1, at + self.blink_time] if left > 1 else None
                    if self._flash is None and self._inviting:
                        self._glow_from = now + self.rest
                elif self._inviting and self._glow_from is not None:
                    if now < self._glow_from:
                        self._cond.wait(self._glow_from - now)
                        continue
                    value = glow(self.peak, self.period, now - self._glow_from)
                    for i in range(len(self.devices)):
                        self._set(i, value)
                    self._cond.wait(1 / self.fps)
                else:
                    self._cond.wait()

    def close(self):
        """Turn the LEDs off and release their pins; safe to call more than once."""
        with self._cond:
            devices, self.devices = self.devices, ()
            self._cond.notify()  # the animation sees no devices and ends
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(1)
        close_all(devices)
