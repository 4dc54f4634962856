"""People ahead and the estimated wait on the tiles and tickets, from a real office server's queue.

The office server runs in this process (waitress, Flask, SQLite) with its clock set by the test; the kiosk's
tickets reach it through the real uploader, counters call them through office/calls.py, and the kiosk asks
``GET /api/v1/kiosks/{id}/queue`` through kiosk/queue_status.py, as it does in the lobby.
"""

import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from hardware.printer import PrinterLink, SimulatedPrinter
from protocol import officetime
from kiosk.config import Config, defaults
from kiosk.queue_status import FRESH_SECONDS, QueueStatus, estimate_range
from kiosk.store import Store
from kiosk.tickets import TicketService
from kiosk.uploader import Uploader

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")
TAIPEI = officetime.TAIPEI
MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=TAIPEI)


class Clock:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


class Monotonic:
    def __init__(self):
        self.seconds = 1000.0

    def __call__(self):
        return self.seconds


@pytest.fixture
def office(tmp_path):
    """A real office server on 127.0.0.1 whose clock the test sets; yields (url, token, db, clock)."""
    import waitress

    from office.app import create_app
    from office.db import Database

    db = Database(f"sqlite:///{tmp_path / 'office.db'}")
    token = db.add_kiosk("ERLIN-01")
    clock = Clock(MORNING)
    server = waitress.create_server(create_app(db, clock=clock), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}/", token, db, clock
    server.close()
    thread.join(5)
    db.close()


class Kiosk:
    """The kiosk's own parts, as Services joins them: tickets, the uploader, the queue status."""

    def __init__(self, tmp_path, url, token, clock):
        values = defaults()
        values["kiosk"]["data_dir"] = str(tmp_path / "kiosk")
        values["server"]["url"], values["server"]["token"] = url, token
        self.config = Config(values)
        self.store = Store.open(tmp_path / "kiosk")
        link = PrinterLink("sim://queue", timeout=0.2)
        self.tickets = TicketService(self.store, self.config, lambda: link, now=clock)
        self.monotonic = Monotonic()
        self.queue = self.tickets.queue = QueueStatus(self.config, self.tickets.issued_today,
                                                      monotonic=self.monotonic, now=clock)
        self.uploader = Uploader(self.config, self.store)
        self.printer = SimulatedPrinter.get("queue")

    def take(self, prefix, lang="zh-TW"):
        before = len(self.printer.received)
        ticket = self.tickets.issue(prefix, lang)
        return ticket, bytes(self.printer.received[before:])

    def upload(self):
        result = self.uploader.upload_once()
        assert result.error is None, result.error

    def close(self):
        # Their keep-alive connections would hold the office server's loop open for seconds at its close.
        self.uploader.session.close()
        self.queue.session.close()
        self.store.close()


@pytest.fixture
def kiosk(tmp_path, office):
    url, token, _db, clock = office
    k = Kiosk(tmp_path, url, token, clock)
    yield k
    k.close()


def busy_start(kiosk, db, clock, prefix, taken, minutes, counter=1):
    """``taken`` tickets of ``prefix`` from the kiosk reach the office; a counter serves one for each of ``minutes``."""
    for _ in range(taken):
        kiosk.take(prefix)
    kiosk.upload()
    for length in minutes:
        serve(db, clock, counter, [prefix], length)


def serve(db, clock, counter, services, minutes):
    """A counter calls the next ticket, then serves it for ``minutes`` (the office clock moves on)."""
    from office import calls

    call = calls.call_next(db, counter, services, now=clock())
    assert call is not None, "nobody was waiting"
    clock.moment += timedelta(minutes=minutes)
    calls.done(db, call["id"], now=clock())
    return call


