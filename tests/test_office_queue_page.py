"""The residents' live queue page /q/<day>/<number> (issue 16, item 3): what a resident reads on their phone.

The office, the service by name, the ticket's date (民國) and number; the language of ?lang= (the kiosk puts the
ticket's in the QR) or of the browser, with links to switch; a styled 404 in the resident's language for any
address that names no ticket.  The server's clock is fixed (the office day is Asia/Taipei), so the tests read the
same at any hour.  The browser check at a phone's size needs Debian's chromium (skipped without it).
"""

import re
import uuid
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
import requests

from protocol import officetime
from office import calls
from office.app import create_app
from office.db import Database
from office_browser import chromium, needs_chromium, running_office

KIOSK = "ERLIN-01"
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=officetime.TAIPEI)
JUST_AFTER_MIDNIGHT = datetime(2026, 12, 8, 0, 0, 30, tzinfo=officetime.TAIPEI)  # 16:00:30 UTC the day before


def kiosk_ticket(number, at, seq, *, service_name="", lang="zh-TW"):
    """A ticket event as kiosk/tickets.py records it (the service's name as the kiosk shows it)."""
    data = {"number": number, "issued": int(number[1:]), "service": number[0], "people_ahead": 0, "lang": lang,
            "kiosk_id": KIOSK}
    if service_name:
        data["service_name"] = service_name
    return {"id": str(uuid.uuid4()), "type": "ticket", "seq": seq, "at": officetime.rfc3339(at), "clock_synced": True,
            "data": data}


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        yield database


@pytest.fixture
def office(db):
    """(test client of an office server whose clock says NOON on 2026-12-08, a kiosk's upload)."""
    token = db.add_kiosk(KIOSK)
    client = create_app(db, clock=lambda: NOON).test_client()

    def upload(*events):
        answer = client.post("/api/v1/events", json={"kiosk_id": KIOSK, "events": list(events)},
                             headers={"Authorization": f"Bearer {token}"}).get_json()
        assert len(answer["accepted"]) == len(events), answer
    return client, upload


class Page(HTMLParser):
    """What a resident sees: the text of the body outside scripts, <html lang>, the links, the title."""

    def __init__(self, html):
        super().__init__()
        self.lang, self.links, self.parts, self._skip, self._link, self._title = None, [], [], 0, None, False
        self.title = ""
        self.feed(html)
        self.text = " ".join(" ".join(self.parts).split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag in ("script", "style", "title"):
            self._skip += 1
            self._title = tag == "title"
        elif tag == "a":
            self._link = [attrs.get("href"), ""]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._skip -= 1
            self._title = False
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[1].strip(), self._link[0]))
            self._link = None

    def handle_data(self, data):
        if self._title:
            self.title += data
        if not self._skip:
            self.parts.append(data)
            if self._link is not None:
                self._link[1] += data


def page(client, path, **headers):
    answer = client.get(path, headers=headers)
    return answer, Page(answer.get_data(as_text=True))


def test_the_page_names_the_office_the_service_the_date_and_the_number(office, db):
    client, upload = office
    upload(kiosk_ticket("C001", NOON - timedelta(minutes=9), 1, service_name="謄本、印鑑證明"),
           kiosk_ticket("C002", NOON - timedelta(minutes=5), 2, service_name="謄本、印鑑證明"))
    answer, shown = page(client, "/q/2026-12-08/C002")
    assert answer.status_code == 200 and shown.lang == "zh-Hant-TW"
    assert "戶政事務所" in shown.text                       # no name set yet: a neutral heading, no placeholder
    for told in ("C002", "謄本、印鑑證明", "民國115年12月8日", "等候中", "前面還有 1 人"):
        assert told in shown.text, told
    db.set_office_name("彰化縣二林戶政事務所")
    answer, shown = page(client, "/q/2026-12-08/C002")
    assert shown.text.startswith("彰化縣二林戶政事務所 叫號進度")
    assert shown.title == "C002 叫號進度 · 彰化縣二林戶政事務所"


def test_lang_en_is_the_english_page_and_the_switch_keeps_the_ticket(office, db):
    client, upload = office
    db.set_office_name("彰化縣二林戶政事務所")
    upload(kiosk_ticket("C001", NOON - timedelta(minutes=9), 1, service_name="謄本、印鑑證明"),
           kiosk_ticket("C002", NOON - timedelta(minutes=5), 2, service_name="謄本、印鑑證明", lang="en"))
    answer, shown = page(client, "/q/2026-12-08/C002?lang=en&every=5")
    assert answer.status_code == 200 and shown.lang == "en" and answer.headers["Content-Language"] == "en"
    for told in ("彰化縣二林戶政事務所", "Queue status", "C002", "Transcripts, seal certificates",
                 "Tue 8 Dec 2026 (ROC 115)", "Waiting", "Ahead of you 1 person", "every 5 seconds"):
        assert told in shown.text, told
    assert not re.search(r"[\u4e00-\u9fff]", shown.text.replace("彰化縣二林戶政事務所", "").replace("中文", ""))
    # The switch: each language in its own name, the same ticket and refresh, the current one marked.
    links = dict(shown.links)
    assert links["中文"] == "/q/2026-12-08/C002?every=5&lang=zh-TW"
    assert links["English"] == "/q/2026-12-08/C002?every=5&lang=en" and len(links) == 6
    assert 'aria-current="true">English</a>' in answer.get_data(as_text=True)
    answer, shown = page(client, links["中文"])
    assert shown.lang == "zh-Hant-TW" and "C002" in shown.text and "謄本、印鑑證明" in shown.text
    assert "前面還有 1 人" in shown.text and "每 5 秒" in shown.text


