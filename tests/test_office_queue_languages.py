"""The live queue page in the kiosk's six languages (issue 19, item 6): what a resident reads on their phone.

A ticket taken on the kiosk in Tiếng Việt, Bahasa Indonesia, ภาษาไทย or Filipino opens its page in that language
(the QR carries ``?lang=``); every word on it, the date with its ROC year, the not-found page and the switch to the
other languages.  The expected words are written here, not read from the catalogues, so a wrong catalogue, a lost
translation or a language drawn in English fails.  The catalogues themselves are checked entry by entry: every
message in every language, its placeholders, its plural forms, Thai's word boundaries.  The browser checks (Debian's
chromium, skipped without it) draw Thai and Vietnamese at a phone's size.
"""

import re
import string
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from babel.messages.pofile import read_po

from office import calls, queue_texts, remote
from office.app import create_app
from office.db import Database
from protocol import officetime
from protocol.service_list import DEFAULT_SERVICES
from office_browser import chromium, needs_chromium, running_office
from test_office_queue_page import KIOSK, NOON, kiosk_ticket, page

pytestmark = pytest.mark.clock  # a ticket's day, "expired" the day after: `make test-hours` runs it at awkward hours
ROOT = Path(__file__).resolve().parent.parent
OWN_NAMES = {"zh-TW": "中文", "en": "English", "vi": "Tiếng Việt", "id": "Bahasa Indonesia", "th": "ภาษาไทย",
             "fil": "Filipino"}
HTML_LANG = {"zh-TW": "zh-Hant-TW", "en": "en", "vi": "vi", "id": "id", "th": "th", "fil": "fil"}
Z = "\u200b"  # Thai's word boundary: the catalogue marks where a line may break
REGISTRATION = next(service for service in DEFAULT_SERVICES if service.prefix == "A")

#: What a resident reads about a waiting ticket (A006, A004 at counter 3, one person ahead), in each language.
WAITING = {
    "zh-TW": ("叫號進度", "您的號碼", "民國115年12月8日（二）", "等候中", "前面還有 1 人", "目前叫號 A004（3 號櫃檯）",
              "預估等候 約 ", " 分鐘", "本頁每 20 秒自動更新"),
    "en": ("Queue status", "Your number", "Tue 8 Dec 2026 (ROC 115)", "Waiting", "Ahead of you 1 person",
           "Now serving A004 (counter 3)", "Estimated wait ", " min", "This page updates every 20 seconds"),
    "vi": ("Tiến độ gọi số", "Số của quý vị", "Thứ 3, 8 thg 12, 2026 (Dân Quốc 115)", "Đang chờ",
           "Số người phía trước 1 người", "Đang gọi số A004 (quầy 3)", "Dự kiến chờ khoảng ", " phút",
           "Trang này tự cập nhật mỗi 20 giây"),
    "id": ("Status antrean", "Nomor Anda", "Sel, 8 Des 2026 (Minguo 115)", "Menunggu",
           "Orang di depan Anda 1 orang", "Sedang dipanggil A004 (loket 3)", "Perkiraan tunggu sekitar ", " menit",
           "Halaman ini diperbarui setiap 20 detik"),
    "th": ("สถานะคิว", "หมายเลขของคุณ", "อังคาร 8 ธ.ค. 2026 (ปีหมินกั๋ว 115)", "กำลังรอ", "ก่อนหน้าคุณมี 1 คน",
           "คิวที่กำลังเรียก A004 (ช่องบริการ 3)", "เวลารอโดยประมาณ ประมาณ ", " นาที", "หน้านี้อัปเดตทุก 20 วินาที"),
    "fil": ("Katayuan ng pila", "Numero ninyo", "Mar, Dis 8, 2026 (ROC 115)", "Naghihintay",
            "Nauuna sa inyo 1 tao", "Tinatawag ngayon A004 (counter 3)", "Tantiyang hintay mga ", " minuto",
            "Nag-a-update ang pahinang ito bawat 20 segundo"),
}
#: The other states of a ticket, and the not-found page's heading.
STATES = {
    "zh-TW": ("請到 3 號櫃檯", "已完成服務", "已過號，請洽服務台", "已過期：此號碼只在當天有效", "查無此號碼"),
    "en": ("Please go to counter 3", "Served", "Missed: please ask at the service desk",
           "Expired: a number is valid on its own day only", "Number not found"),
    "vi": ("Mời quý vị đến quầy số 3", "Đã phục vụ xong", "Đã qua số: vui lòng hỏi quầy hướng dẫn",
           "Đã hết hạn: số thứ tự chỉ có giá trị trong ngày lấy số", "Không tìm thấy số"),
    "id": ("Silakan ke loket 3", "Sudah dilayani", "Nomor terlewat: silakan tanya ke meja layanan",
           "Kedaluwarsa: nomor antrean hanya berlaku pada hari diambil", "Nomor tidak ditemukan"),
    "th": ("กรุณาไปที่ช่องบริการหมายเลข 3", "ได้รับบริการแล้ว", "เลยคิวแล้ว กรุณาสอบถามที่จุดประชาสัมพันธ์",
           "หมดอายุแล้ว บัตรคิวใช้ได้เฉพาะวันที่รับเท่านั้น", "ไม่พบหมายเลขนี้"),
    "fil": ("Pumunta po sa counter 3", "Tapos na ang serbisyo", "Lumampas na ang numero: magtanong po sa service desk",
            "Expired na: ang numero ay para lamang sa araw na kinuha ito", "Hindi nakita ang numero"),
}


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        yield database


