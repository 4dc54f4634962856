"""The rating buttons: one push button per point of the scale, best first.

Connect one side of each button to a ground pin and the other to its GPIO
pin; the Pi's internal pull-up holds the pin high until the button pulls it
low (active-low), so no resistor is needed.  See ``hardware/README.md`` for
the wiring table.
"""

import logging
from functools import partial

from gpiozero import Button

from .pins import PinGroup, open_pins

__all__ = ["RatingButtons"]

log = logging.getLogger("hardware")


class RatingButtons(PinGroup):
    """Call ``on_press(index)`` when a rating button is pressed (index 0 is the best rating).

    :param pins: GPIO pins of the buttons, best first (BCM numbers such as 17,
        or any name gpiozero accepts, such as ``"GPIO17"`` or ``"BOARD11"``).
    :param on_press: called with the button's index on each press.  On a real
        Pi gpiozero calls it **from a background thread**: a UI must hand the
        event to its own thread (Kivy: ``Clock.schedule_once``).  An exception
        in it is logged, not raised into gpiozero's thread.
    :param pin_factory: the gpiozero pin factory, e.g. a ``MockFactory``;
        :data:`None` uses gpiozero's default (the real GPIO on a Pi).
    :param float bounce_time: contacts settling time in seconds, ignored by
        gpiozero's mock pins; anti-spam rules belong to the caller.
    """

    def __init__(self, pins, on_press, pin_factory=None, bounce_time=0.05):
        self.on_press = on_press
        self.devices = open_pins(Button, pins, "button", pull_up=True, bounce_time=bounce_time,
                                 pin_factory=pin_factory)
        for index, device in enumerate(self.devices):
            device.when_pressed = partial(self._pressed, index)

    def __repr__(self):
        pins = ", ".join(str(d.pin) for d in self.devices) if not self.closed else "closed"
        return f"<RatingButtons {pins}>"

    def _pressed(self, index):
        try:
            self.on_press(index)
        except Exception:
            log.exception("on_press(%r) failed", index)
