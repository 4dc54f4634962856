"""Number-calling statistics in the monthly report (office/call_stats.py, office/report.py, report.html).

A day of calls is made through the real functions of office/calls.py on a SQLite office database, with tickets and
ratings uploaded as the kiosks upload them; then the figures a director reads are checked: waits from the first
call, service times, no-shows, per hour, and which ratings are linked to the counter call they rate.
"""

import re
import uuid
from datetime import datetime, timedelta

import pytest

from office_sign_in import sign_in
from protocol import officetime
from office import call_stats, calls, report, staff
from office.app import create_app
from office.db import Database
from office.models import parse_events

KIOSK = "ERLIN-01"
PASSWORD = "correct horse 1"
MONTH = "115/11"
_seq = iter(range(1, 10 ** 6))


def at(minute: float) -> datetime:
    """9:00 + minute on 2026-11-27, office time."""
    return datetime(2026, 11, 27, 9, 0, tzinfo=officetime.TAIPEI) + timedelta(minutes=minute)


def stamp(minute: float) -> str:
    return officetime.rfc3339(at(minute))


def ev(type, data, minute, synced=True):
    return {"id": str(uuid.uuid4()), "type": type, "seq": next(_seq), "at": stamp(minute), "clock_synced": synced,
            "data": data}


def ingest(db, raw_events):
    valid, rejected = parse_events(raw_events)
    assert not rejected, rejected
    assert not db.ingest(KIOSK, [e for _, e in valid]).rejected


def ticket(number, minute):
    return ev("ticket", {"number": number, "service": number[0], "people_ahead": 0}, minute)


def rating(location, minute, choice="smile", score=3, misuse=False, synced=True):
    return ev("rating", {"score": score, "scale": 3, "choice": choice, "source": "button", "misuse": misuse,
                         "location": location}, minute, synced)


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        database.add_kiosk(KIOSK)
        yield database


def a_day(db):
    """One morning at two counters: 3 serves A, 4 serves C.

    A001 printed 9:00, called 9:10 (recalled 9:12), done 9:20            wait 10, service 10
    A002 printed 9:02, called 9:20, recalled twice, 過號 9:23;
         back in the queue 9:30, called again 9:40, done 9:44            wait 18 (not 38), service 4
    A003 printed 9:04, called 9:23, done 9:29                            wait 19, service 6
    C001 printed 9:05, called 9:15 at counter 4, done 9:27               wait 10, service 12
    A004 printed 10:30, called 10:40, done 10:45                         wait 10, service 5
    A005 printed 10:31, called 10:45, 過號 10:47 (never came back)       wait 14

    The ratings arrive before the calls are made (a kiosk's upload may come first; the link is made at report
    time).  At counter 3 the link window of a call runs from the call to 完成 + 5 minutes.
    """
    ingest(db, [
        ticket("A001", 0), ticket("A002", 2), ticket("A003", 4), ticket("C001", 5),
        ticket("A004", 90), ticket("A005", 91),
        rating("3", 12),                              # 2 minutes after A001's call: linked to A001 (A)
        rating("", 12),                               # the lobby kiosk: not linked
        rating("3", 12.02, misuse=True),              # misuse: never linked
        rating("3號", 13),                            # not a whole number: not linked
        rating("4", 20),                              # C001 still being served at counter 4: linked (C)
        rating("3", 21.5, "frown", 1),                # while A002 is called, and A002 ends 過號: not linked
        rating(" 3 ", 46, "frown", 1),                # 2 minutes after A002 was done: linked to A002 (A)
        rating("3", 54),                              # 10 minutes after A002 was done: not linked
        rating("3", 41, synced=False),                # during A002's call, but the kiosk clock was not synced
    ])
    a001 = calls.call_next(db, 3, ["A"], at(10))
    calls.recall(db, a001["id"], at(12))
    c001 = calls.call_next(db, 4, ["C"], at(15))
    calls.done(db, a001["id"], at(20))
    a002 = calls.call_next(db, 3, ["A"], at(20))
    for minute in (21, 22, 23):
        calls.no_show(db, a002["id"], at(minute), max_recalls=2)
    a003 = calls.call_next(db, 3, ["A"], at(23))
    calls.done(db, c001["id"], at(27))
    calls.done(db, a003["id"], at(29))
    calls.requeue(db, a002["id"], at(30))
    assert calls.call_next(db, 3, ["A"], at(40))["number"] == "A002"
    calls.done(db, a002["id"], at(44))
    a004 = calls.call_next(db, 3, ["A"], at(100))
    a005 = calls.call_next(db, 3, ["A"], at(105))     # finishes A004 (完成 forgotten) at 10:45
    assert (a004["number"], a005["number"]) == ("A004", "A005")
    assert calls.no_show(db, a005["id"], at(107), max_recalls=0)["state"] == "no_show"


@pytest.fixture
def stats(db):
    a_day(db)
    return report.load_report(db, report.parse_month(MONTH)).calls