def test_with_fresh_office_data_the_ticket_prints_the_real_people_ahead_and_the_wait(kiosk, office):
    _url, _token, db, clock = office
    busy_start(kiosk, db, clock, "A", 6, (4, 6, 8))       # three services: enough for an estimate
    assert kiosk.queue.refresh() == "updated"

    outlook = kiosk.tickets.outlook("A")
    # Six taken, three called: three still wait for the one counter, 6 minutes each (the mean of 4, 6, 8):
    # a ticket taken now is called in 18 minutes, shown ± 20 %.
    assert outlook.live and outlook.ahead == 3
    assert outlook.estimate == (14, 22)

    ticket, paper = kiosk.take("A", lang="en")
    assert ticket.label == "A007" and ticket.people_ahead == 3
    assert "前面還有 3 位".encode("cp950") in paper
    assert "預估等候 14–22 分鐘".encode("cp950") in paper
    assert "Estimated wait: 14–22 min".encode("cp950") in paper
    event = [e for e in kiosk.store.events() if e.type == "ticket"][-1]
    assert event.data["people_ahead"] == 3 and event.data["estimate_minutes"] == [14, 22]

    # The kiosk's next ticket counts the one it just handed out, before asking again: one more resident
    # at the pace the server sent (6 minutes ± 20 %).
    assert kiosk.tickets.outlook("A").ahead == 4
    assert kiosk.tickets.outlook("A").estimate == estimate_range((14, 22), 1, (4.8, 7.2)) == (18, 30)


def test_the_kiosk_and_the_live_queue_page_give_a_ticket_the_same_estimate(kiosk, office):
    url, _token, db, clock = office
    busy_start(kiosk, db, clock, "C", 5, (3, 5, 9), counter=2)
    kiosk.queue.refresh()
    ticket, _paper = kiosk.take("C")
    kiosk.upload()
    page = requests.get(f"{url}api/v1/queue/{officetime.office_day(clock()).isoformat()}/{ticket.label}", timeout=10)
    answer = page.json()
    assert answer["ahead"] == ticket.people_ahead == 2
    printed = [e for e in kiosk.store.events() if e.type == "ticket"][-1].data["estimate_minutes"]
    assert [answer["estimate_minutes"]["low"], answer["estimate_minutes"]["high"]] == printed


def test_without_enough_services_there_is_no_estimate_but_the_real_count(kiosk, office):
    _url, _token, db, clock = office
    busy_start(kiosk, db, clock, "B", 4, (5,))   # one service time: not enough to tell
    assert kiosk.queue.refresh() == "updated"
    outlook = kiosk.tickets.outlook("B")
    assert outlook.live and outlook.ahead == 3 and outlook.estimate is None
    _ticket, paper = kiosk.take("B")
    assert "前面還有 3 位".encode("cp950") in paper and "預估".encode("cp950") not in paper


def test_stale_or_missing_office_data_says_less(kiosk, office):
    _url, _token, db, clock = office
    busy_start(kiosk, db, clock, "A", 5, (4, 6, 8))
    assert kiosk.queue.refresh() == "updated"
    assert kiosk.tickets.outlook("A").estimate is not None

    kiosk.monotonic.seconds += FRESH_SECONDS + 1   # the server has not answered for a while
    outlook = kiosk.tickets.outlook("A")
    assert not outlook.live and outlook.estimate is None
    assert outlook.ahead == 5, "offline, every number handed out today is counted as ahead"
    ticket, paper = kiosk.take("A")
    assert ticket.people_ahead == 5 and "預估".encode("cp950") not in paper


def test_an_answer_from_yesterday_is_not_used_after_midnight(kiosk, office):
    _url, _token, _db, clock = office
    kiosk.take("A")
    kiosk.upload()
    assert kiosk.queue.refresh() == "updated"
    clock.moment = clock.moment.replace(hour=23, minute=59, second=50)
    assert kiosk.tickets.outlook("A").live
    clock.moment += timedelta(seconds=20)           # 00:00:10 the next day, seconds after the answer
    assert not kiosk.tickets.outlook("A").live
    assert kiosk.tickets.outlook("A").ahead == 0    # a new day: no number handed out yet


def test_a_server_that_is_down_refuses_or_talks_nonsense_leaves_the_own_count(kiosk, office, tmp_path):
    url, _token, _db, clock = office
    kiosk.take("A")
    wrong = Kiosk(tmp_path / "wrong", url, "not-the-token", clock)
    try:
        assert wrong.queue.refresh() == "refused" and wrong.tickets.outlook("A").live is False
    finally:
        wrong.close()
    down = Kiosk(tmp_path / "down", "http://127.0.0.1:9/", "t", clock)   # port 9: nothing listens
    try:
        assert down.queue.refresh() == "offline" and not down.tickets.outlook("A").live
    finally:
        down.close()
    with garbage_server() as garbage_url:
        nonsense = Kiosk(tmp_path / "nonsense", garbage_url, "t", clock)
        try:
            assert nonsense.queue.refresh() == "invalid" and not nonsense.tickets.outlook("A").live
        finally:
            nonsense.close()


