"""The voice guide end to end (issue 20): a resident who cannot see the screen takes a number, and rates the
service, with only the three rating buttons, and hears every step.

The buttons are gpiozero's mock pins, pressed and held on the real clock (the shared app's buttons run on it);
what the resident hears is the ``kiosk.speech`` log, which records every utterance as it is handed to the
speaker ("[zh-TW] 語音導覽。…").  The screens are the real ones; the guide chooses by pressing their buttons.
"""

import logging
import time

import pytest

LEFT, MIDDLE, RIGHT = 0, 1, 2


@pytest.fixture
def heard(ui, caplog):
    """What the resident heard so far, one utterance a line, without the language tag: ``heard()``."""
    caplog.set_level(logging.INFO, logger="kiosk.speech")
    yield lambda: [r.getMessage().split("] ", 1)[1] for r in caplog.records if r.name == "kiosk.speech"]
    if ui.app.voice.active:
        ui.app.voice.stop(quietly=True)


def pin(ui, index):
    return ui.app.hardware.buttons.devices[index].pin


def hold(ui, index):
    """Hold a button until the guide answers (speech.hold_seconds, 3 s), then let go."""
    pin(ui, index).drive_low()
    try:
        assert ui.wait_for(lambda: ui.app.voice.active, seconds=8), "holding a button did not start the guide"
    finally:
        pin(ui, index).drive_high()
    ui.frames(3)


def press(ui, index):
    """A finger's press: down, 80 ms, up (past the 50 ms debounce); then Kivy's frames run what it asked for."""
    pin(ui, index).drive_low()
    time.sleep(0.08)
    pin(ui, index).drive_high()
    ui.frames(3)


def says(heard, count, seconds=5):
    """Wait until at least ``count`` utterances were heard; return them all."""
    deadline = time.monotonic() + seconds
    while len(heard()) < count and time.monotonic() < deadline:
        from kivy.base import EventLoop
        EventLoop.idle()
        time.sleep(0.01)
    return heard()


def test_a_number_taken_with_only_the_three_buttons_is_spoken_from_the_start_to_the_ticket(ui, heard,
                                                                                          pinned_kiosk_clock):
    app = ui.app
    printer = app.hardware.simulated_printer
    ratings_before = len(ui.ratings())
    expected = f"B{app.services.tickets.issued_today('B') + 1:03d}"
    ahead = app.services.tickets.outlook("B").ahead

    hold(ui, MIDDLE)
    start = says(heard, 3)
    assert start[0].startswith("語音導覽。左邊的按鈕回上一個，中間的按鈕選擇，右邊的按鈕到下一個。")
    # where: the office, its greeting, how many choices; then the first choice, the first tile
    assert start[1].startswith(app.kiosk_config.kiosk.office) and start[1].endswith("個選項。")
    assert start[2].startswith("抽號碼牌")

    press(ui, MIDDLE)  # choose: take a number
    assert app.manager.current == "ticket"
    ticket_screen = says(heard, 5)[3:]
    assert ticket_screen[0].startswith("抽號碼牌") and "個選項" in ticket_screen[0]
    assert ticket_screen[1].startswith("A, 戶籍登記")

    press(ui, RIGHT)  # next: B
    assert says(heard, 6)[5].startswith("B, 身分證、戶口名簿")
    press(ui, LEFT)   # previous: A again
    assert says(heard, 7)[6].startswith("A, 戶籍登記")
    press(ui, RIGHT)
    before = len(printer.received)
    press(ui, MIDDLE)  # choose: a B ticket
    assert ui.wait_for(lambda: app.manager.current == "taken"), "no ticket taken"
    ticket = says(heard, 9)[8]
    assert ticket.startswith(f"您的號碼: {' '.join(expected)}。身分證、戶口名簿。前面還有 {ahead} 位。")
    assert "請取下方號碼牌。" in ticket and ticket.endswith("共 2 個選項。")
    assert expected.encode() in bytes(printer.received[before:]), "the ticket spoken is not the ticket printed"
    assert says(heard, 10)[9] == "再聽一次"  # the first choice after a ticket: hear it again
    press(ui, MIDDLE)
    again = says(heard, 11)[10]
    assert again.endswith("請取下方號碼牌。") and ticket.startswith(again)
    assert len(ui.ratings()) == ratings_before, "a press in the guide was stored as a rating"
    assert app.manager.current == "taken", "the ticket's screen went home under a resident still listening"


def test_a_rating_given_with_only_the_three_buttons_is_spoken_and_stored(ui, heard):
    app = ui.app
    before = len(ui.ratings())
    hold(ui, LEFT)  # any button starts it
    assert says(heard, 3)[2].startswith("抽號碼牌")
    press(ui, RIGHT)
    press(ui, RIGHT)  # 抽號碼牌 → 書表下載 → 服務評價
    assert says(heard, 5)[4].startswith("服務評價")
    press(ui, MIDDLE)
    assert app.manager.current == "rating"
    rating = says(heard, 7)[5:]
    assert rating[0].startswith("服務評價") and "個選項" in rating[0]
    assert rating[1] == "滿意"
    press(ui, RIGHT)
    assert says(heard, 8)[7] == "普通"
    press(ui, MIDDLE)
    assert ui.wait_for(lambda: len(ui.ratings()) == before + 1), "the rating chosen was not stored"
    assert ui.ratings()[-1]["choice"] == "neutral"
    assert ui.wait_for(lambda: app.manager.current == "thanks")
    assert says(heard, 9)[8].startswith("謝謝您的寶貴意見")


