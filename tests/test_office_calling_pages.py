"""The number-calling pages (office/calling_pages.py): /counter, /display and the public /q/<day>/<number>.

Flask test-client tests always run; the browser tests need Debian's chromium and chromium-driver (as
tests/test_office_browser.py) and are skipped without them.  The display token's rules: tests/test_office_displays.py.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from fake_office import free_port
from office_browser import chromium, needs_chromium, running_office
import office_sign_in
from protocol import officetime
from office import calls, staff
from office.app import create_app
from office.db import Database

KIOSK = "ERLIN-01"
PASSWORD = "correct horse battery"


def ticket_event(number, minutes_ago, seq, clock):
    """A ticket taken ``minutes_ago`` by the test's office clock (the server's: the same office day at any hour)."""
    at = clock() - timedelta(minutes=minutes_ago)
    return {"id": str(uuid.uuid4()), "type": "ticket", "seq": seq, "at": officetime.rfc3339(at), "clock_synced": True,
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
def app(db, office_clock):
    staff.add_user(db, "chen", PASSWORD)
    return create_app(db, clock=office_clock)


@pytest.fixture
def token(db):
    return db.add_kiosk(KIOSK)


def sign_in(client):
    return office_sign_in.sign_in(client, "chen", PASSWORD)


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


def test_the_counter_page_offers_the_services_with_tickets(app, db, token, office_clock):
    client = app.test_client()
    tickets = [ticket_event("C001", 5, 1, office_clock), ticket_event("P001", 4, 2, office_clock)]
    assert len(upload(client.post, token, tickets).get_json()
               ["accepted"]) == 2
    page = sign_in(client).get("/counter").get_data(as_text=True)
    assert 'value="C"' in page and 'value="P"' not in page  # P is eligible at every counter, not chosen


def test_the_live_queue_page_is_public_and_says_nothing_personal(app, db, token, office_clock):
    client = app.test_client()
    upload(client.post, token, [ticket_event("A001", 5, 1, office_clock), ticket_event("A002", 4, 2, office_clock)])
    day = office_clock.day().isoformat()
    answer = client.get(f"/q/{day}/A002")                       # no sign-in
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    assert "A002" in page and "1 人" in page and "等候中" in page and "暫無估計" in page
    assert KIOSK not in page and "kiosk" not in page.lower() and "\"lang\"" not in page
    assert "/api/v1/queue/" in page and "http://" not in page and "https://" not in page
    # Called: the page says which counter; the number now serving in its service is shown to A002.
    call = calls.call_next(db, 3, ["A"], now=office_clock())
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


def test_a_ticket_of_an_earlier_day_shows_as_expired_with_its_date(db, token):
    """Three days ago a resident took A001 and left: its QR still opens a page, which must not say 等候中."""
    noon = datetime(2026, 12, 8, 12, 0, tzinfo=officetime.TAIPEI)  # the server's clock: the same at any hour
    client = create_app(db, clock=lambda: noon).test_client()

    def taken(number, at, seq):
        return dict(ticket_event(number, 0, seq, lambda: noon), at=officetime.rfc3339(at))
    old = taken("A001", noon - timedelta(days=3), 1)
    assert upload(client.post, token, [old]).get_json()["accepted"] == [old["id"]]
    api = client.get("/api/v1/queue/2026-12-05/A001").get_json()
    assert api["state"] == "expired" and api["ahead"] is None and api["estimate_minutes"] is None
    page = client.get("/q/2026-12-05/A001").get_data(as_text=True)
    assert "已過期" in page and "等候中" not in page.split("<script>")[0]
    assert "民國115年12月5日" in page                                   # its date, in the page's language
    english = client.get("/q/2026-12-05/A001?lang=en").get_data(as_text=True)
    assert "5 Dec 2026 (ROC 115)" in english and "Expired" in english
    # Today's ticket of the same number is not expired; a day before the ROC calendar is no page at all.
    upload(client.post, token, [taken("A001", noon - timedelta(minutes=1), 2)])
    assert client.get("/api/v1/queue/2026-12-08/A001").get_json()["state"] == "waiting"
    assert client.get("/q/1900-01-01/A001").status_code == 404


# -- a real browser ----------------------------------------------------------------------------------

@pytest.fixture
def office(tmp_path, office_clock):
    with running_office(tmp_path / "office.db", KIOSK, "clerk", PASSWORD, clock=office_clock) as (url, token):
        answer = upload(lambda path, **kw: requests.post(url + path, timeout=10, **kw), token,
                        [ticket_event("A001", 5, 1, office_clock), ticket_event("A002", 4, 2, office_clock)]).json()
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
def test_a_clerk_calls_a001_and_the_display_and_the_live_page_show_it(office, browser, office_clock):
    from selenium.webdriver.common.by import By

    day = office_clock.day().isoformat()
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
    browser.get(office + f"/q/{day}/A002?lang=zh-TW&every=2")  # as the kiosk's QR: the ticket's language
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
    browser.find_element(By.LINK_TEXT, "English").click()       # the page again, in English, still live
    wait_for(browser, lambda: browser.find_element(By.ID, "ahead").text == "0 people")
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


# -- the lobby display with a display token, losing its connection; two clerks at once; no-show and requeue ----

def display_token(db_path):
    """``kiosk-office display add lobby``: (the path to open, the token)."""
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_OFFICE_DB"}
    out = subprocess.run([sys.executable, "-m", "office", "display", "add", "lobby", "--db", f"sqlite:///{db_path}"],
                         env=env, capture_output=True, text=True, timeout=60, check=True).stdout.split()
    return out[0], out[1]


def staff_session(url, user="clerk"):
    """A requests session signed in as the staff user running_office made."""
    return office_sign_in.signed_in_session(url, user, PASSWORD)


def call_next(session, url, counter, services=("A",)):
    answer = session.post(url + "/api/v1/calls/next", json={"counter": counter, "services": list(services)},
                          timeout=30)
    assert answer.status_code in (200, 204), answer.text
    return answer.json() if answer.status_code == 200 else None


def sign_in_browser(browser, url, path):
    from selenium.webdriver.common.by import By
    browser.get(url + path)
    browser.find_element(By.NAME, "name").send_keys("clerk")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
    wait_for(browser, lambda: browser.current_url.endswith(path))


def set_up_counter(browser, number, service="A"):
    from selenium.webdriver.common.by import By
    counter = browser.find_element(By.ID, "counter")
    counter.clear()
    counter.send_keys(str(number))
    browser.find_element(By.CSS_SELECTOR, f'input[name=svc][value="{service}"]').click()
    wait_for(browser, browser.find_element(By.ID, "b-next").is_enabled)


@pytest.fixture
def second_browser():
    """Another Chromium: its own cookies, so a page there is signed in only if it signs in itself."""
    with chromium("--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                  "--autoplay-policy=no-user-gesture-required", window_size="1024,768", browser_log=True) as driver:
        yield driver


@needs_chromium
def test_the_display_with_a_token_and_no_sign_in_shows_a_call_within_a_second(office, tmp_path, browser,
                                                                                second_browser):
    from selenium.webdriver.common.by import By

    path, token = display_token(tmp_path / "office.db")
    second_browser.get(office + path)                            # the lobby TV: nobody signs in
    wait_for(second_browser, lambda: "live" in second_browser.find_element(By.ID, "link").text)
    assert "/login" not in second_browser.current_url
    assert not second_browser.get_cookies()                      # no staff session on the TV

    sign_in_browser(browser, office, "/counter")                 # the clerk, in another browser
    set_up_counter(browser, 2)
    clicked = time.time() * 1000
    browser.find_element(By.ID, "b-next").click()
    wait_for(browser, lambda: browser.find_element(By.ID, "current").text == "A001")
    shown = wait_for(second_browser, lambda: second_browser.execute_script(
        "return (window.displayLog || []).filter(function (e) { return e.number === 'A001'; })[0]"), timeout=5)
    print(f"\ncall → token display latency: {shown['at'] - clicked:.0f} ms")
    assert shown["at"] - clicked < 1000 and shown["counter"] == 2 and not shown["quiet"]
    assert card(second_browser, 2) == "A001"
    assert script_errors(second_browser) == []


def _serve(db_path, port, clock):
    """``kiosk-office serve`` on ``port``, on the test's office clock; returns the process once /healthz answers."""
    env = clock.env({k: v for k, v in os.environ.items() if k != "KIOSK_OFFICE_DB"})
    server = subprocess.Popen(clock.command("-m", "office", "serve", "--db", f"sqlite:///{db_path}",
                                            "--port", str(port)), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except requests.RequestException:
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)


