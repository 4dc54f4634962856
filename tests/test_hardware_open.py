"""open_hardware(): one switch picks real or simulated buttons, LEDs and printer."""

import logging
import threading
from pathlib import Path
from time import monotonic

import pytest
from gpiozero import Device

from hardware.devices import Hardware, open_hardware
from hardware.exc import HardwareError, PinError, PrinterPaperOut
from hardware.printer import SimulatedPrinter

BUTTONS, LEDS = [17, 27, 22], [5, 6, 13]


pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")


@pytest.fixture
def presses():
    """The indexes passed to on_press, and an event set on each one."""
    got, pressed = [], threading.Event()

    def on_press(index):
        got.append(index)
        pressed.set()

    on_press.got, on_press.pressed = got, pressed
    return on_press


@pytest.fixture
def hw(presses):
    with open_hardware("simulated", BUTTONS, LEDS, "sim://printer", 9600, presses, printer_timeout=0.2) as hw:
        yield hw


def test_a_simulated_press_goes_through_gpiozero_to_on_press(hw, presses):
    hw.press(0)
    assert presses.pressed.wait(1)
    hw.press(2)
    assert presses.got == [0, 2]
    assert not any(button.is_pressed for button in hw.buttons.devices)  # pressed and released


def test_pressing_a_button_that_does_not_exist_says_so(hw):
    with pytest.raises(IndexError, match="no button 3"):
        hw.press(3)


def test_led_states_show_what_the_leds_do(hw):
    assert hw.led_states() == (0, 0, 0)
    hw.leds.confirm(1)
    deadline = monotonic() + 1
    while hw.led_states()[1] != 1 and monotonic() < deadline:
        threading.Event().wait(0.005)
    assert hw.led_states() == (0, 1, 0)


def test_the_printer_is_the_simulated_one(hw):
    assert hw.simulated and hw.mode == "simulated"
    assert hw.simulated_printer is SimulatedPrinter.get("printer")
    hw.printer.write(b"\x1b@A017")
    assert hw.simulated_printer.received == b"\x1b@A017"
    hw.simulated_printer.paper_out = True
    with pytest.raises(PrinterPaperOut):
        hw.printer.check_ready()


def test_a_real_printer_url_is_ignored_in_simulated_mode_and_logged(presses, caplog):
    with caplog.at_level(logging.WARNING, logger="hardware"):
        with open_hardware("simulated", BUTTONS, LEDS, "/dev/serial0", 9600, presses) as hw:
            assert hw.printer.url == "sim://printer"
    assert "'/dev/serial0'" in caplog.text and "ignoring" in caplog.text


def test_a_named_simulated_printer_is_kept(presses):
    with open_hardware("simulated", BUTTONS, LEDS, "sim://counter-2", 9600, presses) as hw:
        assert hw.simulated_printer is SimulatedPrinter.get("counter-2")


def test_each_simulated_kiosk_has_its_own_pins(presses):
    before = Device.pin_factory
    with open_hardware("simulated", BUTTONS, LEDS, "sim://a", 9600, presses) as one, \
            open_hardware("simulated", BUTTONS, LEDS, "sim://b", 9600, presses) as two:
        two.press(1)
        assert isinstance(one, Hardware) and presses.got == [1]
    assert Device.pin_factory is before  # gpiozero's global factory was left alone


def test_close_is_safe_twice(hw):
    hw.close()
    hw.close()
    assert hw.buttons.closed and hw.leds.closed and hw.printer.closed


def test_a_pin_shared_by_a_button_and_an_led_is_refused(presses):
    with pytest.raises(PinError, match="pin 27"):
        open_hardware("simulated", BUTTONS, [5, 27, 13], "sim://printer", 9600, presses)


def test_an_unknown_mode_is_refused(presses):
    with pytest.raises(HardwareError, match="'fake'"):
        open_hardware("fake", BUTTONS, LEDS, "sim://printer", 9600, presses)


def is_a_raspberry_pi():
    model = Path("/proc/device-tree/model")
    return model.exists() and "Raspberry Pi" in model.read_text(errors="replace")


@pytest.mark.skipif(is_a_raspberry_pi(), reason="this machine has real GPIO")
def test_real_mode_without_gpio_keeps_the_printer_and_says_to_use_simulated(presses, monkeypatch, caplog):
    # A Pi whose GPIO library is missing (or a PC set to "real"): no buttons, but the kiosk must not stop.
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.setattr(Device, "pin_factory", None)
    with caplog.at_level(logging.ERROR, logger="hardware"):
        hw = open_hardware("real", BUTTONS, LEDS, "sim://no-gpio", 9600, presses)
    with hw:
        assert hw.buttons is None and hw.leds is None and hw.led_states() == ()
        assert '[hardware] mode = "simulated"' in hw.gpio_fault and "no GPIO" in caplog.text
        hw.invite()
        hw.confirm(0)  # a rating made on the screen: no LED to light, and no error either
        hw.printer.write(b"\x1b@")  # the ticket printer still works
        assert hw.printer_fault is None


def test_an_unplugged_printer_does_not_stop_the_buttons(presses, monkeypatch, caplog):
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    # "real" mode with gpiozero's own mock pins standing in for the Pi's header
    monkeypatch.setattr(Device, "pin_factory", MockFactory(pin_class=MockPWMPin))
    with caplog.at_level(logging.WARNING, logger="hardware"):
        hw = open_hardware("real", BUTTONS, LEDS, "/dev/no-such-printer", 9600, presses)
    try:
        assert hw.printer is None
        assert "/dev/no-such-printer" in hw.printer_fault
        assert "/dev/no-such-printer" in caplog.text
        hw.buttons.devices[1].pin.drive_low()
        assert presses.pressed.wait(1) and presses.got == [1]
    finally:
        hw.close()
        Device.pin_factory.reset()
