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
from office.bench.day_draw import (ARRIVAL_CURVE, CLOSE_MINUTE, OPEN_MINUTE, SERVICES, arrival_minutes, counter_layout,
                                   draw_tickets, serving)
from office.bench.day_figures import called_in_print_order, called_twice


def test_a_short_day_prints_what_a_user_reads():
    tickets = 60
    done = subprocess.run([sys.executable, "-m", "office", "bench", "day", "--tickets", str(tickets),
                           "--counters", "2", "--seed", "3"], capture_output=True, text=True, timeout=120)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.startswith("kiosk-office bench day: 60 tickets, 2 counters, seed 3 (simulated "), out
    counts = re.search(r"served (\d+), no-shows (\d+) \((\d+) came back, requeued and served\), never called (\d+)",
                       out)
    assert counts, out
    served, no_shows, came_back, never = map(int, counts.groups())
    assert served + no_shows + never == tickets and came_back <= no_shows and served > tickets // 2
    wait = re.search(r"wait \(printed -> first call\): mean ([\d.]+) min, p90 (\d+) min; "
                     r"longest regular (\d+) min \([ABCE]\d{3}\), longest priority (\d+) min \(P\d{3}\)", out)
    assert wait and float(wait.group(1)) <= int(wait.group(3)), out
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


def test_the_drawn_day_has_the_service_mix_and_unique_numbers():
    tickets = draw_tickets(2000, random.Random(5))
    mix = Counter(t.service for t in tickets)
    for service in SERVICES:
        assert mix[service.prefix] / 2000 == pytest.approx(service.share, abs=0.03)
    for prefix in mix:  # numbered per service in print order: A001, A002 ...
        numbers = [t.number for t in tickets if t.service == prefix]
        assert numbers == [f"{prefix}{n:03d}" for n in range(1, len(numbers) + 1)]
    assert 0.01 < sum(t.no_show for t in tickets) / 2000 < 0.05
    assert all(1 <= t.service_minutes <= 40 for t in tickets)


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
    assert result.undelivered == 0 and sum(result.stream_calls.values()) == result.calls
    assert len(result.latencies_ms) == result.calls
