"""When a closed or full service hands out numbers again (Service.next_opening), with the clock as a parameter."""

from datetime import datetime, time, timedelta, timezone

import pytest

from protocol.service_list import Service
from protocol.officetime import TAIPEI

OFFICE = Service("A", "戶籍登記", "Household registration",
                 hours=((time(8, 0), time(12, 0)), (time(13, 30), time(17, 0))), weekdays=(1, 2, 3, 4, 5),
                 daily_limit=50)


def taipei(*args):
    return datetime(*args, tzinfo=TAIPEI)


@pytest.mark.parametrize("now, expected", [
    (taipei(2026, 12, 2, 12, 15), taipei(2026, 12, 2, 13, 30)),   # Wednesday lunch: this afternoon
    (taipei(2026, 12, 2, 7, 59), taipei(2026, 12, 2, 8, 0)),      # before opening: this morning
    (taipei(2026, 12, 2, 0, 0), taipei(2026, 12, 2, 8, 0)),       # midnight in Taipei: the same day
    (taipei(2026, 12, 2, 17, 0), taipei(2026, 12, 3, 8, 0)),      # closing time: tomorrow
    (taipei(2026, 12, 4, 17, 30), taipei(2026, 12, 7, 8, 0)),     # Friday evening: Monday
    (taipei(2026, 12, 5, 10, 0), taipei(2026, 12, 7, 8, 0)),      # Saturday: Monday
    (taipei(2026, 12, 6, 23, 59), taipei(2026, 12, 7, 8, 0)),     # Sunday night: Monday
])
def test_a_closed_service_opens_at_the_next_start_of_its_hours(now, expected):
    assert not OFFICE.open_at(now)
    assert OFFICE.next_opening(now) == expected


@pytest.mark.parametrize("now, expected", [
    (taipei(2026, 12, 2, 9, 0), taipei(2026, 12, 3, 8, 0)),       # full on Wednesday morning: Thursday
    (taipei(2026, 12, 2, 14, 0), taipei(2026, 12, 3, 8, 0)),      # not this afternoon: the limit is per day
    (taipei(2026, 12, 4, 9, 0), taipei(2026, 12, 7, 8, 0)),       # full on Friday: Monday
])
def test_a_full_service_opens_on_the_next_office_day(now, expected):
    assert OFFICE.next_opening(now, next_day=True) == expected


def test_the_office_day_is_taipei_s_whatever_zone_the_clock_is_given_in():
    # 16:30 UTC on Tuesday is 00:30 on Wednesday in Taipei: that morning, not Tuesday's or Thursday's
    utc = datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)
    assert OFFICE.next_opening(utc) == taipei(2026, 12, 2, 8, 0)
    assert OFFICE.next_opening(utc).utcoffset() == timedelta(hours=8)


def test_a_service_without_hours_opens_at_the_midnight_of_its_next_day():
    weekdays_only = Service("F", "預約報到", "Appointment check-in", weekdays=(1, 2, 3, 4, 5))
    assert weekdays_only.next_opening(taipei(2026, 12, 5, 10, 0)) == taipei(2026, 12, 7, 0, 0)
    always = Service("E", "自然人憑證", "Citizen digital certificate")
    assert always.next_opening(taipei(2026, 12, 5, 10, 0), next_day=True) == taipei(2026, 12, 6, 0, 0)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.next_opening(datetime(2026, 12, 2, 12, 0))
