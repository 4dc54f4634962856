"""The ticket screen when no number can be handed out for the kiosk's own reasons (issue 17): a full data folder
or an unsynced clock set back.  Real taps on the shared headless app; the resident is sent to the desk on the
screen they are looking at, the technician finds the reason (the clock's in the admin screen's fault list; a full
folder, whose fault cannot be stored, in the fault listeners, the log and the admin screen's storage row, see
test_full_disk.py), and nothing that was stored is lost."""

from datetime import timedelta

from protocol import officetime
from kiosk.errors import StoreError
from kiosk.tickets import TicketRefused


def open_ticket_screen(ui):
    ui.app.show("home")
    ui.frames(2)
    ui.tap(ui.home.ids.ticket)
    assert ui.app.manager.current == "ticket"
    return {tile.prefix: tile for tile in ui.screen.tiles()}


def labels(store):
    return [label for (label,) in store.read(lambda c: c.execute("SELECT label FROM tickets ORDER BY seq").fetchall())]


def test_a_full_data_folder_refuses_the_number_on_screen_and_loses_nothing_stored(ui):
    services, store = ui.app.services, ui.app.services.store
    tiles = open_ticket_screen(ui)
    ui.tap(tiles["B"])
    assert ui.wait_for(lambda: ui.app.manager.current == "taken") and ui.screen.ok
    taken = ui.screen.ids.number.text
    before_events, before_tickets = len(store.events()), labels(store)
    issued = services.tickets.issued_today("B")

    pages = store.read(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    store.write(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))  # SQLITE_FULL, as on a full disk
    try:
        for _ in range(2000):  # fill what room the last pages still have
            try:
                services.ratings.rate(1, "button")
            except StoreError:
                break
        ui.frames(2)
        tiles = open_ticket_screen(ui)
        ui.clock.advance(10)  # another resident, not a double tap
        ui.tap(tiles["B"])
        assert ui.wait_for(lambda: ui.app.manager.current == "taken" and not ui.screen.ok)
        assert ui.screen.ids.number.text == ""
        message = ui.screen.ids.message.text
        assert message == ui.app.t("ticket.refused_store") and "服務台" in message
        assert any("no number taken for service B" in f and "is full" in f for f in services.faults)
        assert services.tickets.issued_today("B") == issued, "a number was used up"
    finally:
        store.write(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    # Everything stored before the disk filled is still there, the ticket on screen first among them.
    assert labels(store) == before_tickets and before_tickets[-1] == taken
    assert len(store.events()) >= before_events
    # With room again the tiles work, and the refused tap cost no number.
    tiles = open_ticket_screen(ui)
    ui.clock.advance(10)
    ui.tap(tiles["B"])
    assert ui.wait_for(lambda: ui.app.manager.current == "taken" and ui.screen.ok)
    assert ui.screen.ids.number.text == f"B{issued + 1:03d}"


def test_an_unsynced_clock_set_back_refuses_the_number_on_screen(ui, monkeypatch):
    services = ui.app.services
    last = services.tickets.issue("F")  # a ticket taken today, by a synced clock
    issued = services.tickets.issued_today("F")
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "0")
    yesterday = officetime.now() - timedelta(days=1)  # the Pi restarted without network, a day behind
    monkeypatch.setattr(services.tickets, "now", lambda: yesterday)  # the ticket service's clock
    try:
        tiles = open_ticket_screen(ui)
        ui.clock.advance(10)
        ui.tap(tiles["F"])
        assert ui.wait_for(lambda: ui.app.manager.current == "taken" and not ui.screen.ok)
        assert ui.screen.ids.number.text == ""
        assert ui.screen.ids.message.text == "抽號機時間未校正，暫停發號，請洽服務台，謝謝。"
        assert any("not synced" in f and last.label in f for f in services.faults)
        fault = [e for e in services.store.events() if e.type == "fault"][-1]
        assert fault.data["kind"] == "clock_behind" and fault.data["last_ticket"] == last.label
        from kiosk.admin_status import latest_faults
        assert "clock_behind: the clock is not synced" in latest_faults(services.store)[0]  # the admin screen's list
    finally:
        monkeypatch.undo()  # the real clock, synced again (conftest)
    assert services.tickets.issued_today("F") == issued
    try:  # synced: numbers again
        assert services.tickets.issue("F").label == f"F{issued + 1:03d}"
    except TicketRefused as refused:  # pragma: no cover - says why if it does not
        raise AssertionError(refused) from None
