"""The monthly report's numbers (office/report.py), computed without Flask from rows the office Database stores.

% satisfied must be the kiosk's own (`kiosk ratings stats`, kiosk/rating_stats.py): the same ratings recorded
through the kiosk's RatingService and uploaded to the office give the same share.
"""

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from protocol import officetime
from protocol.periods import Period
from kiosk.rating_stats import summarise
from protocol.ratings import Scale
from kiosk.ratings import RatingService
from kiosk.store import Store
from office import forms_list, report, report_figures
from office.charts import hbar_chart, vbar_chart
from office.db import Database
from office.models import parse_events

KIOSK = "ERLIN-01"
TAIPEI = officetime.TAIPEI


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        database.add_kiosk(KIOSK)
        yield database


def ingest(db, raw_events, kiosk=KIOSK):
    valid, rejected = parse_events(raw_events)
    assert not rejected, rejected
    return db.ingest(kiosk, [e for _, e in valid])


_seq = iter(range(1, 10 ** 6))


def ev(type, data, at="2026-11-27T09:30:00.000+08:00", synced=True):
    return {"id": str(uuid.uuid4()), "type": type, "seq": next(_seq), "at": at, "clock_synced": synced, "data": data}


def rating(choice="smile", score=3, scale=3, misuse=False, at="2026-11-27T09:30:00.000+08:00", **extra):
    return ev("rating", {"score": score, "scale": scale, "choice": choice, "source": "button", "misuse": misuse,
                         **extra}, at=at)


def known_month(db):
    """3 answers on a 3-scale (2 smile, 1 frown) and 1 misuse smile, with reasons, tickets and form views."""
    frown = rating("frown", 1, service="A", location="櫃台1", at="2026-11-27T10:05:00.000+08:00")
    events = [
        rating("smile", 3, service="A", location="櫃台1"),
        rating("smile", 3, service="C", location="櫃台2", at="2026-11-03T14:00:00.000+08:00"),
        rating("smile", 3, misuse=True, service="C", location="櫃台2", at="2026-11-03T14:00:01.000+08:00"),
        frown,
        ev("rating_reason", {"rating_id": frown["id"], "reason": "wait_time"}),
        ev("ticket", {"number": "A001", "service": "A", "people_ahead": 0}, at="2026-11-27T08:31:00.000+08:00"),
        ev("ticket", {"number": "A002", "service": "A", "people_ahead": 1}, at="2026-11-27T08:59:59.000+08:00"),
        ev("ticket", {"number": "C001", "service": "C", "people_ahead": 0}, at="2026-11-27T14:10:00.000+08:00"),
        ev("form_view", {"code": "move-in"}), ev("form_view", {"code": "move-in"}),
        ev("form_slip", {"code": "move-in"}), ev("form_view", {"code": "seal"}),
    ]
    ingest(db, events)
    return report.load_report(db, report.parse_month("115/11"))


# -- months --------------------------------------------------------------------------------------

def test_an_roc_month_is_parsed():
    period = report.parse_month("115/11")
    assert (period.first, period.last, period.name) == (date(2026, 11, 1), date(2026, 11, 30), "民國115年11月")
    assert report.parse_month("2026-02").last == date(2026, 2, 28)
    assert report.month_key(report.parse_month("115/3")) == "115/03"


def test_no_month_is_this_month_in_taipei():
    assert report.parse_month(None, today=date(2026, 12, 1)).first == date(2026, 12, 1)
    assert report.parse_month("", today=date(2027, 1, 31)).name == "民國116年1月"


@pytest.mark.parametrize("bad, what", [("115/13", "沒有 13 月"), ("11/2026/5", "「11/2026/5」不是年/月"),
                                       ("abc", "「abc」不是年/月"), ("115-", "不是年/月"), ("x" * 100, "太長（100 個字元）"),
                                       ("0/01", "民國元年（1912 年）以前"), ("115/0", "沒有 0 月")])
