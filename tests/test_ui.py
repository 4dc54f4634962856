"""The Kivy shell, driven headless with real touches on real widgets."""

import threading
import time
from datetime import datetime, timezone

import pytest

from protocol import officetime
from kiosk.errors import StoreError

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080)]
#: Width in mm of the panel that usually has each resolution: the official 7" display,
#: a 7" HDMI panel, a 10.1" panel and a 15.6" monitor.
PANEL_WIDTH_MM = {(800, 480): 154.2, (1024, 600): 154.2, (1280, 800): 217.0, (1920, 1080): 344.2}
MIN_TARGET_MM = 12

TILES = ("ticket", "forms", "rating")


def window_rect(widget):
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def buttons_on(screen):
    from kivy.uix.behaviors import ButtonBehavior
    return [w for w in screen.walk() if isinstance(w, ButtonBehavior) and not w.disabled and w.opacity > 0]


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_home_fits_every_supported_screen(ui, size, lang):
    ui.app.lang = lang
    ui.resize(size)
    width, height = size
    tiles = [ui.home.ids[name] for name in TILES]
    rects = [window_rect(t) for t in tiles]
    for name, (x1, y1, x2, y2) in zip(TILES, rects):
        assert 0 <= x1 and x2 <= width and 0 <= y1 and y2 <= height, f"{name} tile leaves the {size} screen"
    # side by side, left to right, not overlapping
    assert rects[0][2] <= rects[1][0] and rects[1][2] <= rects[2][0]
    # every title fits inside its tile (wrapped lines included)
    for tile in tiles:
        title = tile.ids.title
        assert title.texture_size[0] <= tile.width, f"{title.text!r} is wider than its tile at {size}"
        assert title.texture_size[1] <= title.height + 1, f"{title.text!r} is taller than its box at {size}"
    # the marquee stays at the bottom, the header at the top, fully visible
    marquee = window_rect(ui.app.marquee)
    assert marquee[1] == 0 and marquee[3] <= min(r[1] for r in rects)
    header = window_rect(ui.home.ids.header)
    assert header[3] == pytest.approx(height) and header[1] >= max(r[3] for r in rects)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_touch_target_is_at_least_12_mm(ui, size):
    ui.app.services.tickets.issue("A")  # so the rating screen offers its ticket toggle too
    ui.resize(size)
    minimum = MIN_TARGET_MM * size[0] / PANEL_WIDTH_MM[size]
    for name in ("home",) + TILES:
        ui.app.show(name)
        ui.frames(3)
        for button in buttons_on(ui.screen):
            assert button.width >= minimum and button.height >= minimum, \
                f"{type(button).__name__} {getattr(button, 'text', '')!r} on {name} is {button.size} at {size}"


@pytest.mark.parametrize("tile", TILES)
def test_tapping_a_tile_opens_its_screen_and_back_returns_home(ui, tile):
    ui.tap(ui.home.ids[tile])
    assert ui.app.manager.current == tile
    assert ui.screen.ids.header.ids.title.text == {"ticket": "抽號碼牌", "forms": "下載書表", "rating": "服務評價"}[tile]
    ui.tap(ui.screen.ids.header.ids.back)
    assert ui.app.manager.current == "home"


def test_back_button_is_hidden_and_inert_on_home(ui):
    back = ui.home.ids.header.ids.back
    assert back.opacity == 0 and back.disabled
    ui.tap(back)
    assert ui.app.manager.current == "home"


def language_choice(screen, lang):
    """The button of ``lang`` in the home screen's row (``languages``) or on the language screen (``choices``)."""
    choices = (screen.ids.get("languages") or screen.ids.choices).choices
    return next(c for c in choices if c.lang == lang)


