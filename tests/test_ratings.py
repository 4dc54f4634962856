"""Satisfaction ratings as the office sees them: scales, durable ratings, misuse, reasons, statistics, export.

A real Store in a temporary folder, no hardware and no Kivy: RatingService
is called directly, with a fake monotonic clock for the response interval.
"""

import csv
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from protocol import officetime
from kiosk.errors import StoreError
from protocol.periods import Period
from kiosk.rating_stats import CSV_COLUMNS, export_csv, format_summary, silent_choices, summarise
from protocol.ratings import REASONS, Scale
from kiosk.ratings import RatingService, ratings_between
from kiosk.store import Store

TAIPEI = officetime.TAIPEI


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path) as store:
        yield store


def service(store, clock, size=3, **kwargs):
    kwargs.setdefault("kiosk_id", "ERLIN-01")
    return RatingService(store, Scale.of_size(size), monotonic=clock, **kwargs)


@pytest.fixture
def ratings(store, clock):
    return service(store, clock)


def rows(store):
    return store.read(lambda c: c.execute(
        "SELECT e.id, r.day, r.hour, r.choice, r.score, r.scale, r.source, r.misuse, r.reason, r.at"
        " FROM ratings r JOIN events e ON e.seq = r.seq ORDER BY r.seq").fetchall())


def taipei(*args):
    return datetime(*args, tzinfo=TAIPEI)


def rate_at(ratings, clock, index, moment, gap=10.0):
    """A rating at office time ``moment``, ``gap`` seconds (monotonic) after the previous one."""
    clock.advance(gap)
    return ratings.rate(index, "button", at=moment)


# -- a rating is durable before anyone is told -----------------------------------------------------


def test_a_rating_is_stored_with_its_event_sharing_its_id(store, ratings):
    rating = ratings.rate(0, "button")
    [(rid, day, hour, choice, score, scale, source, misuse, reason, at)] = rows(store)
    assert (rid, choice, score, scale, source, misuse, reason) == (rating.id, "smile", 3, 3, "button", 0, None)
    events = [e for e in store.events() if e.type == "rating"]
    assert [e.id for e in events] == [rating.id]
    assert events[0].data == {"score": 3, "scale": 3, "choice": "smile", "source": "button", "kiosk_id": "ERLIN-01",
                              "location": "", "service": "", "misuse": False, "ticket": ""}
    assert events[0].at == at == rating.at
    assert events[0].at.endswith("+08:00")
    datetime.fromisoformat(events[0].at)  # RFC 3339 that Python reads back
    assert day == officetime.office_day(datetime.fromisoformat(at)).isoformat()
    assert hour == datetime.fromisoformat(at).hour


def test_the_event_carries_location_service_and_touch_source(store, clock):
    ratings = service(store, clock, size=5, kiosk_id="ERLIN-02", location="3", service="C")
    rating = ratings.rate(4, "touch")
    assert rating.negative and rating.choice.label == "非常不滿意"
    [event] = store.events()
    assert event.data == {"score": 1, "scale": 5, "choice": "very_dissatisfied", "source": "touch",
                          "kiosk_id": "ERLIN-02", "location": "3", "service": "C", "misuse": False, "ticket": ""}
    # a service given with the press wins over the configured one
    clock.advance(10)
    ratings.rate(0, "touch", service="A")
    assert store.events()[-1].data["service"] == "A"


def test_listeners_run_only_after_the_rating_is_committed(store, ratings):
    """What another process (the uploader, `kiosk ratings stats`) sees when the LED lights: the row, committed."""
    seen = []

    def listener(rating):
        other = sqlite3.connect(str(store.path))  # a separate connection sees committed data only
        try:
            seen.append(other.execute(
                "SELECT r.choice, e.type FROM ratings r JOIN events e ON e.seq = r.seq WHERE e.id = ?",
                (rating.id,)).fetchall())
        finally:
            other.close()

    ratings.on_rated.append(listener)
    ratings.rate(2, "button")
    assert seen == [[("frown", "rating")]]


def test_a_failing_listener_neither_stops_the_others_nor_loses_the_rating(store, ratings, caplog):
    told = []

    def broken_led(rating):
        raise RuntimeError("LED driver gone")

    ratings.on_rated.extend([broken_led, told.append])
    rating = ratings.rate(1, "button")
    assert told == [rating]
    assert [r[0] for r in rows(store)] == [rating.id]
    assert "LED driver gone" in caplog.text


