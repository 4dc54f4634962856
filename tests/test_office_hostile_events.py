"""What a broken or hostile kiosk sends can never break the office server (issue 17).

Each attack is replayed through the real API (Flask's test client with a kiosk's token): the bad event is rejected
with a reason naming its member, the good events of the same batch are accepted, nothing answers 500, and
afterwards the calling state, the event stream, the counter page, the display and the live queue page all still
work for the good tickets.  Also: rows an older server stored unchecked, two kiosks printing the same number, and
text that looks like a spreadsheet formula in every CSV file the report offers.

On a SQLite file, and on OFFICE_TEST_DATABASE_URL as well when it is set (as tests/test_office_api.py does).
"""

import csv
import io
import json
import logging
import re
import threading
import uuid
import zipfile
from datetime import datetime

import pytest

import office_sign_in
from protocol import officetime
from office import report_csv
from office.app import create_app
from office.db import Database
from office.schema import EVENTS, TICKETS
from office_backends import BACKENDS, database_url

KIOSK, OTHER = "ERLIN-01", "ERLIN-02"
DAY = "2026-11-27"
#: The server's clock in these tests: 10:00 in Taipei on DAY.
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=officetime.TAIPEI)


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        yield database


@pytest.fixture
def app(db):
    # Short streams: a test reads one whole (it ends after 0.6 s).
    return create_app(db, clock=lambda: NOW, CALLS_STREAM_MAX_SECONDS=0.6, CALLS_STREAM_POLL_SECONDS=0.05)


@pytest.fixture
def tokens(db):
    return {KIOSK: db.add_kiosk(KIOSK), OTHER: db.add_kiosk(OTHER)}


@pytest.fixture
def clerk(app):
    return office_sign_in.clerk(app)


def event(type="ticket", data=None, at="2026-11-27T09:30:00.000+08:00", seq=1, **extra):
    if data is None:
        data = {"ticket": {"number": "A001", "service": "A", "people_ahead": 0, "lang": "zh-TW"},
                "rating": {"score": 3, "scale": 3, "choice": "smile", "source": "button"}}[type]
    return {"id": str(uuid.uuid4()), "type": type, "seq": seq, "at": at, "clock_synced": True, "data": data, **extra}


def ticket(number, minute=0, **data):
    return event("ticket", {"number": number, "service": number[0], "lang": "zh-TW", **data},
                 at=f"2026-11-27T09:{minute:02d}:00.000+08:00")


def post_text(client, token, text):
    return client.post("/api/v1/events", data=text, content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


def post(client, token, events, kiosk=KIOSK, raw=()):
    """Events as a kiosk sends them; ``raw``: (placeholder, JSON text) pairs put into the body as they are."""
    text = json.dumps({"kiosk_id": kiosk, "events": events})  # ensure_ascii: a lone surrogate goes as \\ud800
    for placeholder, value in raw:
        text = text.replace(json.dumps(placeholder), value)
    answer = post_text(client, token, text)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def messages(text):
    """A stream's messages as dicts of their fields (comments and the retry line left out)."""
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line and ": " in line
                      and not line.startswith(":"))
        if "event" in fields:
            fields["data"] = json.loads(fields["data"])
            found.append(fields)
    return found


def nested(depth):
    value = "bottom"
    for _ in range(depth):
        value = {"x": value}
    return value


BIG = "__a number no float holds__"