def test_language_switch_changes_every_string_and_back(ui):
    header = ui.home.ids.header
    own_names = ["中文", "English", "Tiếng Việt", "Bahasa Indonesia", "ภาษาไทย", "Filipino"]
    assert [c.text for c in ui.home.ids.languages.choices] == own_names
    ui.tap(language_choice(ui.home, "en"))
    assert ui.app.lang == "en"
    assert [ui.home.ids[t].title for t in TILES] == ["Take a number", "Blank forms", "Rate our service"]
    assert header.ids.title.text == "Erlin Household Registration Office"
    assert [c.text for c in ui.home.ids.languages.choices] == own_names  # each in its own language
    assert f"(ROC {officetime.now().year - 1911})" in header.ids.date.text
    ui.tap(ui.home.ids.forms)
    assert ui.screen.ids.header.ids.title.text == "Blank forms"
    assert ui.screen.ids.header.ids.back.text.endswith("Back to home")
    assert ui.screen.ids.header.ids.language.text == "Language"
    ui.tap(ui.screen.ids.header.ids.language)
    assert ui.app.manager.current == "language"
    ui.tap(language_choice(ui.screen, "zh-TW"))
    assert ui.app.manager.current == "forms"
    assert ui.screen.ids.header.ids.title.text == "下載書表"
    assert ui.home.ids.ticket.title == "抽號碼牌"


def test_clock_shows_the_roc_date_in_taipei(ui, pinned_kiosk_clock):
    # 16:05 UTC on 6 Dec is 00:05 on the 7th in Taipei: the header shows Taipei's date, whatever the machine's.
    pinned_kiosk_clock.set(datetime(2026, 12, 6, 16, 5, tzinfo=timezone.utc))
    ui.app.tick_clock()
    assert ui.home.ids.header.ids.date.text.startswith("民國115年12月7日")
    assert ui.home.ids.header.ids.time.text in ("00:05", "00:06")


def test_idle_timeout_returns_home_in_the_default_language(ui):
    ui.tap(language_choice(ui.home, "en"))
    ui.tap(ui.home.ids.forms)
    assert (ui.app.manager.current, ui.app.lang) == ("forms", "en")
    timeout = ui.app.kiosk_config.display.idle_timeout
    ui.clock.advance(timeout - 1)
    ui.app.check_idle()
    assert (ui.app.manager.current, ui.app.lang) == ("forms", "en"), "went home before the timeout"
    ui.clock.advance(2)
    ui.app.check_idle()  # first "Need more time?" (tests/test_idle_prompt.py), then home when nobody answers
    ui.clock.advance(ui.app.kiosk_config.display.idle_warning)
    ui.app.check_idle()
    assert (ui.app.manager.current, ui.app.lang) == ("home", "zh-TW")


def test_a_touch_restarts_the_idle_timer(ui):
    ui.tap(ui.home.ids.ticket)
    timeout = ui.app.kiosk_config.display.idle_timeout
    ui.clock.advance(timeout - 5)
    ui.tap(ui.screen.ids.intro)  # a touch anywhere, even on plain text
    ui.clock.advance(10)
    ui.app.check_idle()
    assert ui.app.manager.current == "ticket"


def test_keyboard_key_presses_the_simulated_gpio_button(ui):
    hardware = ui.app.hardware
    before = len(ui.ratings())
    ui.window.dispatch("on_key_down", ord("1"), 0, "1", [])  # the key holds the button down...
    ui.frames(2)
    assert len(ui.ratings()) == before, "rated before the key came up (it may be held to start the voice guide)"
    ui.window.dispatch("on_key_up", ord("1"), 0)  # ...and lets it up: a press
    assert ui.wait_for(lambda: len(ui.ratings()) == before + 1 and ui.app.manager.current == "thanks")
    assert (ui.ratings()[-1]["choice"], ui.ratings()[-1]["source"]) == ("smile", "button")
    # the pressed button's LED (index 0) flashes; the idle glow of the others is out
    seen = set()
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        states = hardware.led_states()
        seen.add(states[0] > 0)
        assert states[1] == 0 and states[2] == 0, f"other LEDs lit while confirming: {states}"
        time.sleep(0.01)
    assert seen == {True, False}, "LED 1 did not blink (on and off) after its button was pressed"


