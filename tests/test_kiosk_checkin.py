"""Appointments checked in at the kiosk (issue 21, item 3), the kiosk's side, against a real ``kiosk-office serve``
on the test's office clock (Tuesday 8 Dec 2026, 10:00 in Taipei, running).

The done-when: an appointment code typed on the kiosk prints a ticket that is called at its time.  Then what a
resident meets when it is not so (a wrong, early, late or used code, the office not answering), nothing taken
then, and the keypad itself: real taps on the shared headless app, its 800x480 and large-text pictures drawn.
"""

import logging
import re
from datetime import timedelta

import pytest

from kiosk.config import Config, defaults
from kiosk.office_client import OfficeClient
from kiosk.office_numbers import OfficeNumbers
from kiosk.tickets import CheckInRefused, TicketService
from office import appointments, calls
from protocol.service_list import DEFAULT_SERVICES
from test_office_wide_numbers import Kiosk, dead_url, office  # noqa: F401 (office: the real server, a fixture)

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")
DAY = "2026-12-08"


@pytest.fixture
def kiosk(tmp_path, office, office_clock):
    made = Kiosk(tmp_path / "k1", "ERLIN-01", office.url, office.token, office_clock, services=DEFAULT_SERVICES)
    yield made
    made.close()


def cuts(printer) -> int:
    """Tickets the printer cut off (its status asked before each is no ticket)."""
    return bytes(printer.received).count(b"\x1dV")


def printed(printer) -> str:
    """The text of what the printer received (the Chinese is Big5; commands and pictures drop out)."""
    return bytes(printer.received).decode("big5", errors="ignore")


def tickets(store):
    return store.read(lambda c: c.execute("SELECT label FROM tickets ORDER BY seq").fetchall())


def test_a_code_typed_at_the_kiosk_prints_a_ticket_called_at_its_time_ahead_of_walk_ins(office, kiosk, office_clock):
    appointments.add(office.db, DAY, "10:10", "A", "246810")
    walk_ins = kiosk.take(2, "A")
    ticket, booked = kiosk.tickets.check_in("F", "246810")
    assert (ticket.label, booked.service.prefix, booked.at.strftime("%H:%M")) == ("F001", "A", "10:10")
    paper = printed(kiosk.printer)
    assert "F001" in paper and re.search(r"預約 10:10\s戶籍登記", paper)  # in place of the people ahead
    assert kiosk.upload() == []
    assert calls.waiting_counts(office.db, DAY) == {"A": 3}  # the check-in's ticket waits with A's
    first = calls.call_next(office.db, 1, ["A"], office_clock())  # 10:00: not its time yet
    office_clock.set(office_clock() + timedelta(minutes=10))
    at_its_time = calls.call_next(office.db, 1, ["A"], office_clock())
    last = calls.call_next(office.db, 1, ["A"], office_clock())
    assert [first["number"], at_its_time["number"], last["number"]] == [walk_ins[0], "F001", walk_ins[1]]


def test_a_ticket_taken_in_vietnamese_says_the_appointment_in_vietnamese_too(office, kiosk):
    appointments.add(office.db, DAY, "10:20", "B", "1357")
    kiosk.tickets.check_in("F", "1357", lang="vi")
    assert "Lịch hẹn 10:20" not in printed(kiosk.printer)  # drawn, not sent as text: Big5 has no Vietnamese
    assert re.search(r"預約 10:20\s身分證、戶口名簿", printed(kiosk.printer))
    assert kiosk.store.events()[-1].data["appointment"] == {"service": "B", "at": "2026-12-08T10:20:00.000+08:00"}


@pytest.mark.parametrize("booked, reason", [
    (None, "unknown"),
    (("10:45", DAY), "early"),        # 45 minutes early
    (("09:40", DAY), "late"),         # 20 minutes late
    (("10:00", "2026-12-09"), "early"),  # tomorrow's
])
def test_a_code_the_office_does_not_check_in_prints_nothing_and_takes_nothing(office, kiosk, booked, reason):
    if booked:
        appointments.add(office.db, booked[1], booked[0], "A", "9999")
    with pytest.raises(CheckInRefused) as refused:
        kiosk.tickets.check_in("F", "9999")
    assert refused.value.reason == reason
    if booked:
        assert refused.value.at.strftime("%Y-%m-%d %H:%M") == f"{booked[1]} {booked[0]}"
    assert cuts(kiosk.printer) == 0 and tickets(kiosk.store) == []
    assert kiosk.take(1, "F") == ["F001"]  # the office gave no number away either


