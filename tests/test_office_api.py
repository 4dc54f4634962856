"""The office server's API (office/PROTOCOL.md) through Flask's test client, on a SQLite file.

Set OFFICE_TEST_DATABASE_URL (e.g. postgresql+psycopg://user@/db?host=/tmp) to run the same tests on another
database as well; its tables are dropped after each test.
"""

import dataclasses
import json
import threading
import uuid
from datetime import datetime

import pytest

from protocol import officetime
from kiosk.events import Event
from office import forms_list
from office.app import create_app
from office.db import Database, hash_token
from office_backends import BACKENDS, database_url

KIOSK = "ERLIN-01"


@pytest.fixture(autouse=True)
def clock():
    """The server's and the kiosk's clock: noon in Taipei on the day the events below happen (the server refuses
    an event more than a day ahead of its clock), whatever the date and hour the suite runs."""
    officetime.pin(datetime(2026, 11, 27, 12, 0, tzinfo=officetime.TAIPEI))
    yield
    officetime.pin(None)


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        yield database


@pytest.fixture
def token(db):
    return db.add_kiosk(KIOSK)


@pytest.fixture
def client(db):
    return create_app(db).test_client()


def event(type="rating", data=None, at="2026-11-27T09:30:00.000+08:00", seq=1, **extra):
    if data is None:
        data = {"rating": {"score": 3, "scale": 3, "choice": "smile", "source": "button", "misuse": False},
                "ticket": {"number": "A012", "service": "A", "people_ahead": 4, "lang": "zh-TW"},
                "form_view": {"code": "move-in", "lang": "zh-TW"},
                "form_slip": {"code": "move-in", "lang": "en"}}.get(type, {})
    return {"id": str(uuid.uuid4()), "type": type, "seq": seq, "at": at, "clock_synced": True, "data": data, **extra}


def post(client, token, events, kiosk_id=KIOSK):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/events", json={"kiosk_id": kiosk_id, "events": events}, headers=headers)


def stored_ids(db):
    return [e["id"] for e in db.events()]


# -- ingest --------------------------------------------------------------------------------------

def test_a_batch_is_accepted_and_each_kind_lands_in_its_table(client, token, db):
    batch = [event("rating", seq=1), event("ticket", seq=2), event("form_view", seq=3), event("form_slip", seq=4),
             event("fault", {"kind": "paper_out", "message": "out of paper"}, seq=5)]
    response = post(client, token, batch)
    assert response.status_code == 200
    assert response.get_json() == {"accepted": [e["id"] for e in batch], "duplicates": [], "rejected": []}
    assert stored_ids(db) == [e["id"] for e in batch]
    assert db.events(type="fault")[0]["data"] == {"kind": "paper_out", "message": "out of paper"}
    [ticket] = db.tickets()
    assert (ticket["event_id"], ticket["day"], ticket["hour"], ticket["service"], ticket["number"],
            ticket["people_ahead"]) == (batch[1]["id"], "2026-11-27", 9, "A", "A012", 4)
    assert [(v["code"], v["kind"], v["lang"]) for v in db.form_views()] == [("move-in", "view", "zh-TW"),
                                                                           ("move-in", "slip", "en")]
    assert [k["events"] for k in db.kiosks()] == [5]


def test_the_same_batch_again_is_all_duplicates_and_stored_once(client, token, db):
    batch = [event(seq=1), event("ticket", seq=2)]
    assert post(client, token, batch).get_json()["accepted"] == [e["id"] for e in batch]
    again = post(client, token, batch)  # the kiosk never saw the first answer: it retries
    assert again.status_code == 200
    assert again.get_json() == {"accepted": [], "duplicates": [e["id"] for e in batch], "rejected": []}
    assert stored_ids(db) == [e["id"] for e in batch]
    assert len(db.ratings()) == 1 and len(db.tickets()) == 1


def test_an_id_twice_in_one_batch_is_stored_once(client, token, db):
    one = event()
    answer = post(client, token, [one, dict(one)]).get_json()
    assert (answer["accepted"], answer["duplicates"]) == ([one["id"]], [one["id"]])
    assert stored_ids(db) == [one["id"]]


