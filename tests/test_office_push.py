"""Told when the turn nears (issue 21, item 4): the live page's 提醒我 (office/push.py, office/push_pages.py).

The push services are on the Internet; a stand-in on 127.0.0.1 (tests/push_service.py) takes their place and
checks what they would: the VAPID signature by the office's key.  The messages are decrypted with the
subscriber's own keys, as the phone does.  In Chromium: the page subscribes, the office sends the call, and the
page's service worker shows it.  On SQLite, and PostgreSQL with OFFICE_TEST_DATABASE_URL.
"""

import json
import time
import uuid
from datetime import datetime, timedelta

import pytest

from protocol import officetime
from office import calls, push
from office.app import create_app
from office.db import Database
from office.schema import PUSH_SUBSCRIPTIONS
from office_backends import BACKENDS, database_url
from office_browser import chromium, needs_chromium, running_office
from office_sign_in import signed_in_session
from push_service import Browser, PushService, vapid_ok

DAY = "2026-12-08"
TEN = datetime(2026, 12, 8, 10, 0, tzinfo=officetime.TAIPEI)


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    officetime.pin(TEN)
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        yield database
    officetime.pin(None)


@pytest.fixture
def service(monkeypatch):
    made = PushService()
    monkeypatch.setenv(push.ENDPOINTS_ENV, made.url + "/")
    yield made
    made.close()


@pytest.fixture
def office(db):
    client = create_app(db).test_client()
    token = db.add_kiosk("ERLIN-01")
    seq = iter(range(1, 1000))

    def ticket(number):
        event = {"id": str(uuid.uuid4()), "type": "ticket", "seq": next(seq), "at": officetime.rfc3339(officetime.now()),
                 "clock_synced": True, "data": {"number": number, "service": number[0], "lang": "zh-TW"}}
        answer = client.post("/api/v1/events", json={"kiosk_id": "ERLIN-01", "events": [event]},
                             headers={"Authorization": f"Bearer {token}"})
        assert answer.get_json()["accepted"] == [event["id"]]
    return client, ticket


def subscribe(client, browser, number, lang="zh-TW", near=2):
    return client.post(f"/q/{DAY}/{number}/push", json={"subscription": browser.subscription(), "lang": lang,
                                                          "near": near})


def rows(db):
    return db.read(lambda c: c.execute(PUSH_SUBSCRIPTIONS.select()).mappings().all())


# -- what is kept ------------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", ["https://evil.example.com/push", "http://fcm.googleapis.com/fcm/send/x",
                                      "https://fcm.googleapis.com:8443/x", "file:///etc/passwd", "http://127.0.0.1:9/x"])
def test_an_endpoint_that_is_not_a_push_services_is_refused(db, office, endpoint):
    client, ticket = office
    ticket("A001")
    browser = Browser(endpoint)
    answer = subscribe(client, browser, "A001")
    assert answer.status_code == 400 and "push service" in answer.get_json()["error"]
    assert rows(db) == []


def test_the_push_services_own_hosts_are_taken(db):
    for endpoint in ("https://fcm.googleapis.com/fcm/send/abc", "https://web.push.apple.com/QGx",
                     "https://updates.push.services.mozilla.com/wpush/v2/gAAA", "https://wns2-by3p.notify.windows.com/w/"):
        assert push.check_subscription(Browser(endpoint).subscription())["endpoint"] == endpoint


def test_keys_that_are_not_a_browsers_are_refused(db):
    good = Browser("https://fcm.googleapis.com/fcm/send/abc").subscription()
    for keys in ({"p256dh": "abc", "auth": good["keys"]["auth"]}, {"p256dh": good["keys"]["p256dh"], "auth": "!!"},
                 {}):
        with pytest.raises(push.PushError):
            push.check_subscription({"endpoint": good["endpoint"], "keys": keys})