def test_a_bad_month_says_in_chinese_what_is_wrong_and_how_to_write_one(bad, what):
    with pytest.raises(ValueError) as raised:
        report.parse_month(bad)
    message = str(raised.value)
    assert what in message and "例如 115/11" in message
    assert not any(word in message for word in ("got", "expected", "not a", "month"))   # no English left


def test_the_trend_is_the_month_and_the_five_before_across_a_new_year():
    months = report.previous_months(report.parse_month("116/02"), 6)
    assert [report.month_key(p) for p in months] == ["115/09", "115/10", "115/11", "115/12", "116/01", "116/02"]


def test_a_rating_at_the_end_of_november_utc_is_a_december_rating(db):
    ingest(db, [rating(at="2026-11-30T16:30:00Z"), rating(at="2026-11-30T15:59:59.999Z")])
    november = report.load_report(db, report.parse_month("115/11"))
    december = report.load_report(db, report.parse_month("115/12"))
    assert november.overall.answers == 1 and december.overall.answers == 1
    assert [r["day"] for r in db.ratings()] == ["2026-11-30", "2026-12-01"]
    assert [(report.month_key(p), s.answers) for p, s in december.trend][-2:] == [("115/11", 1), ("115/12", 1)]


# -- the numbers ---------------------------------------------------------------------------------

def test_satisfied_misuse_and_counts_of_a_known_month(db):
    r = known_month(db)
    assert (r.overall.answers, r.overall.satisfied, r.overall.misuse) == (3, 2, 1)
    assert r.overall.percent == "66.7 %"
    assert [(key, n) for _, key, _, n in r.overall.choices()] == [("smile", 2), ("neutral", 0), ("frown", 1)]
    assert [(report.month_key(p), s.answers) for p, s in r.trend] == [
        ("115/06", 0), ("115/07", 0), ("115/08", 0), ("115/09", 0), ("115/10", 0), ("115/11", 3)]
    assert r.trend[0][1].percent == "–"


def test_per_service_and_per_counter(db):
    r = known_month(db)
    assert [(name, s.answers, s.satisfied, s.misuse) for name, s in r.by_service] == [
        ("A 戶籍登記", 2, 1, 0), ("C 謄本、印鑑證明", 1, 1, 1)]
    assert [(name, s.percent) for name, s in r.by_location] == [("櫃台1", "50.0 %"), ("櫃台2", "100.0 %")]


def test_reasons_are_counted_per_reason(db):
    r = known_month(db)
    assert r.reasons == [("wait_time", "等候時間太長", 1), ("attitude", "服務態度", 0),
                         ("explanation", "說明不清楚", 0), ("environment", "環境設施", 0), ("other", "其他", 0)]
    assert r.reasons_unanswered == 0


def test_a_negative_rating_without_reason_is_unanswered_and_misuse_is_left_out():
    rows = [{"scale": 5, "score": 2, "choice": "dissatisfied", "misuse": False, "reason": None},
            {"scale": 5, "score": 1, "choice": "very_dissatisfied", "misuse": True, "reason": "attitude"},
            {"scale": 5, "score": 1, "choice": "very_dissatisfied", "misuse": False, "reason": "newer-reason"}]
    reasons, unanswered = report.reason_counts(rows)
    assert unanswered == 1 and dict((k, n) for k, _, n in reasons) == {
        "wait_time": 0, "attitude": 0, "explanation": 0, "environment": 0, "other": 0, "newer-reason": 1}


def test_tickets_per_service_and_hour_and_form_downloads(db):
    r = known_month(db)
    assert r.tickets_total == 3
    assert r.tickets_by_service == [("A", "A 戶籍登記", 2), ("C", "C 謄本、印鑑證明", 1)]
    assert r.tickets_by_hour[8] == 2 and r.tickets_by_hour[14] == 1 and r.tickets_by_hour[9] == 0
    assert list(r.tickets_by_hour) == list(range(8, 18))
    # by title: move-in's events carry none (an older kiosk): the shipped catalogue's; "seal" is in neither
    assert r.forms == [("move-in", "遷入登記申請書", 2, 1), ("seal", "seal", 1, 0)]


