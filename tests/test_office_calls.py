"""Number calling (office/calls.py, office/calls_api.py): the fairness rule, the actions, races, restarts,
estimates, the public queue endpoint and the event stream.

On a SQLite file, and on OFFICE_TEST_DATABASE_URL as well when it is set (as tests/test_office_api.py does).
"""

import json
import queue
import re
import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest

from office_sign_in import sign_in
from protocol import officetime
from office import calls, calls_estimate, forecast, staff
from office.app import create_app
from office.db import Database
from office.schema import CALLS, EVENTS, META, SCHEMA_VERSION, TICKETS
from office_backends import BACKENDS, database_url

KIOSK = "ERLIN-01"
PASSWORD = "correct horse 1"
DAY = "2026-11-27"


def at(minute: float) -> datetime:
    """9:00 + minute on DAY, office time."""
    return datetime(2026, 11, 27, 9, 0, tzinfo=officetime.TAIPEI) + timedelta(minutes=minute)


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def db(url):
    with Database(url) as database:
        database.add_kiosk(KIOSK)
        yield database


def ticket(db, number, minute, service=None):
    """A ticket as the kiosks' upload stores it, printed at 9:00 + minute."""
    event_id, stamp = str(uuid.uuid4()), officetime.rfc3339(at(minute))
    seq = int(minute * 1000) + ord(number[0])

    def store(conn):
        conn.execute(EVENTS.insert().values(id=event_id, kiosk_id=KIOSK, seq=seq, type="ticket", at=stamp,
                                            clock_synced=True, data="{}", received_at=stamp))
        conn.execute(TICKETS.insert().values(event_id=event_id, kiosk_id=KIOSK, at=stamp, day=DAY, hour=9,
                                             service=service or number[0], number=number, people_ahead=0,
                                             lang="zh-TW"))
    db.write(store)
    return number


def numbers(found):
    return found["number"] if found else None


# -- the fairness rule ------------------------------------------------------------------------------

def test_a_waiting_p_ticket_goes_before_regular_ones_up_to_twice_their_wait(db):
    ticket(db, "A001", 0)
    ticket(db, "P001", 4)     # at minute 10: A001 waited 10, P001 6 × 2 = 12
    assert numbers(calls.call_next(db, 1, ["A"], at(10))) == "P001"
    ticket(db, "P002", 8)     # at minute 20: A001 waited 20, P002 12 × 2 = 24
    assert numbers(calls.call_next(db, 1, ["A"], at(20))) == "P002"
    ticket(db, "P003", 25)    # at minute 30: A001 waited 30, P003 5 × 2 = 10: A001 first
    assert numbers(calls.call_next(db, 1, ["A"], at(30))) == "A001"
    assert numbers(calls.call_next(db, 1, ["A"], at(31))) == "P003"
    assert calls.call_next(db, 1, ["A"], at(32)) is None


def test_p_tickets_are_served_at_every_counter_and_services_are_kept_apart(db):
    ticket(db, "B001", 0)
    ticket(db, "P001", 1)
    ticket(db, "A001", 2)
    assert numbers(calls.call_next(db, 1, ["A"], at(3))) == "P001"
    assert numbers(calls.call_next(db, 1, ["A"], at(4))) == "A001"
    assert calls.call_next(db, 1, ["A"], at(5)) is None
    assert numbers(calls.call_next(db, 2, ["B", "C"], at(5))) == "B001"


def test_regular_tickets_are_not_starved_by_a_stream_of_p_tickets(db):
    ticket(db, "A001", 0)
    ticket(db, "A002", 0.5)
    order = []
    # A new P ticket every minute, each called at once: P weighs twice, and would win every time without the cap.
    for minute in range(1, 10):
        ticket(db, f"P{minute:03d}", minute - 0.9)
        ticket(db, f"P{minute + 100:03d}", minute - 0.8)
        order.append(numbers(calls.call_next(db, 1, ["A"], at(minute))))
    regular = [i for i, n in enumerate(order) if n.startswith("A")]
    assert [order[i] for i in regular] == ["A001", "A002"]
    # The bound: with q regular tickets ahead, called within (MAX_PRIORITY_STREAK + 1) × (q + 1) calls.
    bound = forecast.MAX_PRIORITY_STREAK + 1
    assert regular[0] < bound and regular[1] < 2 * bound
    assert order[:bound] == ["P001", "P101", "A001"]


def test_the_streak_is_per_counter_and_only_while_a_regular_ticket_waits(db):
    for n in range(1, 4):
        ticket(db, f"P00{n}", n * 0.1)
    assert [numbers(calls.call_next(db, 1, ["A"], at(1 + i))) for i in range(3)] == ["P001", "P002", "P003"]