@pytest.fixture
def busy_morning(db):
    """A server at NOON: A001-A004 called one after another at counter 3 (A004 being served), A005, A006 waiting."""
    token = db.add_kiosk(KIOSK)
    client = create_app(db, clock=lambda: NOON).test_client()
    start = NOON - timedelta(minutes=40)
    events = [kiosk_ticket(f"A00{i}", start + timedelta(minutes=i), i, service_name="戶籍登記") for i in range(1, 7)]
    assert len(client.post("/api/v1/events", json={"kiosk_id": KIOSK, "events": events},
                           headers={"Authorization": f"Bearer {token}"}).get_json()["accepted"]) == 6
    for i in range(4):                          # three service times: enough for an estimate
        at = start + timedelta(minutes=10 + 6 * i)
        called = calls.call_next(db, 3, ["A"], at)
        if called["number"] != "A004":
            calls.done(db, called["id"], at + timedelta(minutes=5))
    return client


def visible(text):
    """The page's text as a reader sees it: Thai's word-boundary marks take no room."""
    return text.replace(Z, "")


@pytest.mark.parametrize("lang", list(WAITING))
def test_a_waiting_ticket_s_page_is_in_the_language_it_was_taken_in(busy_morning, lang):
    answer, shown = page(busy_morning, f"/q/2026-12-08/A006?lang={lang}")
    assert answer.status_code == 200 and shown.lang == HTML_LANG[lang]
    assert answer.headers["Content-Language"] == HTML_LANG[lang]
    text = visible(shown.text)
    for told in WAITING[lang]:
        assert told in text, (lang, told, text)
    assert re.search(r"\d+–\d+", text), text                    # the estimate's range of minutes
    # The service as the kiosk's screen in that language names it (the catalogue's name in it, else English).
    assert "A006" in text and visible(REGISTRATION.name_in(lang)) in text
    if lang != "en":                                            # none of the English page's words is left
        for english in ("Queue status", "Your number", "Waiting", "Ahead of", "Now serving", "Estimated wait"):
            assert english not in text, (lang, english)


@pytest.mark.parametrize("lang", list(STATES))
def test_every_state_and_the_not_found_page_in_every_language(busy_morning, db, lang):
    called, done, no_show, expired, missing = STATES[lang]
    assert called in visible(page(busy_morning, f"/q/2026-12-08/A004?lang={lang}")[1].text)
    assert done in visible(page(busy_morning, f"/q/2026-12-08/A001?lang={lang}")[1].text)
    a005 = calls.call_next(db, 2, ["A"], NOON)
    for _ in range(calls.MAX_RECALLS + 1):
        calls.no_show(db, a005["id"], NOON)
    assert no_show in visible(page(busy_morning, f"/q/2026-12-08/A005?lang={lang}")[1].text)
    tomorrow = create_app(db, clock=lambda: NOON + timedelta(days=1)).test_client()
    assert expired in visible(page(tomorrow, f"/q/2026-12-08/A006?lang={lang}")[1].text)
    answer, shown = page(busy_morning, f"/q/2026-12-08/A999?lang={lang}")
    assert answer.status_code == 404 and shown.lang == HTML_LANG[lang] and missing in visible(shown.text)
    assert WAITING[lang][2] in visible(shown.text)              # the date asked for, in the same words


def test_the_switch_names_each_language_in_its_own_script_keeps_the_ticket_and_changes_lang(busy_morning):
    answer, shown = page(busy_morning, "/q/2026-12-08/A006?lang=vi&every=7")
    html = answer.get_data(as_text=True)
    assert [name for name, _ in shown.links] == list(OWN_NAMES.values())     # the kiosk's order, no flag, no picture
    assert "<img" not in html and not re.search("[\U0001F1E6-\U0001F1FF]", html)
    assert 'aria-current="true">Tiếng Việt</a>' in html and html.count('aria-current="true"') == 1
    for lang, name in OWN_NAMES.items():
        href = dict(shown.links)[name]
        assert href == f"/q/2026-12-08/A006?every=7&lang={lang}"
        assert f'lang="{HTML_LANG[lang]}" hreflang="{HTML_LANG[lang]}"' in html.split(f">{name}</a>")[0][-200:]
        followed, there = page(busy_morning, href)                # a reload of that address keeps the language
        assert followed.status_code == 200 and there.lang == HTML_LANG[lang]
        assert WAITING[lang][3] in visible(there.text) and WAITING[lang][8].replace("20", "7") in visible(there.text)
        assert dict(there.links)[name] == href