def test_a_form_is_named_by_the_title_its_kiosk_showed_the_newest_first(db):
    ingest(db, [
        ev("form_view", {"code": "office-made", "title": "本所自製切結書", "lang": "zh-TW"},
           at="2026-11-02T09:00:00.000+08:00"),
        ev("form_view", {"code": "office-made", "title": "本所自製切結書（新版）", "lang": "en"},
           at="2026-11-20T09:00:00.000+08:00"),
        ev("form_slip", {"code": "move-in", "title": "遷入登記申請書（本所版）"}),
        ev("form_view", {"code": "old-kiosk"}),
        # a title the office later changed: December's does not rename November's report
        ev("form_view", {"code": "move-in", "title": "十二月的名稱"}, at="2026-12-01T09:00:00.000+08:00"),
    ])
    r = report.load_report(db, report.parse_month("115/11"))
    assert {f.code: f.title for f in r.forms} == {
        "office-made": "本所自製切結書（新版）", "move-in": "遷入登記申請書（本所版）", "old-kiosk": "old-kiosk"}


def test_a_kiosk_that_sends_no_title_gets_the_offices_own_for_the_form(db):
    forms_list.ensure_seeded(db)
    office_rows = [replace(row, title="遷入登記申請書（本所版）") if row.code == "move-in" else row
                   for row in forms_list.rows(db)]
    assert forms_list.save(db, office_rows) == []
    r = known_month(db)                                 # its form events carry codes only
    assert r.forms[0] == ("move-in", "遷入登記申請書（本所版）", 2, 1)


def test_the_report_names_the_office_and_the_kiosks_of_its_month(db):
    assert known_month(db).office_name == ""           # until staff set it
    db.set_office_name("彰化縣二林戶政事務所")
    db.add_kiosk("ERLIN-02"), db.add_kiosk("ERLIN-03"), db.add_kiosk("ERLIN-04")
    ingest(db, [ev("ticket", {"number": "B001", "service": "B"})], kiosk="ERLIN-03")
    ingest(db, [rating(at="2026-10-31T12:00:00.000+08:00")], kiosk="ERLIN-02")   # October's: not in November
    r = report.load_report(db, report.parse_month("115/11"))
    assert r.office_name == "彰化縣二林戶政事務所"
    assert r.kiosks == ["ERLIN-01", "ERLIN-03"]       # ERLIN-04 sent nothing; ERLIN-02 only in October
    assert report.load_report(db, report.parse_month("115/10")).kiosks == ["ERLIN-02"]


def test_five_point_scale_counts_the_top_two():
    rows = [{"scale": 5, "score": s, "choice": c, "misuse": False, "day": "2026-11-02"}
            for s, c in [(5, "very_satisfied"), (4, "satisfied"), (3, "neutral"), (1, "very_dissatisfied")]]
    s = report_figures.satisfaction(rows)
    assert (s.answers, s.satisfied, s.percent) == (4, 2, "50.0 %")


def test_charts_are_svg_and_escape_their_labels():
    svg = str(hbar_chart([("<script>", 3), ("b", None)], "t&t"))
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg and "t&amp;t" in svg
    assert str(vbar_chart([("8", 0), ("9", 4)], "hours")).count("<rect") == 2


def test_today_marks_a_silent_kiosk_offline():
    now = datetime(2026, 11, 27, 10, 0, tzinfo=TAIPEI)
    kiosks = [{"id": "A", "last_contact_at": "2026-11-27T09:50:00.000+08:00", "events": 1, "last_heartbeat": None},
              {"id": "B", "last_contact_at": "2026-11-27T09:44:59.000+08:00", "events": 1, "last_heartbeat": None},
              {"id": "C", "last_contact_at": None, "events": 0, "last_heartbeat": None}]
    today = report.build_today(now.date(), [], [], kiosks, now)
    assert [(k["id"], k["offline"], k["silent_minutes"]) for k in today.kiosks] == [
        ("A", False, 10), ("B", True, 15), ("C", True, None)]