#: name: (the hostile event, the (placeholder, JSON text) put into the body, what its rejection must say)
ATTACKS = {
    "at in year 9999": (dict(ticket("A009"), at="9999-12-31T23:59:59.000+08:00"), (), "at: '9999-12-31T23:59:59"),
    "at in year 9999, west of UTC": (dict(ticket("A009"), at="9999-12-31T23:59:59-08:00"), (), "at: "),
    "at in year 1": (dict(ticket("A009"), at="0001-01-01T00:00:00+08:00"), (), "at: '0001-01-01T00:00:00"),
    "at in 1999": (dict(ticket("A009"), at="1999-12-31T23:59:59+08:00"), (), "at: "),
    "at two days ahead of the server": (dict(ticket("A009"), at="2026-11-29T09:30:00+08:00"), (),
                                        "at: 2026-11-29T09:30:00.000+08:00 is more than 1 day after the server's clock"),
    "seq 2^63": (dict(ticket("A009"), seq=2 ** 63), (), "seq: "),
    "seq 2^64": (dict(ticket("A009"), seq=2 ** 64), (), "seq: "),
    "score 2^64": (event("rating", {"score": 2 ** 64, "scale": 3, "choice": "smile"}), (), "data.score: "),
    "scale 2^64": (event("rating", {"score": 3, "scale": 2 ** 64, "choice": "smile"}), (), "data.scale: "),
    "scale 2^40": (event("rating", {"score": 3, "scale": 2 ** 40, "choice": "smile"}), (), "data.scale: "),
    "people ahead 2^40": (ticket("A009", people_ahead=2 ** 40), (), "data.people_ahead: "),
    "lone surrogate in a ticket's service": (event("ticket", {"number": "A009", "service": "\ud800"}), (),
                                             "data.service: holds a lone surrogate"),
    "lone surrogate in a rating's choice": (event("rating", {"score": 3, "scale": 3, "choice": "\ud800"}), (),
                                            "data.choice: holds a lone surrogate"),
    "lone surrogate in a member's name": (event("fault", {"\udfff": 1}), (), "data: a member's name holds"),
    "lone surrogate in boot_id": (dict(ticket("A009"), boot_id="\ud800"), (), "boot_id: holds a lone surrogate"),
    "NUL in a location": (event("rating", {"score": 3, "scale": 3, "choice": "smile", "location": "1\x00"}), (),
                          "data.location: holds a NUL"),
    "a number too large for a float": (dict(ticket("A009"), monotonic=BIG), ((BIG, "1e400"),), "monotonic: "),
    "data nested 40 deep": (event("fault", nested(40)), (), "is nested deeper than 32 levels"),
    "an empty ticket number": (event("ticket", {"number": "", "service": "A"}), (), "data.number: must be a capital letter and 1-4 digits"),
    "a five-digit number": (ticket("A00009"), (), "data.number: "),
    "a lower-case number": (event("ticket", {"number": "a009", "service": "A"}), (), "data.number: "),
    "a number of another service": (event("ticket", {"number": "B009", "service": "A"}), (),
                                    "number 'B009' does not start with its service's letter 'A'"),
    "a service of two letters": (event("ticket", {"number": "A009", "service": "AB"}), (), "data.service: "),
    "an empty service": (event("ticket", {"number": "A009", "service": ""}), (), "data.service: "),
}


@pytest.mark.parametrize("hostile, raw, reason", ATTACKS.values(), ids=list(ATTACKS))
def test_a_hostile_event_is_rejected_alone_with_its_reason(app, db, tokens, hostile, raw, reason):
    client = app.test_client()
    good = [ticket("A001", 10), event("rating", seq=3)]
    answer = post(client, tokens[KIOSK], [good[0], hostile, good[1]], raw=raw)
    assert answer["accepted"] == [e["id"] for e in good] and answer["duplicates"] == []
    [rejected] = answer["rejected"]
    assert reason in rejected["error"]
    assert rejected["id"] == hostile["id"]
    assert sorted(e["id"] for e in db.events()) == sorted(e["id"] for e in good)   # nothing of it stored
    # The kiosk parks it; its next batch goes through as usual.
    assert post(client, tokens[KIOSK], [ticket("A002", 20)])["accepted"]


def test_an_event_whose_id_cannot_be_text_is_rejected_with_no_id(app, db, tokens):
    good = ticket("A001")
    answer = post(app.test_client(), tokens[KIOSK], [dict(ticket("A002"), id="\ud800"), good])
    assert answer["accepted"] == [good["id"]]
    assert answer["rejected"] == [{"id": None, "error": "id: holds a lone surrogate ('\\ud800'), which is not text "
                                                        "UTF-8 can carry"}]