@pytest.mark.parametrize("asked, accept, lang", [
    ("xx", None, "zh-Hant-TW"),                 # unknown, and the browser says nothing: Chinese
    ("xx", "th-TH,th;q=0.9,en;q=0.5", "th"),   # unknown: the browser's first of the six
    ("", "vi-VN", "vi"),
    ("ja", "ja-JP, ko;q=0.9", "zh-Hant-TW"),    # the browser names none of the six
    (None, "fil-PH", "fil"), (None, "tl", "fil"), (None, "in-ID", "id"), (None, "id-ID", "id"),
    ("TH", "en", "th"), ("fil", "en", "fil"),  # ?lang= wins over the browser, whatever its case
])
def test_an_unknown_lang_falls_back_to_the_browser_s_then_chinese(busy_morning, asked, accept, lang):
    path = "/q/2026-12-08/A006" + ("" if asked is None else f"?lang={asked}")
    answer, shown = page(busy_morning, path, **({"Accept-Language": accept} if accept else {}))
    assert answer.status_code == 200 and shown.lang == lang
    code = next(code for code, html in HTML_LANG.items() if html == lang)
    assert WAITING[code][3] in visible(shown.text)


def test_a_chinese_name_on_a_page_in_another_language_is_marked_chinese(busy_morning, db):
    db.set_office_name("彰化縣二林戶政事務所")
    html = busy_morning.get("/q/2026-12-08/A006?lang=th").get_data(as_text=True)
    assert '<span lang="zh-Hant-TW">彰化縣二林戶政事務所</span>' in html     # Traditional glyphs, not Japanese ones
    html = busy_morning.get("/q/2026-12-08/A006?lang=zh-TW").get_data(as_text=True)
    assert '<span lang="zh-Hant-TW">' not in html and "彰化縣二林戶政事務所" in html


# -- the catalogues -----------------------------------------------------------------------------------