def test_a_button_pressed_on_a_gpio_thread_reaches_the_ui_on_the_main_thread(ui):
    seen = {}
    original = ui.app.ratings.on_rated

    def spy(rating):
        seen["thread"] = threading.current_thread()
        original(rating)

    ui.app.ratings.on_rated = spy
    try:
        worker = threading.Thread(target=ui.app.services.button_pressed, args=(1,))
        worker.start()
        worker.join(5)
        assert ui.ratings()[-1]["choice"] == "neutral", "the rating was not stored by the time the thread ended"
        assert ui.app.manager.current == "home", "the UI changed from the hardware thread"
        ui.frames(2)
        assert ui.app.manager.current == "thanks"
        assert seen["thread"] is threading.main_thread()
    finally:
        del ui.app.ratings.on_rated


def open_rating_screen(ui):
    ui.tap(ui.home.ids.rating)
    assert ui.app.manager.current == "rating"
    return ui.screen.ids.faces.children[::-1]  # Kivy lists children last-added first


def test_rating_screen_shows_the_scale_as_faces_with_labels(ui):
    faces = open_rating_screen(ui)
    assert [f.label for f in faces] == ["smile", "neutral", "frown"]
    labels = [f.ids.label.text for f in faces]
    assert labels == ["滿意", "普通", "不滿意"]
    moods = [f.mood for f in faces]
    assert moods == sorted(moods, reverse=True), "faces are not best-first like the buttons"


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_five_faces_fit_at_800x480_without_breaking_a_word(ui, lang):
    from kivy.core.text import Label as CoreLabel

    from protocol.ratings import Scale
    from kiosk.ui.rating import RatingScreen

    five = RatingScreen(name="rating-five", choices=[(c.key, c.mood) for c in Scale.of_size(5).choices])
    ui.app.manager.add_widget(five)
    try:
        ui.app.lang = lang
        ui.resize((800, 480))
        ui.app.manager.current = "rating-five"
        ui.frames(4)
        faces = five.ids.faces.children[::-1]
        assert len(faces) == 5
        for face in faces:
            x1, y1, x2, y2 = window_rect(face)
            assert 0 <= x1 and x2 <= 800, f"{face.label} face leaves the screen"
            label = face.ids.label
            for word in label.text.split():
                rendered = CoreLabel(text=word, font_size=label.font_size, bold=True)
                rendered.refresh()
                assert rendered.texture.size[0] <= label.width, f"{word!r} is broken across lines at 800x480"
    finally:
        ui.app.manager.current = "home"
        ui.app.manager.remove_widget(five)


def test_tapping_a_face_stores_a_touch_rating_and_thanks_then_goes_home(ui, monkeypatch):
    monkeypatch.setattr(ui.app.kiosk_config.ratings, "thank_you_seconds", 0.3)
    faces = open_rating_screen(ui)
    before = len(ui.ratings())
    ui.tap(faces[0])
    stored = ui.ratings()
    assert len(stored) == before + 1
    assert (stored[-1]["choice"], stored[-1]["source"], stored[-1]["misuse"]) == ("smile", "touch", 0)
    ui.frames(2)
    assert ui.app.manager.current == "thanks"
    assert ui.screen.ids.title.text == "謝謝您的寶貴意見"
    assert ui.screen.ids.your_rating.text == "您的評價：滿意"
    assert ui.wait_for(lambda: ui.app.manager.current == "home", 3), "the thank-you did not go home by itself"


def test_a_negative_rating_asks_why_and_links_the_answer(ui):
    faces = open_rating_screen(ui)
    ui.tap(faces[2])
    ui.frames(2)
    assert ui.app.manager.current == "reason"
    rating_id = ui.ratings()[-1]["id"]
    ui.tap(ui.screen.ids.wait_time)
    ui.frames(2)
    assert ui.app.manager.current == "thanks"
    stored = {r["id"]: r for r in ui.ratings()}
    assert stored[rating_id]["reason"] == "wait_time"
    reasons = [e for e in ui.app.services.store.events() if e.type == "rating_reason"]
    assert reasons[-1].data == {"rating_id": rating_id, "reason": "wait_time"}


