"""The office dashboard in a real headless Chromium: a director logs in and reads the monthly report.

Needs Debian's chromium and chromium-driver (.ci/run installs them); without them the test is skipped.
"""

import re
import uuid
import zlib
from datetime import datetime, timedelta

import pytest
import requests

from office_browser import chromium, needs_chromium, running_office

pytestmark = needs_chromium


def rating(score, choice, day, misuse=False):
    """A rating at 10:00 on ``day`` in Taipei (was the machine's local date: on a UTC machine between 16:00 and
    24:00 on a month's last day, a rating of the month before the report's)."""
    return {"id": str(uuid.uuid4()), "type": "rating", "seq": 0, "at": f"{day.isoformat()}T10:00:00.000+08:00",
            "clock_synced": True, "data": {"score": score, "scale": 3, "choice": choice, "source": "button",
                                           "kiosk_id": "ERLIN-01", "location": "3", "service": "A",
                                           "misuse": misuse}}


@pytest.fixture
def office(tmp_path, office_clock):
    with running_office(tmp_path / "office.db", "ERLIN-01", "director", "correct horse battery",
                        clock=office_clock) as (base, token):
        url = base + "/"
        day = office_clock.day()                 # the report shows the server's month: the office clock's
        events = [rating(3, "smile", day), rating(3, "smile", day), rating(1, "frown", day),
                  rating(3, "smile", day, misuse=True)]
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


# -- the printed monthly report: one A4 page ---------------------------------------------------------

MONTH = (2026, 10)                       # 民國 115 年 10 月
SERVICES = "ABCDEFP"
COUNTERS = {1: ["A", "B"], 2: ["A", "C"], 3: ["C", "D"], 4: ["B", "D"]}   # P is called at every counter