def test_an_unknown_source_is_refused_and_nothing_is_stored(store, ratings):
    with pytest.raises(ValueError, match=r"unknown rating source 'keyboard'.*button, touch"):
        ratings.rate(0, "keyboard")
    assert rows(store) == [] and store.events() == []


# -- misuse ---------------------------------------------------------------------------------------


def test_a_rating_within_the_response_interval_is_kept_as_misuse(store, ratings, clock):
    first = ratings.rate(0, "button")
    clock.advance(2.9)
    second = ratings.rate(2, "button")
    assert (first.misuse, second.misuse) == (False, True)
    assert [(r[3], r[7]) for r in rows(store)] == [("smile", 0), ("frown", 1)]
    assert [e.data["misuse"] for e in store.events()] == [False, True]


def test_a_rating_after_the_response_interval_is_not_misuse(store, ratings, clock):
    ratings.rate(0, "button")
    clock.advance(3.0)
    assert not ratings.rate(1, "button").misuse


def test_hammering_keeps_every_press_and_the_interval_runs_from_the_last_one(store, ratings, clock):
    results = []
    for _ in range(6):
        results.append(ratings.rate(2, "button"))
        clock.advance(1)  # every press 1 s after the last: 6 s in all, but never 3 s of quiet
    clock.advance(2)
    results.append(ratings.rate(0, "button"))
    assert [r.misuse for r in results] == [False, True, True, True, True, True, False]
    assert len(rows(store)) == 7  # misuse is kept, never deleted


def test_a_custom_response_interval_is_honoured(store, clock):
    ratings = service(store, clock, response_interval=10)
    ratings.rate(0, "button")
    clock.advance(9)
    assert ratings.rate(0, "button").misuse
    clock.advance(10)
    assert not ratings.rate(0, "button").misuse


# -- why? -----------------------------------------------------------------------------------------


def test_a_reason_is_linked_to_its_rating_and_queued_for_the_office(store, ratings, clock):
    unhappy = ratings.rate(2, "touch")
    clock.advance(10)
    happy = ratings.rate(0, "touch")
    ratings.set_reason(unhappy.id, "wait_time")
    by_id = {r[0]: r[8] for r in rows(store)}
    assert by_id == {unhappy.id: "wait_time", happy.id: None}
    reason_events = [e for e in store.events() if e.type == "rating_reason"]
    assert [e.data for e in reason_events] == [{"rating_id": unhappy.id, "reason": "wait_time"}]
    assert [e.id for e in store.pending_events()][-1] == reason_events[0].id


def test_an_unknown_reason_or_rating_is_refused_and_nothing_is_written(store, ratings):
    rating = ratings.rate(2, "touch")
    with pytest.raises(ValueError, match=r"unknown reason 'rude'.*" + ", ".join(REASONS)):
        ratings.set_reason(rating.id, "rude")
    with pytest.raises(ValueError, match=r"no rating 'no-such-id'"):
        ratings.set_reason("no-such-id", "attitude")
    assert [e.type for e in store.events()] == ["rating"]
    assert rows(store)[0][8] is None


# -- faults ---------------------------------------------------------------------------------------


