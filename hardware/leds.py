"""The LEDs in (or next to) the rating buttons: invite a rating, confirm one.

Each LED is driven by PWM so it can glow dimly while the kiosk waits
(:meth:`ButtonLeds.invite`) and flash brightly when its button is pressed
(:meth:`ButtonLeds.confirm`).  Connect each LED's anode through a series
resistor to its GPIO pin and its cathode to ground; LEDs that need more than a
GPIO pin can give (12 V arcade buttons) need a transistor driver, see
``hardware/README.md``.
"""

import math
from itertools import cycle

from gpiozero import PWMLED

from .pins import PinGroup, open_pins

__all__ = ["ButtonLeds"]


def breathe(peak, period, fps):
    """Return an endless iterator of brightness values fading 0 -> *peak* -> 0 every *period* seconds."""
    steps = max(2, round(period * fps))
    # A raised cosine rather than gpiozero's linear ramps: the eye sees it as a smooth glow.
    return cycle(tuple(peak * (1 - math.cos(2 * math.pi * i / steps)) / 2 for i in range(steps)))


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
    """

    fps = 25  # PWM updates a second while glowing: smooth to the eye, light on the CPU

    def __init__(self, pins, pin_factory=None, *, blink_time=0.15, blinks=3, peak=0.25, period=3.0):
        self.blink_time = blink_time
        self.blinks = blinks
        self.peak = peak
        self.period = period
        self.devices = open_pins(PWMLED, pins, "LED", pin_factory=pin_factory)


    def __repr__(self):
        return f"<ButtonLeds {', '.join(str(d.pin) for d in self.devices) or 'closed'}>"

    @property
    def values(self):
        """Return each LED's brightness now, 0.0 (off) to 1.0 (full)."""
        return tuple(device.value for device in self.devices)

    def _stop(self):
        for device in self.devices:
            device.source = None  # stops an invite() glow; off() alone would be overwritten by it
            device.off()

    def confirm(self, index):
        """Flash LED *index* a few times, all others off; returns at once and the LED ends off."""
        if not 0 <= index < len(self.devices):
            raise IndexError(f"no LED {index!r}: there are {len(self.devices)}")
        self._stop()
        self.devices[index].blink(on_time=self.blink_time, off_time=self.blink_time, n=self.blinks)

    def invite(self):
        """Make every LED glow gently in and out, the idle "press me" state, until told otherwise."""
        self._stop()
        for device in self.devices:
            device.source_delay = 1 / self.fps
            device.source = breathe(self.peak, self.period, self.fps)

    def off(self):
        """Turn every LED off."""
        self._stop()