def test_without_lang_the_browser_s_language_decides_never_the_stored_ticket_s(office):
    client, upload = office
    upload(kiosk_ticket("A001", NOON - timedelta(minutes=5), 1, service_name="戶籍登記", lang="en"))
    path = "/q/2026-12-08/A001"
    for accept, lang in (("en-US,en;q=0.9", "en"), ("fr-FR, en;q=0.5", "en"), ("zh-CN,zh;q=0.9", "zh-Hant-TW"),
                         ("zh-TW, en;q=0.8", "zh-Hant-TW"), ("fr", "zh-Hant-TW"), ("en;q=0", "zh-Hant-TW")):
        assert page(client, path, **{"Accept-Language": accept})[1].lang == lang, accept
    # A stranger trying numbers learns nothing from the page's language: the ticket was taken in English.
    answer, shown = page(client, path)
    assert shown.lang == "zh-Hant-TW" and "等候中" in shown.text
    assert "Accept-Language" in answer.headers["Vary"]          # a cache must not serve one language for another
    # ?lang= wins over the browser; a kiosk language the page has no texts for yet is no error.
    assert page(client, path + "?lang=zh-TW", **{"Accept-Language": "en"})[1].lang == "zh-Hant-TW"
    for code in ("xx", "ja", "", "%3Cb%3E"):
        answer, shown = page(client, f"{path}?lang={code}")
        assert answer.status_code == 200 and shown.lang == "zh-Hant-TW" and "戶籍登記" in shown.text, code
    assert page(client, path + "?lang=ja", **{"Accept-Language": "ja, th;q=0.8"})[1].lang == "th"


def test_the_service_is_named_as_the_kiosk_printed_it_and_follows_a_transfer(office, db):
    client, upload = office
    upload(kiosk_ticket("A001", NOON - timedelta(minutes=30), 1, service_name="戶籍登記（出生、死亡）"),
           kiosk_ticket("G001", NOON - timedelta(minutes=20), 2, service_name="工商服務"),
           kiosk_ticket("H001", NOON - timedelta(minutes=15), 3),
           kiosk_ticket("B001", NOON - timedelta(minutes=10), 4),
           kiosk_ticket("C001", NOON - timedelta(minutes=5), 5, service_name="謄本、印鑑證明"))
    # A renamed service keeps its name in English too (the catalogue's English name would be another service's).
    assert "戶籍登記（出生、死亡）" in page(client, "/q/2026-12-08/A001?lang=en")[1].text
    assert "Household registration" not in page(client, "/q/2026-12-08/A001?lang=en")[1].text
    assert "工商服務" in page(client, "/q/2026-12-08/G001?lang=en")[1].text    # known in Chinese only
    assert "身分證、戶口名簿" in page(client, "/q/2026-12-08/B001")[1].text    # no name sent: the catalogue's
    assert "ID card, household certificate" in page(client, "/q/2026-12-08/B001?lang=en")[1].text
    assert "H001" in page(client, "/q/2026-12-08/H001")[1].text             # no name anywhere: the letter
    # B001 is sent on to C at the counter: its page now names C, as the kiosk names C.
    call = calls.call_next(db, 2, ["B"], NOON)
    assert call["number"] == "B001"
    calls.transfer(db, call["id"], "C", NOON + timedelta(minutes=1))
    shown = page(client, "/q/2026-12-08/B001")[1]
    assert "謄本、印鑑證明" in shown.text and "身分證、戶口名簿" not in shown.text


def test_stored_text_is_escaped(office, db):
    client, upload = office
    db.set_office_name("<b>二林</b>")
    upload(kiosk_ticket("A001", NOON - timedelta(minutes=5), 1, service_name="<script>alert(1)</script>"))
    html = client.get("/q/2026-12-08/A001").get_data(as_text=True)
    assert "&lt;b&gt;二林&lt;/b&gt;" in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


MALFORMED = ("/q/2026-13-45/A001", "/q/abc", "/q/2026-12-01/%%%", "/q/", "/q", "/q/yesterday/A001",
             "/q/20261208/A001", "/q/1900-01-01/A001", "/q/2026-12-08/<script>", "/q/2026-12-08/A001/more")