def test_the_guide_speaks_the_residents_language_and_its_names_in_their_own(ui, heard, caplog):
    app = ui.app
    hold(ui, MIDDLE)
    says(heard, 3)
    # round the home choices backwards: the last one is the guide's own stop, then its volume, then the languages
    press(ui, LEFT)
    assert says(heard, 4)[3] == "關閉語音導覽"
    for _ in range(8):
        if heard()[-1] == "Tiếng Việt":
            break
        press(ui, LEFT)
    assert heard()[-1] == "Tiếng Việt", heard()
    assert caplog.records[-1].getMessage() == "[vi] Tiếng Việt", "a language's name is not said by its own voice"
    assert "Filipino" not in heard(), "offered a language the guide has no voice for"
    press(ui, MIDDLE)
    assert app.lang == "vi"
    last = says(heard, len(heard()) + 2)[-2:]
    assert "lựa chọn" in last[0], "the place is not said again in Vietnamese"


def test_stop_turns_the_guide_off_and_the_buttons_rate_again(ui, heard):
    app = ui.app
    hold(ui, MIDDLE)
    says(heard, 3)
    press(ui, LEFT)  # round backwards to the last choice: stop
    press(ui, MIDDLE)
    assert not app.voice.active
    assert heard()[-1] == "語音導覽已關閉。"
    before = len(ui.ratings())
    ui.clock.advance(60)
    press(ui, MIDDLE)
    assert ui.wait_for(lambda: len(ui.ratings()) == before + 1), "after the guide, a press is a rating again"


def test_a_resident_who_leaves_is_asked_aloud_then_the_guide_ends_at_the_office_volume(ui, heard):
    app = ui.app
    hold(ui, MIDDLE)
    says(heard, 3)
    press(ui, LEFT)
    press(ui, LEFT)
    press(ui, LEFT)  # round backwards: stop, softer, louder
    assert says(heard, 6)[5] == "大聲一點"
    press(ui, MIDDLE)
    assert says(heard, 7)[6] == "大聲一點"  # said again, louder
    assert app.voice.speech.volume > app.kiosk_config.speech.volume
    ui.clock.advance(app.kiosk_config.display.idle_timeout)
    app.check_idle()
    assert app.idle.showing, "the home screen did not ask a resident who was listening"
    assert heard()[-1] == "需要更多時間嗎？ 需要更多時間，請按任一按鈕。"
    ui.clock.advance(app.kiosk_config.display.idle_warning)
    app.check_idle()
    assert not app.voice.active
    assert app.voice.speech.volume == app.kiosk_config.speech.volume, "the next resident inherits the volume"


def test_the_home_screen_says_how_to_start_the_guide_and_a_key_held_in_the_simulator_starts_it(ui, heard):
    assert ui.home.ids.voice_hint.text == "語音導覽：按住任一評價按鈕 3 秒"
    ui.window.dispatch("on_key_down", ord("2"), 0, "2", [])  # buttons.keys: "2" stands in for the middle button
    try:
        assert ui.wait_for(lambda: ui.app.voice.active, seconds=8), "a key held 3 s did not start the guide"
    finally:
        ui.window.dispatch("on_key_up", ord("2"), 0)
    says(heard, 3)
    ui.window.dispatch("on_key_down", ord("3"), 0, "3", [])
    time.sleep(0.08)
    ui.window.dispatch("on_key_up", ord("3"), 0)
    assert says(heard, 4)[3].startswith("下載書表")


def choose(ui, heard, prefix, presses=30):
    """Go on (right) until the choice heard starts with ``prefix``, then choose it (middle)."""
    for _ in range(presses):
        if heard() and heard()[-1].startswith(prefix):
            break
        press(ui, RIGHT)
    assert heard()[-1].startswith(prefix), f"no choice {prefix!r} in {heard()[-12:]}"
    press(ui, MIDDLE)


def test_a_forms_qr_slip_printed_with_the_buttons_is_said(ui, heard):
    app = ui.app
    printer = app.hardware.simulated_printer
    hold(ui, MIDDLE)
    says(heard, 3)
    choose(ui, heard, "下載書表")
    assert app.manager.current == "forms"
    category = app.forms.catalogue.categories[0]
    choose(ui, heard, category.title)
    assert app.manager.current == "form_list"
    form = app.forms.catalogue.in_category(category.code)[0]
    choose(ui, heard, form.title)
    assert app.manager.current == "form"
    before = len(printer.received)
    choose(ui, heard, "列印")
    assert ui.wait_for(lambda: any("已印出，請取下方紙條" in said for said in heard()[-3:])), heard()[-4:]
    assert form.title in heard()[-2] or form.title in heard()[-1], "the slip's form is not named"
    assert len(printer.received) > before, "the slip said printed did not reach the printer"
