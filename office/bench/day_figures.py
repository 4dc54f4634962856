"""
``kiosk-office bench day``: the figures of a replayed day
=========================================================

What ``bench day`` prints from a :class:`~office.bench.day_replay.DayResult`: where the tickets were taken and
whether a number was given twice (goal: none), the waits (and the longest of each kind of ticket: a kiosk's, a
phone's, one numbered alone by the cut-off kiosk), the estimate's error against the actual wait (beside the
rule of thumb "people ahead × 5 min / counters"), the call-to-display latency (beside the call request's own
round trip), and the checks that say whether the run is broken (a number given twice, a ticket called twice, a
call the display never got, tickets unaccounted for).  Goals are reported PASS/MISS, never asserted.
"""

from __future__ import annotations

import math
import statistics
import sys
from typing import Callable, List, Sequence

from .day_draw import CUT_OFF, DAY, Ticket, serving
from .day_replay import DayResult

__all__ = ["ESTIMATE_WINDOW_MINUTES", "BASELINE_MINUTES_PER_PERSON", "percentile", "called_in_print_order",
           "called_twice", "report"]

ESTIMATE_WINDOW_MINUTES = 60   # the estimate is judged on waits up to this
BASELINE_MINUTES_PER_PERSON = 5

Out = Callable[[str], None]


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p`` percentile (0-100) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def called_in_print_order(tickets: Sequence[Ticket]) -> List[str]:
    """Tickets first called before an earlier-printed ticket of their service that the server already had then
    (the rule says: none).  A ticket numbered by a kiosk cut off from the server is not overtaken while the server
    does not know it (``Ticket.known``, its upload); once it does, the ticket takes its place by its print time."""
    wrong = []
    for service in {t.service for t in tickets}:
        # (an appointment's ticket goes by its time, not its print: office/CALLING.md; not compared here)
        mine = sorted((t for t in tickets if t.service == service and t.first_call_order is not None
                       and t.due is None), key=lambda t: t.printed)
        for i, later in enumerate(mine):
            for earlier in mine[:i]:
                known = earlier.printed if earlier.known is None else earlier.known
                if earlier.first_call_order > later.first_call_order and known <= later.first_call:
                    wrong.append(f"{later.number} before {earlier.number}")
                    break
    return sorted(wrong)


def called_twice(result: DayResult) -> List[str]:
    """Numbers with more call events on the display stream than one plus their requeues."""
    allowed = {t.number: 1 + int(t.requeued) for t in result.tickets}
    return sorted(n for n, count in result.stream_calls.items() if count > allowed.get(n, 0))


def report(result: DayResult, tickets: int, counters: int, seed: int, out: Out = print) -> int:
    """Print the figures; 0, or 1 when a check shows the run is broken."""
    day = result.tickets
    out(f"kiosk-office bench day: {tickets} tickets, {counters} counters, seed {seed} "
        f"(simulated {DAY:%a %Y-%m-%d} 08:00-17:00, real server on 127.0.0.1)")
    _where(result, out)
    served = sum(1 for t in day if t.outcome == "served" and not t.requeued)
    no_shows = [t for t in day if t.no_show and t.first_call is not None]
    came_back = sum(1 for t in no_shows if t.outcome == "served")
    never = sum(1 for t in day if t.first_call is None)
    out(f"  served {served}, no-shows {len(no_shows)} ({came_back} came back, requeued and served), "
        f"never called {never}")
    waited = [t for t in day if t.wait is not None]
    if waited:
        _waits(waited, out)
    _estimate_error(waited, result, out)
    _latency(result, out)
    _push_latency(result, out)
    twice = called_twice(result)
    out(f"  no ticket called twice: {'yes' if not twice else 'NO: ' + ', '.join(twice[:5])} "
        f"({sum(result.stream_calls.values())} calls on the display stream, "
        f"{sum(1 for t in day if t.calls > 1)} of them after a requeue)")
    disorder = called_in_print_order(day)
    out(f"  each service's tickets first called in print order: "
        f"{'yes' if not disorder else 'NO: ' + ', '.join(disorder[:5])}")
    out(f"  replay took {result.real_seconds:.1f} s real time ({result.calls} calls)")
    problems = []
    if result.duplicates:
        problems.append(f"numbers given twice: {', '.join(result.duplicates[:5])}")
    if twice:
        problems.append(f"tickets called twice: {', '.join(twice[:5])}")
    if result.undelivered:
        problems.append(f"{result.undelivered} call(s) never reached the display within 10 s")
    if sum(result.stream_calls.values()) != result.calls:
        problems.append(f"the display saw {sum(result.stream_calls.values())} calls, the counters made {result.calls}")
    if result.push_missing:
        problems.append(f"phones called but never sent their call: {', '.join(result.push_missing[:5])}")
    if result.push_errors:
        problems.append(f"pushes a phone could not read: {', '.join(result.push_errors[:5])}")
    if served + len(no_shows) + never != len(day):
        problems.append(f"served {served} + no-shows {len(no_shows)} + never called {never} != {len(day)} tickets")
    for problem in problems:
        print(f"kiosk-office bench day: broken run: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _where(result: DayResult, out: Out) -> None:
    """Where the day's numbers were taken, and whether one was given twice."""
    day = result.tickets
    kiosk, cut, start, end = [t for t in day if t.source == "kiosk"], CUT_OFF[0], CUT_OFF[1], CUT_OFF[2]
    out(f"  numbers taken: {len(kiosk)} at the two kiosks ({sum(t.due is not None for t in day)} of them appointments "
        f"checked in at kiosk 1; {sum(t.alone for t in day)} numbered alone by kiosk {cut}, cut off from the server "
        f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}), "
        f"{sum(t.source == 'phone' for t in day)} on phones (/take)")
    twice = result.duplicates
    out(f"  numbers given twice: {len(twice)} (goal 0): {'PASS' if not twice else 'MISS: ' + ', '.join(twice[:5])}")