# -- actions --------------------------------------------------------------------------------------

def test_done_recall_and_calling_next_finishes_the_current_ticket(db):
    ticket(db, "A001", 0)
    ticket(db, "A002", 1)
    first = calls.call_next(db, 3, ["A"], at(2))
    assert (first["number"], first["counter"], first["state"], first["recalls"]) == ("A001", 3, "called", 0)
    assert calls.recall(db, first["id"], at(3))["recalls"] == 1
    assert [c["number"] for c in calls.now_serving(db, DAY)] == ["A001"]
    second = calls.call_next(db, 3, ["A"], at(4))    # the clerk forgot 完成: A001 is done
    assert second["number"] == "A002"
    assert [c["number"] for c in calls.now_serving(db, DAY)] == ["A002"]
    assert calls.done(db, second["id"], at(6))["state"] == "done"
    assert calls.now_serving(db, DAY) == []
    assert [(c["number"], c["kind"], c["counter"]) for c in calls.last_calls(db, 5, DAY)] == [
        ("A002", "call", 3), ("A001", "recall", 3), ("A001", "call", 3)]
    assert calls.last_calls(db, 5, DAY)[0]["announcement"]["zh-TW"] == "請 A 二 號 到 三 號 櫃檯"
    with pytest.raises(calls.CallError):
        calls.done(db, second["id"], at(7))            # done already
    with pytest.raises(calls.CallError) as missing:
        calls.recall(db, 999, at(7))
    assert missing.value.status == 404


def test_a_no_show_is_recalled_max_recalls_times_then_skipped_and_can_be_requeued(db):
    ticket(db, "A001", 0)
    ticket(db, "A002", 1)
    call = calls.call_next(db, 1, ["A"], at(2))
    assert calls.no_show(db, call["id"], at(3), max_recalls=2)["state"] == "called"
    assert calls.no_show(db, call["id"], at(4), max_recalls=2)["recalls"] == 2
    skipped = calls.no_show(db, call["id"], at(5), max_recalls=2)
    assert skipped["state"] == "no_show"
    assert calls.queue_position(db, DAY, "A001")["state"] == "no_show"
    assert numbers(calls.call_next(db, 1, ["A"], at(6))) == "A002"
    back = calls.requeue(db, call["id"], at(8))       # the resident came back
    assert (back["state"], back["recalls"]) == ("waiting", 0)
    assert calls.waiting_counts(db, DAY) == {"A": 1}
    again = calls.call_next(db, 2, ["A"], at(9))
    assert (again["id"], again["number"], again["counter"]) == (call["id"], "A001", 2)
    kinds = [e["kind"] for e in calls.events_since(db, 0)]
    assert kinds == ["call", "recall", "recall", "no_show", "call", "requeue", "call"]


def test_a_transferred_ticket_waits_in_the_other_service_keeping_its_place(db):
    ticket(db, "C001", 1)
    ticket(db, "A001", 0)
    call = calls.call_next(db, 1, ["A"], at(2))
    moved = calls.transfer(db, call["id"], "C", at(5))
    assert (moved["state"], moved["service"], moved["transferred_from"], moved["number"]) == ("waiting", "C", "A", "A001")
    assert calls.now_serving(db, DAY) == []
    assert calls.queue_position(db, DAY, "A001") == {"number": "A001", "day": DAY, "service": "C", "state": "waiting",
                                                      "ahead": 0, "counter": None}
    assert calls.queue_position(db, DAY, "C001")["ahead"] == 1   # A001 was printed first
    assert numbers(calls.call_next(db, 4, ["C"], at(6))) == "A001"
    with pytest.raises(ValueError):
        calls.transfer(db, call["id"], "not a service", at(7))


def test_queue_position_counts_the_people_ahead_in_its_service(db):
    for n in range(1, 5):
        ticket(db, f"A00{n}", n)
    ticket(db, "B001", 0)
    assert calls.queue_position(db, DAY, "A004")["ahead"] == 3
    calls.call_next(db, 1, ["A"], at(10))
    assert calls.queue_position(db, DAY, "A004")["ahead"] == 2
    assert calls.queue_position(db, DAY, "A001") == {"number": "A001", "day": DAY, "service": "A", "state": "called",
                                                      "ahead": 0, "counter": 1}
    assert calls.queue_position(db, DAY, "A999") is None
    assert calls.waiting_counts(db, DAY) == {"A": 3, "B": 1}


