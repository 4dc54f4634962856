"""The monthly report's rating counts (``rating_counts``, kept by ingest; office/ingest.py) against a straightforward count.

The report reads the ratings counted per office day at ingest, not the ratings themselves (a county's month holds a
million).  On random months of uploads — several kiosks, scales 3 and 5, misuse, kiosk clocks not synced, reasons
arriving before, with and after their ratings and replaced by a later one, batches retried (duplicates), another
kiosk's event ids (rejected), times at the months' edges in Taipei written in UTC too, ratings at counters that
called tickets — the report must be the very report a count of the stored rows gives, on SQLite and on
OFFICE_TEST_DATABASE_URL when it is set (as tests/test_office_api.py); and a database of schema 3 is counted when
it is opened.
"""

import random
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest

from protocol import officetime
from protocol.ratings import REASONS, Scale
from office import call_stats, calls, report
from office.db import Database
from office.schema import EVENTS, META, RATING_COUNTS, RATINGS, REPORT_KEYS, SCHEMA_VERSION
from office.models import parse_events
from office_backends import BACKENDS, database_url

KIOSKS = ("ERLIN-01", "ERLIN-02", "LUKANG-01")
TAIPEI = officetime.TAIPEI
#: The months' edges, as kiosks may write them: with the office's offset, or in UTC.
EDGES = ("2026-10-31T23:59:59.999+08:00", "2026-10-31T16:00:00.000Z", "2026-11-01T00:00:00.000+08:00",
         "2026-11-30T23:59:59.999+08:00", "2026-11-30T15:59:59.999Z", "2026-11-30T16:00:00.000Z",
         "2026-12-01T00:00:00.000+08:00", "2026-05-31T23:59:59.999+08:00", "2026-06-01T00:00:00.000+08:00")
CALL_DAY = datetime(2026, 11, 30, 9, 0, tzinfo=TAIPEI)   # calls at counters 1 and 2 on the month's last day
LOCATIONS = ("", "", "1", " 2 ", "02", "2", "3", "櫃台1")


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        yield url


class Kiosks:
    """Random uploads from several kiosks, each numbering its own events."""

    def __init__(self, db, rng):
        self.db, self.rng = db, rng
        self.seq = Counter()
        self.sent = {}                                  # event id -> kiosk
        self.ratings = {kiosk: [] for kiosk in KIOSKS}  # rating ids, per kiosk
        for kiosk in KIOSKS:
            db.add_kiosk(kiosk)

    def event(self, kiosk, type, data, at, synced=True):
        self.seq[kiosk] += 1
        return {"id": str(uuid.uuid4()), "type": type, "seq": self.seq[kiosk], "at": at, "clock_synced": synced,
                "data": data}

    def moment(self):
        rng = self.rng
        if rng.random() < 0.3:
            return rng.choice(EDGES)
        if rng.random() < 0.2:   # while counters 1 and 2 call
            return officetime.rfc3339(CALL_DAY + timedelta(minutes=rng.uniform(-5, 60)))
        start = datetime(2026, 5, 25, tzinfo=TAIPEI)
        return officetime.rfc3339(start + timedelta(seconds=rng.uniform(0, 220 * 86400)))

    def rating(self, kiosk):
        rng = self.rng
        scale = Scale.of_size(rng.choice((3, 5)))
        choice = rng.choice(scale.choices)
        data = {"score": choice.score, "scale": scale.size, "choice": choice.key, "source": rng.choice(("button", "touch")),
                "misuse": rng.random() < 0.15, "location": rng.choice(LOCATIONS)}
        service = rng.choice((None, "", "A", "C", "P"))
        if service is not None:
            data["service"] = service
        return self.event(kiosk, "rating", data, self.moment(), synced=rng.random() < 0.85)

    def reason(self, kiosk, rating_id):
        return self.event(kiosk, "rating_reason", {"rating_id": rating_id, "reason": self.rng.choice(REASONS)},
                          self.moment())

    def upload(self, kiosk, raw):
        valid, rejected = parse_events(raw)
        assert not rejected, rejected
        result = self.db.ingest(kiosk, [e for _, e in valid])
        for event in raw:
            self.sent.setdefault(event["id"], kiosk)
        return result

    def month_of_uploads(self, batches=40):
        rng = self.rng
        held = {kiosk: [] for kiosk in KIOSKS}          # reasons of ratings not uploaded yet
        for _ in range(batches):
            kiosk = rng.choice(KIOSKS)
            batch = held[kiosk]
            held[kiosk] = []
            for _ in range(rng.randrange(1, 30)):
                rating = self.rating(kiosk)
                self.ratings[kiosk].append(rating["id"])
                if rng.random() < 0.3:                    # asked "why?": the answer in this batch, or the next
                    why = self.reason(kiosk, rating["id"])
                    (batch if rng.random() < 0.6 else held[kiosk]).append(why)
                    if why in batch and rng.random() < 0.3:   # the rating held back: its reason arrives first
                        held[kiosk].append(rating)
                        continue
                batch.append(rating)
            for _ in range(rng.randrange(3)):             # an answer changed, for a rating uploaded long ago
                if self.ratings[kiosk]:
                    batch.append(self.reason(kiosk, rng.choice(self.ratings[kiosk])))
            if rng.random() < 0.1:                        # a reason naming another kiosk's rating: not its own
                other = rng.choice([k for k in KIOSKS if k != kiosk and self.ratings[k]] or [kiosk])
                if self.ratings[other]:
                    batch.append(self.reason(kiosk, rng.choice(self.ratings[other])))
            if rng.random() < 0.3:
                rng.shuffle(batch)
            result = self.upload(kiosk, batch)
            assert not result.rejected
            if rng.random() < 0.25:                       # the answer was lost: the kiosk sends it again
                again = self.upload(kiosk, batch)
                assert not again.accepted and len(again.duplicates) == len(batch)
            if rng.random() < 0.15 and self.sent:         # another kiosk sends an id already stored: refused
                other = rng.choice([k for k in KIOSKS if k != kiosk])
                stolen = dict(self.rating(other), id=rng.choice(sorted(i for i, k in self.sent.items() if k != other)))
                assert self.upload(other, [stolen]).rejected


