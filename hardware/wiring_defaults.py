"""The kiosk's default wiring: the BCM pins of the buttons, their lamps and the printer's UART.

One definition for the code and the documents: :mod:`kiosk.config` takes the
defaults of ``[buttons] pins`` and ``leds`` and the pins it refuses for them
from here, ``hardware/docs/wiring.py`` draws them, and ``tests/test_hardware_docs.py``
holds hardware/README.md's pin table to them.  No imports: the drawing script
loads this file on its own, without the drivers' dependencies (gpiozero, pyserial).
"""

__all__ = ["BUTTON_PINS", "LED_PINS", "BUTTON_NAMES", "UART_PINS"]

#: BCM pins of the rating buttons, best first.
BUTTON_PINS = (17, 27, 22)
#: BCM pins of the buttons' lamps (LEDs), in the same order.
LED_PINS = (5, 6, 13)
#: What the default buttons say, best first, in Chinese and in English: the office's three-choice scale
#: (protocol.ratings; the English as the kiosk's messages have it, kiosk/locale/kiosk.pot), printed on the caps and in the diagram.
BUTTON_NAMES = (("滿意", "Satisfied"), ("普通", "Neutral"), ("不滿意", "Dissatisfied"))
#: BCM pins of the printer's UART: refused for buttons and LEDs.
UART_PINS = {14: "UART TXD (printer)", 15: "UART RXD (printer)"}