def test_a_rejection_names_a_huge_value_without_echoing_it(app, db, tokens, caplog):
    huge = event("ticket", {"number": "A" + "9" * 100_000, "service": "A"})
    with caplog.at_level(logging.WARNING):
        [rejected] = post(app.test_client(), tokens[KIOSK], [huge])["rejected"]
    assert rejected["error"].startswith("ticket event: data.number: must be a capital letter and 1-4 digits as "
                                        "printed (e.g. 'A012'), got 'A999")
    assert "(100001 characters)" in rejected["error"] and len(rejected["error"]) < 200
    assert len(caplog.text) < 2000


def test_the_edges_of_the_time_window_are_accepted(app, db, tokens):
    edges = [dict(ticket("A001"), at="2000-01-01T00:00:00.000+08:00"),
             dict(ticket("A002"), at="2026-11-28T10:00:00.000+08:00"),      # a day ahead of the server, not more
             dict(ticket("A003"), seq=2 ** 63 - 1), event("rating", {"score": 5, "scale": 10, "choice": "x"})]
    answer = post(app.test_client(), tokens[KIOSK], edges)
    assert answer["accepted"] == [e["id"] for e in edges], answer["rejected"]
    assert sorted(t["number"] for t in db.tickets()) == ["A001", "A002", "A003"]


def test_a_body_nested_2000_deep_is_a_400_never_a_500(app, db, tokens):
    client = app.test_client()
    text = '{"kiosk_id": "ERLIN-01", "events": [' + "[" * 2000 + "]" * 2000 + "]}"
    answer = post_text(client, tokens[KIOSK], text)
    assert answer.status_code == 400
    assert "nested too deeply" in answer.get_json()["error"]
    assert db.events() == []
    assert post(client, tokens[KIOSK], [ticket("A001")])["accepted"]


def test_after_every_attack_the_calling_state_stream_and_pages_still_work(app, db, tokens, clerk):
    """Every hostile event of the table in one batch with good tickets; then a day of calling goes on."""
    client = app.test_client()
    good = [ticket("A001", 1), ticket("A002", 2), ticket("P001", 3)]
    hostile = [e for e, _, _ in ATTACKS.values()]
    raw = [pair for _, pairs, _ in ATTACKS.values() for pair in pairs]
    answer = post(client, tokens[KIOSK], good[:2] + hostile + good[2:], raw=raw)
    assert answer["accepted"] == [e["id"] for e in good]
    assert len(answer["rejected"]) == len(ATTACKS)
    assert all(clerk.get(path).status_code == 200 for path in ("/counter", "/display", "/"))
    called = []
    while True:
        call = clerk.post("/api/v1/calls/next", json={"counter": 1, "services": ["A"]})
        assert call.status_code in (200, 204), call.get_data(as_text=True)
        if call.status_code == 204:
            break
        called.append(call.get_json()["number"])
        state = clerk.get("/api/v1/calls/state")
        assert state.status_code == 200 and state.get_json()["now_serving"][0]["number"] == called[-1]
    assert sorted(called) == ["A001", "A002", "P001"]
    stream = messages(clerk.get("/api/v1/calls/stream?since=0").get_data(as_text=True))
    assert [m["data"]["number"] for m in stream if m["event"] == "call"] == called
    assert all(m["data"]["announcement"]["zh-TW"].startswith("請 ") for m in stream if m["event"] == "call")
    live = client.get(f"/api/v1/queue/{DAY}/A002")
    assert live.status_code == 200 and live.get_json()["state"] in ("called", "done")
    assert client.get(f"/q/{DAY}/A002").status_code == 200
    assert clerk.get("/report?month=115/11").status_code == 200


# -- rows an older server stored without checking them ----------------------------------------------------

def stored_as_an_older_server_did(db, number, minute, service="A"):
    """A ticket row as the server before issue 17 stored any text a kiosk sent as its number."""
    event_id, stamp = str(uuid.uuid4()), f"2026-11-27T09:{minute:02d}:00.000+08:00"

    def store(conn):
        conn.execute(EVENTS.insert().values(id=event_id, kiosk_id=KIOSK, seq=minute, type="ticket", at=stamp,
                                            clock_synced=True, data=json.dumps({"number": number}),
                                            received_at=stamp))
        conn.execute(TICKETS.insert().values(event_id=event_id, kiosk_id=KIOSK, at=stamp, day=DAY, hour=9,
                                             service=service, number=number, people_ahead=0, lang="zh-TW"))
    db.write(store)


