"""The lobby display speaking a call with the office's own clips, in headless Chromium against a real
``kiosk-office serve``: the languages in the office's order, each call's clips played in the sentence's order,
a language with neither clips nor a speech voice left silent, and what the display reports shown on /voice.

Needs Debian's chromium and chromium-driver (tests/office_browser.py); skipped without them.
"""

import time

import pytest
import requests

import office_sign_in
from office import announce, displays, voice
from office.db import Database
from office_browser import chromium, needs_chromium, running_office
from test_office_calling_pages import KIOSK, PASSWORD, ticket_event, upload, wait_for
from test_office_voice import wav


@pytest.fixture
def office(tmp_path, office_clock):
    with running_office(tmp_path / "office.db", KIOSK, "clerk", PASSWORD, clock=office_clock) as (url, token):
        answer = upload(lambda path, **kw: requests.post(url + path, timeout=10, **kw), token,
                        [ticket_event("A105", 5, 1, office_clock)]).json()
        assert len(answer["accepted"]) == 1
        yield url, Database(f"sqlite:///{tmp_path / 'office.db'}")


@needs_chromium
def test_the_display_plays_the_offices_clips_in_order_and_reports_it(office):
    url, db = office
    voice.set_languages(db, ["vi", "zh-TW"])                     # Vietnamese first, then Mandarin
    needed = announce.clips("A105", 3, "vi")
    for i, key in enumerate(needed):                             # every clip of this call in vi (distinct lengths)
        voice.put_clip(db, "vi", key, "audio/wav", wav(0.1 + i / 100), "chen")
    token = displays.add_display(db, "lobby-1")
    with chromium("--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                  "--autoplay-policy=no-user-gesture-required", window_size="1024,768") as browser:
        browser.get(f"{url}/display?token={token}")
        # The display decodes the clips ahead and says so to the server: nothing is fetched when the call comes.
        reported = wait_for(browser, lambda: voice.reports(db) and voice.reports(db)[0]["languages"].get("vi"))
        assert reported == {"voice": None, "clips": len(set(needed)), "failed": 0}
        assert voice.reports(db)[0]["sound"] is True                   # started with the autoplay flag
        assert "Tiếng Việt · 中文（國語）" in browser.execute_script("return document.getElementById('voices').textContent")

        clerk = office_sign_in.signed_in_session(url, "clerk", PASSWORD)
        called = clerk.post(url + "/api/v1/calls/next", json={"counter": 3, "services": ["A"]}, timeout=10)
        assert called.status_code == 200 and called.json()["number"] == "A105"
        said = wait_for(browser, lambda: len(browser.execute_script("return window.displayVoiceLog")) == 2 and
                        browser.execute_script("return window.displayVoiceLog"))
        assert [(s["lang"], s["source"]) for s in said] == [("vi", "clips"), ("zh-TW", "none")]   # no zh voice here
        assert browser.execute_script("return window.displayClipsPlayed") == [f"vi/{key}" for key in needed]
        assert needed == ["số", "A", "một", "trăm", "lẻ", "năm", "mời đến quầy số", "ba"]
        banner = browser.execute_script("return document.getElementById('banner').innerText")
        assert "請 A105 號 到 3 號櫃檯" in banner and "Số A105, mời đến quầy số 3" in banner

    page = office_sign_in.signed_in_session(url, "clerk", PASSWORD).get(url + "/voice", timeout=10).text
    row = page.split("<td>lobby-1</td>")[1].split("</tr>")[0]
    assert f"部分錄音（{len(set(needed))} 個可播" in row                # not every word of vi yet: partial
    assert '<td class="none" data-lang="zh-TW">無（不播報，只有提示音）</td>' in row
    db.close()


@needs_chromium
def test_staff_record_a_word_in_the_browser_and_play_it_back(office):
    """/voice on the server's own machine (a secure context): the fake microphone Chromium offers records."""
    from selenium.webdriver.common.by import By

    url, db = office
    with chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  "--autoplay-policy=no-user-gesture-required", window_size="1280,900", browser_log=True) as browser:
        browser.get(url + "/voice")
        browser.find_element(By.NAME, "name").send_keys("clerk")
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "form button").click()
        wait_for(browser, lambda: browser.current_url.endswith("/voice"))
        assert browser.find_element(By.ID, "no-mic").get_attribute("hidden") is not None   # it can record here
        row = browser.find_element(By.CSS_SELECTOR, 'tr[data-lang="zh-TW"][data-key="號櫃檯"]')
        button = row.find_element(By.CSS_SELECTOR, "button.record")
        button.click()
        wait_for(browser, lambda: button.text == "■ 停止")
        time.sleep(1.0)                                             # say 號櫃檯
        button.click()
        wait_for(browser, lambda: "已儲存「號櫃檯」" in browser.find_element(By.ID, "status").text)
        stored = voice.get_clip(db, "zh-TW", "號櫃檯")
        assert stored["content_type"] == "audio/webm" and stored["data"][:4] == b"\x1a\x45\xdf\xa3"
        assert stored["recorded_by"] == "clerk" and len(stored["data"]) > 1000
        assert row.find_element(By.CSS_SELECTOR, "button.play").is_enabled()
        assert "recorded" in row.get_attribute("class")
        browser.find_element(By.CSS_SELECTOR, 'tr[data-key="號櫃檯"] button.play').click()
        time.sleep(0.5)
        assert "無法播放" not in browser.find_element(By.ID, "status").text
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]] == []
    db.close()
