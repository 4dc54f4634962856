"""Two kiosks, one office server, one series of numbers (issue 21, item 1).

The server is a real ``kiosk-office serve`` (a process of its own, asked over HTTP); each kiosk is a real
``TicketService`` with its own store and simulated printer, asking the server for each number
(``kiosk/office_numbers.py``) and numbering from its slot while cut off (``protocol/numbering.py``).  What is
checked is what residents and staff would see: the numbers printed, and the office's queue once the kiosks have
uploaded.  The server and the kiosks read the test's office clock (``office_clock``: a Tuesday morning, running),
never the machine's: the file is among the ``clock`` tests that ``make test-hours`` runs at awkward hours.
"""

import contextlib
import re
import socket
import threading

import pytest

from hardware.printer import PrinterLink, SimulatedPrinter
from protocol.service_list import Service
from kiosk.config import Config, defaults
from kiosk.office_client import OfficeClient
from kiosk.office_numbers import PAUSE_SECONDS, SLOT_KEY, OfficeNumbers
from kiosk.store import Store
from kiosk.tickets import TicketRefused, TicketService
from kiosk.uploader import Uploader
from office.db import Database
from office_browser import running_office

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")
SERVICES = (Service("A", "戶籍登記", "Household registration"), Service("B", "印鑑登記", "Seal registration"))
PASSWORD = "correct horse 1"


def dead_url():
    """An address where nothing listens: a server that is down."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{free.getsockname()[1]}/"


class Kiosk:
    """One ticket kiosk: store, printer, the office client and the numbering, as ``kiosk run`` wires them."""

    def __init__(self, folder, kiosk_id, url, token, now, clock=None, services=SERVICES):
        values = defaults()
        values["kiosk"].update(id=kiosk_id, data_dir=str(folder))
        values["server"].update(url=url, token=token)
        values["services"] = services
        self.config = Config(values)
        self.store = Store.open(folder)
        self.office = OfficeClient(self.config)
        link = PrinterLink(f"sim://{kiosk_id}", timeout=0.2)
        self.tickets = TicketService(self.store, self.config, lambda: link, now=now)
        self.tickets.numbers = OfficeNumbers(self.config, self.store, self.office,
                                             **({"clock": clock} if clock else {}))
        self.printer = SimulatedPrinter.get(kiosk_id)

    def take(self, n, service="A"):
        return [self.tickets.issue(service).label for _ in range(n)]

    def upload(self):
        """Send everything waiting; what the office rejected (nothing, here)."""
        uploader, rejected = Uploader(self.config, self.store, self.office), []
        while True:
            result = uploader.upload_once()
            assert result.error is None, result.error
            rejected += result.rejections + result.unsendable
            if not result.remaining:
                return rejected

    def close(self):
        self.office.close()
        self.store.close()


class RealOffice:
    """A real ``kiosk-office serve`` on the test's office clock (office_browser.running_office) with kiosk ERLIN-01,
    its database at hand; ``close()`` stops it (safe twice)."""

    def __init__(self, folder, clock, user="clerk"):
        self._stack = contextlib.ExitStack()
        url, self.token = self._stack.enter_context(
            running_office(folder / "office.db", "ERLIN-01", user, PASSWORD, clock=clock))
        self.url = url + "/"
        self.db = self._stack.enter_context(Database(f"sqlite:///{folder / 'office.db'}"))

    def close(self):
        self._stack.close()


@pytest.fixture
def office(tmp_path, office_clock):
    office = RealOffice(tmp_path, office_clock)
    yield office
    office.close()


@pytest.fixture
def kiosks(tmp_path, office, office_clock):
    made = [Kiosk(tmp_path / "k1", "ERLIN-01", office.url, office.token, office_clock),
            Kiosk(tmp_path / "k2", "ERLIN-02", office.url, office.db.add_kiosk("ERLIN-02"), office_clock)]
    yield made
    for kiosk in made:
        kiosk.close()


def at_once(*jobs):
    """Run each job in a thread of its own, all at once; their results, in order."""
    results = [None] * len(jobs)

    def run(i, job):
        results[i] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def office_queue(office, service="A"):
    """The numbers of ``service`` the office's queue holds, in the order they will be called."""
    rows = office.db.read(lambda c: c.exec_driver_sql(
        "SELECT number FROM tickets WHERE service = ? ORDER BY at, kiosk_id, number", (service,)).fetchall())
    return [number for (number,) in rows]


