"""Rating buttons: a press on the wire reaches ``on_press`` with that button's index."""

import logging
import threading

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.buttons import RatingButtons
from hardware.exc import PinError

PINS = [17, 27, 22]  # 滿意, 普通, 不滿意


class Presses:
    """An ``on_press`` handler that records indexes; ``wait(n)`` waits until n presses arrived."""

    def __init__(self):
        self.indexes = []
        self._arrived = threading.Condition()

    def __call__(self, index):
        with self._arrived:
            self.indexes.append(index)
            self._arrived.notify_all()

    def wait(self, count, timeout=1.0):
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.indexes) >= count, timeout)


@pytest.fixture
def factory():
    factory = MockFactory()
    yield factory
    factory.reset()


def press(factory, pin):
    factory.pin(pin).drive_low()  # the button shorts the pin to ground
    factory.pin(pin).drive_high()


@pytest.mark.parametrize("index", range(len(PINS)))
def test_pressing_a_button_reports_its_index(factory, index):
    pressed = threading.Event()
    got = []

    def on_press(i):
        got.append(i)
        pressed.set()

    with RatingButtons(PINS, on_press, pin_factory=factory):
        factory.pin(PINS[index]).drive_low()
        assert pressed.wait(1)
        factory.pin(PINS[index]).drive_high()  # releasing is not another rating
    assert got == [index]


def test_two_buttons_are_told_apart(factory):
    presses = Presses()
    with RatingButtons(PINS, presses, pin_factory=factory):
        press(factory, 17)
        press(factory, 22)
        assert presses.wait(2)
    assert presses.indexes == [0, 2]


def test_buttons_use_the_internal_pull_up(factory):
    with RatingButtons(PINS, Presses(), pin_factory=factory) as buttons:
        assert [factory.pin(p).pull for p in PINS] == ["up"] * 3
        assert not any(device.is_pressed for device in buttons.devices)


def test_close_releases_the_pins(factory):
    old, new = Presses(), Presses()
    buttons = RatingButtons(PINS, old, pin_factory=factory)
    buttons.close()
    buttons.close()  # twice is fine
    assert buttons.closed
    with RatingButtons(PINS, new, pin_factory=factory):
        press(factory, 27)
        assert new.wait(1)
    assert new.indexes == [1]
    assert old.indexes == []


def test_a_pin_listed_twice_is_refused_and_named(factory):
    with pytest.raises(PinError, match=r"pin 17 .*already in use"):
        RatingButtons([17, 17, 22], Presses(), pin_factory=factory)


def test_a_pin_held_by_another_device_is_refused_and_nothing_is_kept(factory):
    with RatingButtons([27], Presses(), pin_factory=factory):
        with pytest.raises(ValueError, match=r"pin 27 for button 1") as info:  # PinError is a ValueError
            RatingButtons([17, 27, 22], Presses(), pin_factory=factory)
        assert isinstance(info.value, PinError)
        # pin 17 opened before the failure must have been let go again
        RatingButtons([17], Presses(), pin_factory=factory).close()


def test_a_pin_that_does_not_exist_is_named(factory):
    with pytest.raises(PinError, match=r"pin 99"):
        RatingButtons([17, 99, 22], Presses(), pin_factory=factory)


def test_a_failing_handler_is_logged_and_later_presses_still_arrive(factory, caplog):
    presses = Presses()

    def on_press(index):
        presses(index)
        if index == 0:
            raise RuntimeError("the UI was busy")

    with caplog.at_level(logging.ERROR, logger="hardware"), RatingButtons(PINS, on_press, pin_factory=factory):
        press(factory, 17)
        press(factory, 27)
        assert presses.wait(2)
    assert presses.indexes == [0, 1]
    assert "on_press(0) failed" in caplog.text


# -- the hold (the voice guide's start, issue 20) -------------------------------------------------


@pytest.fixture
def held(factory, bclock):
    """Buttons with the kiosk's 3 s hold rule on a clock the test moves; ``held.presses``, ``held.holds``."""
    presses, holds = Presses(), Presses()
    buttons = RatingButtons(PINS, presses, pin_factory=factory, clock=bclock, hold_after=3.0, on_hold=holds,
                            stuck_after=10.0, on_stuck=lambda index, _s: holds(("stuck", index)))
    buttons.presses, buttons.holds = presses, holds
    yield buttons
    buttons.close()


def test_with_a_hold_rule_a_press_counts_when_the_button_comes_back_up(held, factory, bclock):
    factory.pin(27).drive_low()
    bclock.advance(0.15)
    assert held.presses.indexes == [], "counted before it was known to be no hold"
    factory.pin(27).drive_high()
    assert held.presses.indexes == [1]
    assert held.holds.indexes == []


def test_a_hold_is_one_hold_and_no_press(held, factory, bclock):
    factory.pin(22).drive_low()
    bclock.advance(2.9)
    assert not held.holds.wait(1, timeout=0.3), "a hold before 3 s"
    bclock.advance(0.2)
    assert held.holds.wait(1), "no hold after 3.1 s"
    bclock.advance(2)
    factory.pin(22).drive_high()  # letting go after the hold: no rating
    assert not held.holds.wait(2, timeout=0.3)
    assert held.holds.indexes == [2]
    assert held.presses.indexes == []
    bclock.advance(1)
    factory.pin(22).drive_low()  # the next press is a press again
    bclock.advance(0.1)
    factory.pin(22).drive_high()
    assert held.presses.indexes == [2]


def test_a_stuck_button_is_first_a_hold_then_stuck_and_never_a_press(held, factory, bclock):
    factory.pin(17).drive_low()
    bclock.advance(3.1)
    assert held.holds.wait(1)
    bclock.advance(7)
    assert held.holds.wait(2), "not reported stuck at 10 s"
    factory.pin(17).drive_high()
    assert held.holds.indexes == [0, ("stuck", 0)]
    assert held.presses.indexes == []


def test_a_press_shorter_than_the_debounce_window_still_counts_once_the_window_is_over(factory):
    presses = Presses()
    with RatingButtons(PINS, presses, pin_factory=factory, hold_after=3.0):
        press(factory, 27)  # down and up in microseconds: the simulator's press, a key tapped
        assert presses.wait(1), "a short press was lost in the debounce window"
        assert not presses.wait(2, timeout=0.2)
    assert presses.indexes == [1]


def test_a_hold_as_long_as_the_stuck_rule_is_refused(factory):
    with pytest.raises(ValueError, match=r"hold_after \(10 s\) must be .*shorter than stuck_after \(10 s\)"):
        RatingButtons(PINS, Presses(), pin_factory=factory, hold_after=10, stuck_after=10)
