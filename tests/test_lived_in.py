"""The lived-in states the screenshots and the layout audit draw from (kiosk/lived_in.py)."""

import pytest

from kiosk import forms, lived_in

from protocol import officetime
from kiosk.config import load_config
from kiosk.services import open_services
from kiosk.tickets import TicketRefused


@pytest.fixture
def state(tmp_path, fresh_simulated_printers):
    opened = []

    def make(name, config=None):
        seeded = lived_in.seed(name, config or load_config(None), tmp_path / name)
        services = open_services(seeded.config, with_hardware=False)
        if seeded.queue:
            services.queue.accept(seeded.queue)
        opened.append(services)
        return seeded, services
    yield make
    for services in opened:
        services.close()
    officetime.pin(None)


def test_busy_has_forty_waiting_with_estimates_popular_forms_a_recent_ticket_and_a_rating(state):
    seeded, services = state("busy")
    outlooks = {s.prefix: services.tickets.outlook(s.prefix) for s in seeded.config.services}
    assert sum(o.ahead for o in outlooks.values()) == 40
    assert all(o.live and o.estimate for o in outlooks.values())
    popular = [f.code for f in forms.popular(services.forms.current(), services.store, 3)]
    assert popular == ["move-in", "transcript", "id-card"]
    recent = services.tickets.recent(seeded.config.ratings.ticket_minutes, limit=1)
    assert recent and recent[0].at.startswith("2026-12-08T10:37")
    from kiosk.ratings import latest_choice
    assert latest_choice(services.store) is not None


def test_a_state_looks_the_same_at_any_hour(state):
    seeded, _services = state("busy")
    assert officetime.now() == seeded.moment
    assert (seeded.moment.hour, seeded.moment.minute) == (10, 40) and seeded.moment.isoweekday() == 2


def test_closed_has_services_closed_for_lunch_and_one_full_for_today(state):
    seeded, services = state("closed")
    now = officetime.now()
    closed = [s for s in seeded.config.services if not s.open_at(now)]
    full = [s for s in seeded.config.services
            if s.daily_limit and services.tickets.issued_today(s.prefix) >= s.daily_limit]
    assert closed and full
    assert {s.next_opening(now).strftime("%H:%M") for s in closed if s not in full} == {"13:30"}
    with pytest.raises(TicketRefused) as refused:
        services.tickets.issue(full[0].prefix)
    assert refused.value.reason in ("full", "closed")


def test_paper_out_refuses_a_ticket_and_takes_no_number(state):
    seeded, services = state("paper-out")
    before = services.tickets.issued_today("A")
    with pytest.raises(TicketRefused) as refused:
        services.tickets.issue("A")
    assert refused.value.reason == "printer"
    assert services.tickets.issued_today("A") == before


def test_long_names_are_longer_than_the_usual_ones_in_both_languages(state):
    usual = load_config(None)
    seeded, _services = state("long-names")
    for lang in ("zh-TW", "en"):
        assert max(len(s.name_in(lang)) for s in seeded.config.services) >= \
            max(len(s.name_in(lang)) for s in usual.services)
    assert len(seeded.config.kiosk.office_en) > len(usual.kiosk.office_en)


def test_a_state_is_never_seeded_into_a_kiosk_s_own_store(tmp_path, fresh_simulated_printers):
    config = load_config(None).with_values("kiosk", data_dir=str(tmp_path))
    open_services(config, with_hardware=False).close()  # a kiosk's store is there
    try:
        with pytest.raises(ValueError, match="already holds a store"):
            lived_in.seed("busy", config, tmp_path)
    finally:
        officetime.pin(None)


def test_an_unknown_state_names_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match="busy"):
        lived_in.seed("crowded", load_config(None), tmp_path)
