"""Rating buttons end to end: a mock pin goes low and high again, and the rating is on disk and its LED lit.

With the voice guide on (the default, ``speech.voice_guide``) a press counts when the button comes back up:
only then is it known to be no hold (holding a button for ``speech.hold_seconds`` starts the guide).

Everything below the pin is the kiosk's own code, as wired by
``kiosk.services.open_services`` from the built-in defaults (simulated
hardware: gpiozero's MockFactory).  No Kivy, no window.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

import hardware.devices
from kiosk.config import Config, defaults
from protocol.periods import Period
from kiosk.rating_stats import summarise
from kiosk.ratings import ratings_between
from kiosk.services import open_services
from kiosk.store import Store

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")


class SkipClock:
    """Real monotonic time that a test can move forward (past a debounce window) without sleeping."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return time.monotonic() + self.offset

    def advance(self, seconds):
        self.offset += seconds


def config(**buttons):
    values = defaults()
    values["buttons"].update(buttons)  # Config does not re-validate: test-only values such as 0.2 s pass
    if "stuck_after" in buttons:  # the hold that starts the voice guide stays shorter than being stuck
        values["speech"]["hold_seconds"] = buttons["stuck_after"] / 2
    return Config(values)


@pytest.fixture
def opened():
    """Services opened in a test, closed after it whatever happens."""
    services = []
    yield services
    for s in services:
        s.close()


@pytest.fixture
def kiosk(tmp_path, clock, bclock, opened):
    services = open_services(config(), data_dir=tmp_path, monotonic=clock, button_clock=bclock)
    opened.append(services)
    return services


def stored(services):
    return [(r["choice"], r["source"], r["misuse"])
            for r in ratings_between(services.store, "0001-01-01", "9999-12-31")]


def pin(services, index):
    return services.hardware.buttons.devices[index].pin


def led_pin(services, index):
    return services.hardware.leds.devices[index].pin


def press(services, index, bclock, clock=None, hold=0.1):
    """A clean press: down, held ``hold`` s of button time, up, then past the debounce window."""
    p = pin(services, index)
    p.drive_low()
    bclock.advance(hold)
    p.drive_high()
    bclock.advance(0.1)
    if clock is not None:
        clock.advance(10)  # the next press is a new resident, not misuse


