"""A number taken on the phone (issue 21, item 2): /take (office/take_pages.py, office/remote.py).

Through the real app and Flask's test client (each client a phone of its own: its own session cookie), on SQLite
and, with OFFICE_TEST_DATABASE_URL set, PostgreSQL.  The office's clock is a Tuesday at 10:00 unless a test
moves it, whatever the hour of the run.
"""

import re
import uuid
from datetime import datetime

import pytest

from office_browser import chromium, needs_chromium, running_office
from office_sign_in import clerk, csrf
from protocol import officetime
from office import calls
from office.app import create_app
from office.db import Database
from office.remote import PHONE
from office_backends import BACKENDS, database_url

TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=officetime.TAIPEI)
DAY = "2026-12-08"


class Clock:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        yield database


@pytest.fixture
def clock():
    return Clock(TUESDAY_10)


@pytest.fixture
def app(db, clock):
    return create_app(db, clock=clock)


def take(phone, service="A", lang="zh-TW", address="10.1.2.3"):
    """A resident's tap on a service's button on /take: the page, then its form posted."""
    page = phone.get(f"/take?lang={lang}", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    return phone.post("/take", data={"csrf": csrf(page), "service": service, "lang": lang},
                      environ_base={"REMOTE_ADDR": address})


def text(answer):
    return re.sub(r"<style>.*?</style>|<[^>]+>", " ", answer.get_data(as_text=True), flags=re.S)


def test_a_phone_takes_a_number_and_lands_on_its_live_queue_page_in_its_language(app, db):
    phone = app.test_client()
    answer = take(phone, "B", lang="vi")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/q/{DAY}/B001?lang=vi"
    page = phone.get(answer.headers["Location"])
    assert page.status_code == 200 and "B001" in page.get_data(as_text=True)
    assert calls.public_answer(db, DAY, "B001", TUESDAY_10)["state"] == "waiting"  # in the queue, to be called
    [ticket] = db.tickets(first_day=DAY, last_day=DAY)
    assert (ticket["kiosk_id"], ticket["lang"]) == (PHONE, "vi")
    back = phone.get("/take?lang=vi")  # the phone keeps its number: the page shows it, offers no other
    assert "B001" in text(back) and "Xem lượt của quý vị" in text(back) and 'name="service"' not in text(back)


def test_phones_and_kiosks_number_from_one_series(app, db):
    token = db.add_kiosk("ERLIN-01")
    kiosk = app.test_client()

    def kiosk_takes():
        answer = kiosk.post("/api/v1/numbers", headers={"Authorization": f"Bearer {token}"}, json={
            "kiosk_id": "ERLIN-01", "request_id": str(uuid.uuid4()), "service": "A",
            "at": officetime.rfc3339(TUESDAY_10)})
        return answer.get_json()["number"]

    assert kiosk_takes() == "A001"
    assert take(app.test_client()).headers["Location"].endswith("/A002?lang=zh-TW")
    assert kiosk_takes() == "A003"
    assert [k["id"] for k in db.kiosks()] == ["ERLIN-01"]  # the phones' pseudo-kiosk is no kiosk to look after


def test_one_active_number_per_phone_and_a_new_one_once_it_is_served(app, db, clock):
    phone = app.test_client()
    other_tab = phone.get("/take").get_data(as_text=True)  # the page open twice
    assert take(phone).status_code == 303
    again = phone.post("/take", data={"csrf": csrf(other_tab), "service": "C", "lang": "zh-TW"})
    assert again.status_code == 409 and "這支手機已有尚未叫到的號碼" in text(again) and "A001" in text(again)
    call = calls.call_next(db, 1, ["A"], TUESDAY_10)
    calls.done(db, call["id"], TUESDAY_10)
    assert take(phone, "C").headers["Location"].endswith("/C001?lang=zh-TW")


def test_the_remote_limit_is_the_offices_and_the_last_number_is_said_so(app, db):
    staff = clerk(app)
    settings = staff.get("/settings").get_data(as_text=True)
    form = {"csrf": csrf(settings), "office_name": "", "wait_amber": "20", "wait_red": "40",
            **{f"remote_{p}": "0" for p in "ABCDEFP"}, "remote_A": "2"}
    assert staff.post("/settings", data=form).status_code == 200
    assert [take(app.test_client()).status_code for _ in range(2)] == [303, 303]
    late = app.test_client()
    refused = take(late)
    assert refused.status_code == 409 and "今日網路取號已額滿，仍可至所內抽號機取號" in text(refused)
    page = late.get("/take?lang=en").get_data(as_text=True)
    assert re.search(r'value="A"\s+disabled', page) and "No numbers left today" in page
    assert 'value="B"' not in page  # 0: not offered at all
    assert take(late, "B").status_code == 409


@pytest.mark.parametrize("moment", [datetime(2026, 12, 8, 16, 45, tzinfo=officetime.TAIPEI),   # the last half hour
                                    datetime(2026, 12, 12, 10, 0, tzinfo=officetime.TAIPEI),   # a Saturday
                                    datetime(2026, 12, 8, 7, 59, tzinfo=officetime.TAIPEI)])
def test_outside_the_hours_for_phones_no_number_is_taken(app, db, clock, moment):
    clock.moment = moment
    phone = app.test_client()
    page = phone.get("/take?lang=en").get_data(as_text=True)
    assert re.search(r'value="A"\s+disabled', page) and "Not taking numbers now" in page
    refused = take(phone, lang="en")
    assert refused.status_code == 409 and "This service is not taking numbers now." in text(refused)
    assert db.tickets(first_day=moment.date().isoformat(), last_day=moment.date().isoformat()) == []


def test_priority_numbers_are_given_at_the_desk_not_on_the_phone(app, db):
    phone = app.test_client()
    assert 'value="P"' not in phone.get("/take").get_data(as_text=True)
    refused = take(phone, "P")
    assert refused.status_code == 409 and "此服務未開放網路取號" in text(refused)


def test_one_address_that_tries_too_often_is_told_to_wait(app, db):
    answers = [take(app.test_client(), address="10.9.9.9").status_code for _ in range(7)]
    assert answers == [303] * 6 + [429]
    assert take(app.test_client(), address="10.9.9.10").status_code == 303  # another address is not held back
    assert len(db.tickets(first_day=DAY, last_day=DAY)) == 7


def test_a_form_without_its_token_takes_nothing(app, db):
    answer = app.test_client().post("/take", data={"service": "A", "lang": "en"})
    assert answer.status_code == 400 and db.tickets(first_day=DAY, last_day=DAY) == []


def test_the_reports_count_the_numbers_taken_on_phones(app, db):
    take(app.test_client())
    take(app.test_client(), "B")
    staff = clerk(app)
    assert "今日取號（共 2 張，其中網路取號 2 張）" in text(staff.get("/"))
    assert "其中網路取號 2 張" in text(staff.get("/report?month=115/12"))


@needs_chromium
@pytest.mark.parametrize("lang", ["zh-TW", "th", "vi"])
def test_on_a_phone_the_buttons_are_big_nothing_overflows_and_a_tap_opens_the_live_page(tmp_path, office_clock, lang):
    """/take in a real Chromium at a small phone's size (360 px wide): every service a button at least 44 px tall,
    no line wider than the screen (Thai breaks at the catalogue's marks), and a tap lands on the ticket's page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with running_office(tmp_path / "office.db", "ERLIN-01", "clerk", "correct horse 1", clock=office_clock) \
            as (url, _token), chromium(window_size="360,740") as browser:
        browser.get(f"{url}/take?lang={lang}")
        buttons = browser.find_elements(By.CSS_SELECTOR, "button.service")
        assert len(buttons) == 5 and all(b.size["height"] >= 44 for b in buttons)  # A-E: P and F not by phone
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.save_screenshot(str(tmp_path / f"take-{lang}.png"))
        buttons[0].click()  # a form's submission: the next page comes when it comes
        live = f"/q/{office_clock.day().isoformat()}/A001?lang={lang}"
        WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda _: live in browser.current_url)
        assert WebDriverWait(browser, 10).until(lambda _: browser.find_element(By.ID, "number")).text == "A001"
