"""The number-calling pages (office/calling_pages.py): /counter, /display and the public /q/<day>/<number>.

Flask test-client tests always run; the browser test needs Debian's chromium and chromium-driver (as
tests/test_office_browser.py) and is skipped without them.
"""

import re
import time
import uuid
from datetime import timedelta

import pytest
import requests

from office_browser import chromium, needs_chromium, running_office
from kiosk import timeutil
from office import calls, staff
from office.app import create_app
from office.db import Database

KIOSK = "ERLIN-01"
PASSWORD = "correct horse battery"


def ticket_event(number, minutes_ago, seq):
    at = timeutil.now() - timedelta(minutes=minutes_ago)
    return {"id": str(uuid.uuid4()), "type": "ticket", "seq": seq, "at": timeutil.rfc3339(at), "clock_synced": True,
            "data": {"number": number, "service": number[0], "people_ahead": 0, "lang": "zh-TW"}}


def upload(post, token, events):
    """The kiosk's upload (POST /api/v1/events with its bearer token)."""
    return post("/api/v1/events", json={"kiosk_id": KIOSK, "events": events},
                headers={"Authorization": f"Bearer {token}"})


# -- Flask test client -----------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        yield database


@pytest.fixture
def app(db):
    staff.add_user(db, "chen", PASSWORD)
    return create_app(db)


@pytest.fixture
def token(db):
    return db.add_kiosk(KIOSK)


def sign_in(client):
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"csrf": csrf, "name": "chen", "password": PASSWORD}).status_code == 302
    return client


def test_counter_and_display_need_a_sign_in(app):
    client = app.test_client()
    for path in ("/counter", "/display"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login?next=" + path in answer.headers["Location"]
    sign_in(client)
    counter = client.get("/counter").get_data(as_text=True)
    assert "叫下一號" in counter and "<kbd>N</kbd>" in counter and "/api/v1/calls/next" in counter
    display = client.get("/display").get_data(as_text=True)
    assert "EventSource" in display and "speechSynthesis" in display and "AudioContext" in display
    for page in (counter, display):
        assert "http://" not in page and "https://" not in page  # nothing from the Internet (no CDN)


def test_the_counter_page_offers_the_services_with_tickets(app, db, token):
    client = app.test_client()
    assert len(upload(client.post, token, [ticket_event("C001", 5, 1), ticket_event("P001", 4, 2)]).get_json()
               ["accepted"]) == 2
    page = sign_in(client).get("/counter").get_data(as_text=True)
    assert 'value="C"' in page and 'value="P"' not in page  # P is eligible at every counter, not chosen


def test_the_live_queue_page_is_public_and_says_nothing_personal(app, db, token):
    client = app.test_client()
    upload(client.post, token, [ticket_event("A001", 5, 1), ticket_event("A002", 4, 2)])
    day = timeutil.office_day(timeutil.now()).isoformat()
    answer = client.get(f"/q/{day}/A002")                       # no sign-in
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    assert "A002" in page and "1 人" in page and "等候中" in page and "暫無估計" in page
    assert KIOSK not in page and "kiosk" not in page.lower() and "\"lang\"" not in page
    assert "/api/v1/queue/" in page and "http://" not in page and "https://" not in page
    # Called: the page says which counter; the number now serving in its service is shown to A002.
    call = calls.call_next(db, 3, ["A"])
    assert call["number"] == "A001"
    assert "A001（3 號櫃檯）" in client.get(f"/q/{day}/A002").get_data(as_text=True)
    assert "請到 3 號櫃檯" in client.get(f"/q/{day}/A001").get_data(as_text=True)
    assert "0 人" in client.get(f"/q/{day}/a002").get_data(as_text=True)     # lower case is the same ticket
    # What the page shows is what the public API answers.
    api = client.get(f"/api/v1/queue/{day}/A002").get_json()
    assert api["ahead"] == 0 and api["now_serving"] == [{"number": "A001", "counter": 3}]
    assert client.get(f"/q/{day}/A999").status_code == 404
    assert client.get("/q/yesterday/A001").status_code == 404
    assert client.get(f"/q/{day}/<script>").status_code == 404


# -- a real browser ----------------------------------------------------------------------------------

@pytest.fixture
def office(tmp_path):
    with running_office(tmp_path / "office.db", KIOSK, "clerk", PASSWORD) as (url, token):
        answer = upload(lambda path, **kw: requests.post(url + path, timeout=10, **kw), token,
                        [ticket_event("A001", 5, 1), ticket_event("A002", 4, 2)]).json()
        assert len(answer["accepted"]) == 2
        yield url


@pytest.fixture
def browser():
    # three windows side by side: none may be throttled as a background tab; the display plays sound unasked
    with chromium("--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                  "--disable-backgrounding-occluded-windows", "--autoplay-policy=no-user-gesture-required",
                  window_size="1024,768", browser_log=True) as driver:
        yield driver


def script_errors(browser):
    """JavaScript errors logged by the current window (a missing favicon is not one)."""
    return [e["message"] for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]


def wait_for(browser, condition, timeout=10):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda _: condition())