class BusyMonth:
    """A busy October uploaded through the real API by 3 kiosks, and two days of number calling (a_busy_month)."""

    def __init__(self, url, tmp_path, token):
        import random
        import subprocess
        import sys

        self.url, self.rnd = url, random.Random(115_10)
        self.db_url = f"sqlite:///{tmp_path / 'office.db'}"
        self.tokens = {"ERLIN-01": token}
        for kiosk in ("ERLIN-02", "ERLIN-03"):
            self.tokens[kiosk] = subprocess.run(
                [sys.executable, "-m", "office", "kiosk", "add", kiosk, "--db", self.db_url],
                capture_output=True, text=True, timeout=60, check=True).stdout.strip().splitlines()[-1]
        self.location = {"ERLIN-01": "1", "ERLIN-02": "2", "ERLIN-03": "3"}
        self.seq = {kiosk: 0 for kiosk in self.tokens}
        self.days = [d for d in range(1, 32) if datetime(*MONTH, d).weekday() < 5 and d not in (5, 6)]
        self.satisfied = self.answers = self.called = 0
        self.viewed = set()

    def event(self, kiosk, type, when, data):
        from protocol import officetime

        self.seq[kiosk] += 1
        return {"id": str(uuid.uuid4()), "type": type, "seq": self.seq[kiosk], "at": officetime.rfc3339(when),
                "clock_synced": True, "data": data}

    def upload(self, kiosk, events):
        for i in range(0, len(events), 500):
            batch = events[i:i + 500]
            answer = requests.post(self.url + "api/v1/events", json={"kiosk_id": kiosk, "events": batch},
                                   headers={"Authorization": f"Bearer {self.tokens[kiosk]}"}, timeout=30).json()
            assert len(answer["accepted"]) == len(batch), answer

    def moment(self, day, hour=None):
        from protocol import officetime

        rnd = self.rnd
        return datetime(*MONTH, day, hour if hour is not None else rnd.randrange(8, 17), rnd.randrange(60),
                        rnd.randrange(60), tzinfo=officetime.TAIPEI)

    def ratings(self, kiosk):
        from office import report

        rnd, events = self.rnd, []
        for _ in range(1200):
            when = self.moment(rnd.choice(self.days))
            choice = rnd.choices(["smile", "neutral", "frown"], [78, 14, 8])[0]
            misuse = rnd.random() < 0.02
            rating = self.event(kiosk, "rating", when, {
                "score": {"smile": 3, "neutral": 2, "frown": 1}[choice], "scale": 3, "choice": choice,
                "source": "button", "kiosk_id": kiosk, "location": self.location[kiosk],
                "service": rnd.choice(SERVICES), "misuse": misuse})
            events.append(rating)
            if not misuse:
                self.answers += 1
                self.satisfied += choice == "smile"
            if choice == "frown" and not misuse and rnd.random() < 0.6:
                events.append(self.event(kiosk, "rating_reason", when + timedelta(seconds=20), {
                    "rating_id": rating["id"], "reason": rnd.choice(list(report.REASON_LABELS))}))
        return events

    def tickets_and_forms(self, k, kiosk, forms):
        rnd, events = self.rnd, []
        for _ in range(850):
            service = rnd.choices(SERVICES, [30, 20, 18, 8, 6, 10, 8])[0]
            events.append(self.event(kiosk, "ticket", self.moment(rnd.choice(self.days)),
                                     # each kiosk its own numbers: the office keeps the first kiosk's A001 of a day
                                     {"number": f"{service}{k * 300 + rnd.randrange(1, 300):03d}", "service": service,
                                      "people_ahead": rnd.randrange(12)}))
        for _ in range(400):
            code = rnd.choices(forms, [1 / (i + 1) for i in range(len(forms))])[0]
            self.viewed.add(code)
            events.append(self.event(kiosk, rnd.choice(["form_view", "form_view", "form_slip"]),
                                     self.moment(rnd.choice(self.days)), {"code": code}))
        return events

    def calling_day(self, db, day):
        """A ticket every 3 minutes at the lobby kiosk, each counter calling the next one every 13 minutes, a few
        no-shows; a rating at the counter's kiosk now and then."""
        from office import calls
        from protocol import officetime

        rnd = self.rnd
        start = datetime(*MONTH, day, 8, 0, tzinfo=officetime.TAIPEI)
        printed, current, numbers = 0, {}, {s: 0 for s in SERVICES}
        for step in range(0, 9 * 60, 13):
            now = start + timedelta(minutes=step)
            tickets = []
            while printed <= step:
                service = rnd.choices("ABCDP", [35, 25, 20, 10, 10])[0]
                numbers[service] += 1
                tickets.append(self.event("ERLIN-01", "ticket", start + timedelta(minutes=printed),
                                          {"number": f"{service}{numbers[service]:03d}", "service": service,
                                           "people_ahead": 0}))
                printed += 3
            self.upload("ERLIN-01", tickets)
            ratings = []
            for counter, services in COUNTERS.items():
                if counter in current and rnd.random() < 0.08:
                    calls.no_show(db, current.pop(counter), now - timedelta(minutes=1), max_recalls=0)
                call = calls.call_next(db, counter, services, now + timedelta(seconds=counter))
                if call is None:
                    continue
                self.called += 1
                current[counter] = call["id"]
                if counter <= 3 and rnd.random() < 0.5:
                    kiosk = f"ERLIN-0{counter}"
                    ratings.append((kiosk, self.event(kiosk, "rating", now + timedelta(minutes=5), {
                        "score": 3, "scale": 3, "choice": "smile", "source": "button", "kiosk_id": kiosk,
                        "location": self.location[kiosk], "service": call["service"], "misuse": False})))
            for kiosk, rating in ratings:
                self.upload(kiosk, [rating])
                self.answers += 1
                self.satisfied += 1
        for call_id in current.values():
            calls.done(db, call_id, start + timedelta(hours=9, minutes=5))


def a_busy_month(url, tmp_path, token):
    """A busy October through the real upload API: 3 kiosks, ~3,600 ratings with reasons, ~2,600 tickets of 7
    services, ~40 forms viewed and printed; and two days of number calling at 4 counters (office/calls.py with
    explicit times in the month), the tickets uploaded as they are printed.

    Returns (% satisfied, numbers called, forms viewed or printed) as the report should show them.
    """
    from office import report_figures
    from office.db import Database
    from protocol.forms_format import SHIPPED

    month = BusyMonth(url, tmp_path, token)
    forms = sorted(set(re.findall(r'^code = "(.+)"', SHIPPED.read_text(encoding="utf-8"), re.M)))
    for k, kiosk in enumerate(month.tokens):
        month.upload(kiosk, month.ratings(kiosk) + month.tickets_and_forms(k, kiosk, forms))
    with Database(month.db_url) as db:
        for day in (5, 6):  # Monday 5 and Tuesday 6
            month.calling_day(db, day)
    return report_figures.percent(month.satisfied / month.answers), month.called, len(month.viewed)


