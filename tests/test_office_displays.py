"""Lobby display tokens (office/displays.py) and what they may read (office/calls_api.py, office/calling_pages.py).

A display token reads the lobby display (the page, the state, the stream) and nothing else; a wrong one is 401;
the token is stored only as its hash and never appears in a log or an error message.  Also: the stream's
catch-up after a lost connection (Last-Event-ID, catch_up_until, reset) and the counter page's no-show list.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from fake_office import free_port
import office_sign_in
from protocol import officetime
from office import calls, displays, staff
from office.app import create_app
from office.db import Database, hash_token
from office.schema import EVENTS, TICKETS

KIOSK = "ERLIN-01"
PASSWORD = "correct horse 1"
DAY = "2026-11-27"


def at(minute: float) -> datetime:
    """9:00 + minute on DAY, office time."""
    return datetime(2026, 11, 27, 9, 0, tzinfo=officetime.TAIPEI) + timedelta(minutes=minute)


def ticket(db, number, minute):
    """A ticket as the kiosks' upload stores it, printed at 9:00 + minute."""
    event_id, stamp = str(uuid.uuid4()), officetime.rfc3339(at(minute))

    def store(conn):
        conn.execute(EVENTS.insert().values(id=event_id, kiosk_id=KIOSK, seq=int(minute * 1000), type="ticket",
                                            at=stamp, clock_synced=True, data="{}", received_at=stamp))
        conn.execute(TICKETS.insert().values(event_id=event_id, kiosk_id=KIOSK, at=stamp, day=DAY, hour=9,
                                             service=number[0], number=number, people_ahead=0, lang="zh-TW"))
    db.write(store)


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        database.add_kiosk(KIOSK)
        for n in range(1, 6):
            ticket(database, f"A00{n}", n)
        yield database


@pytest.fixture
def app(db):
    staff.add_user(db, "chen", PASSWORD)
    # Short streams: a test reads one whole (it ends after 0.6 s).
    return create_app(db, clock=lambda: at(30), CALLS_STREAM_MAX_SECONDS=0.6, CALLS_STREAM_POLL_SECONDS=0.05)


@pytest.fixture
def token(db):
    return displays.add_display(db, "lobby-1")


def sign_in(client):
    return office_sign_in.sign_in(client, "chen", PASSWORD)


def messages(text):
    """A stream's messages as dicts of their fields (comments and the retry line left out)."""
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line and not line.startswith(":")
                      and ": " in line)
        if "event" in fields:
            fields["data"] = json.loads(fields["data"])
            found.append(fields)
    return found


# -- what a display token may do --------------------------------------------------------------------------