def test_bad_numbers_already_stored_never_break_the_state_or_the_stream(app, db, tokens, clerk):
    """A database written by an older server may hold numbers no kiosk prints: calling them works, the state and
    the stream carry them (shown, not spoken) and every display keeps going past them."""
    client = app.test_client()
    post(client, tokens[KIOSK], [ticket("A001", 1)])
    for minute, number in enumerate(["", "A00012", "a1", "<b>A1</b>", "一號", "AB"], start=2):
        stored_as_an_older_server_did(db, number, minute)
    stored_as_an_older_server_did(db, "Z1", 8, service="")     # a service no counter serves
    post(client, tokens[KIOSK], [ticket("A002", 30)])
    called = []
    for _ in range(8):
        call = clerk.post("/api/v1/calls/next", json={"counter": 2, "services": ["A"]})
        assert call.status_code == 200, call.get_data(as_text=True)
        called.append(call.get_json()["number"])
        state = clerk.get("/api/v1/calls/state")
        assert state.status_code == 200, state.get_data(as_text=True)
        assert state.get_json()["last_calls"][0]["number"] == called[-1]
        if called[-1] == "A002":
            break
    assert called == ["A001", "", "A00012", "a1", "<b>A1</b>", "一號", "AB", "A002"]
    stream = messages(clerk.get("/api/v1/calls/stream?since=0").get_data(as_text=True))
    calls_seen = [m["data"] for m in stream if m["event"] == "call"]
    assert [c["number"] for c in calls_seen] == called                     # the stream went past every one
    assert calls_seen[0]["announcement"]["zh-TW"] == "請 A 一 號 到 二 號 櫃檯"
    assert calls_seen[-1]["announcement"]["zh-TW"] == "請 A 二 號 到 二 號 櫃檯"
    spoken = {c["number"]: c["announcement"] and c["announcement"]["zh-TW"] for c in calls_seen}
    assert spoken["a1"] == "請 A 一 號 到 二 號 櫃檯"                          # read as A1
    assert all(spoken[n] is None for n in ("", "A00012", "<b>A1</b>", "一號", "AB"))  # shown, nothing to speak
    assert clerk.get("/counter").status_code == 200 and clerk.get("/display").status_code == 200
    assert clerk.get("/").status_code == 200 and clerk.get("/report?month=115/11").status_code == 200
    assert client.get(f"/api/v1/queue/{DAY}/A002").get_json()["state"] == "called"
    assert client.get(f"/q/{DAY}/A002").status_code == 200
    assert client.get(f"/api/v1/kiosks/{KIOSK}/queue", headers={"Authorization": f"Bearer {tokens[KIOSK]}"}
                      ).status_code == 200


# -- two kiosks printing the same number ----------------------------------------------------------------------

def test_the_first_ticket_of_a_number_each_day_wins_over_another_kiosks(app, db, tokens, caplog):
    client = app.test_client()
    first = ticket("A001", 5, service_name="戶籍登記")
    assert post(client, tokens[KIOSK], [first])["accepted"] == [first["id"]]
    second, other = ticket("A001", 6, service_name="另一台的服務"), ticket("A002", 6)
    tomorrow = dict(ticket("A001"), at="2026-11-28T08:30:00.000+08:00")
    with caplog.at_level(logging.WARNING, logger="office.db"):
        answer = post(client, tokens[OTHER], [second, other, tomorrow], kiosk=OTHER)
    assert answer["accepted"] == [other["id"], tomorrow["id"]]
    assert answer["rejected"] == [{"id": second["id"], "error": "ticket A001 of 2026-11-27 was already taken by "
                                                                "another kiosk; the first ticket of a number each day "
                                                                "is kept"}]
    assert tokens[KIOSK] not in json.dumps(answer) and KIOSK not in json.dumps(answer)
    assert f"{OTHER}: ticket A001 of 2026-11-27 rejected: kiosk {KIOSK} uploaded that number first" in caplog.text
    assert all(token not in caplog.text for token in tokens.values())
    # Sent again (a lost answer): still rejected, never stored; the first kiosk's own retry is a duplicate.
    assert post(client, tokens[OTHER], [second], kiosk=OTHER)["rejected"][0]["id"] == second["id"]
    assert post(client, tokens[KIOSK], [first])["duplicates"] == [first["id"]]
    assert [(t["kiosk_id"], t["number"]) for t in db.tickets(DAY, DAY)] == [(KIOSK, "A001"), (OTHER, "A002")]
    # The live page stays the first ticket's; A001 is called once.
    assert "戶籍登記" in client.get(f"/q/{DAY}/A001").get_data(as_text=True)
    clerk = office_sign_in.clerk(app)
    numbers = [clerk.post("/api/v1/calls/next", json={"counter": 1, "services": ["A"]}) for _ in range(3)]
    assert [n.get_json()["number"] for n in numbers[:2]] == ["A001", "A002"] and numbers[2].status_code == 204