def test_the_why_question_gives_up_and_goes_home(ui, monkeypatch):
    monkeypatch.setattr(ui.app.kiosk_config.ratings, "follow_up_timeout", 0.3)
    ui.app.services.button_pressed(2)
    ui.frames(2)
    assert ui.app.manager.current == "reason"
    assert ui.wait_for(lambda: ui.app.manager.current == "home", 3)
    assert ui.ratings()[-1]["reason"] is None  # kept, unanswered


def test_a_press_during_the_thank_you_is_kept_as_misuse(ui, monkeypatch):
    # the thank-you goes home after real seconds: on a busy machine two frames can take that long
    monkeypatch.setattr(ui.app.kiosk_config.ratings, "thank_you_seconds", 60)
    ui.app.services.button_pressed(0)
    ui.frames(2)
    assert ui.app.manager.current == "thanks"
    ui.app.services.button_pressed(1)  # a second later, no fake time has passed
    ui.frames(2)
    last_two = ui.ratings()[-2:]
    assert [(r["choice"], r["misuse"]) for r in last_two] == [("smile", 0), ("neutral", 1)]
    assert ui.app.manager.current == "thanks"
    assert ui.screen.ids.your_rating.text == "您的評價：普通"


def test_a_rating_that_cannot_be_stored_tells_the_resident_to_ask_staff(ui):
    store = ui.app.services.store
    pages = store.read(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    store.write(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))  # the disk is full
    try:
        for _ in range(1000):  # fill what room the last pages still have
            try:
                ui.app.services.ratings.rate(1, "button")
            except StoreError:
                break
        ui.frames(2)
        ui.app.show("home")
        ui.frames(2)  # a screen change is complete only after the next frame
        ui.tap(open_rating_screen(ui)[0])
        ui.frames(2)
        assert ui.app.manager.current == "thanks"
        assert not ui.screen.saved
        assert "服務台" in ui.screen.ids.title.text
        assert any("could not be stored" in f for f in ui.app.services.faults)
    finally:
        store.write(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    ui.app.show("home")
    ui.clock.advance(60)
    ui.app.services.button_pressed(0)  # and the kiosk keeps working once there is room again
    ui.frames(2)
    assert ui.app.manager.current == "thanks" and ui.screen.saved


def open_ticket_screen(ui):
    ui.tap(ui.home.ids.ticket)
    assert ui.app.manager.current == "ticket"
    return {tile.prefix: tile for tile in ui.screen.tiles()}


def test_ticket_screen_shows_every_service_with_its_waiting_count(ui):
    tiles = open_ticket_screen(ui)
    assert list(tiles) == [s.prefix for s in ui.app.kiosk_config.services]
    assert tiles["A"].ids.name.text == "戶籍登記"
    waiting = ui.app.services.tickets.outlook("A").ahead
    assert tiles["A"].ids.waiting.text == f"等候 {waiting} 人"


def test_tapping_a_service_prints_a_ticket_and_shows_its_number(ui):
    printer = ui.app.hardware.simulated_printer
    tiles = open_ticket_screen(ui)
    expected = f"B{ui.app.services.tickets.issued_today('B') + 1:03d}"
    before = len(printer.received)
    ui.tap(tiles["B"])
    assert ui.wait_for(lambda: ui.app.manager.current == "taken"), "no ticket screen after the tap"
    screen = ui.screen
    assert screen.ids.number.text == expected and screen.ok
    assert screen.ids.message.text == "請取下方號碼牌"
    printed = bytes(printer.received[before:])
    assert b"\x1c&" + "身分證、戶口名簿".encode("cp950") + b"\x1c." in printed and expected.encode() in printed
    assert screen.ticket_texture is not None, "the simulated printer's paper is not shown"
    ui.app.show("ticket")
    ui.frames(3)
    assert {t.prefix: t for t in ui.screen.tiles()}["B"].waiting >= 1


def test_a_printer_out_of_paper_takes_no_number_and_sends_the_resident_to_the_desk(ui):
    printer = ui.app.hardware.simulated_printer
    tiles = open_ticket_screen(ui)
    issued = ui.app.services.tickets.issued_today("C")
    printer.paper_out = True
    try:
        ui.tap(tiles["C"])
        assert ui.wait_for(lambda: ui.app.manager.current == "taken")
        assert not ui.screen.ok and ui.screen.ids.number.text == ""
        assert "服務台" in ui.screen.ids.message.text
        assert ui.app.services.tickets.issued_today("C") == issued, "a number was used up"
        faults = [e.data["kind"] for e in ui.app.services.store.events() if e.type == "fault"]
        assert faults[-1] == "printer_paper_out"
    finally:
        printer.paper_out = False


def test_a_double_tap_takes_one_number(ui):
    tiles = open_ticket_screen(ui)
    issued = ui.app.services.tickets.issued_today("D")
    ui.tap(tiles["D"])
    ui.tap(tiles["D"])
    assert ui.wait_for(lambda: ui.app.manager.current == "taken")
    ui.frames(5)
    assert ui.app.services.tickets.issued_today("D") == issued + 1


def test_a_rating_can_name_the_ticket_taken_here_a_moment_ago(ui):
    tiles = open_ticket_screen(ui)
    ui.tap(tiles["E"])
    assert ui.wait_for(lambda: ui.app.manager.current == "taken")
    label = ui.screen.ids.number.text
    ui.app.show("home")
    ui.frames(2)
    faces = open_rating_screen(ui)
    toggle = ui.screen.ids.ticket  # one unticked toggle under the faces: this resident's ticket only
    assert toggle.text == f"評價號碼 {label} 的服務" and not toggle.active
    assert ui.screen.ids.intro.text == "請點選您對今天服務的感受"
    ui.tap(toggle)
    assert toggle.active
    ui.tap(faces[0])
    stored = ui.ratings()[-1]
    assert (stored["ticket"], stored["service"], stored["source"]) == (label, "E", "touch")


def test_without_a_picked_ticket_the_rating_names_none(ui):
    faces = open_rating_screen(ui)
    ui.tap(faces[1])
    assert ui.ratings()[-1]["ticket"] == ""


def open_forms_screen(ui):
    ui.tap(ui.home.ids.forms)
    assert ui.app.manager.current == "forms"
    return {tile.code: tile for tile in ui.screen.ids.categories.children}


def test_forms_category_list_form_and_back(ui):
    tiles = open_forms_screen(ui)
    assert set(tiles) == {c.code for c in ui.app.forms.catalogue.categories}
    ui.tap(tiles["household"])
    assert ui.app.manager.current == "form_list"
    rows = ui.screen.ids.rows.children[::-1]
    assert [r.code for r in rows] == [f.code for f in ui.app.forms.catalogue.in_category("household")]
    assert rows[0].ids.description.text  # one line on when you need it
    ui.tap(rows[0])
    assert ui.app.manager.current == "form"
    assert ui.screen.ids.title.text == rows[0].form.title
    ui.tap(ui.screen.ids.header.ids.back)
    assert ui.app.manager.current == "form_list"
    ui.tap(ui.screen.ids.header.ids.back)
    assert ui.app.manager.current == "forms"


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)])
def test_every_forms_qr_reads_back_from_the_screen(ui, size):
    from pyzbar.pyzbar import decode

    ui.resize(size)
    views_before = len([e for e in ui.app.services.store.events() if e.type == "form_view"])
    for form in ui.app.forms.catalogue.forms:
        ui.app.forms.open_form(form.code)
        image = ui.grab()
        codes = [c.data.decode() for c in decode(image.convert("L"))]
        assert codes == [form.url], f"{form.code}: the screen's QR reads {codes}"
    views = [e for e in ui.app.services.store.events() if e.type == "form_view"]
    assert len(views) - views_before == len(ui.app.forms.catalogue.forms)
    assert views[-1].data["code"] == ui.app.forms.catalogue.forms[-1].code


