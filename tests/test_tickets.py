"""Numbering and printing of queue tickets, with the simulated printer (sim://) and a fake office clock."""

import re
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, time, timedelta, timezone

import pytest

from hardware.printer import PrinterLink, SimulatedPrinter
from protocol import officetime
from protocol.service_list import Service
from kiosk.config import Config, defaults
from kiosk.store import Store
from kiosk.tickets import TicketPrintFailed, TicketRefused, TicketService

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")
TAIPEI = officetime.TAIPEI


class OfficeClock:
    """The office's wall clock, set by the test."""

    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


def make(tmp_path, services=None, wrap=999, moment=None):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    values["tickets"]["wrap"] = wrap
    if services:
        values["services"] = tuple(services)
    config = Config(values)
    store = Store.open(tmp_path)
    link = PrinterLink("sim://tickets", timeout=0.2)
    clock = OfficeClock(moment or datetime(2026, 11, 27, 9, 30, tzinfo=TAIPEI))
    return TicketService(store, config, lambda: link, now=clock), clock, SimulatedPrinter.get("tickets")


@pytest.fixture
def tickets(tmp_path):
    service, clock, printer = make(tmp_path)
    yield service, clock, printer
    service.store.close()


def test_numbers_count_up_per_service_and_start_at_one(tickets):
    service, _clock, printer = tickets
    assert [service.issue("A").label for _ in range(3)] == ["A001", "A002", "A003"]
    assert service.issue("B").label == "B001"
    assert service.outlook("A").ahead == 3 and not service.outlook("A").live  # no office server: its own count
    events = [e.data for e in service.store.events() if e.type == "ticket"]
    assert [(e["number"], e["service"], e["people_ahead"]) for e in events] == [
        ("A001", "A", 0), ("A002", "A", 1), ("A003", "A", 2), ("B001", "B", 0)]
    assert printer.received.count(b"\x1dVB\x00") == 4  # four tickets, four cuts


def test_the_day_rolls_over_at_midnight_in_taipei_whatever_the_clock_says(tickets):
    service, clock, _printer = tickets
    clock.moment = datetime(2026, 11, 27, 23, 59, 59, tzinfo=TAIPEI)
    assert service.issue("A").label == "A001"
    assert service.issue("A").label == "A002"
    # 16:00:01 UTC is already 00:00:01 of the 28th in Taipei: a new office day
    clock.moment = datetime(2026, 11, 27, 16, 0, 1, tzinfo=timezone.utc)
    assert service.issue("A").label == "A001"


def test_a_clock_jumping_back_never_hands_out_a_number_twice(tickets):
    service, clock, _printer = tickets
    clock.moment = datetime(2026, 11, 27, 10, 0, tzinfo=TAIPEI)
    assert service.issue("C").label == "C001"
    clock.moment -= timedelta(minutes=45)  # NTP corrects a fast clock
    assert service.issue("C").label == "C002"


def test_numbers_wrap_as_configured(tmp_path):
    service, _clock, _printer = make(tmp_path, wrap=99)
    service.store.write(lambda c: c.execute("INSERT INTO ticket_counters (day, prefix, issued) VALUES ('2026-11-27', 'A', 98)"))
    assert [service.issue("A").label for _ in range(3)] == ["A99", "A01", "A02"]
    service.store.close()


def test_outside_opening_hours_no_number_is_taken(tmp_path):
    morning = Service("A", "戶籍登記", "Household registration", hours=((time(8), time(12)),), weekdays=(1, 2, 3, 4, 5))
    service, clock, printer = make(tmp_path, services=[morning])
    clock.moment = datetime(2026, 11, 27, 12, 30, tzinfo=TAIPEI)
    with pytest.raises(TicketRefused) as refused:
        service.issue("A")
    assert refused.value.reason == "closed"
    clock.moment = datetime(2026, 11, 28, 9, 0, tzinfo=TAIPEI)  # a Saturday
    with pytest.raises(TicketRefused):
        service.issue("A")
    clock.moment = datetime(2026, 11, 30, 9, 0, tzinfo=TAIPEI)  # Monday morning
    assert service.issue("A").label == "A001"
    assert printer.received.count(b"\x1dVB\x00") == 1
    service.store.close()


def test_past_the_daily_limit_no_number_is_taken(tmp_path):
    limited = Service("E", "自然人憑證", "Citizen digital certificate", daily_limit=2)
    service, _clock, _printer = make(tmp_path, services=[limited])
    service.issue("E")
    service.issue("E")
    with pytest.raises(TicketRefused) as refused:
        service.issue("E")
    assert refused.value.reason == "full" and service.issued_today("E") == 2
    service.store.close()