def test_a_display_token_reads_the_page_the_state_and_the_stream(app, db, token):
    client = app.test_client()                       # no sign-in
    page = client.get(f"/display?token={token}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert "EventSource" in html and "連線中斷，重新連線中…" in html
    assert json.dumps(token) in html                 # handed on to the state request and the stream
    call = calls.call_next(db, 3, ["A"], at(10))
    state = client.get(f"/api/v1/calls/state?token={token}")
    assert state.status_code == 200
    body = state.get_json()
    assert body["now_serving"][0]["number"] == "A001" and "no_shows" not in body   # the counters' list: staff only
    stream = client.get(f"/api/v1/calls/stream?token={token}&since=0")
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    [event] = messages(stream.get_data(as_text=True))
    assert (event["event"], int(event["id"]), event["data"]["number"]) == ("call", call["event_id"], "A001")
    assert not client.get_cookie("kiosk_office_session")   # the token made no session


def test_a_display_token_grants_no_action_and_no_staff_page(app, db, token):
    client = app.test_client()
    call = calls.call_next(db, 3, ["A"], at(10))
    for path, body in (("/api/v1/calls/next", {"counter": 1, "services": ["A"]}),
                       (f"/api/v1/calls/{call['id']}/done", {}), (f"/api/v1/calls/{call['id']}/recall", {})):
        answer = client.post(f"{path}?token={token}", json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, path
    assert calls.now_serving(db, DAY)[0]["state"] == "called"          # nothing changed
    for path in ("/", "/counter", "/report", "/settings"):
        answer = client.get(f"{path}?token={token}")
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
    assert client.get("/api/v1/calls/state").status_code == 401         # the token is not remembered either


def test_a_wrong_token_is_401_with_a_clear_message(app, db, token):
    client = app.test_client()
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for path in ("/api/v1/calls/state", "/api/v1/calls/stream"):
        answer = client.get(f"{path}?token={wrong}")
        assert answer.status_code == 401
        assert "unknown display token" in answer.get_json()["error"] and wrong not in answer.get_data(as_text=True)
        nothing = client.get(path)
        assert nothing.status_code == 401 and "sign in first" in nothing.get_json()["error"]
    page = client.get(f"/display?token={wrong}")
    assert page.status_code == 401 and "顯示器代碼無效" in page.get_data(as_text=True)
    assert wrong not in page.get_data(as_text=True)
    assert client.get("/display").status_code == 302                   # no token, no session: sign in


def test_a_new_token_replaces_the_old_and_only_the_hash_is_stored(app, db, token):
    client = app.test_client()
    assert client.get(f"/api/v1/calls/state?token={token}").status_code == 200
    newer = displays.add_display(db, "lobby-1")
    assert client.get(f"/api/v1/calls/state?token={token}").status_code == 401
    assert client.get(f"/api/v1/calls/state?token={newer}").status_code == 200
    rows = db.read(lambda c: [dict(r._mapping) for r in c.execute(displays.DISPLAYS.select())])
    assert [r["token_hash"] for r in rows] == [hash_token(newer)]
    assert not any(newer in str(v) or token in str(v) for r in rows for v in r.values())
    [listed] = displays.displays(db)
    assert listed["name"] == "lobby-1" and listed["last_seen_at"] and "token_hash" not in listed
    with pytest.raises(ValueError):
        displays.add_display(db, "a name with spaces")


def test_the_token_is_never_in_the_log(app, db, token, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    wrong = ("y" if token[0] == "x" else "x") + token[1:]   # one character off (never the token itself)
    for sent in (token, wrong):
        client.get(f"/display?token={sent}")
        client.get(f"/api/v1/calls/state?token={sent}")
        client.get(f"/api/v1/calls/stream?token={sent}")
        client.post(f"/api/v1/calls/next?token={sent}", json={"counter": 1, "services": ["A"]})
    assert "display token was refused" in caplog.text          # the refusal is logged, without the token
    assert token not in caplog.text and wrong not in caplog.text and token[8:30] not in caplog.text


def test_the_token_is_never_in_the_servers_output(tmp_path):
    """``kiosk-office display add`` and ``serve`` under waitress: nothing it prints holds the token."""
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_OFFICE_DB"}
    db = f"sqlite:///{tmp_path / 'office.db'}"
    office = [sys.executable, "-m", "office"]
    added = subprocess.run(office + ["display", "add", "lobby-1", "--db", db], env=env, capture_output=True,
                           text=True, timeout=60, check=True)
    path, token = added.stdout.split()
    assert path == f"/display?token={token}" and token not in added.stderr
    listed = subprocess.run(office + ["display", "list", "--db", db], env=env, capture_output=True, text=True,
                            timeout=60, check=True).stdout
    assert listed.startswith("lobby-1\t") and token not in listed
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen(office + ["serve", "--db", db, "--port", str(port)], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/healthz", timeout=1)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        wrong = token[::-1]
        assert requests.get(f"{url}{path}", timeout=10).status_code == 200
        assert requests.get(f"{url}/api/v1/calls/state?token={token}", timeout=10).status_code == 200
        assert requests.get(f"{url}/api/v1/calls/state?token={wrong}", timeout=10).status_code == 401
        assert requests.get(f"{url}/display?token={wrong}", timeout=10).status_code == 401
        with requests.get(f"{url}/api/v1/calls/stream?token={wrong}", timeout=10, stream=True) as answer:
            assert answer.status_code == 401
        with requests.get(f"{url}/api/v1/calls/stream?token={token}", timeout=10, stream=True) as answer:
            assert answer.status_code == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    output = log.read_text()
    assert "display token was refused" in output      # refusals are logged (INFO and up under serve) ...
    assert token not in output and wrong not in output  # ... never the token


# -- the stream's catch-up ---------------------------------------------------------------------------------

def test_the_stream_marks_the_missed_events_and_prefers_last_event_id(app, db, token):
    client = app.test_client()
    first = calls.call_next(db, 1, ["A"], at(10))
    second = calls.call_next(db, 2, ["A"], at(11))
    third = calls.call_next(db, 3, ["A"], at(12))
    found = messages(client.get(f"/api/v1/calls/stream?token={token}&since={first['event_id']}")
                     .get_data(as_text=True))
    assert [m["data"]["number"] for m in found] == ["A002", "A003"]
    assert {m["data"]["catch_up_until"] for m in found} == {third["event_id"]}
    # EventSource reconnects with the URL it first opened and Last-Event-ID: the header is the newer.
    found = messages(client.get(f"/api/v1/calls/stream?token={token}&since={first['event_id']}",
                                headers={"Last-Event-ID": str(second["event_id"])}).get_data(as_text=True))
    assert [m["data"]["number"] for m in found] == ["A003"]
    # Nothing missed: nothing marked.
    assert messages(client.get(f"/api/v1/calls/stream?token={token}&since={third['event_id']}")
                    .get_data(as_text=True)) == []


def test_the_stream_says_reset_when_too_much_was_missed_or_the_database_is_another(app, db, token):
    app.config["CALLS_STREAM_REPLAY_MAX"] = 2
    client = app.test_client()
    for counter in (1, 2, 3, 4):
        last = calls.call_next(db, counter, ["A"], at(10 + counter))
    found = messages(client.get(f"/api/v1/calls/stream?token={token}&since=0").get_data(as_text=True))
    assert [(m["event"], m["id"]) for m in found] == [("reset", str(last["event_id"]))]
    assert found[0]["data"]["last_event_id"] == last["event_id"]
    found = messages(client.get(f"/api/v1/calls/stream?token={token}&since=999").get_data(as_text=True))
    assert [m["event"] for m in found] == ["reset"]


# -- the counter page's no-show list ------------------------------------------------------------------------

def test_the_staff_state_lists_todays_no_shows_for_requeue(app, db):
    client = sign_in(app.test_client())
    call = calls.call_next(db, 3, ["A"], at(10))
    for _ in range(3):
        calls.no_show(db, call["id"], at(11))
    state = client.get("/api/v1/calls/state?last=8").get_json()
    assert [(c["number"], c["state"], c["counter"]) for c in state["no_shows"]] == [("A001", "no_show", 3)]
    assert client.post(f"/api/v1/calls/{call['id']}/requeue", json={}).get_json()["state"] == "waiting"
    assert client.get("/api/v1/calls/state").get_json()["no_shows"] == []
    assert calls.call_next(db, 3, ["A"], at(12))["number"] == "A001"
    for bad in ("0", "21", "x"):
        assert client.get(f"/api/v1/calls/state?last={bad}").status_code == 400
    page = client.get("/counter").get_data(as_text=True)
    assert "重新排入" in page and "/requeue" in page and "12mm" in page