def test_the_offline_threshold_is_the_offices_and_a_heartbeat_is_read_defensively():
    now = datetime(2026, 11, 27, 10, 0, tzinfo=TAIPEI)
    old_style = {"at": "2026-11-27T09:40:00.000+08:00", "clock_synced": False, "data": {"outbox": 3, "version": 7,
                                                                                        "faults": ["x", {"kind": 1}]}}
    kiosks = [{"id": "A", "last_contact_at": "2026-11-27T09:40:00.000+08:00", "events": 1,
               "last_heartbeat": old_style}]
    [row] = report.build_today(now.date(), [], [], kiosks, now, offline_minutes=30).kiosks
    assert row["offline"] is False and row["silent_minutes"] == 20
    health = row["health"]
    assert (health["version"], health["backlog"], health["printer"], health["faults"]) == (None, None, None, [])
    assert health["at"] == "2026-11-27T09:40:00.000+08:00" and health["clock_synced"] is False
    [row] = report.build_today(now.date(), [], [], kiosks, now).kiosks
    assert row["offline"] is True  # the default, 15 minutes


def test_a_heartbeat_is_shown_in_the_offices_words():
    health = report.kiosk_health({"at": "2026-11-27T09:40:00.000+08:00", "clock_synced": True, "data": {
        "version": "0.2.0", "backlog": 4, "parked": 1, "printer": {"state": "printer_cover_open"},
        "faults": [{"kind": "button_stuck", "count": 2}, {"kind": "a_new_kind", "count": 1}],
        "ticketing_paused": True}})
    assert health["printer_label"] == "上蓋開啟 cover open" and health["printer_ok"] is False
    assert [(f["label"], f["count"]) for f in health["faults"]] == [("按鈕卡住", 2), ("a_new_kind", 1)]
    assert (health["backlog"], health["parked"], health["ticketing_paused"]) == (4, 1, True)
    assert report.kiosk_health(None) is None


# -- the same % as the kiosk ---------------------------------------------------------------------

def test_the_report_agrees_with_kiosk_ratings_stats(tmp_path, db, clock):
    """Ratings pressed on a kiosk, uploaded as its uploader would: the kiosk's % satisfied is the report's."""
    start = datetime(2026, 11, 2, 8, 0, tzinfo=TAIPEI)
    presses = [0, 0, 2, 0, 1, 2, 0, 0, 1, 0, 2, 0, 0]  # button indexes, best first
    with Store.open(tmp_path / "kiosk") as store:
        service = RatingService(store, Scale.of_size(3), KIOSK, monotonic=clock, location="櫃台1")
        for i, index in enumerate(presses):
            clock.advance(1 if i in (3, 7) else 60)  # two presses come too soon after the one before: misuse
            rated = service.rate(index, "button", at=start + timedelta(days=i, minutes=i))
            if rated.negative:
                service.set_reason(rated.id, "attitude")
        # and one on the last evening of October, one on the first morning of December: not November's
        service.rate(0, "button", at=datetime(2026, 10, 31, 23, 59, tzinfo=TAIPEI))
        clock.advance(60)
        service.rate(2, "button", at=datetime(2026, 12, 1, 0, 0, tzinfo=TAIPEI))
        events = store.pending_events(limit=1000)
        period = Period.parse(month="115/11")
        summary = summarise(store, Scale.of_size(3), period)
    ingest(db, [e.to_json() for e in events])
    r = report.load_report(db, report.parse_month("115/11"))
    assert summary.misuse == 2 and r.overall.misuse == summary.misuse
    assert r.overall.answers == summary.total and r.overall.satisfied == summary.satisfied
    assert r.overall.share == summary.satisfied_share
    assert r.overall.percent == f"{100 * summary.satisfied_share:.1f} %"
    assert {key: n for _, key, _, n in r.overall.choices()} == summary.counts
    assert dict((k, n) for k, _, n in r.reasons)["attitude"] == sum(
        1 for i, index in enumerate(presses) if index == 2 and i not in (3, 7))