def test_the_same_kiosk_starting_its_numbers_again_keeps_its_tickets(app, db, tokens):
    """Staff may start a kiosk's numbers again in the day (the admin screen): its second A001 is its own."""
    client = app.test_client()
    morning, afternoon = ticket("A001", 5), dict(ticket("A001"), at="2026-11-27T09:50:00.000+08:00")
    assert post(client, tokens[KIOSK], [morning, afternoon])["accepted"] == [morning["id"], afternoon["id"]]


def test_two_kiosks_uploading_the_same_number_at_once_store_one(app, db, tokens):
    answers, errors, start = {}, [], threading.Barrier(2)

    def upload(kiosk):
        try:
            start.wait(5)
            answers[kiosk] = post(app.test_client(), tokens[kiosk], [ticket(f"A{n:03d}", 1) for n in range(1, 41)],
                                  kiosk=kiosk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(kiosk,)) for kiosk in (KIOSK, OTHER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and len(answers) == 2
    assert sorted(len(a["accepted"]) for a in answers.values()) == [0, 40]
    assert sorted(len(a["rejected"]) for a in answers.values()) == [0, 40]
    assert len({t["kiosk_id"] for t in db.tickets()}) == 1 and len(db.tickets()) == 40


# -- text that a spreadsheet would run -------------------------------------------------------------------------

FORMULAS = ["=cmd' /C calc'!A0", '=HYPERLINK("http://evil.example","click")', "+cmd", "-2+3", "@SUM(A1)",
            "\tTAB", "\rCR"]
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_cells(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    return [cell for row in csv.reader(io.StringIO(data[3:].decode("utf-8"))) for cell in row]


def test_no_csv_the_report_offers_holds_a_formula_from_a_kiosk(app, db, tokens, clerk):
    client = app.test_client()
    events = []
    for n, text in enumerate(FORMULAS):
        rating = event("rating", {"score": 1, "scale": 3, "choice": "frown", "service": text, "location": text,
                                  "source": text, "ticket": text}, seq=n)
        events += [rating, event("rating_reason", {"rating_id": rating["id"], "reason": text}, seq=n),
                   event("form_view", {"code": text, "title": text, "lang": text}, seq=n),
                   event("form_slip", {"code": text, "lang": text}, seq=n),
                   event("fault", {"kind": text, "message": text}, seq=n)]
    answer = post(client, tokens[KIOSK], events)
    assert len(answer["accepted"]) == len(events), answer["rejected"]
    files = {"report.csv": clerk.get("/report.csv?month=115/11").data}
    for key in report_csv.SECTIONS:
        download = clerk.get(f"/report/{key}.csv?month=115/11")
        assert download.status_code == 200
        files[key] = download.data
    with zipfile.ZipFile(io.BytesIO(clerk.get("/report.zip?month=115/11").data)) as archive:
        assert len(archive.namelist()) == len(report_csv.SECTIONS)
        files.update((name, archive.read(name)) for name in archive.namelist())
    seen = set()
    for name, data in files.items():
        for cell in csv_cells(data):
            seen.add(cell)
            assert NUMBER.fullmatch(cell) or not cell.startswith(report_csv.FORMULA_STARTS), (name, cell)
    assert {"'" + text for text in FORMULAS[:5]} <= seen   # the kiosk's texts are there, as text