# -- estimates -------------------------------------------------------------------------------------

def test_estimates_are_unknown_until_three_services_then_play_the_counters_forward(db):
    for n in range(1, 10):
        ticket(db, f"A00{n}", 0)
    minute = 1.0
    for length in (4, 6):                             # two services: not enough
        call = calls.call_next(db, 1, ["A"], at(minute))
        calls.done(db, call["id"], at(minute + length))
        minute += length
    assert calls_estimate.estimate(db, "A", DAY, now=at(minute)) is None
    call = calls.call_next(db, 1, ["A"], at(minute))
    calls.done(db, call["id"], at(minute + 8))
    assert calls_estimate.service_times(db, "A", DAY) == [8, 6, 4]
    now = at(19)
    # One counter, 6 minutes a resident (the mean of 4, 6, 8), 6 waiting: a new ticket is called in 36 minutes,
    # shown ± 20 %.
    assert calls_estimate.estimate(db, "A", DAY, now=now) == (28, 44)
    first = [row for row in db.tickets() if row["number"] == "A004"][0]["event_id"]
    assert calls_estimate.ticket_estimate(db, first, DAY, now=now) == (0, 1)   # next in line, the counter is free
    assert calls_estimate.estimate(db, "B", DAY, now=now) is None              # no counter calls B: not known

    # A second counter, also serving B, calls A004 at 19: both share the A queue; a new B ticket waits at
    # counter 2 behind the A tickets printed before it.
    calls.call_next(db, 2, ["A", "B"], now)
    assert calls_estimate.estimate(db, "A", DAY, now=now) == (14, 22)          # called at 37 by the play
    assert calls_estimate.estimate(db, "B", DAY, now=now) == (14, 22)
    low, high = calls_estimate.pace(db, "A", DAY, now)
    assert (low, high) == pytest.approx((6 / 2 * 0.8, 6 / 2 * 1.2))  # two counters at work for A

    # A counter that has not called for half an hour is on a break: it is left out of the play.
    later = at(19 + calls_estimate.ACTIVE_MINUTES + 1)
    assert calls_estimate.pace(db, "A", DAY, later) == pytest.approx((6 * 0.8, 6 * 1.2))


# -- races and restarts -----------------------------------------------------------------------------