def _read(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def _placeholders(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


TEMPLATE = {entry.context: entry for entry in _read(queue_texts.TEMPLATE) if entry.id}
TRANSLATED = [lang for lang in queue_texts.LANGUAGES if lang != queue_texts.SOURCE_LANGUAGE]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_in_every_catalogue_with_the_same_placeholders(lang):
    path = queue_texts.po_path(lang)
    catalog = _read(path)
    found = {entry.context: entry for entry in catalog if entry.id}
    assert set(found) == set(TEMPLATE), f"{path}: missing {set(TEMPLATE) - set(found)}, extra {set(found) - set(TEMPLATE)}"
    for key, entry in found.items():
        source = TEMPLATE[key]
        assert entry.id == source.id and not entry.fuzzy, (lang, key)
        if isinstance(source.id, (tuple, list)):            # a plural: as many forms as the language has
            assert isinstance(entry.string, tuple) and len(entry.string) == catalog.num_plurals, (lang, key)
            forms, wanted = entry.string, _placeholders(source.id[1])
        else:
            forms, wanted = (entry.string,), _placeholders(source.id)
        for form in forms:
            assert form and _placeholders(form) == wanted, (lang, key, form)
    header = path.read_text(encoding="utf-8").split("msgid", 1)[0]
    assert "# Review: draft" in header and "# Reviewed-By:" in header


def test_every_key_the_page_asks_for_is_in_the_template():
    templates = "".join((ROOT / "office" / "templates" / name).read_text(encoding="utf-8")
                        for name in ("queue.html", "queue_layout.html", "queue_missing.html", "take.html"))
    asked = set(re.findall(r"""(?:\bt\(|say\(|T\[)["']([a-z_]+\.[a-z_]+)["']""", templates))
    take = (ROOT / "office" / "take_pages.py").read_text(encoding="utf-8")     # /take's problems: t(problem)
    asked |= set(re.findall(r"""problem=f?["'](take\.[a-z_]+)["']""", take)) - {"take.refused_"}
    asked |= {f"take.refused_{reason}" for reason in remote.REASONS}
    asked |= {f"state.{state}" for state in ("waiting", "called", "done", "no_show", "expired")}  # t("state." ~ …)
    asked |= {"page.language_name", "page.roc_year"}                                         # office/queue_*.py
    pushed = (ROOT / "office" / "push.py").read_text(encoding="utf-8")    # the reminders' words (office/push.py)
    asked |= set(re.findall(r"""\bt\(["'](push\.[a-z_]+)["']""", pushed))
    assert asked <= set(TEMPLATE), asked - set(TEMPLATE)
    assert set(TEMPLATE) <= asked, f"in the template but never shown: {set(TEMPLATE) - asked}"


def test_thai_marks_where_a_line_may_break():
    """Thai writes no spaces between words: without the catalogue's U+200B a phone breaks a line anywhere in a
    phrase, or not at all.  No run of Thai longer than a long word (ประชาสัมพันธ์, 13 letters) goes unmarked."""
    for entry in _read(queue_texts.po_path("th")):
        for form in (entry.string if isinstance(entry.string, tuple) else (entry.string,)):
            for run in re.findall(r"[\u0e00-\u0e7f]+", form):
                assert len(run) <= 13, (entry.context, run)


def test_a_count_takes_the_language_s_plural_form():
    assert queue_texts.texts("en")("queue.people", count=1) == "1 person"
    assert queue_texts.texts("en")("queue.people", count=0) == "0 people"
    assert queue_texts.texts("vi")("queue.people", count=1) == "1 người"
    assert queue_texts.texts("fil")("queue.people", count=14) == "14 tao"
    assert queue_texts.texts("zh-TW")("missing.today", count=2).endswith("本頁每 2 秒自動再查一次。")


# -- in a browser: Thai and Vietnamese on a phone ----------------------------------------------------------

def _fonts(browser, element_id):
    """The fonts Chromium drew an element's text with: [(family, glyphs)] (DevTools CSS.getPlatformFontsForNode)."""
    browser.execute_cdp_cmd("DOM.enable", {})
    browser.execute_cdp_cmd("CSS.enable", {})
    root = browser.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    node = browser.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": f"#{element_id}"})["nodeId"]
    fonts = browser.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [(f["familyName"], f["glyphCount"]) for f in fonts]


@needs_chromium
def test_on_a_phone_thai_and_vietnamese_are_drawn_by_faces_that_have_them_and_stay_live(tmp_path, office_clock):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with running_office(tmp_path / "office.db", KIOSK, "clerk", "correct horse battery",
                        clock=office_clock) as (url, token):
        at = office_clock()
        day = officetime.office_day(at).isoformat()
        events = [kiosk_ticket("A001", at - timedelta(seconds=30), 1, service_name="戶籍登記"),
                  kiosk_ticket("A002", at, 2, service_name="戶籍登記", lang="th")]
        assert len(requests.post(url + "/api/v1/events", json={"kiosk_id": KIOSK, "events": events}, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"}).json()["accepted"]) == 2
        with chromium(browser_log=True) as browser:
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
            browser.get(f"{url}/q/{day}/A002?lang=th&every=2")           # the QR of a ticket taken in Thai
            assert browser.execute_script("return document.documentElement.lang") == "th"
            assert browser.find_element(By.ID, "state").text.replace(Z, "") == "กำลังรอ"
            assert browser.find_element(By.ID, "ahead").text == "1 คน"
            thai = _fonts(browser, "state")
            assert thai and all("Thai" in family for family, _ in thai), thai    # no box, no Latin face's guess
            for link in browser.find_elements(By.CSS_SELECTOR, "nav.langs a"):
                assert link.size["height"] >= 44 and link.size["width"] >= 44, (link.text, link.size)
            assert browser.execute_script("return document.documentElement.scrollWidth") <= 390  # no sideways
            browser.save_screenshot(str(tmp_path / "queue-th-390x844.png"))
            with Database(f"sqlite:///{tmp_path / 'office.db'}") as db:
                calls.call_next(db, 3, ["A"], now=office_clock())              # A001 called: A002 is next
            WebDriverWait(browser, 10, poll_frequency=0.1).until(             # the script speaks Thai too
                lambda b: b.find_element(By.ID, "ahead").text == "0 คน")
            assert browser.find_element(By.ID, "serving").text == "A001 (ช่องบริการ 3)"

            browser.find_element(By.LINK_TEXT, "Tiếng Việt").click()
            WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.documentElement.lang") == "vi")
            assert browser.find_element(By.ID, "state").text == "Đang chờ"
            assert browser.find_element(By.ID, "ticket-day").text.endswith("(Dân Quốc 115)")
            vietnamese = _fonts(browser, "ticket-day")
            assert len(vietnamese) == 1, vietnamese        # one face has every mark: none drawn from a fallback
            assert browser.current_url.endswith("every=2&lang=vi")
            browser.refresh()                                                  # a reload keeps the choice
            assert browser.execute_script("return document.documentElement.lang") == "vi"
            browser.save_screenshot(str(tmp_path / "queue-vi-390x844.png"))
            errors = [e["message"] for e in browser.get_log("browser")
                      if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
            assert errors == []