@pytest.mark.parametrize("path", MALFORMED)
def test_an_address_naming_no_ticket_is_a_styled_page_in_the_resident_s_language(office, path):
    client, _ = office
    answer, shown = page(client, path)
    assert answer.status_code == 404 and answer.mimetype == "text/html" and shown.lang == "zh-Hant-TW"
    assert "查無此號碼" in shown.text and "這個網址不完整或有誤" in shown.text
    assert "請核對號碼單上的號碼與日期" in shown.text and "請洽服務台" in shown.text
    assert "Not Found" not in answer.get_data(as_text=True) and "requested URL" not in answer.get_data(as_text=True)
    assert "<script>" not in answer.get_data(as_text=True)       # nothing of a malformed address is echoed
    for accept in ({"Accept-Language": "en-GB,en;q=0.9"}, {}):
        english = page(client, path + ("?lang=en" if not accept else ""), **accept)
        assert english[0].status_code == 404 and english[1].lang == "en"
        assert "Number not found" in english[1].text and "Check the number and the date on your ticket" in \
            english[1].text and "ask at the service desk" in english[1].text
        assert {name for name, _ in english[1].links} == {"中文", "English", "Tiếng Việt", "Bahasa Indonesia", "ภาษาไทย",
                                                          "Filipino"}


@pytest.mark.parametrize("now", [NOON, JUST_AFTER_MIDNIGHT], ids=["noon", "just after midnight"])
def test_a_number_not_taken_that_day_is_named_and_today_s_keeps_looking(db, now):
    """Today's number may not have reached the office yet (the kiosk uploads in the background): its page looks
    again by itself.  An earlier day's never will."""
    client = create_app(db, clock=lambda: now).test_client()
    answer, shown = page(client, "/q/2026-12-08/A999?lang=en")
    assert answer.status_code == 404 and "No number A999 was found for Tue 8 Dec 2026 (ROC 115)." in shown.text
    assert "this page looks again every 20 seconds" in shown.text
    assert "/api/v1/queue/" in answer.get_data(as_text=True)
    answer, shown = page(client, "/q/2026-12-07/A999")
    assert answer.status_code == 404 and "查不到民國115年12月7日（一）的 A999 號。" in shown.text
    assert "自動再查" not in shown.text and "/api/v1/queue/" not in answer.get_data(as_text=True)


def test_the_page_s_json_api_answers_errors_in_json(office):
    client, _ = office
    for path, status in (("/api/v1/queue/2026-13-45/A001", 400), ("/api/v1/queue/2026-12-08/A999", 404)):
        answer = client.get(path)
        assert answer.status_code == status and "error" in answer.get_json(), path


def test_the_pages_fetch_nothing_from_the_internet(office):
    client, upload = office
    upload(kiosk_ticket("A001", NOON - timedelta(minutes=5), 1, service_name="戶籍登記"))
    for path in ("/q/2026-12-08/A001", "/q/2026-12-08/A002", "/q/abc"):
        html = client.get(path).get_data(as_text=True)
        for outside in ("http://", "https://", " src=", "url("):
            assert outside not in html, (path, outside)
        # a link only to this server (the Home Screen manifest, office/push_pages.py)
        assert all(href.startswith("/") for href in re.findall(r'<link[^>]*href="([^"]*)"', html)), path


# -- on a phone: Chromium at 390x844 --------------------------------------------------------------------

@needs_chromium
def test_on_a_phone_the_switch_is_easy_to_tap_and_the_english_page_stays_live(tmp_path, office_clock):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with running_office(tmp_path / "office.db", KIOSK, "clerk", "correct horse battery",
                        clock=office_clock) as (url, token):
        at = office_clock()
        day = officetime.office_day(at).isoformat()
        events = [kiosk_ticket("A001", at - timedelta(seconds=30), 1, service_name="戶籍登記"),
                  kiosk_ticket("A002", at, 2, service_name="戶籍登記", lang="en")]
        assert len(requests.post(url + "/api/v1/events", json={"kiosk_id": KIOSK, "events": events}, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"}).json()["accepted"]) == 2
        with chromium(browser_log=True) as browser:
            # A phone's viewport (a desktop window is never narrower than 500 px): 390x844 CSS pixels, 3x.
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
            browser.get(f"{url}/q/{day}/A002?lang=zh-TW&every=2")      # the QR of a ticket taken in Chinese
            assert browser.find_element(By.ID, "ahead").text == "1 人"
            for link in browser.find_elements(By.CSS_SELECTOR, "nav.langs a"):
                assert link.size["height"] >= 44 and link.size["width"] >= 44, (link.text, link.size)
            assert browser.execute_script("return document.documentElement.scrollWidth") <= 390  # no sideways
            browser.find_element(By.LINK_TEXT, "English").click()
            WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.documentElement.lang") == "en")
            assert browser.find_element(By.ID, "service").text == "Household registration"
            browser.save_screenshot(str(tmp_path / "queue-en-390x844.png"))
            with Database(f"sqlite:///{tmp_path / 'office.db'}") as db:
                calls.call_next(db, 3, ["A"], now=office_clock())          # A001 called: A002 is next
            WebDriverWait(browser, 10, poll_frequency=0.1).until(
                lambda b: b.find_element(By.ID, "ahead").text == "0 people")
            assert browser.find_element(By.ID, "serving").text == "A001 (counter 3)"
            assert browser.current_url.endswith("lang=en")
            errors = [e["message"] for e in browser.get_log("browser")
                      if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
            assert errors == []