@needs_chromium
def test_a_clerk_calls_a001_and_the_display_and_the_live_page_show_it(office, browser):
    from selenium.webdriver.common.by import By

    day = timeutil.office_day(timeutil.now()).isoformat()
    browser.get(office + "/counter")
    assert "/login" in browser.current_url
    browser.find_element(By.NAME, "name").send_keys("clerk")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
    wait_for(browser, lambda: browser.current_url.endswith("/counter"))
    counter_window = browser.current_window_handle

    counter = browser.find_element(By.ID, "counter")
    counter.clear()
    counter.send_keys("3")
    browser.find_element(By.CSS_SELECTOR, 'input[name=svc][value="A"]').click()
    assert "A" in browser.execute_script("return localStorage.getItem('office.counter')")
    next_button = browser.find_element(By.ID, "b-next")
    wait_for(browser, next_button.is_enabled)
    assert "N" in next_button.text
    wait_for(browser, lambda: "2" in browser.find_element(By.ID, "waiting").text)  # A: 2 waiting

    # The lobby display, in a second window, on the live stream.
    browser.switch_to.new_window("window")
    display_window = browser.current_window_handle
    browser.get(office + "/display")
    wait_for(browser, lambda: "live" in browser.find_element(By.ID, "link").text)

    # The resident holding A002, on a third window: one person ahead.
    browser.switch_to.new_window("window")
    live_window = browser.current_window_handle
    browser.get(office + f"/q/{day}/A002?every=2")
    assert browser.find_element(By.ID, "ahead").text == "1 人"
    assert browser.find_element(By.ID, "serving").text == "—"

    browser.switch_to.window(counter_window)
    clicked = time.time() * 1000
    browser.find_element(By.ID, "b-next").click()
    wait_for(browser, lambda: browser.find_element(By.ID, "current").text == "A001")

    browser.switch_to.window(display_window)
    shown = wait_for(browser, lambda: browser.execute_script(
        "return (window.displayLog || []).filter(function (e) { return e.number === 'A001' && e.counter === 3; })[0]"))
    card = browser.find_element(By.CSS_SELECTOR, '#counters .counter[data-counter="3"] .number')
    assert card.text == "A001"
    assert "A001" in browser.find_element(By.ID, "last").text
    print(f"\ncall → display latency: {shown['at'] - clicked:.0f} ms (click in the counter page → shown)")

    browser.switch_to.window(live_window)
    wait_for(browser, lambda: browser.find_element(By.ID, "ahead").text == "0 人", timeout=15)
    assert browser.find_element(By.ID, "serving").text == "A001（3 號櫃檯）"
    browser.find_element(By.ID, "lang-toggle").click()
    assert browser.find_element(By.ID, "ahead").text == "0"
    assert "counter 3" in browser.find_element(By.ID, "serving").text

    # Keyboard: D finishes A001 at the counter; the display shows counter 3 idle.
    browser.switch_to.window(counter_window)
    browser.find_element(By.TAG_NAME, "body").send_keys("d")
    wait_for(browser, lambda: browser.find_element(By.ID, "current").text == "—")
    browser.switch_to.window(display_window)
    wait_for(browser, lambda: browser.find_element(
        By.CSS_SELECTOR, '#counters .counter[data-counter="3"] .number').text == "—")
    for window in (counter_window, display_window, live_window):
        browser.switch_to.window(window)
        assert script_errors(browser) == []