def test_a_code_used_twice_says_the_number_it_was_given(office, kiosk):
    appointments.add(office.db, DAY, "10:00", "A", "2468")
    kiosk.tickets.check_in("F", "2468")
    with pytest.raises(CheckInRefused) as again:
        kiosk.tickets.check_in("F", "2468")
    assert (again.value.reason, again.value.number) == ("used", "F001")
    assert [label for (label,) in tickets(kiosk.store)] == ["F001"]


def test_an_office_that_does_not_answer_checks_nothing_in_and_a_kiosk_alone_knows_no_appointment(tmp_path,
                                                                                                 office_clock):
    cut_off = Kiosk(tmp_path / "k", "ERLIN-01", dead_url(), "token", office_clock, services=DEFAULT_SERVICES)
    try:
        with pytest.raises(CheckInRefused) as refused:
            cut_off.tickets.check_in("F", "2468")
        assert refused.value.reason == "offline" and tickets(cut_off.store) == []
        alone = TicketService(cut_off.store, cut_off.tickets.config, cut_off.tickets.printer, now=office_clock)
        with pytest.raises(CheckInRefused, match="no office server"):
            alone.check_in("F", "2468")
        assert cuts(cut_off.printer) == 0
    finally:
        cut_off.close()


def test_a_check_in_that_is_not_true_or_false_or_a_second_one_is_named_with_its_key():
    from protocol.service_list import parse_services

    def service(prefix, check_in):
        return {"prefix": prefix, "name": "預約報到", "name_en": "Appointment check-in", "check_in": check_in}
    _services, problems = parse_services([service("F", "yes")], {"services[0].check_in": 9})
    assert [(key, line) for key, _, line in problems] == [("services[0].check_in", 9)]
    assert "true or false" in problems[0][1]
    _services, problems = parse_services([service("F", True), service("G", True)], {})
    assert [key for key, _, _ in problems] == ["services[1].check_in"] and "one service at most" in problems[0][1]
    services, problems = parse_services([service("F", True), service("A", False)], {})
    assert problems == [] and [s.check_in for s in services] == [True, False]


# -- the keypad, tapped --------------------------------------------------------------------------------

@pytest.fixture
def checkin_ui(ui, office, office_clock, tmp_path, monkeypatch):
    """The shared app's tickets asking the real office (as kiosk ERLIN-01) on the office clock."""
    values = defaults()
    values["kiosk"].update(id="ERLIN-01", data_dir=str(tmp_path / "unused"))
    values["server"].update(url=office.url, token=office.token)
    config = Config(values)
    client = OfficeClient(config)
    tickets, store = ui.app.services.tickets, ui.app.services.store
    monkeypatch.setattr(tickets, "numbers", OfficeNumbers(config, store, client))
    monkeypatch.setattr(tickets, "now", office_clock)
    monkeypatch.setattr("protocol.officetime.now", office_clock)
    before = store.read(lambda c: c.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])
    yield ui
    client.close()
    # The shared app's store is every UI test's: its tickets of the office clock's day (Tuesday 8 December, ahead
    # of the machine's clock) would be the newest there for the rest of the run, offered on the rating screen.
    store.write(lambda c: [c.execute(f"DELETE FROM {table} WHERE seq > ?", (before,))
                           for table in ("tickets", "ratings", "events")])


def key(screen, text):
    return next(k for k in screen.ids.keypad.children if k.text == text)


def type_code(ui, code):
    for digit in code:
        ui.tap(key(ui.screen, digit))


def open_check_in(ui):
    ui.app.show("ticket")
    ui.frames(2)
    ui.clock.advance(10)
    tile = next(t for t in ui.screen.tiles() if t.prefix == "F")
    ui.tap(tile)
    assert ui.app.manager.current == "checkin"
    return ui.screen


