"""The admin keypad's PIN and lockout, and the staff actions' effects and events (kiosk/admin_pin.py, ticketing_pause.py, ticket_numbers.py, admin_status.py, poweroff.py)."""

import pytest

from kiosk.admin_pin import AdminGate, hash_pin, valid_hash, verify_pin
from kiosk.ticket_numbers import reset_today_numbers
from kiosk.ticketing_pause import set_ticketing_paused, ticketing_paused
from kiosk.store import Store

FAST = 10_000  # iterations in tests: the real default costs a third of a second on a Pi 3


class WallClock:
    def __init__(self, t=1_800_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path) as s:
        yield s


def admin_events(store):
    return [e.data for e in store.events() if e.type == "admin"]


def test_a_pin_is_stored_only_as_a_salted_hash():
    first, second = hash_pin("2468", iterations=FAST), hash_pin("2468", iterations=FAST)
    assert "2468" not in first and first != second  # salted: two kiosks with one PIN do not share a hash
    assert valid_hash(first) and verify_pin("2468", first) and verify_pin("2468", second)
    assert not verify_pin("2469", first) and not verify_pin("2468", "plain-2468")
    for bad in ("123", "123456789", "12a4", ""):
        with pytest.raises(ValueError):
            hash_pin(bad)


def test_the_right_pin_opens_and_wrong_ones_count_down(store):
    gate = AdminGate(store, hash_pin("2468", iterations=FAST), attempts=5, clock=WallClock())
    assert gate.try_pin("1111") == "wrong" and gate.attempts_left == 4
    assert gate.try_pin("2468") == "ok" and gate.attempts_left == 5  # a success forgives earlier slips
    assert [e["action"] for e in admin_events(store)] == ["pin_wrong", "login"]
    assert "1111" not in str(admin_events(store))  # the digits typed are never kept


def test_five_wrong_pins_lock_the_keypad_even_for_the_right_one_until_the_time_is_up(store, tmp_path):
    clock = WallClock()
    gate = AdminGate(store, hash_pin("2468", iterations=FAST), attempts=5, lockout_seconds=300, clock=clock)
    assert [gate.try_pin("0000") for _ in range(5)] == ["wrong"] * 4 + ["locked"]
    assert gate.locked_for() == 300
    assert gate.try_pin("2468") == "locked"
    clock.t += 299
    assert gate.try_pin("2468") == "locked"
    # pulling the plug does not clear the lock: a new gate on the same store still refuses
    again = AdminGate(store, gate.pin_hash, attempts=5, lockout_seconds=300, clock=clock)
    assert again.locked_for() == pytest.approx(1)
    clock.t += 2
    assert again.try_pin("2468") == "ok"
    actions = [e["action"] for e in admin_events(store)]
    assert actions.count("pin_wrong") == 5 and "locked" in actions and actions.count("pin_refused_locked") == 2


def test_a_clock_set_back_cannot_stretch_the_lock(store):
    clock = WallClock()
    gate = AdminGate(store, hash_pin("2468", iterations=FAST), attempts=1, lockout_seconds=300, clock=clock)
    assert gate.try_pin("0000") == "locked"
    clock.t -= 86_400  # NTP fixes a wrong date backwards by a day
    assert gate.locked_for() == 300


def test_no_pin_configured_means_no_admin_screen_not_a_default_pin(store):
    gate = AdminGate(store, "")
    assert not gate.configured and gate.try_pin("0000") == "unset" and admin_events(store) == []


def test_pausing_ticketing_is_remembered_and_recorded(store):
    assert not ticketing_paused(store)
    set_ticketing_paused(store, True)
    assert ticketing_paused(store)
    set_ticketing_paused(store, False)
    assert not ticketing_paused(store)
    assert [e["action"] for e in admin_events(store)] == ["pause_ticketing", "resume_ticketing"]


def test_resetting_todays_numbers_starts_again_at_one_and_says_where_they_were(store):
    store.write(lambda c: c.executemany("INSERT INTO ticket_counters (day, prefix, issued) VALUES (?, ?, ?)",
                                        [("2026-11-27", "A", 41), ("2026-11-27", "F", 7), ("2026-11-26", "A", 90)]))
    assert reset_today_numbers(store, "2026-11-27") == 2
    shown = store.read(lambda c: c.execute(
        "SELECT day, prefix, issued - reset_base FROM ticket_counters ORDER BY day, prefix").fetchall())
    assert shown == [("2026-11-26", "A", 90), ("2026-11-27", "A", 0), ("2026-11-27", "F", 0)]  # other days untouched
    [event] = admin_events(store)
    assert event == {"action": "reset_numbers", "day": "2026-11-27", "counters": {"A": 41, "F": 7}}