def wait_for(predicate, timeout=2.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


def fault_events(services, kind=None):
    return [e.data for e in services.store.events()
            if e.type == "fault" and (kind is None or e.data["kind"] == kind)]


# -- one press ------------------------------------------------------------------------------------


@pytest.mark.parametrize("index, choice", [(0, "smile"), (1, "neutral"), (2, "frown")])
def test_one_press_is_one_rating_from_the_button_and_lights_its_led(kiosk, bclock, index, choice):
    at_feedback = []
    kiosk.ratings.on_rated.append(lambda rating: at_feedback.append(kiosk.hardware.led_states()))
    p = pin(kiosk, index)
    p.drive_low()
    bclock.advance(0.2)
    assert stored(kiosk) == []  # a hold (the voice guide's start) or a press: not known yet
    p.drive_high()
    assert stored(kiosk) == [(choice, "button", 0)]  # on disk by the time the pin call returns
    bclock.advance(0.2)
    p.drive_low()  # the next press going down is not another rating yet
    assert stored(kiosk) == [(choice, "button", 0)]
    expected = tuple(1.0 if i == index else 0.0 for i in range(3))
    assert at_feedback == [expected]
    assert [e.data["choice"] for e in kiosk.store.events() if e.type == "rating"] == [choice]


# -- bounce ---------------------------------------------------------------------------------------


def test_contact_bounce_within_the_debounce_window_counts_once(kiosk, clock, bclock):
    p = pin(kiosk, 0)
    for edge in (p.drive_low, p.drive_high, p.drive_low, p.drive_high, p.drive_low):
        edge()
        bclock.advance(0.01)  # 5 edges in 40 ms: the default window is 50 ms
    assert stored(kiosk) == []  # still down
    bclock.advance(1)
    p.drive_high()
    assert stored(kiosk) == [("smile", "button", 0)]
    # the release bounces too, and is still one press
    for edge in (p.drive_low, p.drive_high, p.drive_low, p.drive_high):
        bclock.advance(0.01)
        edge()
    bclock.advance(0.1)
    assert not wait_for(lambda: len(stored(kiosk)) > 1, timeout=0.3)
    # a press after the window is a press again
    clock.advance(10)
    bclock.advance(1)
    press(kiosk, 0, bclock)
    assert stored(kiosk) == [("smile", "button", 0), ("smile", "button", 0)]


def test_contact_bounce_on_the_real_clock_counts_once(tmp_path, clock, opened):
    services = open_services(config(), data_dir=tmp_path, monotonic=clock)  # debounce on time.monotonic
    opened.append(services)
    p = pin(services, 1)
    started = time.monotonic()
    p.drive_low(), p.drive_high(), p.drive_low(), p.drive_high()
    if time.monotonic() - started >= 0.05:
        pytest.skip("this machine took longer than the 50 ms debounce window for four pin calls")
    # All four edges inside the window: the level is read again when it is over, and the press counted then.
    assert wait_for(lambda: stored(services)), "a press shorter than the debounce window was lost"
    assert not wait_for(lambda: len(stored(services)) > 1, timeout=0.3)
    assert stored(services) == [("neutral", "button", 0)]


# -- hammering ------------------------------------------------------------------------------------


def test_hammering_keeps_every_press_but_counts_one(kiosk, clock, bclock):
    for _ in range(10):
        press(kiosk, 2, bclock, hold=0.06)  # past the 50 ms debounce...
        clock.advance(0.5)                  # ...but well within the 3 s response interval
    rows = stored(kiosk)
    assert len(rows) == 10
    assert [misuse for _c, _s, misuse in rows] == [0] + [1] * 9
    day = date.fromisoformat(ratings_between(kiosk.store, "0001-01-01", "9999-12-31")[0]["day"])
    summary = summarise(kiosk.store, kiosk.ratings.scale, Period(day, day, "today"))
    assert (summary.total, summary.misuse, summary.counts["frown"]) == (1, 9, 1)


def test_two_buttons_at_once_are_two_rows_the_second_misuse(kiosk, clock, bclock):
    at_feedback = []
    kiosk.ratings.on_rated.append(lambda rating: at_feedback.append(kiosk.hardware.led_states()))
    smile, neutral = pin(kiosk, 0), pin(kiosk, 1)
    smile.drive_low()
    clock.advance(0.05)  # the second finger lands 50 ms later
    bclock.advance(0.05)
    neutral.drive_low()
    bclock.advance(0.1)
    smile.drive_high()
    neutral.drive_high()
    assert stored(kiosk) == [("smile", "button", 0), ("neutral", "button", 1)]
    assert at_feedback == [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0)]  # each press is confirmed on its own LED


def test_three_buttons_pressed_on_three_threads_at_once_are_three_rows_two_misuse(kiosk, bclock):
    """On a Pi each button's edge arrives on a gpiozero thread: simultaneous presses must all be kept."""
    start = threading.Barrier(3)
    failures = []

    def hand(index):
        try:
            start.wait(5)
            pin(kiosk, index).drive_low()
            pin(kiosk, index).drive_high()  # a press under the debounce window: it counts once the window is over
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=hand, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not failures
    bclock.advance(0.1)  # past the debounce window
    assert wait_for(lambda: len(stored(kiosk)) == 3), stored(kiosk)
    rows = stored(kiosk)
    assert sorted(choice for choice, _s, _m in rows) == ["frown", "neutral", "smile"]
    assert [misuse for _c, _s, misuse in rows] == [0, 1, 1]  # the first in is counted, the others are misuse
    assert len([e for e in kiosk.store.events() if e.type == "rating"]) == 3


# -- stuck ----------------------------------------------------------------------------------------