@contextmanager
def garbage_server():
    """A proxy's error page where the office server should be: HTTP 200, not JSON."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>proxy error</html>")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_queue_answer_lists_every_service_with_a_ticket_today(kiosk, office):
    url, token, db, clock = office
    kiosk.take("A")
    kiosk.take("C")
    kiosk.upload()
    serve(db, clock, 1, ["C"], 5)
    answer = requests.get(f"{url}api/v1/kiosks/ERLIN-01/queue", headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.json() == {"day": "2026-11-27", "services": {"A": {"waiting": 1, "wait": None, "pace": None},
                                                               "C": {"waiting": 0, "wait": None, "pace": None}}}
    other = requests.get(f"{url}api/v1/kiosks/ERLIN-02/queue", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
    assert other.status_code == 403


def office_ticket(db, number, moment):
    """A ticket as another kiosk's upload stores it on the office server."""
    from office.schema import EVENTS, TICKETS

    event_id, stamp = str(uuid.uuid4()), officetime.rfc3339(moment)

    def store(conn):
        conn.execute(EVENTS.insert().values(id=event_id, kiosk_id="ERLIN-01", seq=moment.minute * 100 + moment.second,
                                            type="ticket", at=stamp, clock_synced=True, data="{}", received_at=stamp))
        conn.execute(TICKETS.insert().values(event_id=event_id, kiosk_id="ERLIN-01", at=stamp,
                                             day=moment.date().isoformat(), hour=moment.hour, service=number[0],
                                             number=number, people_ahead=0, lang="zh-TW"))
    db.write(store)


def test_the_tiles_show_the_people_waiting_and_the_wait_from_the_office_server(ui, office):
    url, token, db, clock = office
    start = datetime.combine(MORNING.date(), time(0, 1), TAIPEI)  # 00:01 on the test's day, the kiosk's too
    for n in range(5):
        office_ticket(db, f"A{n + 1:03d}", start + timedelta(seconds=n))
    clock.moment = start + timedelta(minutes=1)
    for minutes in (4, 6, 8):
        serve(db, clock, 1, ["A"], minutes)   # the office's clock stays at 00:19, the counter at work

    tickets = ui.app.services.tickets
    config = ui.app.kiosk_config.with_values("server", url=url, token=token)
    lobby_queue, tickets.queue = tickets.queue, QueueStatus(config, tickets.issued_today, now=clock)
    try:
        assert tickets.queue.refresh() == "updated"
        ui.tap(ui.home.ids.ticket)
        tiles = {tile.prefix: tile for tile in ui.screen.tiles()}
        ui.frames(2)
        assert tiles["A"].ids.waiting.text == "等候 2 人"       # five printed, three called
        assert tiles["A"].ids.bottom.text == "約 9–15 分鐘"     # two ahead, 6 minutes each: 12 ± 20 %
        assert tiles["B"].ids.bottom.text == "" and tiles["B"].ids.bottom.height == 0
        ui.app.lang = "en"
        ui.frames(2)
        assert tiles["A"].ids.bottom.text == "about 9–15 min"

        # On the 7" screen every line still fits its tile, the long two-line name of P too.
        from kiosk.i18n import unbreakable_words
        from kiosk.ui.layout_checks import check, panel_for
        office_ticket(db, "P001", clock())
        assert tickets.queue.refresh() == "updated"
        for lang in ("zh-TW", "en"):
            ui.app.lang = lang
            ui.resize((800, 480))
            ui.app.tickets.refresh_tiles()
            ui.frames(3)
            shown = tiles["P"].ids.waiting.text + tiles["P"].ids.bottom.text
            assert ("分鐘" if lang == "zh-TW" else "min") in shown, shown  # the wait, beside the letter or below
            problems = check([ui.screen], ui.grab(), panel_for((800, 480)), unbreakable=unbreakable_words(lang))
            assert not [p for p in problems if "/ServiceTile" in p.widget], problems
    finally:
        tickets.queue.session.close()
        tickets.queue = lobby_queue
