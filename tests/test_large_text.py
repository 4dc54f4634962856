"""Large text and high contrast (issue 20): one button on the home screen makes everything 1.5 times larger and
every colour at least 7:1; the kiosk is back to normal for the next resident.  Real touches on the shared app;
``kiosk screenshot --mode large`` as a technician runs it."""

import subprocess
import sys

import pytest
from PIL import Image

from kiosk.ui.layout_checks import contrast_ratio as pixel_ratio
from kiosk.ui.palette import PAGE, behind_white, contrast_ratio, on_page


@pytest.fixture
def large(ui):
    yield ui
    ui.app.large = False


def test_the_home_button_makes_everything_half_as_large_again_and_back(large):
    ui = large
    header = ui.home.ids.header
    switch = header.ids.large
    assert switch.text == "大字體" and switch.opacity == 1, "no large-text button on the home screen"
    unit = ui.app.u
    hint = ui.home.ids.voice_hint  # the ordinary smallest text, 4 u
    title = ui.home.ids.ticket.ids.title  # a large one already, as large as the tile's width allows
    before = hint.font_size, title.font_size
    ui.tap(switch)
    assert ui.app.large
    assert ui.app.u == pytest.approx(unit * 1.5)
    assert hint.font_size == pytest.approx(before[0] * 1.5), "the small print did not grow by half"
    assert title.font_size > before[1] * 1.3, "the tile's title did not grow"
    assert switch.text == "標準字體"
    assert header.ids.language.opacity == 1, "in the large mode the language row gives way to the header's button"
    ui.tap(switch)
    assert not ui.app.large and ui.app.u == pytest.approx(unit)


def test_every_tile_and_button_colour_reaches_7_to_1_in_the_large_mode(large):
    ui = large
    ui.tap(ui.home.ids.header.ids.large)
    ui.tap(ui.home.ids.ticket)
    assert ui.app.manager.current == "ticket"
    image = ui.grab().convert("RGB")
    tile = ui.screen.tiles()[0]
    x, y = tile.to_window(tile.x + 3, tile.center_y)  # in the tile's padding, away from its rounded corners
    background = image.getpixel((int(x), ui.window.height - int(y)))
    assert pixel_ratio(background, (255, 255, 255)) >= 7, f"white on the tile's {background}"
    for colour in ((0.08, 0.4, 0.75, 1), (0.72, 0.23, 0.05, 1), (0.7, 0.33, 0.0, 1)):
        before, after = behind_white(colour, False), behind_white(colour, True)
        assert contrast_ratio(before, (1, 1, 1)) < 7 <= contrast_ratio(after, (1, 1, 1))
    assert contrast_ratio(on_page((0.45, 0.45, 0.5, 1), True), PAGE) >= 7


def test_the_next_resident_finds_the_ordinary_size(large):
    ui = large
    ui.tap(ui.home.ids.header.ids.large)
    ui.tap(ui.home.ids.forms)
    ui.clock.advance(ui.app.kiosk_config.display.idle_timeout)
    ui.app.check_idle()
    ui.clock.advance(ui.app.kiosk_config.display.idle_warning)
    ui.app.check_idle()
    assert ui.app.manager.current == "home" and not ui.app.large


def test_a_resident_left_on_the_home_screen_in_large_text_is_not_kept_there(large):
    ui = large
    ui.tap(ui.home.ids.header.ids.large)
    ui.clock.advance(ui.app.kiosk_config.display.idle_timeout)
    ui.app.check_idle()
    assert not ui.app.large


def test_the_screenshot_command_draws_the_large_mode(tmp_path):
    pictures = {}
    for mode in ("normal", "large"):
        out = tmp_path / f"{mode}.png"
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "screenshot", "ticket", "--size", "800x480",
                               "--mode", mode, "--out", str(out)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        pictures[mode] = Image.open(out).convert("RGB")
    assert "large" in proc.stdout
    def header_rows(image):  # the navy bar's height at the middle of the screen, rows from the top
        return next(y for y in range(480) if image.getpixel((400, y))[2] > 150)
    assert header_rows(pictures["large"]) > header_rows(pictures["normal"]), "the large mode's bar is not taller"


def test_an_office_that_chooses_large_text_gets_it_back_for_each_resident(large, monkeypatch):
    ui = large
    monkeypatch.setattr(ui.app.kiosk_config.display, "large_text", True)  # display.large_text = true
    ui.tap(ui.home.ids.header.ids.large)
    ui.tap(ui.home.ids.header.ids.large)  # ...on, then off: this resident prefers the ordinary size
    assert not ui.app.large
    ui.clock.advance(ui.app.kiosk_config.display.idle_timeout)
    ui.app.check_idle()
    assert ui.app.large, "the next resident did not find the office's large text"

