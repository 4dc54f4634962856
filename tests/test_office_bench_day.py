"""`kiosk-office bench day`: a simulated office day replayed through a real server (office/bench/day.py).

Figures are never asserted against wall-clock limits here: only that they are printed, add up and are plausible.
"""

import random
import re
import subprocess
import sys
from collections import Counter

import pytest

from office.bench.day import run_day
from office.bench.day_draw import (ARRIVAL_CURVE, CLOSE_MINUTE, CUT_OFF, OPEN_MINUTE, PHONE_LAST_MINUTE, PHONE_SHARE,
                                   PRIORITY, SERVICES, Ticket, arrival_minutes, counter_layout, draw_tickets, serving)
from office.bench.day_figures import called_in_print_order, called_twice


def test_a_short_day_prints_what_a_user_reads():
    tickets = 60
    done = subprocess.run([sys.executable, "-m", "office", "bench", "day", "--tickets", str(tickets),
                           "--counters", "2", "--seed", "3"], capture_output=True, text=True, timeout=120)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.startswith("kiosk-office bench day: 60 tickets, 2 counters, seed 3 (simulated "), out
    where = re.search(r"numbers taken: (\d+) at the two kiosks \((\d+) of them appointments checked in at kiosk 1; "
                      r"(\d+) numbered alone by kiosk 2, cut off from the server 10:00-11:00\), (\d+) on phones "
                      r"\(/take\)", out)
    assert where and int(where.group(1)) + int(where.group(4)) == tickets and int(where.group(2)) > 0, out
    assert re.search(r"appointments: first called [+-][\d.]+ min from their time on average, at worst [+-]\d+ min "
                     r"\(F\d{3}\); \d+ of \d+ called early", out), out
    assert "numbers given twice: 0 (goal 0): PASS" in out
    counts = re.search(r"served (\d+), no-shows (\d+) \((\d+) came back, requeued and served\), never called (\d+)",
                       out)
    assert counts, out
    served, no_shows, came_back, never = map(int, counts.groups())
    assert served + no_shows + never == tickets and came_back <= no_shows and served > tickets // 2
    wait = re.search(r"wait \(printed -> first call\): mean ([\d.]+) min, p90 (\d+) min; "
                     r"longest regular (\d+) min \([ABCE]\d{3,4}\), longest priority (\d+) min \(P\d{3,4}\)", out)
    assert wait and float(wait.group(1)) <= int(wait.group(3)), out
    assert re.search(r"longest wait by where the number was taken: at a kiosk \d+ min \([A-Z]\d{3}\), mean [\d.]+", out)
    mae = re.search(r"estimate error \(waits up to 60 min, (\d+) tickets with an estimate, (\d+) 'unknown'.*\): "
                    r"MAE ([\d.]+) min \(goal < 5\): (PASS|MISS)", out)
    assert mae and int(mae.group(1)) + int(mae.group(2)) <= tickets, out
    assert re.search(r"actual wait inside the printed range: \d+ %", out), out
    assert re.search(r"baseline 'people ahead x 5 min / counters': MAE [\d.]+ min -> server estimate [\d.]+x", out), out
    latency = re.search(r"call-to-display latency over (\d+) calls: p50 (\d+) ms, p99 (\d+) ms, max (\d+) ms "
                        r"\(goal p99 <= 1 s\): (PASS|MISS)", out)
    assert latency, out
    calls, p50, p99, worst = map(int, latency.groups()[:4])
    assert calls >= served + no_shows and p50 <= p99 <= worst
    assert re.search(r"the call request's own round trip: p50 \d+ ms, p99 \d+ ms -> display p50 [\d.]+x", out), out
    phones = re.search(r"call-to-push \(提醒我, every phone's ticket\) over (\d+) calls: p50 \d+ ms, p99 \d+ ms, max "
                       r"\d+ ms \(goal p99 < 2 s\): (PASS|MISS)", out)
    assert phones and 0 < int(phones.group(1)) <= int(where.group(4)), out  # each phone called, its push sent
    assert re.search(r"no ticket called twice: yes \(\d+ calls on the display stream", out), out
    assert "each service's tickets first called in print order: yes" in out
    assert re.search(r"replay took [\d.]+ s real time", out), out