def test_a_full_disk_is_a_clear_fault_and_the_kiosk_keeps_working_once_there_is_room(store, ratings, clock):
    faults, told = [], []
    ratings.on_fault.append(faults.append)
    ratings.on_rated.append(told.append)
    pages = store.read(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    assert store.write(lambda c: c.execute(f"PRAGMA max_page_count = {pages}").fetchone()[0]) == pages
    stored = 0
    with pytest.raises(StoreError) as info:
        for _ in range(2000):  # the free room in the last pages fills up within a few dozen
            ratings.rate(2, "button")
            stored += 1
            clock.advance(10)
    message = str(info.value)
    assert "rating frown from button could not be stored" in message and "full" in message
    assert faults == [message]
    assert len(told) == stored  # nobody was told "thank you" for the lost one
    # all or nothing: no rating event without its row
    assert store.read(lambda c: c.execute("SELECT count(*) FROM ratings").fetchone()[0]) == stored
    assert len([e for e in store.events() if e.type == "rating"]) == stored

    store.write(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    clock.advance(10)
    after = ratings.rate(0, "button")
    assert not after.misuse
    assert rows(store)[-1][0] == after.id
    assert len(rows(store)) == stored + 1
    assert faults == [message]


WRITE_FAILS_AT_COMMIT = r"""
import itertools, json, os, resource, signal, sys
from kiosk.errors import StoreError
from protocol.periods import Period
from protocol.ratings import Scale
from kiosk.ratings import RatingService
from kiosk.store import Store

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing us
store = Store.open(sys.argv[1])
ticks = itertools.count(0, 10)
ratings = RatingService(store, Scale.of_size(3), "ERLIN-01", monotonic=lambda: next(ticks))
faults, told = [], []
ratings.on_fault.append(faults.append)
ratings.on_rated.append(lambda rating: told.append(rating.id))
first = ratings.rate(0, "button")
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
# no file may grow any more: the write-ahead log cannot take the next commit
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(os.path.join(sys.argv[1], "kiosk.db-wal")), hard))
try:
    ratings.rate(2, "button")
    lost = None
except StoreError as exc:
    lost = str(exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
after = ratings.rate(1, "button")
print(json.dumps({"lost": lost, "faults": faults, "told": told, "first": first.id, "after": after.id}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses RLIMIT_FSIZE")
def test_a_write_failing_at_commit_is_a_fault_and_the_next_rating_is_stored(tmp_path):
    """The SD card filling up as the log grows: the failure comes at COMMIT, not at the INSERT."""
    result = subprocess.run([sys.executable, "-c", WRITE_FAILS_AT_COMMIT, str(tmp_path)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "KIOSK_CLOCK_SYNCED": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["lost"] and report["lost"].startswith("rating frown from button could not be stored: ")
    assert report["faults"] == [report["lost"]]
    assert report["told"] == [report["first"], report["after"]]
    with Store.open(tmp_path) as store:
        assert [(r[0], r[3]) for r in rows(store)] == [(report["first"], "smile"), (report["after"], "neutral")]
        assert [e.id for e in store.events()] == [report["first"], report["after"]]


def test_a_closed_store_is_a_store_error_told_to_the_fault_listeners(store, ratings):
    faults = []
    ratings.on_fault.append(faults.append)
    store.close()
    with pytest.raises(StoreError, match=r"rating smile from touch could not be stored: .*closed"):
        ratings.rate(0, "touch")
    assert len(faults) == 1 and "could not be stored" in faults[0]


# -- office day -----------------------------------------------------------------------------------


def test_ratings_either_side_of_midnight_in_taipei_land_on_different_office_days(store, ratings, clock):
    late = rate_at(ratings, clock, 0, taipei(2026, 11, 27, 23, 59, 59))
    early = rate_at(ratings, clock, 1, taipei(2026, 11, 28, 0, 0, 1))
    # 16:00:02 UTC on the 27th is already 00:00:02 on the 28th in Taipei
    utc = rate_at(ratings, clock, 2, datetime(2026, 11, 27, 16, 0, 2, tzinfo=timezone.utc))
    assert [(r[1], r[2]) for r in rows(store)] == [("2026-11-27", 23), ("2026-11-28", 0), ("2026-11-28", 0)]
    assert late.at == "2026-11-27T23:59:59.000+08:00"
    assert early.at == "2026-11-28T00:00:01.000+08:00"
    assert utc.at == "2026-11-28T00:00:02.000+08:00"
    assert [r["choice"] for r in ratings_between(store, "2026-11-28", "2026-11-28")] == ["neutral", "frown"]


# -- statistics -----------------------------------------------------------------------------------

DAY = date(2026, 11, 27)
NOV = Period.parse(month="115/11")


def fill_day(ratings, clock):
    """Three good ratings at 9:xx, a neutral at 10:xx, a frown at 14:xx, and two misuse presses at 14:xx."""
    for minute in (5, 20, 40):
        rate_at(ratings, clock, 0, taipei(2026, 11, 27, 9, minute))
    rate_at(ratings, clock, 1, taipei(2026, 11, 27, 10, 15))
    rate_at(ratings, clock, 2, taipei(2026, 11, 27, 14, 0, 0))
    rate_at(ratings, clock, 0, taipei(2026, 11, 27, 14, 0, 1), gap=1)   # misuse
    rate_at(ratings, clock, 0, taipei(2026, 11, 27, 14, 0, 2), gap=1)   # misuse


def test_summary_excludes_misuse_by_default(store, ratings, clock):
    fill_day(ratings, clock)
    summary = summarise(store, ratings.scale, NOV)
    assert summary.counts == {"smile": 3, "neutral": 1, "frown": 1}
    assert (summary.total, summary.satisfied, summary.misuse) == (5, 3, 2)
    assert summary.satisfied_share == pytest.approx(0.6)
    assert summary.per_hour == {9: 3, 10: 1, 14: 1}


def test_summary_can_include_misuse(store, ratings, clock):
    fill_day(ratings, clock)
    summary = summarise(store, ratings.scale, NOV, include_misuse=True)
    assert summary.counts == {"smile": 5, "neutral": 1, "frown": 1}
    assert (summary.total, summary.satisfied, summary.misuse) == (7, 5, 2)
    assert summary.per_hour == {9: 3, 10: 1, 14: 3}


def test_five_point_satisfied_share_is_the_top_two(store, clock):
    ratings = service(store, clock, size=5)
    for index in (0, 1, 1, 2, 3, 4, 0, 2):
        rate_at(ratings, clock, index, taipei(2026, 11, 27, 11, 0))
    summary = summarise(store, ratings.scale, NOV)
    assert summary.counts == {"very_satisfied": 2, "satisfied": 2, "neutral": 2, "dissatisfied": 1,
                              "very_dissatisfied": 1}
    assert (summary.satisfied, summary.total) == (4, 8)
    assert "satisfied: 4 of 8 (50.0 %)" in format_summary(summary, "ERLIN-01").splitlines()


def test_summary_covers_only_its_period(store, ratings, clock):
    rate_at(ratings, clock, 0, taipei(2026, 10, 31, 23, 59, 59))
    rate_at(ratings, clock, 2, taipei(2026, 11, 1, 0, 0, 1))
    rate_at(ratings, clock, 0, taipei(2026, 12, 1, 0, 0, 1))
    summary = summarise(store, ratings.scale, NOV)
    assert summary.counts == {"smile": 0, "neutral": 0, "frown": 1}
    assert summarise(store, ratings.scale, Period.parse(day="115/10/31")).counts["smile"] == 1


def test_ratings_on_another_scale_are_reported_not_mixed_in(store, clock):
    rate_at(service(store, clock, size=5), clock, 0, taipei(2026, 11, 27, 9, 0))
    three = service(store, clock)
    rate_at(three, clock, 2, taipei(2026, 11, 27, 9, 30))
    summary = summarise(store, three.scale, NOV)
    assert summary.counts == {"smile": 0, "neutral": 0, "frown": 1}
    assert summary.by_scale_mismatch == 1
    assert "on another scale: 1" in format_summary(summary, "ERLIN-01")


def test_format_summary_shows_counts_share_misuse_and_hours(store, ratings, clock):
    fill_day(ratings, clock)
    text = format_summary(summarise(store, ratings.scale, NOV), "ERLIN-01")
    lines = text.splitlines()
    assert "民國115年11月" in lines[0] and "ERLIN-01" in lines[0]
    assert "ratings: 5 (misuse excluded)" in lines
    assert "satisfied: 3 of 5 (60.0 %)" in lines
    assert any(line.startswith("misuse: 2 ") and "not counted above" in line for line in lines)
    smile = next(line for line in lines if " smile " in line)
    assert "滿意" in smile and smile.split()[-2:] == ["60.0", "%"] and " 3 " in smile
    hours = {line.split()[0]: int(line.split()[1]) for line in lines if line.startswith("  ") and ":00" in line}
    assert hours == {"09:00": 3, "10:00": 1, "14:00": 1}

    with_misuse = format_summary(summarise(store, ratings.scale, NOV, include_misuse=True), "ERLIN-01",
                                 include_misuse=True).splitlines()
    assert "satisfied: 5 of 7 (71.4 %)" in with_misuse
    assert any(line.startswith("misuse: 2 ") and "counted above" in line and "not" not in line
               for line in with_misuse)


def test_format_summary_of_an_empty_period_says_so(store, ratings):
    lines = format_summary(summarise(store, ratings.scale, NOV), "ERLIN-01").splitlines()
    assert "satisfied: no ratings in this period" in lines
    assert any(line.startswith("misuse: 0 ") for line in lines)
    assert "per hour: –" in lines


# -- export ---------------------------------------------------------------------------------------


def test_export_writes_every_rating_with_misuse_flagged_in_utf8_with_bom(store, ratings, clock, tmp_path):
    fill_day(ratings, clock)
    rating = rows(store)[4]
    ratings.set_reason(rating[0], "attitude")
    out = tmp_path / "ratings.csv"
    assert export_csv(store, ratings.scale, NOV, out) == 7
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to show Chinese
    with open(out, newline="", encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    assert tuple(table[0]) == CSV_COLUMNS
    records = [dict(zip(table[0], row)) for row in table[1:]]
    assert len(records) == 7
    assert [r["misuse"] for r in records] == ["0", "0", "0", "0", "0", "1", "1"]
    assert [r["label"] for r in records] == ["滿意", "滿意", "滿意", "普通", "不滿意", "滿意", "滿意"]
    assert {r["roc_date"] for r in records} == {"115/11/27"}
    assert [r["hour"] for r in records] == ["9", "9", "9", "10", "14", "14", "14"]
    assert records[4]["reason"] == "attitude" and records[4]["id"] == rating[0]
    assert records[0]["at"] == "2026-11-27T09:05:00.000+08:00"
    assert {r["kiosk_id"] for r in records} == {"ERLIN-01"}


def test_export_of_an_empty_period_writes_the_header_only(store, ratings, tmp_path):
    out = tmp_path / "empty.csv"
    assert export_csv(store, ratings.scale, NOV, out) == 0
    with open(out, newline="", encoding="utf-8-sig") as fh:
        assert list(csv.reader(fh)) == [list(CSV_COLUMNS)]


# -- silent buttons -------------------------------------------------------------------------------


def press_days(ratings, clock, days):
    """``days``: {date: [choice indexes pressed]}, each press well apart (no misuse)."""
    for day, indexes in days.items():
        for n, index in enumerate(indexes):
            rate_at(ratings, clock, index, taipei(day.year, day.month, day.day, 9 + n))


def test_a_button_silent_for_silent_days_active_days_is_flagged(store, ratings, clock):
    first = date(2026, 11, 16)
    days = {first: [0, 1, 2]}
    # frown last pressed on the 16th; smile and neutral on 5 later office days (the weekend had none)
    for offset in (1, 2, 3, 4, 7):
        days[first + timedelta(days=offset)] = [0, 1]
    press_days(ratings, clock, days)
    today = date(2026, 11, 24)
    assert silent_choices(store, ratings.scale, 5, today=today) == [("frown", 5)]
    assert silent_choices(store, ratings.scale, 6, today=today) == []  # not yet 6 active days


def test_a_button_pressed_recently_is_not_flagged(store, ratings, clock):
    first = date(2026, 11, 16)
    press_days(ratings, clock, {first + timedelta(days=n): [0, 1] for n in range(6)})
    press_days(ratings, clock, {first + timedelta(days=6): [2]})  # frown pressed today
    assert silent_choices(store, ratings.scale, 5, today=first + timedelta(days=6)) == []


def test_a_button_never_pressed_is_flagged_once_there_are_enough_active_days(store, ratings, clock):
    first = date(2026, 11, 16)
    press_days(ratings, clock, {first + timedelta(days=n): [0, 2] for n in range(4)})
    assert silent_choices(store, ratings.scale, 5, today=first + timedelta(days=3)) == []  # only 4 active days
    press_days(ratings, clock, {first + timedelta(days=4): [2]})
    assert silent_choices(store, ratings.scale, 5, today=first + timedelta(days=4)) == [("neutral", 5)]


def test_days_with_no_ratings_at_all_do_not_count_as_silent(store, ratings, clock):
    first = date(2026, 11, 2)
    press_days(ratings, clock, {first: [0, 1, 2], first + timedelta(days=1): [0]})
    # three quiet weeks (office closed, kiosk off): only one active day since the frown
    assert silent_choices(store, ratings.scale, 2, today=first + timedelta(days=25)) == []
