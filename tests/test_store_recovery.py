"""A kiosk database damaged on the SD card (issue 17): moved aside as before, and what can still be read put back.

Real stores filled through the kiosk's own services, real damage (whole pages overwritten in the middle of the
file, found with SQLite's dbstat), then the kiosk's next start: the day's numbering goes on where it was, and
the unsent events that can still be read reach the real office server (kiosk/local_office.py) once each, with
their own ids."""

import sqlite3
from datetime import datetime

import pytest

from hardware.printer import PrinterLink
from protocol import officetime
from kiosk.cli import main
from kiosk.config import Config, defaults
from office_process import LocalOfficeAndDatabase
from protocol.ratings import Scale
from kiosk.ratings import RatingService
from kiosk.store import DB_NAME, Store
from kiosk.tickets import TicketService

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")

KIOSK = "ERLIN-01"
PAGE = 4096


@pytest.fixture
def moment():
    """The office clock for the whole test: now, taken once (numbers are per office day, so any hour works)."""
    return datetime.now(officetime.TAIPEI).replace(microsecond=0)


def config(data_dir, office=None):
    values = defaults()
    values["kiosk"]["id"], values["kiosk"]["data_dir"], values["kiosk"]["heartbeat_minutes"] = KIOSK, str(data_dir), 0
    if office is not None:
        values["server"]["url"], values["server"]["token"] = office.url, office.token
    return Config(values)


def services(store, moment):
    link = PrinterLink("sim://recovery", timeout=0.2)
    tickets = TicketService(store, config(store.path.parent), lambda: link, now=lambda: moment)
    ratings = RatingService(store, Scale.of_size(3), KIOSK, response_interval=0)
    return tickets, ratings


def fill(store, moment, rounds):
    """What a busy lobby leaves: tickets of two services and ratings, interleaved; their event ids in order."""
    tickets, ratings = services(store, moment)
    for n in range(rounds):
        tickets.issue("A" if n % 4 else "B")
        ratings.rate(n % 3, "button", at=moment)
    return [e.id for e in store.events()]


def leaf_pages(path, table):
    """The pages holding ``table``'s rows, and which event ids each holds (for events)."""
    conn = sqlite3.connect(path)
    pages = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                                        "ORDER BY pageno", (table,))]
    ids = [i for (i,) in conn.execute("SELECT id FROM events")] if table == "events" else []
    conn.close()
    data = (path).read_bytes()
    held = {page: {i for i in ids if i.encode() in data[(page - 1) * PAGE:page * PAGE]} for page in pages}
    return pages, held


def damage(path, pages):
    data = bytearray(path.read_bytes())
    for page in pages:
        data[(page - 1) * PAGE:page * PAGE] = b"\xa5" * PAGE
    path.write_bytes(bytes(data))


def moved_aside(data_dir):
    return [p for p in data_dir.iterdir() if ".corrupt-" in p.name]


@pytest.fixture
def office(tmp_path):
    office = LocalOfficeAndDatabase(tmp_path / "office", KIOSK)
    yield office
    office.close()


def test_the_unsent_events_that_still_read_reach_the_office_once_and_numbering_goes_on(tmp_path, office, moment):
    data_dir = tmp_path / "kiosk"
    kiosk_toml = tmp_path / "kiosk.toml"
    kiosk_toml.write_text(f'[kiosk]\nid = "{KIOSK}"\ndata_dir = "{data_dir}"\nheartbeat_minutes = 0\n'
                          f'[server]\nurl = "{office.url}"\ntoken = "{office.token}"\n', encoding="utf-8")
    kiosk_toml.chmod(0o600)
    with Store.open(data_dir) as store:
        fill(store, moment, 30)
    assert main(["upload", "--once", "--config", str(kiosk_toml)]) == 0  # these the office has
    with Store.open(data_dir) as store:
        delivered = [e.id for e in store.events()]
        fill(store, moment, 100)  # ... and these it does not: the office server was away
        unsent = [e.id for e in store.pending_events(limit=10000)]
        tickets, _ratings = services(store, moment)
        last_a = tickets.next_label("A")
    assert len(unsent) == 200 and last_a == "A098"  # 22 + 75 As taken: the next one, as the kiosk would print it

    path = data_dir / DB_NAME
    pages, held = leaf_pages(path, "events")
    unsent_pages = [p for p in pages if held[p] and held[p] <= set(unsent)]
    hit = unsent_pages[len(unsent_pages) // 3], unsent_pages[2 * len(unsent_pages) // 3]  # two, in the middle
    lost = held[hit[0]] | held[hit[1]]
    assert 10 <= len(lost) < 60
    damage(path, hit)

    with Store.open(data_dir) as store:  # the kiosk starts again
        [aside] = moved_aside(data_dir)
        fault = [e for e in store.events() if e.type == "fault"][-1].data
        assert fault["kind"] == "database_corrupt" and fault["moved_to"] == aside.name
        assert fault["recovered_events"] == len(unsent) - len(lost)
        # Numbering goes on: never a second A001 the same day.
        tickets, _ratings = services(store, moment)
        assert tickets.next_label("A") == last_a and tickets.issue("A").label == last_a
    assert main(["upload", "--once", "--config", str(kiosk_toml)]) == 0

    received = [e["id"] for e in office.db.events()]
    assert len(received) == len(set(received))  # each once
    readable = [i for i in unsent if i not in lost]
    assert set(readable) <= set(received)
    assert not (lost & set(received))
    assert set(delivered) <= set(received)
    # The office got the damaged kiosk's fault too, saying what was recovered.
    [office_fault] = [e for e in office.db.events() if e["type"] == "fault" and e["data"].get("kind") ==
                      "database_corrupt"]
    assert office_fault["data"]["recovered_events"] == len(readable)


def test_numbering_goes_on_from_the_ticket_events_when_the_counters_and_tickets_cannot_be_read(tmp_path, moment):
    data_dir = tmp_path / "kiosk"
    with Store.open(data_dir) as store:
        fill(store, moment, 40)
        tickets, _ratings = services(store, moment)
        next_a, next_b = tickets.next_label("A"), tickets.next_label("B")
    assert (next_a, next_b) == ("A031", "B011")
    path = data_dir / DB_NAME
    counters, _ = leaf_pages(path, "ticket_counters")
    rows, _ = leaf_pages(path, "tickets")
    damage(path, counters + rows)
    with Store.open(data_dir) as store:
        assert moved_aside(data_dir)
        tickets, _ratings = services(store, moment)
        assert [tickets.issue("A").label, tickets.issue("B").label] == [next_a, next_b]
        assert tickets.last_ticket().label == next_b


def test_an_unreadable_file_starts_empty_as_before_and_says_nothing_was_recovered(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"this is not a database\n" * 200)
    with Store.open(tmp_path) as store:
        [fault] = store.events()
        assert fault.data["kind"] == "database_corrupt"
        assert fault.data["recovered_events"] == 0 and fault.data["recovered_counters"] == 0