def test_ids_come_back_as_sent_and_match_whatever_their_case(client, token, db):
    one = event()
    upper = dict(one, id=one["id"].upper())
    assert post(client, token, [upper]).get_json()["accepted"] == [upper["id"]]
    assert post(client, token, [one]).get_json()["duplicates"] == [one["id"]]
    assert stored_ids(db) == [one["id"]]


def test_concurrent_retries_store_each_event_once(db, token):
    app = create_app(db)
    batch = [event(seq=n) for n in range(50)]
    answers, errors = [], []

    def send():
        try:
            answers.append(post(app.test_client(), token, batch).get_json())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and len(answers) == 4
    accepted = [i for a in answers for i in a["accepted"]]
    assert sorted(accepted) == sorted(e["id"] for e in batch)  # each accepted by exactly one request
    assert all(sorted(a["accepted"] + a["duplicates"]) == sorted(e["id"] for e in batch) for a in answers)
    assert len(db.events()) == 50 and len(db.ratings()) == 50


BAD_EVENTS = {
    "unknown type": (dict(event(), type="coffee"), "type: unknown event type 'coffee'"),
    "at without offset": (dict(event(), at="2026-11-27T09:30:00"), "at: must be an RFC 3339 time with its offset"),
    "at not a date": (dict(event(), at="2026-02-30T09:30:00+08:00"), "at: is not a real time"),
    "missing id": ({k: v for k, v in event().items() if k != "id"}, "id: missing"),
    "data not an object": (dict(event("fault"), data=["paper"]), "data: must be a JSON object"),
    "id not a uuid": (dict(event(), id="ticket-12"), "id: must be a UUID"),
    "seq not a number": (dict(event(), seq="7"), "seq: "),
    "clock_synced not a bool": (dict(event(), clock_synced="yes"), "clock_synced: "),
    "rating without score": (event("rating", {"scale": 3, "choice": "smile"}), "data.score: missing"),
    "reason without rating": (event("rating_reason", {"reason": "wait"}), "data.rating_id: missing"),
    "not an object": ("hello", "an event must be a JSON object"),
}


@pytest.mark.parametrize("bad, message", BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
def test_a_bad_event_is_rejected_and_the_others_accepted(client, token, db, bad, message):
    good = [event(seq=1), event("ticket", seq=3)]
    response = post(client, token, [good[0], bad, good[1]])
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["accepted"] == [e["id"] for e in good]
    [rejected] = answer["rejected"]
    assert rejected["id"] == (bad.get("id") if isinstance(bad, dict) else None)
    assert message in rejected["error"]
    assert stored_ids(db) == [e["id"] for e in good]


def test_an_event_id_of_another_kiosk_is_rejected_not_stored_again(client, token, db):
    other = db.add_kiosk("ERLIN-02")
    one = event()
    assert post(client, token, [one]).get_json()["accepted"] == [one["id"]]
    answer = post(client, other, [one], kiosk_id="ERLIN-02").get_json()
    assert answer["accepted"] == [] and answer["duplicates"] == []
    assert answer["rejected"] == [{"id": one["id"], "error": "this event id is already stored for another kiosk"}]
    assert [(e["id"], e["kiosk_id"]) for e in db.events()] == [(one["id"], KIOSK)]


def test_the_kiosks_own_event_shape_is_accepted(client, token, db, monkeypatch):
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "1")
    synced = dataclasses.replace(Event.new("rating", {"score": 1, "scale": 3, "choice": "frown"}), seq=1)
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "0")  # before the clock is synced: boot_id and monotonic come too
    unsynced = dataclasses.replace(Event.new("heartbeat", {"uptime": 12}), seq=2)
    assert "boot_id" in unsynced.to_json()
    answer = post(client, token, [synced.to_json(), unsynced.to_json()]).get_json()
    assert answer["accepted"] == [synced.id, unsynced.id]
    stored = {e["id"]: e for e in db.events()}
    assert stored[unsynced.id]["boot_id"] == unsynced.boot_id and stored[unsynced.id]["clock_synced"] is False
    assert stored[unsynced.id]["monotonic"] == pytest.approx(unsynced.monotonic)
    assert db.ratings()[0]["choice"] == "frown"


