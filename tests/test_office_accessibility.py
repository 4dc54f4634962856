"""The office's public pages meet WCAG 2.1 AA (issue 20, item 5), checked by axe-core in headless Chromium.

axe-core is vendored (tests/vendor/axe-core/, its README says which version and how to update it): the test
injects it into the page with ``execute_script`` and runs it with the tags of WCAG 2.0 and 2.1, levels A and AA.
Nothing is fetched from the Internet.  Checked: the live queue page a ticket's QR opens (/q/<day>/<number>) for a
waiting ticket, a called one and a number not found, in Chinese, English, Vietnamese and Thai, on a phone
(390×844) and a desktop; the lobby display (/display?token=…) with a call on it, which is also seen (the number
and the counter in large text) and told to assistive technology (a live region with the call's words in each of
the office's languages), besides being heard (office/announce.py, tests/test_office_voice_browser.py).
A failure prints each violation: its rule, impact, help and the elements it found.
"""

from datetime import timedelta
from pathlib import Path

import pytest
import requests

from office import calls, voice
from office.db import Database
from protocol import officetime
from office_browser import chromium, needs_chromium, running_office
from office_sign_in import signed_in_session
from test_office_calling_pages import card, display_token, wait_for
from test_office_queue_page import KIOSK, kiosk_ticket

pytestmark = pytest.mark.clock  # a ticket's office day: `make test-hours` runs it at awkward hours
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct horse battery"
LANGS = ("zh-TW", "en", "vi", "th")
#: (width, height, a phone's touch viewport?)
SIZES = {"phone": (390, 844, True), "desktop": (1280, 900, False), "tv": (1920, 1080, False),
         "small phone": (320, 568, True)}  # WCAG 1.4.10 Reflow: 320 CSS px wide without scrolling sideways


def axe_violations(browser):
    """axe-core's violations of WCAG 2.x A and AA on the page now open: [{id, impact, help, nodes: [(target, why)]}]."""
    browser.set_script_timeout(60)
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    answer = browser.execute_async_script("""
        var done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
          .then(function (r) {
            done({violations: r.violations.map(function (v) {
              return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) {
                return [n.target.join(" "), n.failureSummary]; })};
            })});
          }, function (e) { done({error: String(e)}); });
    """, WCAG_A_AA)
    assert "error" not in answer, answer
    return answer["violations"]


def described(where, violations):
    """One violation a paragraph: where it was found, its rule, impact and help, each element and why."""
    lines = []
    for v in violations:
        lines.append(f"{where}: {v['id']} ({v['impact']}) {v['help']}")
        lines += [f"    {target}: {' '.join(why.split())}" for target, why in v["nodes"]]
    return lines


def set_size(browser, size):
    width, height, mobile = SIZES[size]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 3 if mobile else 1,
                             "mobile": mobile})


def upload(url, token, events):
    answer = requests.post(url + "/api/v1/events", json={"kiosk_id": KIOSK, "events": events}, timeout=10,
                           headers={"Authorization": f"Bearer {token}"}).json()
    assert len(answer["accepted"]) == len(events), answer


@pytest.fixture
def office(tmp_path, office_clock):
    """A real office server: A001 called at counter 3, A002 and A003 waiting (taken in Thai and Vietnamese)."""
    with running_office(tmp_path / "office.db", KIOSK, "clerk", PASSWORD, clock=office_clock) as (url, token):
        at = office_clock()
        upload(url, token, [kiosk_ticket("A001", at - timedelta(minutes=3), 1, service_name="戶籍登記"),
                            kiosk_ticket("A002", at - timedelta(minutes=2), 2, service_name="戶籍登記", lang="th"),
                            kiosk_ticket("A003", at - timedelta(minutes=1), 3, service_name="戶籍登記", lang="vi")])
        with Database(f"sqlite:///{tmp_path / 'office.db'}") as db:
            assert calls.call_next(db, 3, ["A"], now=office_clock())["number"] == "A001"
        yield url, officetime.office_day(at).isoformat()


@needs_chromium
@pytest.mark.parametrize("size", ["phone", "desktop", "small phone"])
def test_the_live_queue_page_has_no_wcag_a_or_aa_violation(office, size):
    """Waiting, called and not found, in four languages and their scripts: axe finds nothing at level A or AA,
    and nothing is wider than the screen (axe does not check reflow)."""
    url, day = office
    pages = {"waiting": "A002", "called": "A001", "not found": "A999"}
    found, checked = [], 0
    with chromium(browser_log=True) as browser:
        set_size(browser, size)
        for lang in LANGS:
            for name, number in pages.items():
                browser.get(f"{url}/q/{day}/{number}?lang={lang}")
                assert browser.execute_script("return document.documentElement.lang").startswith(lang[:2])
                found += described(f"/q/{day}/{number} {name}, {lang}, {size}", axe_violations(browser))
                wide = browser.execute_script("return document.documentElement.scrollWidth")
                if wide > SIZES[size][0]:
                    found.append(f"/q/{day}/{number} {name}, {lang}, {size}: {wide} px wide, scrolls sideways")
                checked += 1
    print(f"\naxe-core: {checked} queue pages at {size} size, {len(found)} lines of violations")
    assert found == [], "\n" + "\n".join(found)


