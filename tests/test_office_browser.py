"""The office dashboard in a real headless Chromium: a director logs in and reads the monthly report.

Needs Debian's chromium and chromium-driver (.ci/run installs them); without them the test is skipped.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests

from fake_office import free_port

CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMEDRIVER is None or shutil.which("chromium") is None,
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")


def rating(score, choice, misuse=False):
    return {"id": str(uuid.uuid4()), "type": "rating", "seq": 0, "at": time.strftime("%Y-%m-%dT10:00:00.000+08:00"),
            "clock_synced": True, "data": {"score": score, "scale": 3, "choice": choice, "source": "button",
                                           "kiosk_id": "ERLIN-01", "location": "3", "service": "A",
                                           "misuse": misuse}}


@pytest.fixture
def office(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_OFFICE_DB"}
    db = f"sqlite:///{tmp_path / 'office.db'}"
    token = subprocess.run([sys.executable, "-m", "office", "kiosk", "add", "ERLIN-01", "--db", db], env=env,
                           capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[-1]
    subprocess.run([sys.executable, "-m", "office", "admin", "add", "director", "--password-stdin", "--db", db],
                   input="correct horse battery\n", env=env, capture_output=True, text=True, timeout=60, check=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "office", "serve", "--db", db, "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "healthz", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.2)
    events = [rating(3, "smile"), rating(3, "smile"), rating(1, "frown"), rating(3, "smile", misuse=True)]
    for seq, event in enumerate(events, 1):
        event["seq"] = seq
    answer = requests.post(url + "api/v1/events", json={"kiosk_id": "ERLIN-01", "events": events},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert len(answer["accepted"]) == 4
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(20)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


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
