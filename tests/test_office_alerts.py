"""Staff alerts (issue 21, item 5; office/alerts.py): a negative rating at a counter's button box shows on that
counter's page and the dashboard until acknowledged (who and when kept); a service's estimated wait turns amber,
then red, at the office's thresholds.

Through the real app (Flask's test client, a staff sign-in with its CSRF token), on SQLite and, with
OFFICE_TEST_DATABASE_URL set, PostgreSQL.  The office's clock is 9:19 on 2026-11-27, whatever the hour of the run.
"""

import re
import uuid
from datetime import datetime, timedelta

import pytest

from office_sign_in import clerk, csrf
from test_office_calls import ticket  # a ticket row as an upload stores it, at 9:00 + minute on 2026-11-27
from protocol import officetime
from office import calls
from office.app import create_app
from office.db import Database
from office_backends import BACKENDS, database_url

KIOSK = "ERLIN-01"
DAY = "2026-11-27"


def at(minute: float) -> datetime:
    return datetime(2026, 11, 27, 9, 0, tzinfo=officetime.TAIPEI) + timedelta(minutes=minute)


NOW = at(19)


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        yield database


@pytest.fixture
def office(db):
    """The app on NOW's clock, a counter box's token, and a clerk signed in."""
    app = create_app(db, clock=lambda: NOW)
    return app, db.add_kiosk(KIOSK), clerk(app)


def rating(choice, score, scale=3, location="3", misuse=False, minute=10):
    return {"id": str(uuid.uuid4()), "type": "rating", "seq": 1, "at": officetime.rfc3339(at(minute)),
            "clock_synced": True, "data": {"score": score, "scale": scale, "choice": choice, "source": "button",
                                           "location": location, "misuse": misuse}}


def upload(app, token, *events):
    answer = app.test_client().post("/api/v1/events", json={"kiosk_id": KIOSK, "events": list(events)},
                                    headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and not answer.get_json()["rejected"], answer.get_json()
    return answer.get_json()


def state(client):
    answer = client.get("/api/v1/calls/state")
    assert answer.status_code == 200
    return answer.get_json()


def test_only_a_negative_press_at_a_counter_alerts_and_only_once(office):
    app, token, staff = office
    frown = rating("frown", 1, location="3", minute=5)
    upload(app, token, frown,
           rating("neutral", 2, location="3"),                     # not negative
           rating("frown", 1, location=""),                        # the lobby kiosk: no counter to tell
           rating("frown", 1, location="3", misuse=True),          # pressed again too soon: not counted
           rating("dissatisfied", 2, scale=5, location=" 4 ", minute=12),
           rating("satisfied", 4, scale=5, location="4"))
    upload(app, token, frown)  # the same upload again (the kiosk did not hear the answer)
    alerts = state(staff)["alerts"]
    assert [(a["counter"], a["label"], a["at"][11:16]) for a in alerts] == [(4, "不滿意", "09:12"), (3, "不滿意", "09:05")]


def test_a_clerk_acknowledges_an_alert_and_who_and_when_are_kept(office):
    app, token, staff = office
    upload(app, token, rating("frown", 1, location="2"))
    alert = state(staff)["alerts"][0]
    assert staff.post(f"/api/v1/alerts/{alert['id']}/ack").status_code == 415  # JSON only: no CSRF from a form
    done = staff.post(f"/api/v1/alerts/{alert['id']}/ack", json={})
    assert done.status_code == 200
    assert (done.get_json()["acknowledged_by"], done.get_json()["acknowledged_at"]) == ("chen", officetime.rfc3339(NOW))
    assert state(staff)["alerts"] == []
    again = staff.post(f"/api/v1/alerts/{alert['id']}/ack", json={}).get_json()
    assert again["acknowledged_at"] == done.get_json()["acknowledged_at"]  # the first acknowledgement stays
    assert staff.post("/api/v1/alerts/999999/ack", json={}).status_code == 404
    assert app.test_client().post(f"/api/v1/alerts/{alert['id']}/ack", json={}).status_code == 401


def test_a_lobby_display_reads_no_alerts(office, db):
    from office import displays
    app, token, _staff = office
    upload(app, token, rating("frown", 1, location="2"))
    display_token = displays.add_display(db, "lobby")
    seen = app.test_client().get(f"/api/v1/calls/state?token={display_token}").get_json()
    assert "alerts" not in seen and "levels" not in seen


def test_the_dashboard_lists_open_alerts_and_acknowledges_one_with_its_form(office):
    app, token, staff = office
    upload(app, token, rating("frown", 1, location="3", minute=7))
    page = staff.get("/").get_data(as_text=True)
    assert "3 號櫃檯</strong> 09:07 民眾按下「不滿意」" in page
    form = re.search(r'action="(/alerts/\d+/ack)"', page).group(1)
    assert staff.post(form, data={}).status_code == 400  # no CSRF token: refused, nothing acknowledged
    assert "3 號櫃檯</strong>" in staff.get("/").get_data(as_text=True)
    assert staff.post(form, data={"csrf": csrf(page)}).status_code == 302
    page = staff.get("/").get_data(as_text=True)
    assert "目前沒有待處理的警示" in page
    assert "3 號櫃檯 09:07「不滿意」由 chen 於 09:19 處理" in page


def a_busy_morning(db):
    """Nine A tickets, one counter, three served in 4, 6 and 8 minutes: at 9:19 a new A ticket waits 28-44 min."""
    for n in range(1, 10):
        ticket(db, f"A00{n}", n / 100)
    minute = 1.0
    for length in (4, 6, 8):
        call = calls.call_next(db, 1, ["A"], at(minute))
        calls.done(db, call["id"], at(minute + length))
        minute += length


def test_a_long_wait_turns_amber_then_red_at_the_offices_thresholds(office, db):
    app, _token, staff = office
    a_busy_morning(db)
    seen = state(staff)
    assert seen["estimates"]["A"] == {"low": 28, "high": 44}
    assert (seen["levels"]["A"], seen["wait_levels"]) == ("red", {"amber": 20, "red": 40})  # the defaults
    assert "過長（紅燈）" in staff.get("/").get_data(as_text=True)

    page = staff.get("/settings").get_data(as_text=True)
    saved = staff.post("/settings", data={"csrf": csrf(page), "office_name": "", "wait_amber": "30",
                                          "wait_red": "50"})
    assert saved.status_code == 200
    seen = state(staff)
    assert (seen["levels"]["A"], seen["wait_levels"]) == ("amber", {"amber": 30, "red": 50})
    assert "偏長（黃燈）" in staff.get("/").get_data(as_text=True)


@pytest.mark.parametrize("amber, red, says", [("40", "40", "須小於紅燈"), ("0", "40", "1–600"),
                                              ("二十", "40", "1–600"), ("20", "601", "1–600")])
def test_thresholds_that_make_no_sense_are_refused_and_nothing_is_saved(office, amber, red, says):
    _app, _token, staff = office
    page = staff.get("/settings").get_data(as_text=True)
    refused = staff.post("/settings", data={"csrf": csrf(page), "office_name": "二林戶政", "wait_amber": amber,
                                            "wait_red": red})
    assert refused.status_code == 400 and says in refused.get_data(as_text=True)
    assert state(staff)["wait_levels"] == {"amber": 20, "red": 40}
    assert "二林戶政" not in staff.get("/").get_data(as_text=True)  # all or nothing: not the name either