def call_day(db, kiosks):
    """Tickets called at counters 1 and 2 on the month's last day (ratings at "1", " 2 ", "02" may link), ratings
    at each call's edges to the millisecond (its call, its 完成 + 5 minutes, the next call, midnight), and two
    ratings whose time is not written as ingest writes it (put straight into the table, then counted)."""
    tickets = [kiosks.event("ERLIN-01", "ticket", {"number": f"A{n:03d}", "service": "A", "people_ahead": 0},
                            officetime.rfc3339(CALL_DAY + timedelta(minutes=n))) for n in range(1, 9)]
    kiosks.upload("ERLIN-01", tickets)
    minute, edges, ms = 5, [], timedelta(milliseconds=1)
    for n in range(8):
        called = CALL_DAY + timedelta(minutes=minute)
        call = calls.call_next(db, 1 + n % 2, ["A"], called)
        minute += 3
        done = CALL_DAY + timedelta(minutes=minute)
        if n % 3 != 2:                             # else done by the counter's next call
            calls.done(db, call["id"], done)
        minute += 1
        location = ("1", " 2 ", "02")[n % 3] if n % 2 else "1"
        edges += [(location, moment) for moment in (called - ms, called, called + ms, done + timedelta(minutes=5),
                                                     done + timedelta(minutes=5) + ms)]
    midnight = CALL_DAY.replace(hour=0) + timedelta(days=1)
    edges += [("1", midnight - ms), (" 2 ", midnight - ms), ("1", midnight)]
    smile = {"score": 3, "scale": 3, "choice": "smile", "source": "button"}
    kiosks.upload("ERLIN-02", [kiosks.event("ERLIN-02", "rating", dict(smile, location=location),
                                            officetime.rfc3339(moment)) for location, moment in edges])
    written_otherwise = [dict(event_id=f"old-{n}", kiosk_id="ERLIN-02", at=at, day="2026-11-30", hour=9, scale=3,
                              score=1, choice="frown", source="button", service=None, location="1", misuse=False,
                              ticket="", reason=None, clock_synced=True)
                         for n, at in enumerate(("2026-11-30T01:05:30Z", "2026-11-30T09:06:00.5+08:00"))]
    db.write(lambda c: (c.execute(EVENTS.insert(), [dict(id=row["event_id"], kiosk_id="ERLIN-02", seq=0, type="rating",
                                                         at=row["at"], clock_synced=True, data="{}",
                                                         received_at=row["at"]) for row in written_otherwise]),
                        c.execute(RATINGS.insert(), written_otherwise)))
    db.recount_ratings()


def straight_count(db, period):
    """The report as a count of every stored rating row gives it (no rating_counts)."""
    months = report.previous_months(period, report.TREND_MONTHS)
    first, last = period.first.isoformat(), period.last.isoformat()
    ratings = db.ratings(first_day=months[0].first.isoformat(), last_day=last)
    month = [r for r in ratings if r["day"] >= first]
    rows = call_stats.load_calls(db, first, last)
    every = call_stats.CallRows(rows.calls, rows.events, [r for r in month if r["location"] != ""])
    return report.build_report(period, month, db.tickets(first_day=first, last_day=last),
                               db.form_views(first_day=first, last_day=last), [r for r in ratings if r["day"] < first],
                               every, office_name=db.office_name(), form_titles=report.form_titles(db, first, last))