def test_two_clerks_calling_at_once_never_get_the_same_ticket(url):
    with Database(url) as setup:
        setup.add_kiosk(KIOSK)
        for n in range(1, 41):
            ticket(setup, f"A{n:03d}" if n % 4 else f"P{n:03d}", n * 0.01)
    # Two Database objects on one database: like two server processes (each with its own locks and pool).
    first, second = Database(url), Database(url)
    got = {1: [], 2: []}
    barrier = threading.Barrier(2)
    errors = []

    def clerk(database, counter):
        try:
            barrier.wait()
            while True:
                call = calls.call_next(database, counter, ["A"], at(30))
                if call is None:
                    return
                got[counter].append(call["number"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(first, 1)), threading.Thread(target=clerk, args=(second, 2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    first.close()
    second.close()
    assert not errors
    everything = got[1] + got[2]
    assert len(everything) == len(set(everything)) == 40


def test_a_call_made_while_the_stream_reads_wakes_it_at_once(db):
    # The stream reads the generation, then the database, then waits: a call committed in between must not
    # leave it asleep until its next poll.
    seen = calls.generation(db)
    ticket(db, "A001", 0)
    calls.call_next(db, 1, ["A"], at(1))                # committed after the read, before the wait
    assert calls.wait_for_change(db, 3, seen) is True, "the wait slept through a change it had not seen"
    assert calls.wait_for_change(db, 0.05, calls.generation(db)) is False   # nothing new: it waits


def test_a_ticket_left_called_yesterday_is_not_finished_today(db):
    ticket(db, "A001", 0)
    yesterday = calls.call_next(db, 1, ["A"], at(1))
    tomorrow = datetime(2026, 11, 28, 9, 0, tzinfo=officetime.TAIPEI)
    assert calls.call_next(db, 1, ["A"], tomorrow) is None  # nobody waits today
    row = [c for c in calls.now_serving(db, DAY) if c["id"] == yesterday["id"]]
    assert row and row[0]["state"] == "called", "yesterday's ticket was marked served today"


def test_the_queue_survives_a_restart(url):
    with Database(url) as before:
        before.add_kiosk(KIOSK)
        for n in range(1, 4):
            ticket(before, f"A00{n}", n)
        call = calls.call_next(before, 2, ["A"], at(5))
        calls.recall(before, call["id"], at(6))
    with Database(url) as after:                    # the server restarted mid-day
        [serving] = calls.now_serving(after, DAY)
        assert (serving["number"], serving["counter"], serving["recalls"]) == ("A001", 2, 1)
        assert numbers(calls.call_next(after, 2, ["A"], at(7))) == "A002"
        assert calls.queue_position(after, DAY, "A003")["ahead"] == 0
        stored = after.read(lambda c: c.execute(META.select().where(META.c.key == "schema_version")).one())
        assert stored.value == str(SCHEMA_VERSION) == "5"


def test_an_older_database_is_raised_to_this_schema_version(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with Database(url) as database:
        database.write(lambda c: c.execute(META.update().where(META.c.key == "schema_version").values(value="1")))
        CALLS.drop(database.engine)
    with Database(url) as database:
        assert database.read(lambda c: c.execute(META.select().where(META.c.key == "schema_version")).one()).value \
            == str(SCHEMA_VERSION)
        assert calls.now_serving(database, DAY) == []


# -- the API ---------------------------------------------------------------------------------------

@pytest.fixture
def app(db):
    staff.add_user(db, "chen", PASSWORD)
    now = [at(0)]
    application = create_app(db, clock=lambda: now[0], CALLS_STREAM_POLL_SECONDS=0.2,
                             CALLS_STREAM_KEEPALIVE_SECONDS=0.3, CALLS_STREAM_MAX_SECONDS=5)
    application.extensions["test_now"] = now
    return application


@pytest.fixture
def staff_client(app):
    return sign_in(app.test_client(), "chen", PASSWORD)


def test_the_staff_api_needs_a_sign_in_and_json(app, staff_client):
    anonymous = app.test_client()
    for path in ("/api/v1/calls/state", "/api/v1/calls/stream"):
        assert anonymous.get(path).status_code == 401
    assert anonymous.post("/api/v1/calls/next", json={"counter": 1, "services": ["A"]}).status_code == 401
    assert anonymous.post("/api/v1/calls/1/done", json={}).status_code == 401
    # A form post (what another site could make a browser send) is refused: no CSRF through this API.
    assert staff_client.post("/api/v1/calls/next", data={"counter": "1"}).status_code == 415


def test_the_staff_api_calls_and_acts(app, db, staff_client):
    ticket(db, "A001", 0)
    ticket(db, "A002", 1)
    app.extensions["test_now"][0] = at(5)
    answer = staff_client.post("/api/v1/calls/next", json={"counter": 3, "services": ["A"]})
    assert answer.status_code == 200
    call = answer.get_json()
    assert (call["number"], call["counter"], call["state"]) == ("A001", 3, "called")
    assert staff_client.post(f"/api/v1/calls/{call['id']}/recall", json={}).get_json()["recalls"] == 1
    assert staff_client.post(f"/api/v1/calls/{call['id']}/no-show", json={"max_recalls": 1}).get_json()["state"] \
        == "no_show"
    assert staff_client.post(f"/api/v1/calls/{call['id']}/requeue", json={}).get_json()["state"] == "waiting"
    call = staff_client.post("/api/v1/calls/next", json={"counter": 3, "services": ["A"]}).get_json()
    moved = staff_client.post(f"/api/v1/calls/{call['id']}/transfer", json={"to_service": "C"}).get_json()
    assert (moved["service"], moved["state"]) == ("C", "waiting")
    call = staff_client.post("/api/v1/calls/next", json={"counter": 3, "services": ["A"]}).get_json()
    assert call["number"] == "A002"
    assert staff_client.post(f"/api/v1/calls/{call['id']}/done", json={}).get_json()["state"] == "done"
    assert staff_client.post("/api/v1/calls/next", json={"counter": 3, "services": ["A"]}).status_code == 204
    state = staff_client.get("/api/v1/calls/state").get_json()
    assert state["day"] == DAY and state["now_serving"] == [] and state["waiting"] == {"C": 1}
    assert state["estimates"] == {"C": "unknown"}
    assert state["last_calls"][0]["number"] == "A002"
    # Refusals say why.
    assert staff_client.post(f"/api/v1/calls/{call['id']}/done", json={}).status_code == 409
    assert staff_client.post("/api/v1/calls/999/done", json={}).status_code == 404
    assert staff_client.post(f"/api/v1/calls/{call['id']}/dance", json={}).status_code == 404
    assert staff_client.post("/api/v1/calls/next", json={"counter": 0, "services": ["A"]}).status_code == 400
    assert staff_client.post("/api/v1/calls/next", json={"counter": 1, "services": "A"}).status_code == 400
    assert "error" in staff_client.post("/api/v1/calls/next", json={"counter": 1, "services": ["AA"]}).get_json()


def test_the_public_queue_endpoint_says_where_you_are_and_nothing_personal(app, db):
    for n in range(1, 6):
        ticket(db, f"A00{n}", n)
    for n in range(3):
        call = calls.call_next(db, 1, ["A"], at(10 + 5 * n))
        calls.done(db, call["id"], at(14 + 5 * n))
    calls.call_next(db, 2, ["A"], at(30))
    app.extensions["test_now"][0] = at(31)
    client = app.test_client()                       # no sign-in
    answer = client.get(f"/api/v1/queue/{DAY}/A005")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body == {"number": "A005", "day": DAY, "service": "A", "state": "waiting", "ahead": 0, "counter": None,
                    "now_serving": [{"number": "A004", "counter": 2}], "estimate_minutes": {"low": 0, "high": 1}}
    text = json.dumps(body)
    for personal in (KIOSK, "kiosk", "lang", "event_id", "at", "zh-TW"):
        assert f'"{personal}"' not in text and KIOSK not in text
    assert client.get(f"/api/v1/queue/{DAY}/A004").get_json()["counter"] == 2
    assert client.get(f"/api/v1/queue/{DAY}/A999").status_code == 404
    assert client.get("/api/v1/queue/yesterday/A001").status_code == 400


def test_the_public_estimate_is_unknown_without_enough_data(app, db):
    ticket(db, "B001", 0)
    ticket(db, "B002", 1)
    assert app.test_client().get(f"/api/v1/queue/{DAY}/B002").get_json()["estimate_minutes"] == "unknown"


@pytest.fixture
def stream_reader(staff_client):
    """Read a stream in a thread: messages go to a queue, as ("message", text, monotonic time)."""
    stop, threads = threading.Event(), []

    def read(path, found):
        response = staff_client.get(path)
        found.put(("status", response.status_code, response.headers.get("Content-Type")))
        buffer = ""
        try:
            for chunk in response.response:   # keep-alives every 0.3 s: the loop sees `stop` soon
                buffer += chunk.decode("utf-8") if isinstance(chunk, bytes) else chunk
                while "\n\n" in buffer:
                    message, buffer = buffer.split("\n\n", 1)
                    found.put(("message", message, time.monotonic()))
                if stop.is_set():
                    break
        finally:
            response.close()

    def start(path):
        found = queue.Queue()
        thread = threading.Thread(target=read, args=(path, found), daemon=True)
        thread.start()
        threads.append(thread)
        return found
    yield start
    stop.set()
    for thread in threads:
        thread.join(10)


def _next_event(found, timeout):
    deadline = time.monotonic() + timeout
    while True:
        item = found.get(timeout=max(0.01, deadline - time.monotonic()))
        if item[0] == "message" and "data:" in item[1]:
            return item


def test_the_stream_delivers_a_call_within_a_second(app, db, stream_reader):
    ticket(db, "A001", 0)
    ticket(db, "A002", 1)
    found = stream_reader("/api/v1/calls/stream")
    status = found.get(timeout=5)
    assert status[1:] == (200, "text/event-stream; charset=utf-8")
    time.sleep(0.3)                                 # the stream is waiting (and sends a keep-alive)
    called_at = time.monotonic()
    call = calls.call_next(db, 3, ["A"], at(5))
    _, message, received_at = _next_event(found, 1.0)
    assert received_at - called_at < 1.0
    fields = dict(line.split(": ", 1) for line in message.split("\n") if not line.startswith(":"))
    assert fields["event"] == "call" and int(fields["id"]) == call["event_id"]
    data = json.loads(fields["data"])
    assert (data["number"], data["counter"], data["announcement"]["zh-TW"]) == ("A001", 3, "請 A 一 號 到 三 號 櫃檯")


def test_the_stream_resumes_after_an_event_id(app, db, staff_client, stream_reader):
    ticket(db, "A001", 0)
    ticket(db, "A002", 1)
    first = calls.call_next(db, 1, ["A"], at(5))
    calls.call_next(db, 1, ["A"], at(6))              # done A001, call A002
    found = stream_reader(f"/api/v1/calls/stream?since={first['event_id']}")
    found.get(timeout=5)
    kinds = [re.search(r"event: (\w+)", _next_event(found, 2)[1]).group(1) for _ in range(2)]
    assert kinds == ["done", "call"]
    assert staff_client.get("/api/v1/calls/stream?since=x").status_code == 400
