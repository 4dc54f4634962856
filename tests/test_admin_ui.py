"""The staff's screens on the running kiosk, headless, with real touches (kiosk/ui/admin.py)."""

import pytest

from kiosk.admin_pin import AdminGate, hash_pin
from kiosk.ticketing_pause import ticketing_paused

PIN = "2468"


@pytest.fixture
def staff(ui):
    """The shared kiosk with a PIN configured and a quick corner hold (the real one is 5 s)."""
    app = ui.app
    store = app.services.store
    store.set_meta("admin_failures", "0")
    store.set_meta("admin_locked_until", "0")
    saved_gate, saved_seconds = app.admin.gate, app._corner.seconds
    app.admin.gate = AdminGate(store, hash_pin(PIN, iterations=10_000), attempts=5, lockout_seconds=300)
    app._corner.seconds = 0.3
    yield ui
    app.admin.gate, app._corner.seconds = saved_gate, saved_seconds
    if ticketing_paused(store):
        from kiosk.ticketing_pause import set_ticketing_paused
        set_ticketing_paused(store, False)
    app.show("home")


def touch_corner(ui, hold, move_to=None):
    from kivy.tests.common import UnitTestTouch
    import time
    touch = UnitTestTouch(5, ui.window.height - 5)
    touch.touch_down()
    ui.frames(1)
    if move_to is not None:
        touch.touch_move(*move_to)
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        ui.frames(1)
        time.sleep(0.02)
    touch.touch_up()
    ui.frames(2)


def type_pin(ui, digits):
    keys = {k.text: k for k in ui.app.manager.get_screen("admin_pin").ids.keypad.children}
    for digit in digits:
        ui.tap(keys[digit])
    ui.tap(keys["確定"])


def admin_events(ui):
    return [e.data["action"] for e in ui.app.services.store.events() if e.type == "admin"]


def test_a_tap_or_a_slide_on_the_corner_does_not_open_the_staff_keypad(staff):
    # The real hold (5 s), not the fixture's quick one: a frame slowed by a busy machine must not turn a tap into
    # a hold (with 0.3 s it did, now and then, while other processes loaded the machine).
    staff.app._corner.seconds = 5.0
    touch_corner(staff, 0.05)
    touch_corner(staff, 0.6, move_to=(400, 400))  # a finger sliding away is not a deliberate hold
    assert staff.app.manager.current == "home"


def test_holding_the_corner_opens_the_keypad_and_the_right_pin_the_status(staff):
    staff.app.services.record_fault("printer_cover_open", "printer sim://printer has its cover open: close it")
    touch_corner(staff, 0.6)
    assert staff.app.manager.current == "admin_pin"
    type_pin(staff, PIN)
    assert staff.wait_for(lambda: staff.app.manager.current == "admin")
    screen = staff.screen
    assert staff.wait_for(lambda: dict((l, v) for l, v, _ in screen.rows).get("印表機") == "OK")
    rows = {label: (value, level) for label, value, level in screen.rows}
    from kiosk import __version__
    assert rows["本機"][0] == "ERLIN-01 · 彰化縣二林戶政事務所" and rows["軟體版本"][0] == __version__
    assert rows["設定檔"] == ("OK", "ok") and rows["抽號"] == ("OK", "ok")
    pending = staff.app.services.store.outbox_counts()["pending"]
    assert rows["待上傳 / 擱置"][0].startswith(f"{pending} / ")
    assert "login" in admin_events(staff)
    assert screen.faults[0].endswith("printer_cover_open: printer sim://printer has its cover open: close it")


def test_wrong_pins_count_down_then_lock_the_keypad(staff):
    staff.app.admin.open_keypad()
    staff.frames(2)
    message = staff.app.manager.get_screen("admin_pin").ids.message
    type_pin(staff, "1111")
    assert message.text == "密碼錯誤，還可以再試 4 次"
    for _ in range(4):
        type_pin(staff, "1111")
    assert message.text.startswith("錯誤次數過多，已鎖定")
    type_pin(staff, PIN)  # even the right PIN, while locked
    assert staff.app.manager.current == "admin_pin" and message.text.startswith("錯誤次數過多")


def action_button(ui, label):
    return next(b for b in ui.app.manager.get_screen("admin").ids.actions.children if b.text == label)


def test_pausing_ticketing_shows_residents_a_notice_and_resuming_brings_the_tiles_back(staff):
    staff.app.admin.open()
    staff.frames(2)
    staff.tap(action_button(staff, "暫停／恢復抽號"))
    assert ticketing_paused(staff.app.services.store)
    assert "已暫停抽號" in staff.screen.message
    staff.app.show("ticket")
    staff.frames(3)
    tiles = staff.screen.tiles()
    assert all(t.disabled and t.state_key == "ticket.paused" for t in tiles)
    assert tiles[0].ids.waiting.text == "暫停抽號"
    staff.app.admin.open()
    staff.frames(2)
    staff.tap(action_button(staff, "暫停／恢復抽號"))
    assert not ticketing_paused(staff.app.services.store)
    assert admin_events(staff)[-2:] == ["pause_ticketing", "resume_ticketing"]


