"""The office dashboard in a real headless Chromium: a director logs in and reads the monthly report.

Needs Debian's chromium and chromium-driver (.ci/run installs them); without them the test is skipped.
"""

import time
import uuid

import pytest
import requests

from office_browser import chromium, needs_chromium, running_office

pytestmark = needs_chromium


def rating(score, choice, misuse=False):
    return {"id": str(uuid.uuid4()), "type": "rating", "seq": 0, "at": time.strftime("%Y-%m-%dT10:00:00.000+08:00"),
            "clock_synced": True, "data": {"score": score, "scale": 3, "choice": choice, "source": "button",
                                           "kiosk_id": "ERLIN-01", "location": "3", "service": "A",
                                           "misuse": misuse}}


@pytest.fixture
def office(tmp_path):
    with running_office(tmp_path / "office.db", "ERLIN-01", "director", "correct horse battery") as (base, token):
        url = base + "/"
        events = [rating(3, "smile"), rating(3, "smile"), rating(1, "frown"), rating(3, "smile", misuse=True)]
        for seq, event in enumerate(events, 1):
            event["seq"] = seq
        answer = requests.post(url + "api/v1/events", json={"kiosk_id": "ERLIN-01", "events": events},
                               headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        assert len(answer["accepted"]) == 4
        yield url


@pytest.fixture
def browser():
    with chromium() as driver:
        yield driver


def test_a_director_logs_in_and_reads_the_monthly_report(office, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(office + "report")
    assert "/login" in browser.current_url  # staff pages need a login
    browser.find_element(By.NAME, "name").send_keys("director")
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
    browser.get(office + "report")
    big = browser.find_element(By.CSS_SELECTOR, "span.big").text
    assert big == "66.7 %"  # 2 of 3 satisfied; the misuse press is left out
    assert "誤觸 1 次" in browser.find_element(By.TAG_NAME, "body").text
    charts = browser.find_elements(By.TAG_NAME, "svg")
    assert charts and charts[0].size["width"] > 100, "the charts do not render"
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