def test_bad_sizes_are_refused():
    done = subprocess.run([sys.executable, "-m", "office", "bench", "day", "--tickets", "0"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "--tickets" in done.stderr


def test_the_arrival_curve_is_seeded_inside_opening_hours_and_peaks_in_the_morning():
    times = arrival_minutes(400, random.Random(1))
    assert times == arrival_minutes(400, random.Random(1)) != arrival_minutes(400, random.Random(2))
    assert len(times) == 400 and times == sorted(times)
    assert all(OPEN_MINUTE <= t < CLOSE_MINUTE for t in times)
    per_hour = Counter(int(t // 60) for t in times)
    assert per_hour[10] > 2 * per_hour[12] and per_hour[14] > per_hour[12]
    assert per_hour[9] + per_hour[10] > per_hour[12] + per_hour[13]
    assert ARRIVAL_CURVE[0][0] == OPEN_MINUTE and ARRIVAL_CURVE[-1][1] == CLOSE_MINUTE


def test_the_drawn_day_has_the_service_mix_and_where_each_number_is_taken():
    tickets = draw_tickets(2000, random.Random(5))
    mix = Counter(t.service for t in tickets)
    for service in SERVICES:
        assert mix[service.prefix] / 2000 == pytest.approx(service.share, abs=0.03)
    assert all(t.number == "" for t in tickets)  # the server gives the numbers as the day is replayed
    phones = [t for t in tickets if t.source == "phone"]
    could = [t for t in tickets if t.service != PRIORITY and t.printed < PHONE_LAST_MINUTE]
    assert len(phones) / len(could) == pytest.approx(PHONE_SHARE, abs=0.03)
    assert all(t.service != PRIORITY and t.printed < PHONE_LAST_MINUTE and t.kiosk == 0 for t in phones)
    at_kiosks = Counter(t.kiosk for t in tickets if t.source == "kiosk")
    assert at_kiosks[1] / at_kiosks[2] == pytest.approx(1, abs=0.15)
    kiosk, start, end = CUT_OFF
    assert [t for t in tickets if t.alone] == [t for t in tickets if t.kiosk == kiosk and start <= t.printed < end]
    assert 0.01 < sum(t.no_show for t in tickets) / 2000 < 0.05
    assert all(1 <= t.service_minutes <= 40 for t in tickets)


def test_a_ticket_the_server_did_not_know_yet_is_not_overtaken_while_unknown():
    """The fairness check: a ticket numbered alone (uploaded at 11:00) may be called after later tickets the server
    had; once known, one printed before it and called after it is a breach."""
    alone = Ticket("A2001", "A", 600, 5, alone=True, known=660, first_call=665, first_call_order=3)
    before_upload = Ticket("A040", "A", 610, 5, known=610, first_call=630, first_call_order=1)
    after_upload = Ticket("A045", "A", 640, 5, known=640, first_call=662, first_call_order=2)
    assert called_in_print_order([alone, before_upload]) == []
    assert called_in_print_order([alone, before_upload, after_upload]) == ["A045 before A2001"]


@pytest.mark.parametrize("counters", [1, 2, 3, 4, 6])
def test_every_service_has_a_counter(counters):
    layout = counter_layout(counters)
    assert sorted(layout) == list(range(1, counters + 1))
    for service in SERVICES:
        assert serving(layout, service.prefix), service


def test_a_busy_day_is_fair_by_the_servers_rule():
    """office/calls.py: P tickets weigh their wait twice, no ticket is overtaken by a later one of its service."""
    result = run_day(tickets=160, counters=2, seed=1)
    called = [t for t in result.tickets if t.wait is not None]
    regular = [t for t in called if not t.priority]
    priority = [t for t in called if t.priority]
    assert len(called) == 160 and priority
    assert sum(t.wait for t in regular) / len(regular) > 5, "not a busy day: the test proves nothing"
    assert max(t.wait for t in priority) <= max(t.wait for t in regular)
    assert sum(t.wait for t in priority) / len(priority) < sum(t.wait for t in regular) / len(regular)
    assert called_in_print_order(result.tickets) == []
    assert called_twice(result) == []
    numbers = [t.number for t in result.tickets]
    assert result.duplicates == [] and len(set(numbers)) == len(numbers) == 160
    assert all(re.fullmatch(r"[A-Z][1-9]\d{3}", t.number) for t in result.tickets if t.alone)  # the slot's block
    assert all(re.fullmatch(r"[A-Z]\d{3}", t.number) for t in result.tickets if not t.alone)  # the office's
    assert result.undelivered == 0 and sum(result.stream_calls.values()) == result.calls
    assert len(result.latencies_ms) == result.calls