def counted_rows(db):
    """rating_counts as a Counter, beside the same count made from the ratings themselves."""
    stored = Counter({tuple(row[k] for k in REPORT_KEYS): row["n"] for row in db.rating_counts()})
    straight = Counter(tuple(row[k] or "" if k in ("service", "reason") else row[k] for k in REPORT_KEYS)
                       for row in db.ratings())
    return stored, straight


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_report_from_rating_counts_is_the_report_of_the_stored_ratings(url, seed):
    with Database(url) as db:
        kiosks = Kiosks(db, random.Random(seed))
        kiosks.month_of_uploads()
        call_day(db, kiosks)
        kiosks.month_of_uploads(10)                   # ratings arriving after the calls were made
        stored, straight = counted_rows(db)
        assert stored == straight and sum(stored.values()) > 300
        for month in ("115/05", "115/06", "115/10", "115/11", "115/12"):
            period = report.parse_month(month)
            summed = report.load_report(db, period)
            assert summed == straight_count(db, period), month
        november = report.load_report(db, report.parse_month("115/11"))
        assert november.overall.misuse and november.reasons_unanswered and november.clock_unsynced
        assert {size for size, *_ in november.overall.choices()} == {3, 5}
        assert november.calls.linked > 20 and november.calls.counter_ratings > november.calls.linked
        rows = call_stats.load_calls(db, "2026-11-01", "2026-11-30", linked=True)
        assert rows.links and {row["at"] for row in rows.ratings} == {"2026-11-30T01:05:30Z",
                                                                     "2026-11-30T09:06:00.5+08:00"}
        assert len(november.kiosks) == 3


def test_a_rating_at_the_months_edge_counts_in_its_taipei_month(url):
    with Database(url) as db:
        kiosks = Kiosks(db, random.Random(0))
        smile = {"score": 3, "scale": 3, "choice": "smile", "source": "button"}
        kiosks.upload("ERLIN-01", [kiosks.event("ERLIN-01", "rating", smile, at) for at in EDGES])
        answers = {month: report.load_report(db, report.parse_month(month)).overall.answers
                   for month in ("115/05", "115/06", "115/10", "115/11", "115/12")}
        assert answers == {"115/05": 1, "115/06": 1, "115/10": 1, "115/11": 4, "115/12": 2}


def test_a_reason_moves_its_rating_and_a_duplicate_or_refused_event_counts_nothing(url):
    with Database(url) as db:
        kiosks = Kiosks(db, random.Random(0))
        frown = kiosks.event("ERLIN-01", "rating", {"score": 1, "scale": 3, "choice": "frown"},
                             "2026-11-27T09:30:00.000+08:00")
        why = dict(kiosks.reason("ERLIN-01", frown["id"]), data={"rating_id": frown["id"], "reason": "wait_time"})
        kiosks.upload("ERLIN-01", [why])                              # the reason first
        assert db.rating_counts() == []
        kiosks.upload("ERLIN-01", [frown])
        assert [(row["reason"], row["n"]) for row in db.rating_counts()] == [("wait_time", 1)]
        kiosks.upload("ERLIN-01", [frown, why])                       # both again: duplicates
        assert kiosks.upload("ERLIN-02", [dict(frown, seq=1)]).rejected  # the same id from another kiosk
        changed = dict(kiosks.reason("ERLIN-01", frown["id"]), data={"rating_id": frown["id"], "reason": "other"})
        kiosks.upload("ERLIN-01", [changed])                          # the answer changed: moves again
        [row] = db.rating_counts()
        assert (row["kiosk_id"], row["reason"], row["n"]) == ("ERLIN-01", "other", 1)
        stored, straight = counted_rows(db)
        assert stored == straight


def test_a_database_of_schema_3_is_counted_when_opened(url):
    with Database(url) as db:
        Kiosks(db, random.Random(9)).month_of_uploads(15)
        before = report.load_report(db, report.parse_month("115/11"))
        assert before.overall.answers
        db.write(lambda c: (c.execute(RATING_COUNTS.delete()),
                            c.execute(META.update().where(META.c.key == "schema_version").values(value="3"))))
        assert db.rating_counts() == []
    with Database(url) as db:                                         # the new kiosk-office opens it
        stored, straight = counted_rows(db)
        assert stored == straight
        assert report.load_report(db, report.parse_month("115/11")) == before
        assert db.read(lambda c: c.execute(META.select().where(META.c.key == "schema_version")).one()).value == \
        str(SCHEMA_VERSION)  # raised to this version's, whatever came between