def test_a_stuck_button_is_reported_ignored_and_the_others_keep_working(tmp_path, clock, bclock, opened):
    services = open_services(config(stuck_after=0.2), data_dir=tmp_path, monotonic=clock, button_clock=bclock)
    opened.append(services)
    told = []
    services.on_fault.append(told.append)
    pin(services, 0).drive_low()  # and it stays down: a coin wedged under it
    bclock.advance(0.3)
    assert wait_for(lambda: fault_events(services, "button_stuck"), timeout=2), "no button_stuck fault event"
    [stuck] = fault_events(services, "button_stuck")
    assert (stuck["button"], stuck["choice"]) == (0, "smile") and stuck["held_seconds"] >= 0.2
    assert "rating button 1 (滿意)" in stuck["message"] and "stuck" in stuck["message"]
    assert told == [stuck["message"]] and services.faults == [stuck["message"]]

    # meanwhile the other buttons work as ever
    clock.advance(10)
    press(services, 1, bclock, clock, hold=0.06)
    press(services, 2, bclock, clock, hold=0.06)
    assert stored(services) == [("neutral", "button", 0), ("frown", "button", 0)]
    assert any(state.state == 1 for state in led_pin(services, 2).states)

    bclock.advance(5)
    pin(services, 0).drive_high()
    [released] = fault_events(services, "button_released")
    assert released["button"] == 0 and "rating button 1 (滿意) released" in released["message"]
    assert released["held_seconds"] >= 5
    assert len(fault_events(services, "button_stuck")) == 1  # told once, not once per check
    assert len(stored(services)) == 2  # the coin rated nothing

    # once released it is a button again
    bclock.advance(1)
    press(services, 0, bclock, clock)
    assert stored(services)[-1] == ("smile", "button", 0)
    assert len(stored(services)) == 3


def test_a_button_held_down_is_reported_stuck_on_the_real_clock(tmp_path, clock, opened):
    services = open_services(config(stuck_after=0.2), data_dir=tmp_path, monotonic=clock)
    opened.append(services)
    reported = threading.Event()
    services.on_fault.append(lambda message: reported.set())
    started = time.monotonic()
    pin(services, 2).drive_low()
    assert reported.wait(1.5), "a button held past stuck_after was not reported within 1.5 s"
    assert time.monotonic() - started >= 0.2
    assert wait_for(lambda: fault_events(services, "button_stuck"))
    assert "rating button 3 (不滿意)" in services.faults[0]
    pin(services, 2).drive_high()
    assert fault_events(services, "button_released")
    assert stored(services) == []  # held, not pressed: no rating


class HeldAtBoot(MockPWMPin):
    """A mock pin whose button is already held down when the kiosk starts (GPIO17, button 1)."""

    def _set_pull(self, value):
        super()._set_pull(value)
        if value == "up" and self.info.name == "GPIO17":
            self.drive_low()


def test_a_button_held_at_start_up_is_no_rating_but_is_reported_stuck(tmp_path, clock, bclock, opened,
                                                                         monkeypatch):
    monkeypatch.setattr(hardware.devices, "MockFactory", lambda pin_class: MockFactory(pin_class=HeldAtBoot))
    services = open_services(config(stuck_after=0.2), data_dir=tmp_path, monotonic=clock, button_clock=bclock)
    opened.append(services)
    assert services.hardware.buttons.devices[0].is_pressed  # the scenario is real
    assert stored(services) == []
    bclock.advance(0.3)
    assert wait_for(lambda: fault_events(services, "button_stuck"), timeout=2)
    assert fault_events(services, "button_stuck")[0]["button"] == 0
    clock.advance(10)
    press(services, 1, bclock, clock)
    assert stored(services) == [("neutral", "button", 0)]
    pin(services, 0).drive_high()
    assert fault_events(services, "button_released")
    assert stored(services) == [("neutral", "button", 0)]  # letting go is no rating either
    bclock.advance(1)
    press(services, 0, bclock, clock)
    assert stored(services)[-1] == ("smile", "button", 0)


# -- start-up, crash, full disk -------------------------------------------------------------------


def test_a_press_during_start_up_is_recorded_before_any_ui_exists(tmp_path, clock, bclock, opened):
    services = open_services(config(), data_dir=tmp_path, monotonic=clock, button_clock=bclock)
    opened.append(services)
    press(services, 2, bclock)  # at once: no UI, no listener but the LED
    other = sqlite3.connect(str(tmp_path / "kiosk.db"))
    try:
        assert other.execute("SELECT choice, source FROM ratings").fetchall() == [("frown", "button")]
    finally:
        other.close()
    services.close()
    with Store.open(tmp_path) as store:
        assert [e.data["choice"] for e in store.events() if e.type == "rating"] == ["frown"]