def test_while_staff_pause_ticketing_no_number_is_taken_or_printed(tickets):
    from kiosk.ticketing_pause import set_ticketing_paused

    service, _clock, printer = tickets
    assert service.issue("A").label == "A001"
    sent = len(printer.received)
    set_ticketing_paused(service.store, True)
    with pytest.raises(TicketRefused) as refused:
        service.issue("A")
    assert refused.value.reason == "paused" and len(printer.received) == sent
    set_ticketing_paused(service.store, False)
    assert service.issue("A").label == "A002"  # the pause cost no number


def test_after_staff_reset_the_day_numbers_start_at_one_and_earlier_tickets_stay(tickets):
    from kiosk.ticket_numbers import reset_today_numbers

    service, clock, _printer = tickets
    first = [service.issue("A").label for _ in range(3)]
    reset_today_numbers(service.store, "2026-11-27")
    assert service.issued_today("A") == 0
    again = [service.issue("A").label for _ in range(2)]
    assert first == ["A001", "A002", "A003"] and again == ["A001", "A002"]
    tickets_today = service.store.read(lambda c: c.execute("SELECT label FROM tickets ORDER BY seq").fetchall())
    assert [t for (t,) in tickets_today] == first + again  # all five handed out, none lost
    assert service.issue("A").people_ahead == 2


@pytest.mark.parametrize("fault, kind", [("paper_out", "printer_paper_out"), ("cover_open", "printer_cover_open"),
                                         ("error", "printer_offline"), ("offline", "printer_no_reply")])
def test_a_printer_that_cannot_print_costs_no_number_and_leaves_a_fault(tickets, fault, kind):
    service, _clock, printer = tickets
    heard = []
    service.on_fault.append(heard.append)
    setattr(printer, fault, True)
    with pytest.raises(TicketRefused) as refused:
        service.issue("A")
    assert refused.value.reason == "printer" and heard
    assert service.issued_today("A") == 0
    assert [e.data["kind"] for e in service.store.events() if e.type == "fault"] == [kind]
    setattr(printer, fault, False)


def test_paper_near_end_prints_and_warns_the_staff(tickets):
    service, _clock, printer = tickets
    printer.paper_near_end = True
    assert service.issue("A").label == "A001"
    assert [e.data["kind"] for e in service.store.events() if e.type == "fault"] == ["printer_paper_near_end"]


def test_a_ticket_that_fails_midway_keeps_its_number_and_is_recorded(tickets):
    service, _clock, printer = tickets
    link = service.printer()
    write = link.write

    def unplug_during_write(data):
        write(data[:20])
        printer.offline = True  # the printer went away: no more status answers
    link.write = unplug_during_write
    with pytest.raises(TicketPrintFailed) as failed:
        service.issue("A")
    assert failed.value.ticket.label == "A001"
    status = service.store.read(lambda c: c.execute("SELECT status FROM tickets").fetchone()[0])
    assert status == "failed"
    assert [e.data["kind"] for e in service.store.events() if e.type == "fault"] == ["ticket_print_failed"]


def test_a_service_name_outside_big5_is_drawn_not_sent_as_question_marks(tmp_path):
    odd = Service("D", "新住民服務（堃）", "New residents")
    service, _clock, printer = make(tmp_path, services=[odd])
    service.issue("D")
    data = bytes(printer.received)
    assert b"\x1dv0" in data  # that line went as a picture...
    assert "新住民服務".encode("cp950") not in data  # ...whole, not as text with a hole in it
    chinese_text = re.findall(rb"\x1c&(.*?)\x1c\.", data, re.S)
    assert chinese_text and not any(b"?" in part for part in chinese_text)
    service.store.close()


def test_an_unknown_service_is_named_in_the_error(tickets):
    service, _clock, _printer = tickets
    with pytest.raises(KeyError, match="no service 'Z'.*A, B, C, D, E, F, P"):
        service.issue("Z")