def test_the_monthly_report_prints_on_one_a4_page(tmp_path):
    """The director's rule: one page a month.  A busy month, printed by Chromium on A4 with the default margins."""
    import base64

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.print_page_options import PrintOptions
    from selenium.webdriver.support.ui import WebDriverWait

    with running_office(tmp_path / "office.db", "ERLIN-01", "director", "correct horse battery") as (base, token):
        satisfied, called, forms = a_busy_month(base + "/", tmp_path, token)
        assert forms > 30
        with chromium() as browser:
            browser.get(base + "/login")
            browser.find_element(By.NAME, "name").send_keys("director")
            browser.find_element(By.NAME, "password").send_keys("correct horse battery")
            browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
            WebDriverWait(browser, 10).until(lambda driver: "/login" not in driver.current_url)
            browser.get(base + "/report?month=115/10")
            body = browser.find_element(By.TAG_NAME, "body").text
            assert browser.find_element(By.CSS_SELECTOR, "span.big").text == satisfied
            assert f"叫號 {called} 張" in body
            options = PrintOptions()
            options.page_width, options.page_height = 21.0, 29.7     # A4, portrait, Chromium's default margins
            pdf = base64.b64decode(browser.print_page(options))
    (tmp_path / "report.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    assert pages == 1, f"the report prints on {pages} A4 pages ({tmp_path / 'report.pdf'})"
    text = "".join(pdf_text(pdf).split())                       # the PDF draws no spaces
    assert satisfied.replace(" ", "") in text and "服務滿意度" in text
    assert "叫號統計" in text and f"叫號{called}張" in text
    assert f"其餘{forms - 10}種見CSV" in text                     # the forms table is cut to the top 10 in print
    assert "核閱" in text and "主任" in text                      # down to the signatures, on that one page


def pdf_text(pdf):
    """The text of a PDF as Chromium (Skia) writes it, without a PDF library: each font's ToUnicode map applied to
    the glyphs its ``Tj`` operators show (``ActualText`` spans in their place).  Spaces are not drawn: none here."""
    objects = dict(re.findall(rb"(\d+) 0 obj\s*(.*?)endobj", pdf, re.S))

    def stream(number):
        body = objects[number]
        raw = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S).group(1)
        # decompressobj: a stream whose last byte is CR loses it to the pattern above; that byte is checksum, not text
        return zlib.decompressobj().decompress(raw) if b"/FlateDecode" in body[:body.index(b"stream")] else raw

    def cmap(number):
        text = stream(number)
        size = len(re.search(rb"begincodespacerange\s*<([0-9A-Fa-f]+)>", text).group(1)) // 2
        codes = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                codes[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
            for low, high, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                for offset in range(int(high, 16) - int(low, 16) + 1):
                    codes[int(low, 16) + offset] = chr(int(dst, 16) + offset)
        return size, codes

    out = []
    for page in (body for body in objects.values() if re.match(rb"<<\s*/Type\s*/Page(?![a-zA-Z])", body)):
        fonts = {}
        for name, number in re.findall(rb"/(F\d+)\s+(\d+) 0 R", page):
            found = re.search(rb"/ToUnicode\s+(\d+) 0 R", objects[number])
            fonts[name] = cmap(found.group(1)) if found else (1, {})
        contents = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+ 0 R)", page).group(1)
        font, spans = (1, {}), []
        for number in re.findall(rb"(\d+) 0 R", contents):
            for token in re.finditer(rb"/(F\d+)\s+[-\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj|ActualText\s*<FEFF([0-9A-Fa-f]*)>"
                                     rb"[^B]*BDC|(BDC|BMC)\b|(EMC)\b|(ET)\b", stream(number)):
                name, shown, actual, begin, end, text_end = token.groups()
                if name:
                    font = fonts.get(name, (1, {}))
                elif shown is not None and not any(spans):
                    size, codes = font
                    glyphs = bytes.fromhex(shown.decode())
                    out.extend(codes.get(int.from_bytes(glyphs[i:i + size], "big"), "")
                               for i in range(0, len(glyphs), size))
                elif actual is not None:
                    out.append(bytes.fromhex(actual.decode()).decode("utf-16-be"))
                    spans.append(True)
                elif begin:
                    spans.append(False)
                elif end and spans:
                    spans.pop()
                elif text_end:
                    out.append("\n")
    return "".join(out)