# -- the figures -----------------------------------------------------------------------------------

def test_per_service_waits_are_from_the_first_call(stats):
    a, c = stats.services
    assert (a.code, a.label, a.called, a.served, a.no_show) == ("A", "A 戶籍登記", 5, 4, 1)
    # waits 10, 18, 19, 10, 14: A002's recall and its second call (after 過號) do not stretch its wait
    assert a.mean_wait == pytest.approx(14.2) and a.median_wait == pytest.approx(14)
    assert a.median_service == pytest.approx(5.5)    # 10, 4, 6, 5 minutes: last call → 完成
    assert (c.code, c.called, c.served, c.no_show, c.mean_wait, c.median_service) == ("C", 1, 1, 0, 10, 12)
    assert (stats.called, stats.served, stats.no_show, stats.empty) == (6, 5, 1, False)


def test_per_counter(stats):
    three, four = stats.counters
    assert (three.counter, three.served, three.median_service, three.called) == (3, 4, 5.5, 6)
    assert (four.counter, four.served, four.median_service) == (4, 1, 12)


def test_per_hour(stats):
    hours = {h.hour: h for h in stats.hours}
    assert list(hours) == list(range(8, 18))
    assert (hours[9].printed, hours[9].called, hours[9].mean_wait) == (4, 4, pytest.approx(14.25))
    assert (hours[10].printed, hours[10].called, hours[10].mean_wait) == (2, 2, pytest.approx(12))
    assert (hours[8].printed, hours[8].called, hours[8].mean_wait) == (0, 0, None)


def test_ratings_are_linked_to_the_call_they_rate(stats):
    three, four = stats.counters
    # counter 3: the smile 2 minutes after A001's call and the frown 2 minutes after A002's 完成
    assert (three.linked, three.ratings.answers, three.ratings.satisfied, three.ratings.percent) == (
        2, 2, 1, "50.0 %")
    assert (four.linked, four.ratings.percent) == (1, "100.0 %")
    a, c = stats.services
    assert (a.linked, a.ratings.percent, c.linked, c.ratings.percent) == (2, "50.0 %", 1, "100.0 %")
    # whole-number location, not misuse, clock synced: 3, 4, 3 (during 過號), " 3 ", 3 (10 min after)
    assert (stats.counter_ratings, stats.linked) == (5, 3)


def test_which_ratings_link_to_which_ticket(db):
    a_day(db)
    rows = call_stats.load_calls(db, "2026-11-01", "2026-11-30")
    numbers = {row["id"]: row["number"] for row in rows.calls}
    links, _ = call_stats.link_ratings(rows.ratings, rows.events)
    linked = {(link.rating["location"], link.rating["at"]): (numbers[link.call_id], link.counter, link.service)
              for link in links}
    assert linked == {("3", stamp(12)): ("A001", 3, "A"), ("4", stamp(20)): ("C001", 4, "C"),
                      (" 3 ", stamp(46)): ("A002", 3, "A")}


def test_the_link_window_ends_link_minutes_after_done():
    events = [{"id": 1, "call_id": 7, "kind": "call", "service": "B", "counter": 2, "at": stamp(0)},
              {"id": 2, "call_id": 7, "kind": "done", "service": "B", "counter": 2, "at": stamp(6)}]

    def linked(minute, location="2", **extra):
        row = {"at": stamp(minute), "location": location, "misuse": False, "clock_synced": True, **extra}
        return len(call_stats.link_ratings([row], events)[0])
    assert call_stats.LINK_MINUTES == 5
    assert [linked(m) for m in (-1, 0, 3, 6, 11, 11.02)] == [0, 1, 1, 1, 1, 0]
    assert linked(3, "02") == 1 and linked(3, "3") == 0 and linked(3, "2 號") == 0 and linked(3, None) == 0
    assert linked(3, misuse=True) == 0 and linked(3, clock_synced=False) == 0
    assert linked(3, at="2026-11-27T01:03:00Z") == 1          # a UTC time is the same moment


def test_a_call_still_open_links_that_day_and_a_transfer_ends_at_the_transfer():
    events = [{"id": 1, "call_id": 1, "kind": "call", "service": "A", "counter": 1, "at": stamp(0)},
              {"id": 2, "call_id": 1, "kind": "transfer", "service": "A", "counter": 1, "at": stamp(5)},
              {"id": 3, "call_id": 1, "kind": "call", "service": "C", "counter": 2, "at": stamp(8)}]

    def link(minute, location):
        row = {"at": stamp(minute), "location": location, "misuse": False}
        return [(found.counter, found.service) for found in call_stats.link_ratings([row], events)[0]]
    assert link(4, "1") == [(1, "A")] and link(6, "1") == []   # no grace after a transfer
    assert link(300, "2") == [(2, "C")]                        # still called at counter 2, the same day
    assert link(24 * 60, "2") == []                            # the next morning: not that visit