def test_resetting_todays_numbers_needs_two_confirmations(staff):
    tickets = staff.app.services.tickets
    tickets.issue("D")
    assert tickets.issued_today("D") >= 1
    staff.app.admin.open()
    staff.frames(2)
    button = action_button(staff, "重設今日號碼")
    staff.tap(button)
    assert "請再按一次" in staff.screen.message and tickets.issued_today("D") >= 1
    staff.tap(button)
    assert staff.screen.message.startswith("最後確認") and tickets.issued_today("D") >= 1
    staff.tap(button)
    assert tickets.issued_today("D") == 0 and "001" in staff.screen.message
    assert admin_events(staff)[-1] == "reset_numbers"
    assert tickets.issue("D").label == "D001"


def test_with_an_office_server_the_reset_says_the_numbers_are_the_offices_and_resets_nothing(staff, tmp_path):
    """One series for the office's kiosks (kiosk/office_numbers.py): this kiosk's reset would reset nothing a
    resident sees, so the screen says so, in words, and the kiosk's own count stays."""
    from kiosk.office_numbers import OfficeNumbers
    tickets = staff.app.services.tickets
    tickets.issue("D")
    issued, events = tickets.issued_today("D"), admin_events(staff)
    tickets.numbers = OfficeNumbers(staff.app.kiosk_config, staff.app.services.store, staff.app.services.office)
    try:
        staff.app.admin.open()
        staff.frames(2)
        button = action_button(staff, "重設今日號碼")
        for _ in range(3):
            staff.tap(button)
        assert "號碼由所內伺服器統一發給各服務機，此處未重設" in staff.screen.message
        assert tickets.issued_today("D") == issued and admin_events(staff) == events
        staff.grab().save(tmp_path / "admin-reset-office.png")
    finally:
        tickets.numbers = None


def test_reprint_and_a_failed_shutdown_say_what_happened(staff):
    printer = staff.app.hardware.simulated_printer
    last = staff.app.services.tickets.issue("A").label
    staff.app.admin.open()
    staff.frames(2)
    before = len(printer.received)
    staff.tap(action_button(staff, "補印上一張號碼牌"))
    assert staff.screen.message == f"已補印 {last}。" and last.encode() in bytes(printer.received[before:])
    assert admin_events(staff)[-1] == "reprint"
    shutdown = action_button(staff, "安全關機")
    staff.tap(shutdown)
    staff.tap(shutdown)  # confirmed; this machine has no kiosk-poweroff service
    assert "未完成" in staff.screen.message and "kiosk image" in staff.screen.message
    assert staff.app.services.store.events()[-1].data == {
        "action": "shutdown", "ok": False, "error": "no /run/kiosk: safe shutdown works on the kiosk image only"}


def test_test_print_and_self_test_from_the_admin_screen(staff):
    printer = staff.app.hardware.simulated_printer
    staff.app.admin.open()
    staff.frames(2)
    before = len(printer.received)
    staff.tap(action_button(staff, "測試列印"))
    assert staff.screen.message == "已送出測試頁。" and admin_events(staff)[-1] == "test_print"
    page = bytes(printer.received[before:])
    assert "彰化縣二林戶政事務所".encode("big5") in page and b"\x1d(k" in page  # office name and a QR
    printer.paper_out = True
    try:
        staff.tap(action_button(staff, "測試列印"))
        assert "未完成" in staff.screen.message and "paper" in staff.screen.message
    finally:
        printer.paper_out = False
    # Every message the screen shows, in order: a fast self-test can end within the tap's own frames,
    # so the "in progress" line is looked for in the history, not on the screen after the tap.
    said = []

    def note(_screen, text):
        said.append(text)
    screen = staff.screen
    screen.bind(message=note)
    try:
        staff.tap(action_button(staff, "自我檢測"))
        assert staff.wait_for(lambda: screen.message.startswith("自我檢測："), seconds=20)
    finally:
        screen.unbind(message=note)
    assert said[0] == "自我檢測進行中…" and said[-1].startswith("自我檢測："), said
    [event] = [e.data for e in staff.app.services.store.events() if e.type == "admin"
               and e.data["action"] == "selftest"][-1:]
    assert event["failed"] == [] and "buttons" not in staff.screen.message


def test_restart_and_shutdown_are_asked_twice_then_done_and_recorded(staff, tmp_path, monkeypatch):
    stopped = []
    monkeypatch.setattr(staff.app, "stop", lambda *a: stopped.append(True))  # Kivy's App.stop: systemd restarts us
    staff.app.admin.runtime_dir = tmp_path  # where kiosk-poweroff.path looks on the image: /run/kiosk
    try:
        staff.app.admin.open()
        staff.frames(2)
        restart = action_button(staff, "重新啟動程式")
        staff.tap(restart)
        assert "請再按一次" in staff.screen.message and not stopped
        staff.tap(restart)
        assert staff.wait_for(lambda: stopped) and admin_events(staff)[-1] == "restart"
        shutdown = action_button(staff, "安全關機")
        staff.tap(shutdown)
        assert not (tmp_path / "poweroff").exists()
        staff.tap(shutdown)
        assert (tmp_path / "poweroff").exists() and admin_events(staff)[-1] == "shutdown"
        assert staff.screen.message.startswith("正在關機")
    finally:
        staff.app.admin.runtime_dir = __import__("pathlib").Path("/run/kiosk")
