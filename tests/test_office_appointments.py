"""Appointments checked in at the kiosk (issue 21, item 3), the office's side: what staff enter
(``office/appointments.py``), ``POST /api/v1/appointments/check-in`` through Flask's test client, and the
ticket called at its time, ahead of walk-ins, by the documented rule (``office/CALLING.md``, "Appointments").

On SQLite and, with OFFICE_TEST_DATABASE_URL set, PostgreSQL.  The clock is pinned: every time is the test's.
"""

import threading
import uuid
from datetime import datetime, timedelta

import pytest

from protocol import officetime
from office import appointments, calls, calls_estimate, forecast
from office.app import create_app
from office.appointments import AppointmentError
from office.db import Database
from office_backends import BACKENDS, database_url

DAY = "2026-12-07"


def at(hhmm: str, day: str = DAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+08:00")


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    officetime.pin(at("09:00"))
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        yield database
    officetime.pin(None)


@pytest.fixture
def office(db):
    return create_app(db).test_client(), {kiosk: db.add_kiosk(kiosk) for kiosk in ("ERLIN-01", "ERLIN-02")}


def check_in(client, token, code, kiosk="ERLIN-01", request_id=None):
    now = officetime.now()
    body = {"kiosk_id": kiosk, "request_id": request_id or str(uuid.uuid4()), "service": "F",
            "at": officetime.rfc3339(now), "code": code}
    return client.post("/api/v1/appointments/check-in", json=body, headers={"Authorization": f"Bearer {token}"})


def upload_ticket(client, token, answer, request_id, kiosk="ERLIN-01", seq=1):
    """The kiosk's ticket event for a check-in, uploaded as the kiosk does it (its id is the request id)."""
    event = {"id": request_id, "type": "ticket", "seq": seq, "at": officetime.rfc3339(officetime.now()),
             "clock_synced": True, "data": {"number": answer["number"], "service": "F", "lang": "zh-TW",
                                            "appointment": answer["appointment"]}}
    sent = client.post("/api/v1/events", json={"kiosk_id": kiosk, "events": [event]},
                       headers={"Authorization": f"Bearer {token}"})
    assert sent.get_json()["accepted"] == [request_id]


def walk_in(client, token, service="A", kiosk="ERLIN-01", seq=1):
    """A walk-in's ticket: its number from the office, its event uploaded."""
    request_id = str(uuid.uuid4())
    stamp = officetime.rfc3339(officetime.now())
    number = client.post("/api/v1/numbers", json={"kiosk_id": kiosk, "request_id": request_id, "service": service,
                                                  "at": stamp}, headers={"Authorization": f"Bearer {token}"})
    event = {"id": request_id, "type": "ticket", "seq": seq, "at": stamp, "clock_synced": True,
             "data": {"number": number.get_json()["number"], "service": service, "lang": "zh-TW"}}
    client.post("/api/v1/events", json={"kiosk_id": kiosk, "events": [event]},
                headers={"Authorization": f"Bearer {token}"})
    return number.get_json()["number"]


def call(db, counter=1, services=("A",)):
    found = calls.call_next(db, counter, services, officetime.now())
    return found["number"] if found else None


# -- what staff enter --------------------------------------------------------------------------------

def test_an_appointment_kept_with_a_roc_date_gets_a_six_digit_code_made_up(db):
    row = appointments.add(db, "115/12/08", "9:30", "a", by="林")
    assert (row["day"], row["at"], row["service"]) == ("2026-12-08", "2026-12-08T09:30:00.000+08:00", "A")
    assert len(row["code"]) == 6 and row["code"].isdigit()
    assert [r["code"] for r in appointments.day_list(db, "2026-12-08")] == [row["code"]]


@pytest.mark.parametrize("fields, says", [
    (("2026-13-01", "09:00", "A", ""), "不是有效的日期"),
    (("tomorrow", "09:00", "A", ""), "看不懂"),
    (("2026-12-08", "25:00", "A", ""), "時間"),
    (("2026-12-08", "09:00", "P", ""), "不能預約"),
    (("2026-12-08", "09:00", "F", ""), "不能預約"),
    (("2026-12-08", "09:00", "A", "12a4"), "4 到 8 位數字"),
])
def test_a_wrong_appointment_is_refused_saying_which_field(db, fields, says):
    with pytest.raises(AppointmentError, match=says):
        appointments.add(db, *fields)
    assert appointments.day_list(db, "2026-12-08") == []


def test_one_code_twice_on_a_day_is_refused_but_on_another_day_is_fine(db):
    appointments.add(db, DAY, "09:00", "A", "4321")
    with pytest.raises(AppointmentError, match="不能重複"):
        appointments.add(db, DAY, "10:00", "B", "4321")
    assert appointments.add(db, "2026-12-08", "10:00", "B", "4321")["code"] == "4321"


def test_a_csv_file_is_imported_whole_or_not_at_all(db):
    good = "\ufeff日期,時間,服務,代碼\n2026-12-07,09:30,A,1111\n115/12/07,10:00,B,\n"
    assert [r["service"] for r in appointments.import_csv(db, good, by="林")] == ["A", "B"]
    bad = "2026-12-07,11:00,C,2222\n2026-12-07,11:30,Z,3333\n2026-12-07,noon,A\n"
    with pytest.raises(AppointmentError) as refused:
        appointments.import_csv(db, bad)
    assert "第 2 行" in str(refused.value) and "第 3 行" in str(refused.value) and "第 1 行" not in str(refused.value)
    clash = "2026-12-07,11:00,C,2222\n2026-12-07,11:30,A,1111\n"
    with pytest.raises(AppointmentError, match="第 2 行.*整個檔案都沒有匯入"):
        appointments.import_csv(db, clash)
    assert [r["code"] for r in appointments.day_list(db, DAY)][0] == "1111"
    assert len(appointments.day_list(db, DAY)) == 2  # neither bad file left a row


def test_only_an_appointment_not_checked_in_can_be_cancelled(db, office):
    client, tokens = office
    kept = appointments.add(db, DAY, "09:10", "A", "5555")
    used = appointments.add(db, DAY, "09:20", "A", "6666")
    assert check_in(client, tokens["ERLIN-01"], "6666").status_code == 200
    assert appointments.cancel(db, kept["id"]) and not appointments.cancel(db, used["id"])
    assert [r["code"] for r in appointments.day_list(db, DAY)] == ["6666"]


# -- the kiosk's check-in -------------------------------------------------------------------------------

def test_a_code_checks_in_once_and_a_lost_answer_asked_again_gets_the_same_number(db, office):
    client, tokens = office
    appointments.add(db, DAY, "09:15", "B", "246810")
    request_id = str(uuid.uuid4())
    first = check_in(client, tokens["ERLIN-01"], "246810", request_id=request_id)
    assert first.status_code == 200
    answer = first.get_json()
    assert (answer["number"], answer["appointment"]) == ("F001", {"service": "B",
                                                                  "at": "2026-12-07T09:15:00.000+08:00"})
    assert check_in(client, tokens["ERLIN-01"], "246810", request_id=request_id).get_json()["number"] == "F001"
    again = check_in(client, tokens["ERLIN-02"], "246810", kiosk="ERLIN-02")
    assert again.status_code == 409
    assert (again.get_json()["reason"], again.get_json()["number"]) == ("used", "F001")
    row = appointments.day_list(db, DAY)[0]
    assert (row["number"], row["kiosk_id"], row["ticket_id"]) == ("F001", "ERLIN-01", request_id)


@pytest.mark.parametrize("now, appointment_day, reason", [
    ("08:44", DAY, "early"),        # 31 minutes early
    ("09:31", DAY, "late"),         # 16 minutes late
    ("09:00", "2026-12-08", "early"),  # tomorrow's
    ("09:00", "2026-12-04", "late"),   # last Friday's
])
def test_early_late_and_another_days_codes_are_refused_with_the_appointments_time(db, office, now, appointment_day,
                                                                                  reason):
    client, tokens = office
    appointments.add(db, appointment_day, "09:15", "A", "777777")
    officetime.pin(at(now))
    refused = check_in(client, tokens["ERLIN-01"], "777777")
    assert refused.status_code == 409
    assert refused.get_json()["reason"] == reason
    assert refused.get_json()["at"] == f"{appointment_day}T09:15:00.000+08:00"
    assert refused.get_json()["opens"] == (f"{appointment_day}T08:45:00.000+08:00" if reason == "early" else None)
    assert appointments.day_list(db, appointment_day)[0]["ticket_id"] is None  # nothing taken
    assert walk_in(client, tokens["ERLIN-01"], "F") == "F001"  # nor a number


def test_the_edges_of_the_window_check_in(db, office):
    client, tokens = office
    appointments.add(db, DAY, "10:00", "A", "1000")
    appointments.add(db, DAY, "10:30", "A", "1030")
    officetime.pin(at("09:30"))
    assert check_in(client, tokens["ERLIN-01"], "1000").status_code == 200  # exactly 30 minutes early
    officetime.pin(at("10:45"))
    assert check_in(client, tokens["ERLIN-01"], "1030").status_code == 200  # exactly 15 minutes late


def test_an_unknown_code_is_refused_and_the_log_never_holds_a_code(db, office, caplog):
    client, tokens = office
    appointments.add(db, DAY, "09:00", "A", "13579")
    refused = check_in(client, tokens["ERLIN-01"], "97531")
    assert (refused.status_code, refused.get_json()["reason"]) == (409, "unknown")
    check_in(client, tokens["ERLIN-01"], "13579")
    assert "97531" not in caplog.text and "13579" not in caplog.text


def test_two_kiosks_typing_one_code_at_once_check_it_in_once(db, office):
    client, tokens = office
    appointments.add(db, DAY, "09:00", "A", "888888")
    answers = []

    def ask(kiosk):
        answers.append(check_in(client.application.test_client(), tokens[kiosk], "888888", kiosk=kiosk))

    threads = [threading.Thread(target=ask, args=(k,)) for k in tokens]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert [a.get_json()["reason"] for a in answers if a.status_code == 409] == ["used"]


# -- called at its time, ahead of walk-ins ---------------------------------------------------------------

def test_the_ticket_waits_in_its_appointments_service_and_is_called_at_its_time_ahead_of_walk_ins(db, office):
    client, tokens = office
    token = tokens["ERLIN-01"]
    appointments.add(db, DAY, "10:00", "A", "1234")
    walk_ins = []
    for n, hhmm in enumerate(("09:10", "09:20", "09:40")):
        officetime.pin(at(hhmm))
        walk_ins.append(walk_in(client, token, seq=n + 1))
    officetime.pin(at("09:45"))
    answer = check_in(client, token, "1234").get_json()
    request_id = appointments.day_list(db, DAY)[0]["ticket_id"]
    upload_ticket(client, token, answer, request_id, seq=10)
    assert calls.waiting_counts(db, DAY) == {"A": 4}  # F001 waits with A's
    assert calls.queue_position(db, DAY, "F001")["service"] == "A"
    officetime.pin(at("09:50"))
    assert call(db) == "A001"  # not its time yet: the walk-ins go on
    officetime.pin(at("10:00"))
    assert call(db) == "F001"  # its time: ahead of A002 and A003, printed before it
    assert [call(db), call(db), call(db)] == ["A002", "A003", None]


def test_appointments_in_a_row_let_a_walk_in_through_after_two(db, office):
    client, tokens = office
    token = tokens["ERLIN-01"]
    officetime.pin(at("09:00"))
    walk_in(client, token, seq=1)
    walk_in(client, token, seq=2)
    for n, code in enumerate(("1001", "1002", "1003")):
        appointments.add(db, DAY, f"09:1{n}", "A", code)
        officetime.pin(at("09:05"))
        answer = check_in(client, token, code).get_json()
        upload_ticket(client, token, answer, appointments.day_list(db, DAY)[n]["ticket_id"], seq=10 + n)
    officetime.pin(at("09:30"))
    assert [call(db) for _ in range(6)] == ["F001", "F002", "A001", "F003", "A002", None]


def test_with_nobody_else_waiting_an_appointment_is_called_before_its_time(db, office):
    client, tokens = office
    token = tokens["ERLIN-01"]
    appointments.add(db, DAY, "09:25", "C", "4444")
    answer = check_in(client, token, "4444").get_json()
    upload_ticket(client, token, answer, appointments.day_list(db, DAY)[0]["ticket_id"])
    assert call(db, services=("A",)) is None  # a counter not serving C does not call it
    assert call(db, counter=2, services=("C",)) == "F001"


def test_the_wait_estimate_plays_the_appointment_ahead_at_its_time():
    nine = at("09:00")
    waiting = [forecast.Waiting("A001", "A", nine), forecast.Waiting("A002", "A", nine + timedelta(minutes=1)),
               forecast.Waiting("F001", "A", nine + timedelta(minutes=2), due=nine + timedelta(minutes=10))]
    counter = forecast.Counter(1, frozenset({"A"}), nine)
    times = forecast.call_times(waiting, [counter], {"A": 10.0})
    # 9:00 A001 (F001 not due); 9:10 F001, due now, ahead of A002; 9:20 A002
    assert [times[k].strftime("%H:%M") for k in ("A001", "F001", "A002")] == ["09:00", "09:10", "09:20"]


def test_a_waiting_appointments_estimate_counts_its_time(db, office):
    client, tokens = office
    token = tokens["ERLIN-01"]
    for n in range(3):  # three service times of 10 minutes today: enough to estimate
        officetime.pin(at("08:00") + timedelta(minutes=n * 10))
        walk_in(client, token, "B", seq=n + 1)
        call(db, services=("B",))
    officetime.pin(at("08:30"))
    call(db, services=("B",))  # done: the counter is free at 08:30
    appointments.add(db, DAY, "09:00", "B", "9999")
    answer = check_in(client, token, "9999").get_json()
    upload_ticket(client, token, answer, appointments.day_list(db, DAY)[0]["ticket_id"], seq=9)
    walk_in(client, token, "B", seq=10)
    ticket_id = appointments.day_list(db, DAY)[0]["ticket_id"]
    estimate = calls_estimate.ticket_estimate(db, ticket_id, DAY, officetime.now())
    # the walk-in printed now first (10 min), then F001, early: nobody else waits
    assert estimate is not None and estimate[0] <= 10 <= estimate[1]


# -- the staff page -------------------------------------------------------------------------------------

def test_staff_add_import_and_cancel_appointments_on_their_page(db):
    import io

    from office_sign_in import clerk, csrf
    client = clerk(create_app(db))
    assert client.get("/appointments").status_code == 200
    page = client.get("/appointments?day=2026-12-08").get_data(as_text=True)
    assert "這一天沒有預約" in page and 'aria-current="page">預約' in page
    added = client.post("/appointments?day=2026-12-08", data={
        "csrf": csrf(page), "action": "add", "day": "2026-12-08", "time": "09:30", "service": "B", "code": ""})
    html = added.get_data(as_text=True)
    code = appointments.day_list(db, "2026-12-08")[0]["code"]
    assert f"已新增：2026-12-08 09:30 B，代碼 {code}" in html and "尚未報到" in html
    assert appointments.day_list(db, "2026-12-08")[0]["created_by"] == "chen"
    big5 = "日期,時間,服務,代碼\n115/12/08,10:00,C,1357\n".encode("big5")
    imported = client.post("/appointments?day=2026-12-08", data={
        "csrf": csrf(html), "action": "import", "csv": (io.BytesIO(big5), "預約.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "已匯入 1 筆預約" in imported and "1357" in imported
    wrong = client.post("/appointments?day=2026-12-08", data={
        "csrf": csrf(html), "action": "import", "csv": (io.BytesIO(b"2026-12-08,10:00,Q,1\n"), "x.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "第 1 行" in wrong and "不能預約" in wrong
    first = appointments.day_list(db, "2026-12-08")[0]
    cancelled = client.post("/appointments?day=2026-12-08", data={
        "csrf": csrf(html), "action": "cancel", "id": str(first["id"])}).get_data(as_text=True)
    assert "已取消" in cancelled and [r["code"] for r in appointments.day_list(db, "2026-12-08")] == ["1357"]


def test_the_appointments_page_is_for_staff_only_and_needs_its_csrf_token(db):
    client = create_app(db).test_client()
    assert client.get("/appointments").status_code in (302, 401)
    from office_sign_in import clerk
    signed = clerk(create_app(db))
    refused = signed.post("/appointments", data={"action": "add", "day": DAY, "time": "09:00", "service": "A"})
    assert refused.status_code in (400, 403)
    assert appointments.day_list(db, DAY) == []