def test_a_transferred_ticket_waits_once_and_is_served_in_its_new_service(db):
    ingest(db, [ticket("A001", 0)])
    first = calls.call_next(db, 1, ["A"], at(10))
    calls.transfer(db, first["id"], "C", at(12))
    calls.call_next(db, 2, ["C"], at(20))
    calls.done(db, first["id"], at(23))
    stats = report.load_report(db, report.parse_month(MONTH)).calls
    assert [(s.code, s.called, s.served, s.mean_wait, s.median_service) for s in stats.services] == [
        ("A", 1, 0, 10, None), ("C", 1, 1, None, 3)]
    assert stats.called == 1 and [(c.counter, c.served) for c in stats.counters] == [(1, 0), (2, 1)]


def test_a_month_without_calls_is_empty():
    stats = call_stats.build_call_stats([], [], [], [{"hour": 9}])
    assert stats.empty and stats.services == stats.counters == stats.hours == []
    assert call_stats.minutes(None) == "–" and call_stats.minutes(5.5) == "6" and call_stats.minutes(5.49) == "5"


# -- the page and the CSV ----------------------------------------------------------------------------

@pytest.fixture
def staff_client(db):
    staff.add_user(db, "chen", PASSWORD)
    return sign_in(create_app(db).test_client(), "chen", PASSWORD)


def tables(html):
    """Each table of ``html`` as rows of cell texts."""
    found = []
    for table in re.findall(r"<table>(.*?)</table>", html, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        found.append([[re.sub(r"<[^>]+>", "", cell).strip()
                       for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows])
    return found


def test_the_report_page_shows_the_calling_statistics(db, staff_client):
    a_day(db)
    page = staff_client.get(f"/report?month={MONTH}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    section = re.search(r'<section class="calls">(.*?)</section>', text, re.S).group(1)
    assert "叫號統計" in section and "叫號系統本月無紀錄" not in section
    by_service, by_counter, by_hour = tables(section)
    assert by_service == [
        ["服務", "叫號", "完成", "過號", "平均等候", "中位等候", "中位服務時間", "連結評價數", "滿意度"],
        ["A 戶籍登記", "5", "4", "1", "14", "14", "6", "2", "50.0 %"],
        ["C 謄本、印鑑證明", "1", "1", "0", "10", "10", "12", "1", "100.0 %"]]
    assert by_counter == [["櫃台", "完成", "中位服務時間", "連結評價數", "滿意度"],
                          ["3 號", "4", "6", "2", "50.0 %"], ["4 號", "1", "12", "1", "100.0 %"]]
    assert by_hour[0] == ["時"] + [str(h) for h in range(8, 18)]
    assert by_hour[1][:4] == ["取號", "0", "4", "2"]
    assert by_hour[2][:4] == ["叫號", "0", "4", "2"]
    assert by_hour[3][:4] == ["平均等候", "–", "14", "12"]
    assert "櫃台評價 5 筆，連結至叫號 3 筆" in section


def test_a_month_without_calls_says_so_in_one_line(db, staff_client):
    ingest(db, [ticket("A001", 0)])                   # tickets, but nobody called a number
    text = staff_client.get(f"/report?month={MONTH}").get_data(as_text=True)
    section = re.search(r'<section class="calls">(.*?)</section>', text, re.S).group(1)
    assert "叫號系統本月無紀錄" in section and "<table" not in section


def test_the_csv_has_the_calling_rows(db, staff_client):
    """The report's calling CSV files (office/report_csv.py): one row per service, counter and hour."""
    a_day(db)

    def rows(section):
        answer = staff_client.get(f"/report/{section}.csv?month={MONTH}")
        return [line.split(",") for line in answer.data.decode("utf-8-sig").splitlines()]

    service = rows("calls-service")
    assert service[0] == ["服務", "叫號", "完成", "過號", "平均等候（分）", "中位等候（分）", "中位服務時間（分）",
                          "連結評價數", "連結評價滿意度%"]
    assert service[1] == ["A 戶籍登記", "5", "4", "1", "14.2", "14.0", "5.5", "2", "50.0"]
    assert service[2][0] == "C 謄本、印鑑證明" and service[2][-1] == "100.0"
    counter = rows("calls-counter")
    assert counter[0] == ["櫃台", "叫號", "完成", "中位服務時間（分）", "連結評價數", "連結評價滿意度%"]
    assert counter[1][0] == "3 號櫃台" and counter[1][2] == "4" and counter[1][4:] == ["2", "50.0"]
    hour = rows("calls-hour")
    assert hour[0] == ["時段", "取號", "叫號", "平均等候（分）"]
    assert ["09:00–09:59", "4", "4", "14.2"] in hour and ["08:00–08:59", "0", "0", ""] in hour
    summary = dict(zip(*rows("summary")))
    assert (summary["叫號"], summary["過號"]) == ("6", "1")