def test_printing_a_forms_qr_on_a_slip(ui):
    printer = ui.app.hardware.simulated_printer
    form = ui.app.forms.catalogue.forms[0]
    ui.app.forms.open_form(form.code)
    ui.frames(2)
    before = len(printer.received)
    issued = {s.prefix: ui.app.services.tickets.issued_today(s.prefix) for s in ui.app.kiosk_config.services}
    ui.tap(ui.screen.ids.print_slip)
    assert ui.wait_for(lambda: ui.screen.slip_message == "已印出，請取下方紙條。"), ui.screen.slip_message
    printed = bytes(printer.received[before:])
    assert form.url.encode() in printed and b"\x1d(k" in printed
    assert {s.prefix: ui.app.services.tickets.issued_today(s.prefix) for s in ui.app.kiosk_config.services} == issued
    slips = [e for e in ui.app.services.store.events() if e.type == "form_slip"]
    assert slips[-1].data["code"] == form.code


def test_a_slip_the_printer_cannot_print_says_so_and_keeps_the_qr(ui):
    printer = ui.app.hardware.simulated_printer
    ui.app.forms.open_form(ui.app.forms.catalogue.forms[1].code)
    ui.frames(2)
    printer.cover_open = True
    try:
        ui.tap(ui.screen.ids.print_slip)
        assert ui.wait_for(lambda: "服務台" in ui.screen.slip_message)
        assert ui.screen.qr is not None and ui.app.manager.current == "form"
    finally:
        printer.cover_open = False