def test_only_a_waiting_ticket_takes_reminders_and_at_most_five_browsers(db, office, service):
    client, ticket = office
    assert subscribe(client, Browser(service.url + "/a"), "A001").status_code == 404  # not taken
    ticket("A001")
    for n in range(5):
        assert subscribe(client, Browser(f"{service.url}/{n}"), "A001").status_code == 201
    assert subscribe(client, Browser(service.url + "/sixth"), "A001").status_code == 429
    assert subscribe(client, Browser(service.url + "/0"), "A001", lang="vi").status_code == 201  # the same one again
    assert len(rows(db)) == 5
    calls.call_next(db, 1, ["A"], officetime.now())
    assert subscribe(client, Browser(service.url + "/late"), "A001").status_code == 404  # called already


def test_one_key_pair_is_made_and_kept_and_only_its_public_half_is_served(db, office, tmp_path):
    client, _ = office
    answer = client.get("/q/push-key")
    key = answer.get_json()["key"]
    assert len(push.extra_endpoints({})) == 0 and len(key) == 87  # 65 bytes, base64url: an uncompressed P-256 point
    assert push.application_key(db) == key == client.get("/q/push-key").get_json()["key"]
    assert b"PRIVATE" not in answer.data


# -- what is sent --------------------------------------------------------------------------------------

def test_near_and_called_are_each_sent_once_signed_and_readable_by_the_phone_alone(db, office, service):
    client, ticket = office
    for minute, number in enumerate(("A001", "A002", "A003", "A004")):
        officetime.pin(TEN + timedelta(minutes=minute))
        ticket(number)
    phone = Browser(service.url + "/phone-1")
    assert subscribe(client, phone, "A004", near=2).status_code == 201
    assert push.notify_once(db) == []  # three ahead
    calls.call_next(db, 1, ["A"], officetime.now())  # A001: two ahead now
    assert push.notify_once(db) == [("A004", "near")]
    assert push.notify_once(db) == []  # once
    message = phone.read(service.received[-1][2])
    assert (message["title"], message["body"]) == ("快輪到您了", "號碼 A004，前面還有 2 人")
    assert message["url"] == f"/q/{DAY}/A004?lang=zh-TW"
    headers = service.received[-1][1]
    assert vapid_ok(headers["authorization"], service.url, push.application_key(db))
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    with pytest.raises(Exception):  # another browser's keys cannot read it
        Browser(service.url + "/other").read(service.received[-1][2])
    for _ in range(3):
        calls.call_next(db, 3, ["A"], officetime.now())
    assert push.notify_once(db) == [("A004", "called")]
    called = phone.read(service.received[-1][2])
    assert (called["title"], called["body"], called["counter"]) == ("輪到您了", "A004 號請至 3 號櫃檯", 3)
    assert rows(db) == [] and push.notify_once(db) == []  # nothing kept once called


def test_a_browser_gone_is_forgotten_and_a_service_down_is_tried_again(db, office, service):
    client, ticket = office
    ticket("A001")
    subscribe(client, Browser(service.url + "/gone"), "A001", lang="vi")
    service.answer = 500
    assert push.notify_once(db) == [] and rows(db)[0]["failures"] == 1  # near (0 ahead), not taken: again later
    service.answer = 410
    assert push.notify_once(db) == [] and rows(db) == []


def test_yesterdays_reminders_are_dropped(db, office, service):
    client, ticket = office
    ticket("A001")
    subscribe(client, Browser(service.url + "/x"), "A001", near=1)
    push.notify_once(db, TEN + timedelta(days=1))
    assert rows(db) == []


# -- in Chromium: the page subscribes, the office sends the call, the service worker shows it ------------

FAKE_SUBSCRIBE = """
// Chromium's own push service is Google's, out of reach here: subscribe() answers what it would, for the
// stand-in's address and the test's keys.  The page, its service worker and the office are the real ones.
PushManager.prototype.subscribe = function (options) {
  window.__applicationServerKey = options && options.applicationServerKey;
  var json = %s;
  return Promise.resolve({endpoint: json.endpoint, toJSON: function () { return json; },
                          unsubscribe: function () { return Promise.resolve(true); }});
};
"""


