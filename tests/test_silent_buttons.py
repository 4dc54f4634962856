"""A button nobody presses while the others are pressed is reported once: covered or broken?"""

from datetime import date, datetime, timedelta

from protocol import officetime
from kiosk.config import Config, defaults
from kiosk.services import open_services


def new_resident_clock():
    """A monotonic clock that jumps 100 s at every reading: each rating comes from a new resident, no misuse."""
    return iter(range(0, 10 ** 9, 100)).__next__


def rate_on(services, day, index):
    moment = datetime(day.year, day.month, day.day, 10, 0, tzinfo=officetime.TAIPEI)
    services.ratings.rate(index, "touch", at=moment)


def test_a_silent_button_is_reported_once_and_again_after_it_recovers(tmp_path):
    config = Config(defaults())
    services = open_services(config, with_hardware=False, data_dir=tmp_path, monotonic=new_resident_clock())
    try:
        first = date(2026, 11, 2)
        days = config.ratings.silent_days
        for n in range(days):  # smile and neutral pressed every day, frown never
            for index in (0, 1):
                rate_on(services, first + timedelta(days=n), index)
        today = first + timedelta(days=days - 1)
        assert services.check_silent_buttons(today) == ["frown"]
        faults = [e.data for e in services.store.events() if e.type == "fault"]
        assert [f["choice"] for f in faults] == ["frown"] and faults[0]["days"] == days
        assert "covered or broken" in services.faults[-1]

        assert services.check_silent_buttons(today) == ["frown"]
        assert len([e for e in services.store.events() if e.type == "fault"]) == 1, "reported twice"

        rate_on(services, today + timedelta(days=1), 2)  # someone presses it again
        assert services.check_silent_buttons(today + timedelta(days=1)) == []
    finally:
        services.close()


def test_a_quiet_day_for_everyone_is_not_a_silent_button(tmp_path):
    services = open_services(Config(defaults()), with_hardware=False, data_dir=tmp_path,
                             monotonic=new_resident_clock())
    try:
        rate_on(services, date(2026, 11, 2), 2)
        rate_on(services, date(2026, 11, 2), 0)
        # nothing at all for two weeks (office closed, power off): no button is to blame
        assert services.check_silent_buttons(date(2026, 11, 16)) == []
    finally:
        services.close()
