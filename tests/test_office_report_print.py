"""The monthly report as the county receives it: printed by a real headless Chromium on A4, every page headed with
the office, the period and the kiosks; the staff menu and the CSV links left off the paper; long form titles kept
inside the page.

Needs Debian's chromium and chromium-driver (.ci/run installs them); without them the tests are skipped.
"""

import base64
import re
import uuid

import pytest
import requests

from office_browser import chromium, needs_chromium, running_office
from test_office_browser import pdf_text

pytestmark = needs_chromium

OFFICE = "彰化縣二林戶政事務所"
USER, PASSWORD = "director", "correct horse battery"
LONG_TITLE = "本所自製：外籍配偶與大陸配偶戶籍登記及歸化國籍申請須知與切結書"


def a_month_of_many_counters(url, token):
    """November at 40 counters, each rated a few times, and forms viewed (one with a long title): more than one
    A4 page, as a large office's month may be."""
    events, seq = [], 0
    for counter in range(1, 41):
        for minute, choice in enumerate(["smile", "smile", "frown"]):
            seq += 1
            events.append({"id": str(uuid.uuid4()), "type": "rating", "seq": seq, "clock_synced": True,
                           "at": f"2026-11-{counter % 28 + 1:02d}T10:{minute:02d}:00.000+08:00",
                           "data": {"score": {"smile": 3, "frown": 1}[choice], "scale": 3, "choice": choice,
                                    "source": "button", "location": f"第{counter}櫃台", "service": "A",
                                    "misuse": False}})
    for code, title in [("move-in", "遷入登記申請書"), ("office-made", LONG_TITLE)]:
        seq += 1
        events.append({"id": str(uuid.uuid4()), "type": "form_view", "seq": seq, "clock_synced": True,
                       "at": "2026-11-20T11:00:00.000+08:00", "data": {"code": code, "title": title}})
    answer = requests.post(url + "/api/v1/events", json={"kiosk_id": "ERLIN-01", "events": events},
                           headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert len(answer["accepted"]) == len(events), answer


@pytest.fixture
def browser_on_report(tmp_path):
    """A signed-in Chromium on the November report of an office with its name set."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from office.db import Database

    with running_office(tmp_path / "office.db", "ERLIN-01", USER, PASSWORD) as (url, token):
        a_month_of_many_counters(url, token)
        with Database(f"sqlite:///{tmp_path / 'office.db'}") as db:
            db.set_office_name(OFFICE)
        with chromium() as browser:
            browser.get(url + "/login")
            browser.find_element(By.NAME, "name").send_keys(USER)
            browser.find_element(By.NAME, "password").send_keys(PASSWORD)
            browser.find_element(By.CSS_SELECTOR, "form button").click()
            WebDriverWait(browser, 10).until(lambda driver: "/login" not in driver.current_url)
            browser.get(url + "/report?month=115/11")
            yield browser


def test_every_printed_page_names_the_office_the_period_and_the_kiosks(browser_on_report, tmp_path):
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7        # A4 portrait, Chromium's default margins
    pdf = base64.b64decode(browser_on_report.print_page(options))
    (tmp_path / "report.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    assert pages >= 2, "the month should run onto a second page for this test to mean anything"
    text = "".join(pdf_text(pdf).split())                       # the PDF draws no spaces
    heading = f"{OFFICE}每月統計分析民國115年11月"
    assert text.count(heading) == pages, f"{text.count(heading)} headings on {pages} pages ({tmp_path / 'report.pdf'})"
    assert text.count("期間115/11/01–115/11/30（臺北時間）·服務機ERLIN-01") == pages
    assert text.startswith(heading)                              # at the top of the first page, not after the menu
    assert "第40櫃台" in text and "核閱" in text                  # the whole report, down to the signatures
    for screen_only in ("大廳顯示", "月報表", "下載CSV", "上個月"):  # the menu and the links stay on the screen
        assert screen_only not in text, screen_only


def test_a_long_form_title_wraps_inside_the_page(browser_on_report):
    from selenium.webdriver.common.by import By

    browser = browser_on_report
    cells = {td.text: td for td in browser.find_elements(By.CSS_SELECTOR, ".forms td.title")}
    long, short = cells[LONG_TITLE], cells["遷入登記申請書"]
    assert long.size["width"] == short.size["width"]
    assert long.size["height"] > 1.5 * short.size["height"], "the long title should wrap, not widen the table"
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the window"
    chart = browser.find_element(By.CSS_SELECTOR, ".forms svg.chart")
    table = browser.find_element(By.CSS_SELECTOR, ".forms table")
    assert table.location["x"] + table.size["width"] <= chart.location["x"] or \
        table.location["y"] + table.size["height"] <= chart.location["y"], "the chart and the table overlap"
