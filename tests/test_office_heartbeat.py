"""A kiosk's heartbeat in the office server's kiosk list (the today page), as the director and the technician see it.

The kiosk is the real one (its services, simulated hardware, its uploader); the office server is the real one on
127.0.0.1 (kiosk/local_office.py), and its staff page is read over HTTP after a sign-in.  Whether a kiosk is offline
is decided by the page's clock, which the tests set: nobody waits fifteen minutes.
"""

import re
from datetime import timedelta

import pytest
import requests

from office_sign_in import csrf
import kiosk
from hardware.printer import SimulatedPrinter
from kiosk.config import Config, defaults
from office_process import LocalOfficeAndDatabase
from kiosk.services import open_services
from kiosk.tickets import TicketRefused
from office import staff
from office.app import create_app
from office.cli import main
from office.models import parse_rfc3339

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")

KIOSK = "ERLIN-01"
PASSWORD = "correct horse 1"


@pytest.fixture
def office(tmp_path):
    server = LocalOfficeAndDatabase(tmp_path / "office", KIOSK)
    staff.add_user(server.db, "chen", PASSWORD)
    yield server
    server.close()


@pytest.fixture
def services(tmp_path, office):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path / "kiosk")
    values["server"]["url"], values["server"]["token"] = office.url, office.token
    opened = open_services(Config(values))
    yield opened
    opened.close()
    opened.uploader.session.close()  # its keep-alive connection would keep the office server busy closing


def kiosk_row(page: str, kiosk_id: str = KIOSK) -> str:
    """The text of the kiosk list's row for ``kiosk_id``, tags removed."""
    row = re.search(rf"<tr><td>{kiosk_id}</td>(.*?)</tr>", page, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()


def signed_in(url: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(url + "login").text
    answer = browser.post(url + "login", data={"csrf": csrf(form), "name": "chen", "password": PASSWORD})
    assert answer.status_code == 200 and "今日概況" in answer.text  # followed the redirect to today
    return browser


def test_a_heartbeat_sent_by_the_kiosk_shows_in_the_office_kiosk_list(office, services):
    printer = SimulatedPrinter.get("printer")
    services.tickets.issue("A")
    printer.paper_out = True  # the roll runs out: the next resident is sent to the desk, a fault is stored
    with pytest.raises(TicketRefused):
        services.tickets.issue("A")
    waiting = services.store.outbox_counts()["pending"]
    services.heartbeat.tick()  # what the uploader's thread does before its first pass
    assert services.uploader.upload_once().error is None

    browser = signed_in(office.url)
    page = browser.get(office.url).text
    row = kiosk_row(page)
    assert row.startswith("連線中") and "分鐘前" in row
    assert f" {kiosk.__version__} " in f" {row} "
    assert f" {waiting} " in f" {row} "   # the backlog when the heartbeat was taken (not itself)
    assert "缺紙 paper out" in row         # the printer as the kiosk last saw it
    assert "缺紙 ×1" in row                # the day's faults, by kind
    assert "離線" not in row


def test_a_kiosk_silent_beyond_the_threshold_is_shown_offline(office, services):
    services.heartbeat.tick()
    assert services.uploader.upload_once().sent == 1
    heard = parse_rfc3339(office.db.kiosks()[0]["last_contact_at"])

    def row_at(moment, **options):
        app = create_app(office.db, clock=lambda: moment, **options)
        client = app.test_client()
        form = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"csrf": csrf(form), "name": "chen", "password": PASSWORD})
        return kiosk_row(client.get("/").get_data(as_text=True))

    assert row_at(heard + timedelta(minutes=14)).startswith("連線中")
    late = row_at(heard + timedelta(minutes=15, seconds=1))
    assert late.startswith("離線 offline") and "15 分鐘前" in late
    assert kiosk.__version__ in late  # what it last said is still shown
    assert row_at(heard + timedelta(minutes=16), offline_minutes=30).startswith("連線中")  # the office's threshold


def test_a_kiosk_never_heard_from_is_offline_with_no_heartbeat(office):
    office.db.add_kiosk("ERLIN-02")
    page = signed_in(office.url).get(office.url).text
    assert kiosk_row(page, "ERLIN-02") == "離線 offline 從未連線 – – – – – 0"


@pytest.mark.parametrize("minutes", ["0", "-5", "nan", "abc", "20000"])
def test_serve_refuses_an_offline_threshold_that_makes_no_sense(tmp_path, minutes, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["serve", "--db", str(tmp_path / "office.db"), "--offline-minutes", minutes])
    assert exit.value.code == 2 and "--offline-minutes" in capsys.readouterr().err