def card(browser, counter):
    """The number a display shows at ``counter`` (read in one script: the display redraws its cards)."""
    return browser.execute_script(
        "var e = document.querySelector('#counters .counter[data-counter=\"' + arguments[0] + '\"] .number');"
        "return e ? e.textContent : null;", counter)


def last_calls(browser):
    return browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#last li .num'), function (e) {"
        " return e.textContent; });")


def _kill(server):
    os.killpg(server.pid, signal.SIGKILL)      # a crash, not a clean stop
    server.wait(20)


@needs_chromium
def test_the_display_catches_up_after_the_server_restarts(tmp_path, browser, office_clock):
    from selenium.webdriver.common.by import By

    db_path = tmp_path / "office.db"
    with running_office(db_path, KIOSK, "clerk", PASSWORD, clock=office_clock) as (first_url, token):
        answer = requests.post(first_url + "/api/v1/events", timeout=10, headers={"Authorization": f"Bearer {token}"},
                               json={"kiosk_id": KIOSK, "events": [ticket_event(f"A00{n}", 10 - n, n, office_clock)
                                                                   for n in range(1, 7)]}).json()
        assert len(answer["accepted"]) == 6
    path, _ = display_token(db_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = _serve(db_path, port, office_clock)
    try:
        browser.get(url + path)
        wait_for(browser, lambda: "live" in browser.find_element(By.ID, "link").text)
        notice = browser.find_element(By.ID, "offline")
        assert not notice.is_displayed()
        call_next(staff_session(url), url, 1)                     # A001 at counter 1, live
        wait_for(browser, lambda: "A001" in last_calls(browser))

        _kill(server)
        wait_for(browser, notice.is_displayed, timeout=10)
        assert "連線中斷，重新連線中…" in notice.text
        server = _serve(db_path, port, office_clock)              # the same port and database
        clerk = staff_session(url)
        call_next(clerk, url, 2)                                  # A002 at counter 2
        call_next(clerk, url, 3)                                  # A003 at counter 3: the newest
        wait_for(browser, lambda: not notice.is_displayed(), timeout=15)
        wait_for(browser, lambda: card(browser, 3) == "A003", timeout=10)
        wait_for(browser, lambda: card(browser, 2) == "A002")
        assert last_calls(browser)[:3] == ["A003", "A002", "A001"]
        changes = [e["offline"] for e in browser.execute_script("return window.displayLinkLog")]
        assert changes[:2] == [True, False], changes

        # Down while two numbers are called (another server process on the database): on its return the display
        # shows both and speaks only the newest.
        spoken_before = len(browser.execute_script("return window.displaySpoken"))
        _kill(server)
        wait_for(browser, notice.is_displayed, timeout=10)
        with Database(f"sqlite:///{db_path}") as db:
            calls.call_next(db, 4, ["A"], now=office_clock())      # A004
            calls.call_next(db, 5, ["A"], now=office_clock())      # A005: the newest
        server = _serve(db_path, port, office_clock)
        wait_for(browser, lambda: card(browser, 5) == "A005", timeout=15)
        assert card(browser, 4) == "A004"
        wait_for(browser, lambda: not notice.is_displayed())
        assert last_calls(browser)[:5] == ["A005", "A004", "A003", "A002", "A001"]
        time.sleep(1.0)                                            # a late announcement would show up by now
        spoken = [e["number"] for e in browser.execute_script("return window.displaySpoken")[spoken_before:]]
        assert spoken == ["A005"], spoken
    finally:
        _kill(server)


def test_two_clerks_calling_at_once_over_http_never_get_the_same_number(tmp_path, office_clock):
    """The domain test (tests/test_office_calls.py) with two Database objects, here through a real server.

    Its tickets were taken over the last 40 minutes: on the machine's clock, run at 00:20 in Taipei, they
    fell on the day before the server's, and nothing was called (issue 17); on the office clock, never."""
    with running_office(tmp_path / "office.db", KIOSK, "clerk", PASSWORD, clock=office_clock) as (url, token):
        events = [ticket_event(f"{'P' if n % 5 == 0 else 'A'}{n:03d}", 40 - n * 0.5, n, office_clock)
                  for n in range(1, 31)]
        answer = requests.post(url + "/api/v1/events", json={"kiosk_id": KIOSK, "events": events},
                               headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        assert len(answer["accepted"]) == 30
        clerks = {1: staff_session(url), 2: staff_session(url)}   # two sessions, two counters
        got, errors = {1: [], 2: []}, []
        barrier = threading.Barrier(2)

        def clerk(counter):
            try:
                barrier.wait(10)
                while True:
                    call = call_next(clerks[counter], url, counter)
                    if call is None:
                        return
                    got[counter].append(call["number"])
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=clerk, args=(c,)) for c in clerks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors
        everything = got[1] + got[2]
        assert len(everything) == len(set(everything)) == 30
        assert got[1] and got[2]                                   # both really called


@needs_chromium
def test_the_counter_page_requeues_a_no_show(office, browser):
    from selenium.webdriver.common.by import By

    sign_in_browser(browser, office, "/counter")
    set_up_counter(browser, 3)
    next_button = browser.find_element(By.ID, "b-next")
    next_button.click()
    wait_for(browser, lambda: browser.find_element(By.ID, "current").text == "A001")
    assert not browser.find_element(By.ID, "noshow-box").is_displayed()
    for recalls in (1, 2):                                        # 過號 recalls twice (max_recalls 2) ...
        browser.find_element(By.ID, "b-noshow").click()
        wait_for(browser, lambda: f"第 {recalls} 次" in browser.find_element(By.ID, "message").text)
    browser.find_element(By.ID, "b-noshow").click()               # ... then skips it
    wait_for(browser, lambda: browser.find_element(By.ID, "current").text == "—")
    wait_for(browser, lambda: browser.find_element(By.ID, "noshow-box").is_displayed())
    [row] = browser.find_elements(By.CSS_SELECTOR, "#noshows li")
    assert "A001" in row.text and "3 號櫃檯" in row.text
    button = row.find_element(By.CSS_SELECTOR, "button.requeue")
    assert button.text == "重新排入"
    assert button.size["height"] >= 45 and button.size["width"] >= 45   # 12 mm at 96 px per inch
    button.click()
    wait_for(browser, lambda: "已重新排入" in browser.find_element(By.ID, "message").text)
    wait_for(browser, lambda: not browser.find_element(By.ID, "noshow-box").is_displayed())
    wait_for(browser, next_button.is_enabled)
    next_button.click()                                           # A001 was printed first: called again
    wait_for(browser, lambda: browser.find_element(By.ID, "current").text == "A001")
    assert script_errors(browser) == []


@needs_chromium
def test_the_counter_page_shows_its_own_negative_ratings_until_a_clerk_sees_to_them(tmp_path, browser, office_clock):
    """A frown pressed at counter 3's button box shows on counter 3's page (not counter 5's press), red and in
    words, until 已處理; then it is gone, and the dashboard says who saw to it."""
    from selenium.webdriver.common.by import By

    def frown(location, seq):
        return {"id": str(uuid.uuid4()), "type": "rating", "seq": seq, "clock_synced": True,
                "at": officetime.rfc3339(office_clock() - timedelta(minutes=2)),
                "data": {"score": 1, "scale": 3, "choice": "frown", "source": "button", "location": location}}

    with running_office(tmp_path / "office.db", KIOSK, "clerk", PASSWORD, clock=office_clock) as (url, token):
        post = lambda path, **kw: requests.post(url + path, timeout=10, **kw)  # noqa: E731
        upload(post, token, [ticket_event("A001", 5, 1, office_clock)])
        sign_in_browser(browser, url, "/counter")
        set_up_counter(browser, 3)
        assert not browser.find_element(By.ID, "alert-box").is_displayed()
        assert len(upload(post, token, [frown("3", 2), frown("5", 3)]).json()["accepted"]) == 2
        wait_for(browser, lambda: browser.find_element(By.ID, "alert-box").is_displayed())  # within a refresh (5 s)
        [row] = browser.find_elements(By.CSS_SELECTOR, "#alerts li")
        assert "民眾按下「不滿意」" in row.text
        button = row.find_element(By.TAG_NAME, "button")
        assert button.text == "已處理" and button.size["height"] >= 45  # 12 mm at 96 px per inch
        browser.save_screenshot(str(tmp_path / "counter-alert.png"))
        button.click()
        wait_for(browser, lambda: not browser.find_element(By.ID, "alert-box").is_displayed())
        browser.get(url + "/")
        dashboard = browser.find_element(By.ID, "alerts").text
        assert "5 號櫃檯" in dashboard and "由 clerk 於" in dashboard  # counter 5's still open; 3's seen to
        browser.save_screenshot(str(tmp_path / "dashboard-alert.png"))
        assert script_errors(browser) == []