def test_the_most_viewed_forms_come_first_on_the_forms_screen(ui):
    catalogue = ui.app.forms.catalogue
    favourite = catalogue.forms[-2]
    for _ in range(40):
        ui.app.forms.open_form(favourite.code)
    ui.app.show("home")
    ui.frames(2)
    open_forms_screen(ui)
    popular = ui.screen.ids.popular.children[::-1]
    assert popular and popular[0].code == favourite.code


def test_a_new_catalogue_from_the_office_shows_without_a_restart(ui):
    override = ('[[forms]]\ncode = "office-only"\ncategory = "proxy"\ntitle = "本所自訂表單"\ntitle_en = "Our form"\n'
                'description = "本所自訂"\ndescription_en = "Ours"\nurl = "https://erlin.example/o.pdf"\n'
                'bilingual = false\n')
    assert ui.app.services.forms.update(override, "test") == []
    ui.app.forms.use(ui.app.services.forms.current())
    ui.app.forms.open_form("office-only")
    ui.frames(2)
    assert ui.app.manager.current == "form" and ui.screen.ids.title.text == "本所自訂表單"


def test_a_wrong_setup_file_puts_the_kiosk_out_of_service_full_screen_until_it_is_fixed(ui):
    errors = ui.app.kiosk_config.data_dir / "provisioning-errors.txt"
    errors.write_text("/boot/firmware/kiosk.toml:4: wifi.psk: must be 8-63 characters\n", encoding="utf-8")
    try:
        ui.app.check_setup()
        ui.frames(2)
        assert ui.app.manager.current == "setup_error"
        assert "wifi.psk" in ui.screen.ids.problems.text and "暫停服務" in ui.screen.ids.title.text
        ui.clock.advance(3600)
        ui.app.check_idle()
        assert ui.app.manager.current == "setup_error", "the idle timeout hid the problem"
    finally:
        errors.unlink()
    ui.app.check_setup()
    assert ui.app.manager.current == "home"
