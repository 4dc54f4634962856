"""A screen mounted high (issue 20, ``display.reach = "low"``): nothing a resident touches is in the top third of
the screen.  The header's back, language and large-text buttons move to a bar at the bottom and work there as
they did above; every screen's controls sit below its words.  Real touches on the shared app; the whole layout
audit with ``--reach low`` is in ``test_audit_layout.py``."""

import pytest
from kivy.uix.behaviors import ButtonBehavior

from kiosk.config import load_config
from kiosk.errors import ConfigError
from kiosk.ui import REACH_LOW_TOP
from kiosk.ui.voice import screen_choices


@pytest.fixture
def low(ui):
    ui.app.reach_low = True
    ui.frames(4)
    yield ui
    ui.app.reach_low = False
    ui.app.large = False
    ui.frames(4)


def controls_above_the_line(ui):
    """The screen's buttons a finger could press whose top is in the window's top third, by their texts."""
    ui.frames(4)
    line = ui.window.height * (1 - REACH_LOW_TOP)  # Kivy counts y from the bottom
    above = []
    for widget in ui.screen.walk(restrict=True):
        if not isinstance(widget, ButtonBehavior) or widget.disabled or not _seen(widget, ui.screen):
            continue
        _x, top = widget.to_window(widget.x, widget.top)
        if top > line + 2:
            above.append(getattr(widget, "text", "") or type(widget).__name__)
    return above


def _seen(widget, screen):
    """Shown: neither it nor a parent up to its screen is transparent or of no size."""
    while widget is not screen:
        if widget.opacity == 0 or widget.width == 0 or widget.height == 0:
            return False
        widget = widget.parent
    return True


def test_mounted_high_no_screen_has_a_control_in_its_top_third(low):
    ui = low
    for size in ((800, 480), (1920, 1080)):
        ui.resize(size)
        ui.app.show("home")
        assert controls_above_the_line(ui) == [], f"home at {size}"
        for tile, screen in (("ticket", "ticket"), ("forms", "forms"), ("rating", "rating")):
            ui.app.show("home")
            ui.frames(3)
            ui.tap(ui.home.ids[tile])
            assert ui.app.manager.current == screen
            assert controls_above_the_line(ui) == [], f"{screen} at {size}"
        ui.app.open_languages()
        assert controls_above_the_line(ui) == [], f"language at {size}"


def test_on_a_screen_within_reach_the_headers_buttons_are_at_the_top(ui):
    """The same check fails for the ordinary layout: the header's back and language buttons are up there."""
    ui.tap(ui.home.ids.ticket)
    above = controls_above_the_line(ui)
    assert any("返回首頁" in text for text in above) and "語言" in above, above


def test_the_bars_buttons_do_what_the_headers_did(low):
    ui = low
    ui.tap(ui.home.ids.ticket)
    header, bar = ui.screen.ids.header, ui.screen.ids.bar
    assert header.ids.back.opacity == 0 and header.ids.language.opacity == 0, "buttons left in the header"
    assert bar.ids.back.opacity == 1 and bar.ids.language.opacity == 1
    assert bar.ids.large.opacity == 0, "the large-text switch is the home screen's"
    ui.tap(bar.ids.language)
    assert ui.app.manager.current == "language"
    ui.tap(ui.screen.ids.bar.ids.back)
    assert ui.app.manager.current == "ticket", "the language screen's back button did not return to the tickets"
    ui.tap(ui.screen.ids.bar.ids.back)
    assert ui.app.manager.current == "home"
    home_bar = ui.home.ids.bar
    assert home_bar.ids.back.opacity == 0 and home_bar.ids.large.opacity == 1
    assert "3" in ui.home.ids.voice_hint_high.text and ui.home.ids.voice_hint.text == "", \
        "the voice guide's hint is not up with the words"
    ui.tap(home_bar.ids.large)
    assert ui.app.large, "the bar's large-text button did not switch the mode"


def test_the_voice_guide_offers_the_bars_buttons_last_as_it_did_the_headers(low):
    ui = low
    ui.tap(ui.home.ids.ticket)
    texts = [choice.text for choice in screen_choices(ui.screen)]
    assert texts[-2:] == ["返回首頁", "語言"], texts
    open_tiles = [tile for tile in ui.screen.tiles() if not tile.disabled]  # a closed service is no choice
    assert len(texts) == len(open_tiles) + 2, texts


def test_a_reach_the_kiosk_does_not_know_is_a_config_error_naming_the_key(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text('[display]\nreach = "high"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(str(config))
    assert "display.reach" in str(error.value) and "'low'" in str(error.value)
    config.write_text('[display]\nreach = "low"\n', encoding="utf-8")
    assert load_config(str(config)).display.reach == "low"


def test_mounted_high_a_form_prints_from_the_bar_with_nothing_to_touch_above(low):
    ui = low
    ui.resize((800, 480))
    printer = ui.app.hardware.simulated_printer
    form = ui.app.forms.catalogue.forms[0]
    ui.app.forms.open_form(form.code)
    ui.frames(2)
    assert ui.screen.ids.print_slip.opacity == 0 and ui.screen.ids.print_slip.disabled
    assert controls_above_the_line(ui) == []
    before = len(printer.received)
    ui.tap(ui.screen.ids.print_low)
    assert ui.wait_for(lambda: ui.screen.slip_message == "已印出，請取下方紙條。"), ui.screen.slip_message
    assert form.url.encode() in bytes(printer.received[before:])
    texts = [choice.text for choice in screen_choices(ui.screen)]
    assert texts[0] == ui.screen.ids.print_low.text and texts[-2:] == ["返回上一頁", "語言"], texts


def test_the_staffs_screens_keep_their_back_button_up_in_the_header(low):
    """The reach rule is the residents' (as the large-text mode is): the PIN keypad needs the screen's height."""
    ui = low
    ui.app.show("admin_pin")
    ui.frames(3)
    back = ui.screen.ids.header.ids.back
    assert back.opacity == 1 and not back.disabled
    ui.tap(back)
    assert ui.app.manager.current == "home"