def test_two_kiosks_taking_numbers_at_once_print_one_series_with_no_number_twice(kiosks, office):
    first, second = kiosks
    printed = at_once(lambda: first.take(15), lambda: second.take(15))
    assert sorted(printed[0] + printed[1]) == [f"A{n:03d}" for n in range(1, 31)]
    assert all(a < b for a, b in zip(printed[0], printed[0][1:]))  # each kiosk's in the order it took them
    assert first.printer.received.count(b"\x1dVB\x00") == second.printer.received.count(b"\x1dVB\x00") == 15
    assert first.take(1, "B") == ["B001"]
    assert [kiosk.upload() for kiosk in kiosks] == [[], []]
    assert sorted(office_queue(office)) == sorted(printed[0] + printed[1])
    numbering = {e.data["numbering"] for k in kiosks for e in k.store.events() if e.type == "ticket"}
    assert numbering == {"office"}


def test_a_kiosk_cut_off_numbers_from_its_own_slot_and_no_number_is_printed_twice(tmp_path, kiosks, office,
                                                                                    office_clock):
    first, second = kiosks
    assert first.take(1) + second.take(1) == ["A001", "A002"]  # each is given its slot with its first number
    assert (first.store.get_meta(SLOT_KEY), second.store.get_meta(SLOT_KEY)) == ("1", "2")
    second.close()
    # The second kiosk's cable is pulled: its server does not answer (same kiosk, same store).
    cut_off = Kiosk(tmp_path / "k2", "ERLIN-02", dead_url(), "unused", office_clock)
    printed = at_once(lambda: first.take(10), lambda: cut_off.take(10))
    assert printed[0] == [f"A{n:03d}" for n in range(3, 13)]
    assert printed[1] == [f"A{2000 + n}" for n in range(1, 11)]  # slot 2's own: A2001 …
    offline = "本機離線中".encode("cp950")  # the counters cannot call these until the kiosk is back: said so
    assert cut_off.printer.received.count(offline) == 10 and offline not in first.printer.received
    cut_off.close()
    # Back on the network: the tickets it printed alone reach the office, which takes every one.
    back = kiosks[1] = Kiosk(tmp_path / "k2", "ERLIN-02", office.url, second.config.server.token, office_clock)
    assert back.take(1) == ["A013"]
    assert [kiosk.upload() for kiosk in (first, back)] == [[], []]
    queue = office_queue(office)
    assert len(queue) == len(set(queue)) == 23
    assert set(printed[1]) <= set(queue)


def test_numbers_go_on_from_where_they_were_after_the_office_server_restarts(tmp_path, kiosks, office, office_clock):
    first, second = kiosks
    assert first.take(2) + second.take(1) == ["A001", "A002", "A003"]
    office.close()
    again = RealOffice(tmp_path, office_clock, user="clerk2")  # the same database, a new process
    try:
        back = Kiosk(tmp_path / "k1b", "ERLIN-01", again.url, again.token, office_clock)
        try:
            assert back.take(2) == ["A004", "A005"]
        finally:
            back.close()
    finally:
        again.close()