def _waits(waited: List[Ticket], out: Out) -> None:
    """The waits (printed -> first call): mean, p90, the longest regular and priority ones."""
    waits = [t.wait for t in waited]
    regular = [t for t in waited if not t.priority]
    priority = [t for t in waited if t.priority]
    line = f"  wait (printed -> first call): mean {statistics.fmean(waits):.1f} min, p90 {percentile(waits, 90):.0f} min"
    if regular:
        worst = max(regular, key=lambda t: t.wait)
        line += f"; longest regular {worst.wait:.0f} min ({worst.number})"
    if priority:
        worst = max(priority, key=lambda t: t.wait)
        line += f", longest priority {worst.wait:.0f} min ({worst.number})"
    out(line)
    if regular and priority:
        out(f"    mean wait: regular {statistics.fmean(t.wait for t in regular):.1f} min, "
            f"priority {statistics.fmean(t.wait for t in priority):.1f} min")
    kinds = {"kiosk": "at a kiosk", "phone": "on a phone", "alone": "numbered alone (its kiosk cut off)",
             "appointment": "checked in for an appointment"}
    parts = []
    for kind, words in kinds.items():
        mine = [t for t in waited if t.kind == kind]
        if mine:
            worst = max(mine, key=lambda t: t.wait)
            parts.append(f"{words} {worst.wait:.0f} min ({worst.number}), mean {statistics.fmean(t.wait for t in mine):.1f}")
    out("    longest wait by where the number was taken: " + "; ".join(parts))
    booked = [t for t in waited if t.due is not None]
    if booked:
        late = [t.first_call - t.due for t in booked]
        worst = max(booked, key=lambda t: t.first_call - t.due)
        out(f"    appointments: first called {statistics.fmean(late):+.1f} min from their time on average, at worst "
            f"{max(late):+.0f} min ({worst.number}); {sum(1 for x in late if x < 0)} of {len(booked)} called early "
            f"(nobody else waiting at the counter)")


def _estimate_error(waited: List[Ticket], result: DayResult, out: Out) -> None:
    """The estimate read right after printing against the actual wait, beside the rule of thumb's."""
    # (an appointment is called at its time, not when the queue reaches it: its estimate is another question)
    judged = [t for t in waited if t.wait <= ESTIMATE_WINDOW_MINUTES and t.due is None]
    estimated = [t for t in judged if t.estimate is not None]
    unknown = len(judged) - len(estimated)
    longer = sum(1 for t in waited if t.due is None) - len(judged)
    head = (f"  estimate error (waits up to {ESTIMATE_WINDOW_MINUTES} min, {len(estimated)} tickets with an estimate, "
            f"{unknown} 'unknown'; {longer} waited longer)")
    if not estimated:
        out(f"{head}: MAE n/a (no ticket had an estimate)")
        return
    errors = [abs((t.estimate[0] + t.estimate[1]) / 2 - t.wait) for t in estimated]
    mae = statistics.fmean(errors)
    out(f"{head}: MAE {mae:.1f} min (goal < 5): {'PASS' if mae < 5 else 'MISS'}")
    inside = sum(1 for t in estimated if t.estimate[0] <= t.wait <= t.estimate[1])
    bias = statistics.fmean((t.estimate[0] + t.estimate[1]) / 2 - t.wait for t in estimated)
    out(f"    actual wait inside the printed range: {100 * inside / len(estimated):.0f} %; "
        f"the midpoint is {abs(bias):.1f} min too {'low' if bias < 0 else 'high'} on average")
    baseline = statistics.fmean(
        abs(t.ahead * BASELINE_MINUTES_PER_PERSON / len(serving(result.layout, t.service)) - t.wait)
        for t in estimated)
    ratio = f"{mae / baseline:.2f}x its error" if baseline > 0 else "(baseline exact)"
    out(f"    baseline 'people ahead x {BASELINE_MINUTES_PER_PERSON} min / counters': MAE {baseline:.1f} min "
        f"-> server estimate {ratio}")


def _latency(result: DayResult, out: Out) -> None:
    """Call-to-display latency, beside the call request's own round trip (nothing without calls)."""
    latencies, trips = result.latencies_ms, result.round_trips_ms
    if not latencies:
        return
    p99 = percentile(latencies, 99)
    out(f"  call-to-display latency over {len(latencies)} calls: p50 {percentile(latencies, 50):.0f} ms, "
        f"p99 {p99:.0f} ms, max {max(latencies):.0f} ms (goal p99 <= 1 s): {'PASS' if p99 <= 1000 else 'MISS'}")
    out(f"    the call request's own round trip: p50 {percentile(trips, 50):.0f} ms, p99 {percentile(trips, 99):.0f} ms "
        f"-> display p50 {percentile(latencies, 50) / max(percentile(trips, 50), 1e-9):.1f}x the request")


def _push_latency(result: DayResult, out: Out) -> None:
    """A phone's reminder (提醒我): from the clerk's press to the "called" message leaving for its push service."""
    if not result.push_ms:
        return
    p99 = percentile(result.push_ms, 99)
    out(f"  call-to-push (提醒我, every phone's ticket) over {len(result.push_ms)} calls: p50 "
        f"{percentile(result.push_ms, 50):.0f} ms, p99 {p99:.0f} ms, max {max(result.push_ms):.0f} ms "
        f"(goal p99 < 2 s): {'PASS' if p99 < 2000 else 'MISS'}")
