"""Button LEDs: a confirming flash on the pressed button, a gentle glow while idle, off."""

import threading
from time import monotonic

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from hardware.buttons import RatingButtons
from hardware.exc import PinError
from hardware.leds import ButtonLeds

PINS = [5, 6, 13]


def wait_until(condition, timeout=2.0):
    """Return True as soon as condition() is true, False if it is still false after timeout seconds."""
    deadline = monotonic() + timeout
    tick = threading.Event()
    while not condition():
        if monotonic() > deadline:
            return False
        tick.wait(0.005)
    return True


@pytest.fixture
def factory():
    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.reset()


@pytest.fixture
def leds(factory):
    with ButtonLeds(PINS, pin_factory=factory, blink_time=0.03, peak=0.25, period=0.4) as leds:
        yield leds


def history(factory, pin):
    """Return the brightness values the pin went through since its states were last cleared."""
    return [state.state for state in factory.pin(pin).states]


def glowing(leds):
    return all(value > 0 for value in leds.values)


def test_confirm_flashes_only_the_pressed_buttons_led(factory, leds):
    started = monotonic()
    leds.confirm(1)
    assert wait_until(lambda: history(factory, 6).count(1.0) == 3 and leds.values[1] == 0)
    assert monotonic() - started >= 5 * 0.03  # three flashes: on, off, on, off, on (then off)
    assert history(factory, 6) == [0, 1, 0, 1, 0, 1, 0]
    assert history(factory, 5) == history(factory, 13) == [0]


def test_confirm_puts_out_the_idle_glow_of_the_others(factory, leds):
    leds.invite()
    assert wait_until(lambda: glowing(leds))
    for pin in PINS:
        factory.pin(pin).clear_states()
    leds.confirm(0)
    assert wait_until(lambda: history(factory, 5).count(1.0) == 3 and leds.values[0] == 0)
    for pin in (6, 13):
        assert history(factory, pin)[1:] == [0]  # from its glow straight to off, and stays off


def test_invite_makes_every_led_glow_dimly_in_and_out(factory, leds):
    leds.invite()

    def rose_and_fell(pin):
        values = history(factory, pin)
        top = values.index(max(values))
        return max(values) > 0.2 and min(values[top:]) < 0.05

    assert wait_until(lambda: all(rose_and_fell(pin) for pin in PINS))
    assert max(max(history(factory, pin)) for pin in PINS) <= 0.25 + 1e-9  # dim, never full brightness


def test_off_turns_everything_off_and_the_glow_does_not_come_back(factory, leds):
    leds.invite()
    assert wait_until(lambda: glowing(leds))
    leds.off()
    assert leds.values == (0, 0, 0)
    threading.Event().wait(3 / ButtonLeds.fps)  # a stray glow thread would have written by now
    assert leds.values == (0, 0, 0)


def test_close_turns_off_and_releases_the_pins(factory):
    leds = ButtonLeds(PINS, pin_factory=factory)
    leds.invite()
    assert wait_until(lambda: glowing(leds))
    leds.close()
    leds.close()  # twice is fine
    assert leds.closed
    assert [factory.pin(pin).state for pin in PINS] == [0, 0, 0]
    with ButtonLeds(PINS, pin_factory=factory) as again:
        again.confirm(2)
        assert again.values[2] == 1


def test_confirm_of_a_button_that_does_not_exist_says_so(leds):
    with pytest.raises(IndexError, match="no LED 3"):
        leds.confirm(3)


def test_an_led_on_a_button_pin_is_refused_and_named(factory):
    with RatingButtons([17, 27, 22], print, pin_factory=factory):
        with pytest.raises(PinError, match=r"pin 27 for LED 1"):
            ButtonLeds([5, 27, 13], pin_factory=factory)


def test_the_glow_returns_after_a_confirmation(factory):
    with ButtonLeds(PINS, pin_factory=factory, blink_time=0.02, peak=0.25, period=0.4, rest=0.1) as leds:
        leds.invite()
        leds.confirm(2)
        assert leds.values == (0, 0, 1)  # lit before confirm() returns: feedback is immediate
        assert wait_until(lambda: history(factory, 13).count(1.0) == 3)
        assert wait_until(lambda: glowing(leds)), "the LEDs stayed dark after the confirmation"