# -- whole requests refused --------------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    (b"this is not json", "not JSON"),
    (b'{"kiosk_id": "ERLIN-01", "events": [', "not JSON"),
    (b'{"kiosk_id": "ERLIN-01", "events": [NaN]}', "not JSON"),
    (b"[]", "must be a JSON object"),
    (b'{"kiosk_id": "ERLIN-01"}', "events: missing"),
    (b'{"kiosk_id": "ERLIN-01", "events": {}}', "events:"),
    (b'{"events": []}', "kiosk_id: missing"),
], ids=["text", "cut short", "NaN", "array", "no events", "events not a list", "no kiosk_id"])
def test_a_malformed_body_is_a_400_and_nothing_is_stored(client, token, db, body, message):
    response = client.post("/api/v1/events", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert db.events() == []


@pytest.mark.parametrize("header", [None, "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token-we-issued"])
def test_no_or_unknown_token_is_a_401(client, token, db, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.post("/api/v1/events", json={"kiosk_id": KIOSK, "events": [event()]}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]
    assert client.get(f"/api/v1/kiosks/{KIOSK}/config", headers=headers).status_code == 401
    assert db.events() == []


def test_a_replaced_token_stops_working(client, token, db):
    new = db.add_kiosk(KIOSK)
    assert post(client, token, [event()]).status_code == 401
    assert post(client, new, [event()]).status_code == 200


def test_another_kiosks_token_is_a_403(client, token, db):
    other = db.add_kiosk("ERLIN-02")
    response = post(client, other, [event()], kiosk_id=KIOSK)
    assert response.status_code == 403
    assert "ERLIN-02" in response.get_json()["error"]
    response = client.get(f"/api/v1/kiosks/{KIOSK}/config", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 403
    assert db.events() == []


def test_more_than_500_events_is_a_413(client, token, db):
    response = post(client, token, [event(seq=n, data={}, type="heartbeat") for n in range(501)])
    assert response.status_code == 413
    assert "at most 500" in response.get_json()["error"]
    assert db.events() == []
    assert len(post(client, token, [event(seq=n, data={}, type="heartbeat") for n in range(500)])
               .get_json()["accepted"]) == 500


def test_a_body_over_256_kb_is_a_413(client, token, db):
    response = post(client, token, [event("fault", {"message": "x" * (300 * 1024)})])
    assert response.status_code == 413
    assert "256 KB" in response.get_json()["error"]
    assert db.events() == []


# -- config --------------------------------------------------------------------------------------

def test_config_has_an_etag_and_answers_304_when_unchanged(client, token, db):
    auth = {"Authorization": f"Bearer {token}"}
    first = client.get(f"/api/v1/kiosks/{KIOSK}/config", headers=auth)
    assert first.status_code == 200
    # The office's forms list (office/forms_list.py), which starts as the shipped catalogue.
    assert first.get_json() == {"forms": forms_list.kiosk_catalogue(db), "announcements": [], "announcements_en": [],
                                "announcements_vi": [], "announcements_id": [], "announcements_th": [],
                                "announcements_fil": [], "number_slot": 1, "update": None}
    assert 'code = "home-service"' in first.get_json()["forms"]
    etag = first.headers["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    again = client.get(f"/api/v1/kiosks/{KIOSK}/config", headers={**auth, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag

    assert forms_list.save(db, [row for row in forms_list.rows(db) if row.code != "home-service"]) == []
    db.set_config(announcements=["今日下午停電"])
    changed = client.get(f"/api/v1/kiosks/{KIOSK}/config", headers={**auth, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json() == {"forms": forms_list.kiosk_catalogue(db), "announcements": ["今日下午停電"],
                                  "announcements_en": [""], "announcements_vi": [""], "announcements_id": [""],
                                  "announcements_th": [""], "announcements_fil": [""], "number_slot": 1,
                                  "update": None}
    assert 'code = "home-service"' not in changed.get_json()["forms"]
    assert changed.headers["ETag"] != etag


def test_a_kiosks_own_config_wins_over_the_offices(client, token, db):
    db.set_config(announcements=["everyone"])
    db.set_config(KIOSK, announcements=["only here"], forms='remove = ["home-service"]\n')
    db.set_config("ERLIN-02", forms="# another kiosk\n")
    body = client.get(f"/api/v1/kiosks/{KIOSK}/config", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body == {"forms": 'remove = ["home-service"]\n', "announcements": ["only here"], "announcements_en": [""],
                    "announcements_vi": [""], "announcements_id": [""], "announcements_th": [""],
                    "announcements_fil": [""], "number_slot": 1, "update": None}
    db.set_config(KIOSK, announcements=None, forms=None)  # unset: the office's again
    assert db.config_for(KIOSK)["announcements"] == ["everyone"]
    body = client.get(f"/api/v1/kiosks/{KIOSK}/config", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["forms"] == forms_list.kiosk_catalogue(db)


def test_asking_for_config_counts_as_contact(client, token, db):
    assert db.kiosks()[0]["last_contact_at"] is None
    client.get(f"/api/v1/kiosks/{KIOSK}/config", headers={"Authorization": f"Bearer {token}"})
    assert db.kiosks()[0]["last_contact_at"] is not None


# -- tokens, reporting tables ------------------------------------------------------------------------

def test_tokens_are_stored_hashed(db, tmp_path):
    if not db.is_sqlite:
        pytest.skip("reads the SQLite file's bytes")
    tokens = [db.add_kiosk(KIOSK), db.add_kiosk("ERLIN-02")]
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("office.db"))
    for token in tokens:
        assert len(token) >= 43  # 32 random bytes
        assert token.encode() not in files
        assert hash_token(token).encode() in files  # the hash is what is kept (so the search above can fail)
    assert db.kiosk_for_token(tokens[1]) == "ERLIN-02"


def test_sqlite_runs_in_wal_with_a_busy_timeout_and_full_sync(db):
    if not db.is_sqlite:
        pytest.skip("SQLite settings")
    pragmas = db.read(lambda c: [c.exec_driver_sql(f"PRAGMA {name}").scalar()
                                 for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")])
    assert pragmas == ["wal", 10000, 2, 1]  # synchronous 2 = FULL


def test_a_rating_lands_in_ratings_on_its_office_day_in_taipei(client, token, db):
    late = event("rating", {"score": 1, "scale": 3, "choice": "frown", "source": "touch", "service": "C",
                            "location": "3", "misuse": True, "ticket": "C004"}, at="2026-11-27T16:30:00Z")
    before_midnight = event(at="2026-11-27T23:59:59.999+08:00", seq=2)
    assert len(post(client, token, [late, before_midnight]).get_json()["accepted"]) == 2
    rows = {r["event_id"]: r for r in db.ratings()}
    row = rows[late["id"]]
    assert (row["day"], row["hour"], row["at"]) == ("2026-11-28", 0, "2026-11-28T00:30:00.000+08:00")
    assert (row["kiosk_id"], row["scale"], row["score"], row["choice"], row["source"], row["service"],
            row["location"], row["misuse"], row["ticket"], row["reason"]) == (
        KIOSK, 3, 1, "frown", "touch", "C", "3", True, "C004", None)
    assert (rows[before_midnight["id"]]["day"], rows[before_midnight["id"]]["hour"]) == ("2026-11-27", 23)
    assert [r["event_id"] for r in db.ratings(first_day="2026-11-28", last_day="2026-11-28")] == [late["id"]]


def test_a_rating_reason_sets_the_ratings_reason(client, token, db):
    rating = event("rating", {"score": 1, "scale": 3, "choice": "frown"}, seq=1)
    post(client, token, [rating])
    reason = event("rating_reason", {"rating_id": rating["id"], "reason": "wait"}, seq=2)
    assert post(client, token, [reason]).get_json()["accepted"] == [reason["id"]]
    assert db.ratings()[0]["reason"] == "wait"


def test_a_reason_arriving_before_its_rating_is_applied_when_it_comes(client, token, db):
    rating = event("rating", {"score": 1, "scale": 3, "choice": "frown"}, seq=1)
    reason = event("rating_reason", {"rating_id": rating["id"], "reason": "attitude"}, seq=2)
    post(client, token, [reason])
    post(client, token, [rating])
    assert db.ratings()[0]["reason"] == "attitude"


def test_a_heartbeat_is_kept_on_the_kiosk(client, token, db):
    post(client, token, [event("heartbeat", {"outbox": 3}, seq=1), event("heartbeat", {"outbox": 0}, seq=2)])
    [kiosk] = db.kiosks()
    assert kiosk["last_heartbeat"]["data"] == {"outbox": 0}
    assert kiosk["last_contact_at"] is not None and kiosk["events"] == 2


def test_a_heartbeat_whose_summary_the_kiosk_list_cannot_read_is_rejected(client, token, db):
    good = event("heartbeat", {"version": "0.1.0", "backlog": 3, "parked": 0, "printer": {"state": "ok"},
                               "faults": [{"kind": "printer_paper_out", "count": 2}], "newer": "kept"}, seq=1)
    bad = [event("heartbeat", {"backlog": "3"}, seq=2), event("heartbeat", {"printer": "ok"}, seq=3),
           event("heartbeat", {"faults": [{"kind": "printer_paper_out", "count": 0}]}, seq=4)]
    answer = post(client, token, [good] + bad).get_json()
    assert answer["accepted"] == [good["id"]]
    assert [r["error"] for r in answer["rejected"]] == [
        "heartbeat event: data.backlog: Input should be a valid integer",
        "heartbeat event: data.printer: must be a JSON object, got a string",
        "heartbeat event: data.faults.0.count: Input should be greater than or equal to 1"]
    assert db.kiosks()[0]["last_heartbeat"]["data"] == good["data"]  # the last good one is what the list shows


def test_the_staff_pages_need_a_login_and_healthz_does_not(client, token):
    page = client.get("/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    health = client.get("/healthz")
    assert health.status_code == 200 and b"running" in health.data


def test_an_unknown_api_path_answers_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]


def test_create_app_opens_a_url(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'office.db'}")
    assert app.test_client().get("/healthz").status_code == 200
    assert (tmp_path / "sub" / "dir" / "office.db").exists()
    app.extensions["office_db"].close()


def test_a_body_that_is_json_text_in_utf8_keeps_chinese(client, token, db):
    one = event("fault", {"message": "印表機缺紙"})
    body = json.dumps({"kiosk_id": KIOSK, "events": [one]}, ensure_ascii=False).encode("utf-8")
    response = client.post("/api/v1/events", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["accepted"] == [one["id"]]
    assert db.events()[0]["data"] == {"message": "印表機缺紙"}


def test_the_protocol_document_names_every_event_type_and_the_limits():
    from pathlib import Path

    from protocol.events import EVENT_TYPES
    from protocol.events import MAX_BYTES, MAX_EVENTS
    from office.models import DATA_MODELS
    text = (Path(__file__).resolve().parent.parent / "office" / "PROTOCOL.md").read_text(encoding="utf-8")
    for name in EVENT_TYPES:
        assert f"`{name}`" in text, name
    for name, model in DATA_MODELS.items():  # each required data member is documented
        for field, info in model.model_fields.items():
            if info.is_required():
                assert f"`{field}`" in text, f"{name}.{field}"
    assert f"{MAX_EVENTS} events" in text and f"{MAX_BYTES // 1024} KB" in text
    for path in ("POST {base}/api/v1/events", "GET {base}/api/v1/kiosks/{id}/config"):
        assert path in text