CHILD = r"""
import os, signal, sys
from kiosk.config import Config, defaults
from kiosk.services import open_services

services = open_services(Config(defaults()), data_dir=sys.argv[1])
services.ratings.on_rated.append(lambda rating: print(rating.id, flush=True))
import time
services.hardware.buttons.devices[2].pin.drive_low()
time.sleep(0.06)  # a finger's press, past the 50 ms debounce: it counts as the button comes back up
services.hardware.buttons.devices[2].pin.drive_high()
os.kill(os.getpid(), signal.SIGKILL)
print("still alive", flush=True)
"""


def test_a_rating_survives_sigkill_right_after_the_press(tmp_path):
    env = {**os.environ, "KIOSK_CLOCK_SYNCED": "1", "XDG_DATA_HOME": str(tmp_path / "xdg")}
    env.pop("KIOSK_CONFIG", None)
    result = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "data")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    lines = result.stdout.split()
    assert len(lines) == 1, result.stdout  # the rating id, and nothing after the kill
    rating_id = lines[0]
    # killed with the commit only in the write-ahead log: reopening must replay it
    assert (tmp_path / "data" / "kiosk.db-wal").stat().st_size > 0
    with Store.open(tmp_path / "data") as store:
        rows = ratings_between(store, "0001-01-01", "9999-12-31")
        assert [(r["id"], r["choice"], r["source"], r["misuse"]) for r in rows] == [(rating_id, "frown", "button", 0)]
        events = [e for e in store.events() if e.type == "rating"]
        assert [(e.id, e.data["choice"]) for e in events] == [(rating_id, "frown")]
        assert [e.id for e in store.pending_events()] == [rating_id]


def test_a_full_disk_is_a_fault_no_false_confirmation_and_the_buttons_keep_working(kiosk, clock, bclock):
    store = kiosk.store
    confirmed = []
    real_confirm = kiosk.hardware.leds.confirm
    kiosk.hardware.leds.confirm = lambda index: (confirmed.append(index), real_confirm(index))
    pages = store.read(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    store.write(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
    for _ in range(2000):  # until the last free room in the file is gone
        press(kiosk, 0, bclock, clock)
        if kiosk.faults:
            break
    assert kiosk.faults, "the capped database never filled up"
    assert "could not be stored" in kiosk.faults[-1] and "full" in kiosk.faults[-1]
    assert len(confirmed) == len(stored(kiosk)) > 0  # every LED flash is a rating on disk, and only those

    # still full: a press on another button is a fault, and its LED never lights
    press(kiosk, 2, bclock, clock)
    assert len(kiosk.faults) == 2
    assert all(state.state == 0 for state in led_pin(kiosk, 2).states)
    assert "frown" not in [c for c, _s, _m in stored(kiosk)]

    store.write(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))  # room again
    press(kiosk, 2, bclock, clock)
    assert stored(kiosk)[-1] == ("frown", "button", 0)
    assert confirmed[-1] == 2 and any(state.state == 1 for state in led_pin(kiosk, 2).states)
    assert len(kiosk.faults) == 2


# -- no GPIO at all -------------------------------------------------------------------------------


def test_a_kiosk_set_to_real_hardware_without_gpio_still_takes_ratings_on_screen(tmp_path, monkeypatch, opened):
    # A Pi whose GPIO library is missing: the kiosk starts, says why once, and a tap on a face is stored.
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.setattr(hardware.devices.Device, "pin_factory", None)
    if Path("/proc/device-tree/model").exists():
        pytest.skip("this machine has real GPIO")
    values = defaults()
    values["hardware"]["mode"] = "real"
    values["printer"]["url"] = "sim://gpio-less"
    services = open_services(Config(values), data_dir=tmp_path)
    opened.append(services)
    assert services.hardware.buttons is None
    [fault] = fault_events(services, "gpio_missing")
    assert "no GPIO" in fault["message"]
    services.ratings.rate(0, "touch")
    assert stored(services) == [("smile", "touch", 0)]