@needs_chromium
def test_in_chromium_the_page_subscribes_and_its_service_worker_shows_the_call(tmp_path, office_clock, service):
    import requests
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    phone = Browser(service.url + "/chromium")
    with running_office(tmp_path / "office.db", "ERLIN-01", "clerk", "correct horse 1", clock=office_clock) as (
            url, token), Database(f"sqlite:///{tmp_path / 'office.db'}") as db, chromium() as driver:
        day = office_clock.day().isoformat()
        for seq, number in enumerate(("A001", "A002"), start=1):
            event = {"id": str(uuid.uuid4()), "type": "ticket", "seq": seq, "clock_synced": True,
                     "at": officetime.rfc3339(office_clock() - timedelta(minutes=10 - seq)),
                     "data": {"number": number, "service": "A", "lang": "zh-TW"}}
            requests.post(f"{url}/api/v1/events", json={"kiosk_id": "ERLIN-01", "events": [event]},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10).raise_for_status()
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                               {"source": FAKE_SUBSCRIBE % json.dumps(phone.subscription())})
        driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": url, "permissions": ["notifications"]})
        driver.get(f"{url}/q/{day}/A002?lang=zh-TW")
        driver.find_element(By.ID, "notify").click()
        WebDriverWait(driver, 15).until(lambda d: "已開啟提醒" in d.find_element(By.ID, "notify-state").text)
        assert not driver.find_element(By.ID, "notify-stop").get_attribute("hidden")
        key = driver.execute_script("return Array.from(window.__applicationServerKey || [])")
        assert bytes(key) == push._unb64(push.application_key(db))  # the office's own key, as the page sent it
        assert service.wait(1)  # one ahead, three or fewer: "near" comes at once
        assert phone.read(service.received[0][2])["kind"] == "near"
        clerk = signed_in_session(url, "clerk", "correct horse 1")
        for counter in (1, 2):  # A001 at counter 1, then ours, A002, at counter 2, as a clerk presses 叫下一號
            called = clerk.post(f"{url}/api/v1/calls/next", json={"counter": counter, "services": ["A"]}, timeout=10)
            called_at = time.monotonic()
        assert called.json()["number"] == "A002"
        assert service.wait(2), "the call was not sent"
        message = phone.read(service.received[1][2])
        assert (message["kind"], message["counter"], message["body"]) == ("called", 2, "A002 號請至 2 號櫃檯")
        waited = service.times[1] - called_at
        # What Chromium's push service would hand the browser: the message, into the page's service worker.
        # What Chromium's push service would hand the browser: the message, into the page's service worker.  Its
        # registration's id is Chromium's own count (0 in this fresh profile); DevTools refuses any other.
        driver.execute_cdp_cmd("ServiceWorker.enable", {})
        refused = []
        for registration in ("0", "1", "2"):
            try:
                driver.execute_cdp_cmd("ServiceWorker.deliverPushMessage", {
                    "origin": url, "registrationId": registration, "data": json.dumps(message)})
                break
            except Exception as exc:  # selenium's WebDriverException: not this id
                refused.append(str(exc)[:120])
        assert len(refused) < 3, refused
        shown = driver.execute_async_script("""
            var done = arguments[arguments.length - 1];
            navigator.serviceWorker.ready.then(function (r) {
              var tries = 0;
              (function look() {
                r.getNotifications().then(function (ns) {
                  if (ns.length || ++tries > 50) done(ns.map(function (n) { return [n.title, n.body, n.tag]; }));
                  else setTimeout(look, 100);
                });
              })();
            });""")
        assert shown == [["輪到您了", "A002 號請至 2 號櫃檯", "A002"]], shown
        print(f"call to push sent: {waited * 1000:.0f} ms")  # the notifier wakes at the call (no wall-clock assert)