def test_the_check_in_tile_opens_a_keypad_and_the_typed_code_prints_its_ticket(checkin_ui, office):
    ui = checkin_ui
    appointments.add(office.db, DAY, "10:10", "C", "246810")
    simulated = ui.app.hardware.simulated_printer
    before = len(simulated.received)
    screen = open_check_in(ui)
    assert screen.ids.intro.text == "請輸入預約代碼" and screen.ids.digits.text == "_ _ _ _"
    type_code(ui, "246")
    ui.tap(screen.ids.ok)
    assert screen.ids.intro.text == "代碼至少 4 位數字" and ui.app.manager.current == "checkin"
    type_code(ui, "819")
    assert screen.ids.intro.text == "請輸入預約代碼"  # a key pressed: the reminder goes
    ui.tap(key(screen, ui.app.t("checkin.delete")))
    type_code(ui, "0")
    assert screen.ids.digits.text == "2 4 6 8 1 0"
    ui.tap(screen.ids.ok)
    assert ui.wait_for(lambda: ui.app.manager.current == "taken", 10)
    taken = ui.screen
    assert taken.ok and taken.ids.number.text == "F001"
    assert taken.ids.message.text == "預約 10:10　謄本、印鑑證明，時間到時優先叫號。"
    assert "預約 10:10" in bytes(simulated.received[before:]).decode("big5", errors="ignore")


def test_a_wrong_code_is_said_on_the_keypad_screen_and_try_again_brings_the_keys_back(checkin_ui, office):
    ui = checkin_ui
    appointments.add(office.db, DAY, "11:30", "A", "8642")
    screen = open_check_in(ui)
    type_code(ui, "86420")
    ui.tap(screen.ids.ok)
    assert ui.wait_for(lambda: screen.message != "" and not screen.busy, 10)
    assert screen.message == "查無此預約代碼，請再確認，或洽服務台。"
    assert screen.ids.keypad.opacity == 0 and screen.ids.again.opacity == 1
    ui.tap(screen.ids.again)
    assert screen.message == "" and screen.ids.keypad.opacity == 1
    assert screen.ids.digits.text == "8 6 4 2 0"  # an unknown code stays, to be corrected
    ui.tap(key(screen, ui.app.t("checkin.delete")))
    ui.tap(screen.ids.ok)
    assert ui.wait_for(lambda: screen.message != "" and not screen.busy, 10)
    assert screen.message == "您的預約時間是 11:30，11:00 起才能報到。"
    assert ui.app.manager.current == "checkin" and screen.code == ""


def test_the_keypad_in_the_large_text_mode_on_the_7_inch_panel(checkin_ui, tmp_path):
    ui = checkin_ui
    ui.resize((800, 480))
    ui.app.large = True
    try:
        ui.app.checkin.open("F")  # (its tile, tapped in the tests above, is further down the large ticket screen)
        screen = ui.screen
        ui.frames(3)
        for digit in "0" + "123456789":
            button = key(screen, digit)
            assert button.height >= 62 and button.width >= 62, (digit, button.size)  # 12 mm on the 7" panel
        assert screen.ids.intro.top <= screen.ids.header.y + 1  # the words below the header, not under it
        ui.grab().save(tmp_path / "checkin-800x480-large.png")
    finally:
        ui.app.large = False


def test_with_the_voice_guide_a_code_is_typed_with_the_three_buttons_and_the_answer_is_heard(checkin_ui, office,
                                                                                           caplog):
    from test_voice_guide_ui import MIDDLE, choose, hold, says

    ui = checkin_ui
    caplog.set_level(logging.INFO, logger="kiosk.speech")

    def heard():
        return [r.getMessage().split("] ", 1)[1] for r in caplog.records if r.name == "kiosk.speech"]
    try:
        hold(ui, MIDDLE)
        says(heard, 3)
        choose(ui, heard, "抽號碼牌")
        choose(ui, heard, "F, 預約報到")
        assert ui.app.manager.current == "checkin"
        assert any("請輸入預約代碼" in said for said in says(heard, len(heard()) + 1)[-3:]), heard()[-4:]
        for digit in "5791":
            choose(ui, heard, digit)
        assert ui.screen.code == "5791"
        choose(ui, heard, "確定")
        assert ui.wait_for(lambda: any("查無此預約代碼" in said for said in heard()[-3:]), 10), heard()[-4:]
    finally:
        if ui.app.voice.active:
            ui.app.voice.stop(quietly=True)