@needs_chromium
def test_the_live_queue_page_tells_a_screen_reader_when_the_ticket_is_called(office, tmp_path, office_clock):
    """The state and the people ahead are live regions, updated only when their words change (a screen reader
    announces each change, not the same words every refresh)."""
    from selenium.webdriver.common.by import By

    url, day = office
    with chromium(browser_log=True) as browser:
        set_size(browser, "phone")
        browser.get(f"{url}/q/{day}/A002?lang=en&every=2")
        state = browser.find_element(By.ID, "state")
        assert state.get_attribute("role") == "status" and state.text == "Waiting"
        ahead_row = browser.find_element(By.XPATH, "//dd[@id='ahead']/..")
        assert ahead_row.get_attribute("aria-live") == "polite" and ahead_row.get_attribute("aria-atomic") == "true"
        browser.execute_script("""
            window.changes = [];
            new MutationObserver(function (m) { m.forEach(function (r) { window.changes.push(r.target.id ||
                r.target.parentNode.id); }); }).observe(document.querySelector("main"),
                {subtree: true, childList: true, characterData: true});""")
        browser.find_element(By.ID, "refresh").click()               # nothing changed: nothing said again
        wait_for(browser, lambda: browser.find_element(By.ID, "updated").text != "")
        browser.execute_script("return new Promise(function (ok) { setTimeout(ok, 1000); })")
        assert {c for c in browser.execute_script("return window.changes") if c != "updated"} == set()
        with Database(f"sqlite:///{tmp_path / 'office.db'}") as db:
            calls.call_next(db, 2, ["A"], now=office_clock())          # A002 called at counter 2
        wait_for(browser, lambda: state.text == "Please go to counter 2", timeout=10)
        assert "state" in browser.execute_script("return window.changes")
        assert axe_violations(browser) == []                            # the called state's colours too


@needs_chromium
def test_a_call_on_the_lobby_display_is_seen_heard_and_told_and_the_display_has_no_violation(office, tmp_path):
    from selenium.webdriver.common.by import By

    url, _ = office
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as db:
        voice.set_languages(db, ["zh-TW", "en", "vi", "th"])
    path, _ = display_token(tmp_path / "office.db")
    clerk = signed_in_session(url, "clerk", PASSWORD)
    called = clerk.post(url + "/api/v1/calls/next", json={"counter": 2, "services": ["A"]}, timeout=10).json()
    finished = clerk.post(url + f"/api/v1/calls/{called['id']}/done", json={}, timeout=10)
    assert finished.status_code == 200                                  # counter 2 idle: its card shows "—"
    with chromium("--autoplay-policy=no-user-gesture-required", browser_log=True) as browser:
        set_size(browser, "tv")
        browser.get(url + path)
        wait_for(browser, lambda: "live" in browser.find_element(By.ID, "link").text)
        wait_for(browser, lambda: "ภาษาไทย" in browser.find_element(By.ID, "voices").text)  # the plan read
        found = described("/display, before a call", axe_violations(browser))
        assert card(browser, 2) == "—"
        answer = clerk.post(url + "/api/v1/calls/next", json={"counter": 5, "services": ["A"]}, timeout=10)
        assert answer.status_code == 200 and answer.json()["number"] == "A003", answer.text
        wait_for(browser, lambda: browser.execute_script(
            "return window.displaySpoken.some(function (e) { return e.number === 'A003'; })"))

        # Seen: the number on its counter's card large enough for the lobby (a capital of at least 37 mm, read
        # from 3 m, access-lang.md: 5.4 % of a 55" TV's 685 mm height, a capital being about 0.7 of the font
        # size, so a font of at least 7.7 % of the screen's height), and the banner over the screen.
        height = browser.execute_script("return window.innerHeight")
        number = browser.find_element(By.CSS_SELECTOR, '#counters .counter[data-counter="5"] .number')
        assert number.text == "A003" and "5" in browser.find_element(By.CSS_SELECTOR, '[data-counter="5"] .label').text
        assert float(number.value_of_css_property("font-size")[:-2]) >= 0.077 * height
        banner = browser.find_element(By.ID, "banner")
        assert banner.is_displayed() and banner.text.startswith("請 A003 號 到 5 號櫃檯"), banner.text
        # Told: the live region holds the call in each language, each marked with its own lang.
        told = browser.find_element(By.ID, "said")
        assert told.get_attribute("aria-live") == "assertive"
        lines = browser.execute_script("return Array.prototype.map.call(document.querySelectorAll('#said [lang]'),"
                                       " function (e) { return [e.lang, e.textContent]; })")
        assert lines == [["zh-TW", "請 A003 號 到 5 號櫃檯"], ["en", "Number A003, please go to counter 5"],
                         ["vi", "Số A003, mời đến quầy số 5"], ["th", "หมายเลข A003 เชิญที่ช่องบริการ 5"]], lines
        # The banner up, counter 5's card flashing: checked in both of the flash's colours, each held still.
        browser.execute_script("return new Promise(function (ok) { setTimeout(ok, 1000); })")  # the state reloaded
        for phase, ms in (("blue", 250), ("yellow", 750)):
            browser.execute_script("var ms = arguments[0];"
                                   "document.getAnimations().forEach(function (a) { a.pause(); a.currentTime = ms; });",
                                   ms)
            found += described(f"/display, A003 called, the card {phase}", axe_violations(browser))
        browser.execute_script("document.getAnimations().forEach(function (a) { a.play(); });")
        # Heard: after the chime, each language in the office's order (by its clips or the device's voice; this
        # Chromium has neither, so "none": test_office_voice_browser plays the clips).
        said = wait_for(browser, lambda: browser.execute_script(
            "var said = window.displayVoiceLog.filter(function (e) { return e.number === 'A003'; });"
            "return said.length === 4 && said.map(function (e) { return e.lang; });"), timeout=15)
        assert said == ["zh-TW", "en", "vi", "th"], said
        errors = [e["message"] for e in browser.get_log("browser")
                  if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert errors == []
    print(f"\naxe-core: the display before and after a call, {len(found)} lines of violations")
    assert found == [], "\n" + "\n".join(found)