def test_a_server_that_does_not_answer_costs_one_resident_the_wait_not_every_one(tmp_path, office_clock):
    """A server that takes the connection and never answers: the first ticket waits the short timeout, then
    the kiosk numbers alone without asking for PAUSE_SECONDS; after that it asks again."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    silent.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def serve():  # takes each connection and never answers; stops before its socket is closed (no stale fd)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except socket.timeout:
                continue

    listener = threading.Thread(target=serve, daemon=True)
    listener.start()
    now = [1000.0]
    kiosk = Kiosk(tmp_path / "k", "ERLIN-01", f"http://127.0.0.1:{silent.getsockname()[1]}/", "a-token",
                  office_clock, clock=lambda: now[0])
    try:
        kiosk.store.set_meta(SLOT_KEY, "3")  # given on an earlier day
        assert kiosk.take(3) == ["A3001", "A3002", "A3003"]
        assert len(accepted) == 1  # asked once, then numbered alone
        now[0] += PAUSE_SECONDS + 1
        assert kiosk.take(1) == ["A3004"]
        assert len(accepted) == 2
    finally:
        kiosk.close()
        stop.set()
        listener.join(5)
        for connection in accepted:
            connection.close()
        silent.close()


def test_a_kiosk_that_never_reached_its_server_refuses_and_says_so_taking_nothing(tmp_path, office_clock):
    kiosk = Kiosk(tmp_path / "k", "ERLIN-01", dead_url(), "unused", office_clock)
    try:
        with pytest.raises(TicketRefused) as refused:
            kiosk.take(1)
        assert refused.value.reason == "offline"
        assert kiosk.tickets.issued_today("A") == 0 and b"\x1dVB\x00" not in kiosk.printer.received  # no ticket cut
        faults = [e.data for e in kiosk.store.events() if e.type == "fault"]
        assert [f["kind"] for f in faults] == ["numbering_offline"]
        assert "never been given a slot" in faults[0]["message"]
    finally:
        kiosk.close()


def test_the_office_says_when_a_service_has_given_all_its_numbers_today(tmp_path, office, office_clock):
    limited = (Service("A", "戶籍登記", "Household registration", daily_limit=2),)
    first = Kiosk(tmp_path / "k1", "ERLIN-01", office.url, office.token, office_clock, services=limited)
    second = Kiosk(tmp_path / "k2", "ERLIN-02", office.url, office.db.add_kiosk("ERLIN-02"), office_clock,
                   services=limited)
    try:
        assert first.take(1) + second.take(1) == ["A001", "A002"]
        with pytest.raises(TicketRefused) as refused:
            first.take(1)  # this kiosk handed out one: the office's count says two
        assert refused.value.reason == "full"
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("size", [(800, 480), (1920, 1080)])
def test_what_a_kiosk_cut_off_says_reads_whole_in_every_language(ui, size, large, tmp_path, office_clock):
    """The two things a kiosk cut off from its server says on the screen after a tap: the refusal when it has no
    slot, and, above its own printed ticket, that the number is called once it is back online.  The whole
    message, no word broken, in each language the kiosk speaks (Thai at the catalogue's word marks), in both
    text sizes."""
    from hardware.printer.escpos import encode
    from kiosk.office_client import OfficeClient
    from kiosk.settings import LANGUAGES
    from kiosk.ticket_layout import TicketText, profile_for, ticket_blocks
    from screen_checks import broken_words, inside, text_rect, window_rect

    app, config = ui.app, ui.app.kiosk_config
    tickets = app.services.tickets
    tickets.numbers = OfficeNumbers(config, app.services.store, OfficeClient(config))  # a kiosk with a server
    app.large = large
    ui.resize(size)
    try:
        for lang in LANGUAGES:
            app.lang = lang
            paper = encode(ticket_blocks(config, TicketText("A3001", config.service("A"), office_clock(), 4, lang,
                                                    alone=True),
                                         profile_for(config)), profile_for(config))
            for outcome, key in ((("refused", "", "offline", b""), "ticket.refused_offline"),
                                 (("ok", "A3001", None, paper), "ticket.alone")):
                app.tickets.show_outcome("A", *outcome)
                ui.frames(4)
                message = ui.screen.ids.message
                assert message.text == app.t(key) and message.text, lang
                assert inside(text_rect(message), window_rect(message)), (lang, size, key)
                assert not broken_words(message, lang), (lang, size, key)
            if size == (800, 480) and lang in ("en", "th"):  # for a person to look at (tests/README.md)
                ui.grab().save(tmp_path / f"alone-{lang}-{'large' if large else 'normal'}.png")
    finally:
        tickets.numbers.office.close()
        tickets.numbers = None
        app.large = False


def test_kiosk_ticket_print_takes_the_offices_next_number_too(tmp_path, office, kiosks, office_clock):
    """A technician's ``kiosk ticket print`` on a kiosk with a server numbers from the office's series, as a tap
    does: never a number of its own that another kiosk prints too."""
    import os
    import subprocess
    import sys

    from pty_printer import PtyPrinter

    first, _second = kiosks
    assert first.take(1) == ["A001"]
    config = tmp_path / "k3.toml"
    config.write_text(f'[kiosk]\nid = "ERLIN-03"\ndata_dir = "{tmp_path / "k3"}"\n'
                      f'[server]\nurl = "{office.url}"\ntoken = "{office.db.add_kiosk("ERLIN-03")}"\n'
                      '[[services]]\nprefix = "A"\nname = "戶籍登記"\nname_en = "Household registration"\n',
                      encoding="utf-8")
    config.chmod(0o600)  # it holds the token
    printer = PtyPrinter()
    try:
        env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
        printed = subprocess.run(office_clock.command("-m", "kiosk.cli", "ticket", "print", "A", "--printer",
                                                      printer.path, "--config", str(config)),
                                 capture_output=True, text=True, timeout=60, env=office_clock.env(env))
    finally:
        printer.close()
    assert printed.stdout.strip() == "A002", printed.stderr
    assert first.take(1) == ["A003"]


def test_a_kiosk_that_only_fetched_its_settings_prints_its_first_ticket_alone_when_the_server_goes(tmp_path,
                                                                                                  office_clock):
    """The first day: the kiosk starts, fetches its settings (which bring its slot), and the server goes down
    before anyone took a number: the first resident still gets a ticket."""
    from kiosk.office_sync import ConfigSync

    office = RealOffice(tmp_path, office_clock)
    try:
        kiosk = Kiosk(tmp_path / "k", "ERLIN-01", office.url, office.token, office_clock)
        sync = ConfigSync(kiosk.config, kiosk.store, forms=_NoForms(), record_fault=lambda *a: None,
                          client=kiosk.office)
        assert sync.refresh() == "updated"
        assert kiosk.store.get_meta(SLOT_KEY) == "1"
        kiosk.close()
    finally:
        office.close()  # the server is gone
    alone = Kiosk(tmp_path / "k", "ERLIN-01", office.url, office.token, office_clock)
    try:
        assert alone.take(2) == ["A1001", "A1002"]
    finally:
        alone.close()


class _NoForms:
    """A forms cache that takes any catalogue (this test is about the slot)."""

    def update(self, text, source):
        return []


def test_two_kiosks_and_phones_taking_numbers_at_once_share_one_series(tmp_path, office_clock):
    """The issue's first check: two kiosks and the phone page (/take) take numbers of one service at the same
    time against one real `kiosk-office serve`, and no number is given twice.  The server and the kiosks share
    the test's office clock (a Tuesday morning: the phones' hours), whatever the hour of the run."""
    import requests

    def phone(url):
        with requests.Session() as session:
            page = session.get(url + "/take", timeout=10).text
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            answer = session.post(url + "/take", data={"csrf": token, "service": "A", "lang": "zh-TW"},
                                  allow_redirects=False, timeout=10)
            assert answer.status_code == 303, answer.text
            return [answer.headers["Location"].split("/")[3].split("?")[0]]

    with running_office(tmp_path / "office.db", "ERLIN-01", "clerk", PASSWORD, clock=office_clock) as (url, token):
        with Database(f"sqlite:///{tmp_path / 'office.db'}") as db:
            second_token = db.add_kiosk("ERLIN-02")
        kiosks = [Kiosk(tmp_path / "k1", "ERLIN-01", url + "/", token, office_clock),
                  Kiosk(tmp_path / "k2", "ERLIN-02", url + "/", second_token, office_clock)]
        try:
            taken = at_once(lambda: kiosks[0].take(8), lambda: kiosks[1].take(8),
                            *[lambda: phone(url) for _ in range(4)])
        finally:
            for kiosk in kiosks:
                kiosk.close()
    numbers = [number for got in taken for number in got]
    assert sorted(numbers) == [f"A{n:03d}" for n in range(1, 21)]


def test_a_number_given_alone_tells_the_resident_it_is_called_once_the_kiosk_is_back(ui, tmp_path):
    """Cut off from its server the kiosk prints its own number (A3001…), and the screen and the ticket both say
    the counters call it once the kiosk is back online (they cannot see it before): a resident who waits long
    knows to ask.  A number from the office says nothing of the kind."""
    from kiosk.office_client import OfficeClient

    app = ui.app
    printer = app.hardware.simulated_printer
    tickets = app.services.tickets
    config = app.kiosk_config.with_values("server", url=dead_url())
    tickets.numbers = OfficeNumbers(config, app.services.store, OfficeClient(config))
    app.services.store.set_meta(SLOT_KEY, "3")
    try:
        ui.tap(ui.home.ids.ticket)
        tile = {t.prefix: t for t in ui.screen.tiles()}["B"]
        before = len(printer.received)
        ui.tap(tile)
        assert ui.wait_for(lambda: app.manager.current == "taken")
        assert re.fullmatch(r"B3\d{3}", ui.screen.ids.number.text)
        assert ui.screen.ids.message.text == "本機離線中，恢復連線後才會叫到此號；久候請洽服務台。"
        assert "本機離線中".encode("cp950") in bytes(printer.received[before:])
    finally:
        tickets.numbers.office.close()
        tickets.numbers = None
        app.services.store.set_meta(SLOT_KEY, "")
        app.show("home")
