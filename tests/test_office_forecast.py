"""office/forecast.py: when the counters, going on as now, call each waiting ticket (no database, no clock)."""

from datetime import datetime, timedelta

from protocol import officetime
from office.forecast import Counter, Waiting, call_times, priority_first

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=officetime.TAIPEI)


def ago(minutes):
    return NOW - timedelta(minutes=minutes)


def later(minutes):
    return NOW + timedelta(minutes=minutes)


def counter(number, services, free_in=0, streak=0):
    return Counter(number, frozenset(services), later(free_in), streak)


def test_two_counters_share_a_queue_in_print_order():
    waiting = [Waiting(f"A00{n}", "A", ago(20 - n)) for n in range(1, 5)]
    counters = [counter(1, "A"), counter(2, "A", free_in=3)]
    called = call_times(waiting, counters, {"A": 10})
    assert called == {"A001": later(0), "A002": later(3), "A003": later(10), "A004": later(13)}
    assert call_times(waiting, counters, {"A": 10}) == called   # the play moved copies: the same counters again


def test_a_counter_busy_with_another_service_is_not_free_for_this_one():
    # Counter 2 serves A and B; counter 1 (A only) is busy for 20 minutes.  The B ticket waits at counter 2
    # behind the three A tickets printed before it: "1 person ahead in B" would say 4 minutes.
    waiting = [Waiting("A001", "A", ago(10)), Waiting("A002", "A", ago(9)), Waiting("A003", "A", ago(8)),
               Waiting("B001", "B", ago(5))]
    called = call_times(waiting, [counter(1, "A", free_in=20), counter(2, "AB")], {"A": 6, "B": 4})
    assert called == {"A001": later(0), "A002": later(6), "A003": later(12), "B001": later(18)}


def test_priority_tickets_go_first_by_their_doubled_wait_but_at_most_twice_in_a_row():
    waiting = [Waiting("A001", "A", ago(30)), Waiting("P001", "P", ago(20)), Waiting("P002", "P", ago(19)),
               Waiting("P003", "P", ago(18))]
    called = call_times(waiting, [counter(1, "A")], {"A": 5, "P": 5})
    order = sorted(called, key=called.get)
    # P001 has waited 20 minutes, worth 40 against A001's 30: it goes first; P002 too five minutes later
    # (48 against 35); then the streak cap gives A001 its turn before P003.
    assert order == ["P001", "P002", "A001", "P003"]


def test_the_play_stops_at_the_ticket_asked_for_and_skips_tickets_no_counter_serves():
    waiting = [Waiting("A001", "A", ago(10)), Waiting("A002", "A", ago(9)), Waiting("D001", "D", ago(8))]
    called = call_times(waiting, [counter(1, "A")], {"A": 5}, until="A001")
    assert called == {"A001": later(0)}
    assert "D001" not in call_times(waiting, [counter(1, "A")], {"A": 5})
    assert call_times(waiting, [], {"A": 5}) == {} and call_times(waiting, [counter(1, "A")], {}) == {}


def test_a_service_with_no_usual_time_takes_the_mean_of_the_others():
    waiting = [Waiting("E001", "E", ago(5)), Waiting("A001", "A", ago(4))]
    called = call_times(waiting, [counter(1, "AE")], {"A": 4, "C": 8})
    assert called["A001"] == later(6)           # E001 took the mean of 4 and 8 minutes


def test_the_fairness_rule_on_its_own():
    assert priority_first(10, 15, streak=0)       # 20 weighted against 15
    assert not priority_first(5, 15, streak=0)    # 10 against 15
    assert not priority_first(30, 15, streak=2)   # two P calls in a row just before: the regular ticket
    assert priority_first(10, 20, streak=1) is False and priority_first(10, 10, streak=0)