def test_a_number_taken_just_before_a_sigkill_is_not_handed_out_again(tmp_path):
    code = textwrap.dedent(f"""
        import os, signal
        from hardware.printer import PrinterLink
        from kiosk.config import Config, defaults
        from kiosk.store import Store, StoreFull
        from kiosk.tickets import TicketService
        values = defaults(); values["kiosk"]["data_dir"] = {str(tmp_path)!r}
        config = Config(values)
        link = PrinterLink("sim://killed")
        print(TicketService(Store.open({str(tmp_path)!r}), config, lambda: link).issue("F").label, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL and child.stdout.strip() == "F001", child.stderr
    with Store.open(tmp_path) as store:
        link = PrinterLink("sim://after")
        values = defaults()
        values["kiosk"]["data_dir"] = str(tmp_path)
        assert TicketService(store, Config(values), lambda: link).issue("F").label == "F002"


def test_a_printer_link_that_was_lost_is_opened_again_for_the_next_ticket(tmp_path):
    from kiosk.services import open_services

    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    services = open_services(Config(values))
    try:
        first = services.printer_link()
        assert services.tickets.issue("A").label == "A001"
        first.close()  # e.g. the USB printer was unplugged and the link given up
        assert services.tickets.issue("A").label == "A002"
        assert services.printer_link() is not first and not services.printer_link().closed
    finally:
        services.close()


# -- a clock that cannot be trusted (issue 17) ---------------------------------------------------------

CERTIFICATE = Service("E", "自然人憑證", "Citizen digital certificate")


def ticket_faults(store):
    return [e.data for e in store.events() if e.type == "fault" and e.data["kind"] == "clock_behind"]


def test_an_unsynced_clock_set_back_a_day_hands_out_no_number_until_it_is_synced(tmp_path, monkeypatch):
    service, clock, printer = make(tmp_path, services=[CERTIFICATE])
    told = []
    service.on_fault.append(told.append)
    clock.moment = datetime(2026, 11, 27, 10, 0, tzinfo=TAIPEI)
    assert [service.issue("E").label for _ in range(2)] == ["E001", "E002"]
    cuts = printer.received.count(b"\x1dVB\x00")

    # A power cut; the Pi comes back without network: its clock reads the day before, not synced.
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "0")
    clock.moment = datetime(2026, 11, 26, 10, 5, tzinfo=TAIPEI)
    with pytest.raises(TicketRefused) as refused:
        service.issue("E")
    assert refused.value.reason == "clock"
    message = str(refused.value)
    assert "not synced" in message and "2026-11-26 10:05" in message and "E002 at 2026-11-27 10:00" in message
    assert "time sync" in message  # what the technician checks
    assert printer.received.count(b"\x1dVB\x00") == cuts  # no second E001 printed
    assert [label for (label,) in service.store.read(lambda c: c.execute("SELECT label FROM tickets").fetchall())] \
        == ["E001", "E002"]
    [fault] = ticket_faults(service.store)
    assert fault["last_ticket"] == "E002" and fault["clock"].startswith("2026-11-26T10:05")
    assert told == [fault["message"]]  # the fault listeners (the running kiosk's log and fault list)

    # NTP answers and says it really is the 26th (the clock had run a day ahead): that day's numbers begin.
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "1")
    assert service.issue("E").label == "E001"
    service.store.close()


def test_an_unsynced_clock_later_than_the_last_ticket_hands_out_numbers(tmp_path, monkeypatch):
    service, clock, _printer = make(tmp_path, services=[CERTIFICATE])
    clock.moment = datetime(2026, 11, 27, 10, 0, tzinfo=TAIPEI)
    assert service.issue("E").label == "E001"
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "0")
    clock.moment = datetime(2026, 11, 27, 10, 20, tzinfo=TAIPEI)  # not synced, but after the last ticket
    assert service.issue("E").label == "E002"
    clock.moment = datetime(2026, 11, 28, 8, 30, tzinfo=TAIPEI)  # the next morning: a real day change
    assert service.issue("E").label == "E001"
    assert ticket_faults(service.store) == []
    service.store.close()


def test_a_number_that_cannot_be_stored_is_refused_and_consumes_nothing(tickets):
    service, _clock, printer = tickets
    told = []
    service.on_fault.append(told.append)
    store = service.store
    pages = store.read(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    # SQLite's own limit on this connection: writes fail with SQLITE_FULL exactly as on a full disk.
    store.write(lambda c: c.execute(f"PRAGMA max_page_count = {pages + 2}"))
    labels = []
    with pytest.raises(TicketRefused) as refused:
        for _ in range(5000):  # the disk fills while residents take numbers
            labels.append(service.issue("A").label)
    assert refused.value.reason == "store" and "is full" in str(refused.value) and "nothing was stored" in str(
        refused.value)
    assert len(labels) > 10 and labels[-1] == f"A{len(labels):03d}"
    cuts = printer.received.count(b"\x1dVB\x00")
    for _ in range(2):
        with pytest.raises(TicketRefused):
            service.issue("A")
    assert printer.received.count(b"\x1dVB\x00") == cuts == len(labels)  # nothing printed for the refusals
    assert len(told) == 3 and "no number taken for service A" in told[0]  # the fault listeners: it cannot be stored
    store.write(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))  # room again
    assert service.issue("A").label == f"A{len(labels) + 1:03d}"  # the refusals cost no number


def test_a_pictures_pinned_clock_seeds_its_states_on_a_machine_whose_clock_is_not_synced(tmp_path, monkeypatch):
    """The closed state takes each service's morning in turn (A to 11:50, then B from 08:01): a pinned clock is set
    on purpose, so `kiosk screenshot --state closed` works on a laptop without systemd-timesyncd."""
    from kiosk import lived_in
    from kiosk.config import load_config

    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "0")
    try:
        seeded = lived_in.seed("closed", load_config(None), tmp_path / "closed")
    finally:
        officetime.pin(None)
    with Store.open(tmp_path / "closed") as store:
        services_with_tickets = store.read(
            lambda c: c.execute("SELECT count(DISTINCT prefix) FROM tickets").fetchone()[0])
    assert services_with_tickets == len(seeded.config.services)
