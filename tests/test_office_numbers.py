"""The office's numbers (issue 21, item 1): ``POST /api/v1/numbers`` through Flask's test client, on SQLite and, with
OFFICE_TEST_DATABASE_URL set, PostgreSQL (``office/numbering.py``, ``protocol/numbering.py``).

What a kiosk relies on: one series per service and office day whoever asks, the same number for a request asked
again, a clear refusal past the daily limit, and a slot of its own for numbering while cut off.
"""

import threading
import uuid
from datetime import datetime

import pytest

from protocol import officetime
from protocol.numbering import SLOTS, is_own, own_number
from office.app import create_app
from office.db import Database
from office_backends import BACKENDS, database_url

NOON = datetime(2026, 11, 27, 12, 0, tzinfo=officetime.TAIPEI)
AT = "2026-11-27T12:00:00.000+08:00"


@pytest.fixture(autouse=True)
def clock():
    officetime.pin(NOON)
    yield
    officetime.pin(None)


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        yield database


@pytest.fixture
def office(db):
    """The API's client and two kiosks' tokens."""
    return create_app(db).test_client(), {kiosk: db.add_kiosk(kiosk) for kiosk in ("ERLIN-01", "ERLIN-02")}


def take(client, token, kiosk="ERLIN-01", service="A", request_id=None, at=AT, **extra):
    body = {"kiosk_id": kiosk, "request_id": request_id or str(uuid.uuid4()), "service": service, "at": at, **extra}
    return client.post("/api/v1/numbers", json=body, headers={"Authorization": f"Bearer {token}"})


def test_every_kiosk_takes_the_next_number_of_one_series_per_service(office):
    client, tokens = office
    numbers = [take(client, tokens[kiosk], kiosk=kiosk).get_json()["number"] for kiosk in ("ERLIN-01", "ERLIN-02", "ERLIN-01")]
    assert numbers == ["A001", "A002", "A003"]
    assert take(client, tokens["ERLIN-02"], kiosk="ERLIN-02", service="B").get_json()["number"] == "B001"
    next_day = take(client, tokens["ERLIN-02"], kiosk="ERLIN-02", at="2026-11-28T08:00:00.000+08:00").get_json()
    assert (next_day["number"], next_day["day"]) == ("A001", "2026-11-28")


def test_two_kiosks_asking_at_once_never_get_the_same_number(office, db):
    client, tokens = office
    app = client.application
    got, errors = [], []

    def ask(kiosk):
        local = app.test_client()  # a client per thread: each is a kiosk of its own
        for _ in range(20):
            answer = take(local, tokens[kiosk], kiosk=kiosk)
            (got.append(answer.get_json()["number"]) if answer.status_code == 200 else errors.append(answer.data))

    threads = [threading.Thread(target=ask, args=(kiosk,)) for kiosk in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(got) == [f"A{n:03d}" for n in range(1, 41)]


def test_a_request_asked_again_gets_the_number_it_was_given(office):
    client, tokens = office
    request_id = str(uuid.uuid4())
    first = take(client, tokens["ERLIN-01"], request_id=request_id).get_json()
    take(client, tokens["ERLIN-02"], kiosk="ERLIN-02")
    again = take(client, tokens["ERLIN-01"], request_id=request_id).get_json()
    assert again["number"] == first["number"] == "A001"
    assert take(client, tokens["ERLIN-01"]).get_json()["number"] == "A003"
    stolen = take(client, tokens["ERLIN-02"], kiosk="ERLIN-02", request_id=request_id)
    assert stolen.status_code == 409 and stolen.get_json()["reason"] == "other_kiosk"


def test_each_kiosk_gets_a_slot_of_its_own_kept_for_good(office, db):
    client, tokens = office
    assert take(client, tokens["ERLIN-02"], kiosk="ERLIN-02").get_json()["slot"] == 1
    assert take(client, tokens["ERLIN-01"]).get_json()["slot"] == 2
    assert take(client, tokens["ERLIN-02"], kiosk="ERLIN-02", service="C").get_json()["slot"] == 1
    more = {f"K{n}": db.add_kiosk(f"K{n}") for n in range(3, SLOTS + 2)}
    slots = [take(client, token, kiosk=kiosk).get_json()["slot"] for kiosk, token in more.items()]
    assert slots == list(range(3, SLOTS + 1)) + [None]  # the tenth kiosk has none: it cannot number alone


def test_the_daily_limit_counts_every_kiosks_numbers_even_those_given_alone(office, db):
    client, tokens = office
    assert [take(client, tokens["ERLIN-01"], daily_limit=3).status_code for _ in range(2)] == [200, 200]
    # ERLIN-02 was cut off and gave one number alone: its ticket arrived in an upload
    alone = {"id": str(uuid.uuid4()), "type": "ticket", "seq": 1, "at": AT, "clock_synced": True,
             "data": {"number": f"A{own_number(1, 1)}", "service": "A"}}
    uploaded = client.post("/api/v1/events", json={"kiosk_id": "ERLIN-02", "events": [alone]},
                           headers={"Authorization": f"Bearer {tokens['ERLIN-02']}"})
    assert uploaded.get_json()["accepted"] == [alone["id"]]
    full = take(client, tokens["ERLIN-02"], kiosk="ERLIN-02", daily_limit=3)
    assert full.status_code == 409 and full.get_json()["reason"] == "full"
    assert "all 3 numbers" in full.get_json()["error"]
    assert take(client, tokens["ERLIN-02"], kiosk="ERLIN-02", service="B", daily_limit=3).status_code == 200


def test_bad_requests_say_which_member_is_wrong_and_take_nothing(office, db):
    client, tokens = office
    answer = take(client, tokens["ERLIN-01"], service="a")
    assert answer.status_code == 400 and "service" in answer.get_json()["error"]
    answer = take(client, tokens["ERLIN-01"], request_id="7")
    assert answer.status_code == 400 and "request_id" in answer.get_json()["error"]
    answer = take(client, tokens["ERLIN-01"], at="2026-11-29T12:00:01.000+08:00")
    assert answer.status_code == 400 and "kiosk's clock is wrong" in answer.get_json()["error"]
    assert take(client, tokens["ERLIN-02"]).status_code == 403  # ERLIN-02's token, ERLIN-01's name
    assert take(client, "not-a-token").status_code == 401
    assert take(client, tokens["ERLIN-01"]).get_json()["number"] == "A001"  # none of those took a number


def test_a_kiosks_own_numbers_are_four_digits_no_office_number_or_other_slot_has():
    assert [own_number(1, 1), own_number(2, 1), own_number(9, 999)] == [1001, 2001, 9999]
    assert is_own("A2001") and not is_own("A999") and not is_own("A013")
    with pytest.raises(ValueError):
        own_number(1, 1000)
    with pytest.raises(ValueError):
        own_number(SLOTS + 1, 1)
