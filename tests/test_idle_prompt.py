"""Time for everyone (issue 20, WCAG 2.1 SC 2.2.1): before the idle timeout sends a resident home mid-task, the
screen asks 需要更多時間嗎？ / Need more time? for at least 20 s; a tap or any rating button keeps them there.

Real touches (``ui.tap``), the mock GPIO buttons and the fake monotonic clock of tests/conftest.py; the app's own
once-a-second check (``check_idle``) is called by hand after the clock is moved.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kiosk.config import load_config
from kiosk.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def prompt_shown(ui):
    """The prompt as the resident sees it: on the window, above the screen (None when it is not)."""
    prompt = ui.app.idle.prompt
    return prompt if prompt is not None and prompt.parent is ui.window and ui.app.idle.showing else None


def go(ui, screen):
    ui.tap(ui.home.ids[screen])
    assert ui.app.manager.current == screen


def reach_timeout(ui):
    ui.clock.advance(ui.app.kiosk_config.display.idle_timeout)
    ui.app.check_idle()
    ui.frames(3)


def ticket_count(ui):
    services = ui.app.services
    return sum(services.tickets.issued_today(s.prefix) for s in ui.app.kiosk_config.services)


@pytest.mark.parametrize("screen", ["ticket", "forms", "rating"])
def test_the_question_comes_at_the_timeout_over_the_screen_in_its_language(ui, screen):
    go(ui, screen)
    ui.clock.advance(ui.app.kiosk_config.display.idle_timeout - 1)
    ui.app.check_idle()
    assert prompt_shown(ui) is None, "asked before the timeout"
    ui.clock.advance(1)
    ui.app.check_idle()
    ui.frames(3)
    prompt = prompt_shown(ui)
    assert prompt is not None, f"no question on the {screen} screen at the idle timeout"
    assert ui.app.manager.current == screen, "the screen under the question changed"
    assert prompt.ids.question.text == "需要更多時間嗎？"
    assert prompt.ids.countdown.text == "20 秒後返回首頁"
    assert prompt.ids.more_time.text == "是，我需要更多時間"


def test_the_question_is_asked_in_english_on_an_english_screen(ui):
    ui.tap(next(c for c in ui.home.ids.languages.choices if c.lang == "en"))
    go(ui, "forms")
    reach_timeout(ui)
    prompt = prompt_shown(ui)
    assert prompt is not None
    assert (prompt.ids.question.text, prompt.ids.countdown.text, prompt.ids.more_time.text) == (
        "Need more time?", "Back to the start in 20 s", "Yes, more time")


def test_the_button_is_at_least_12_mm_tall_on_the_7_inch_panel(ui):
    ui.resize((800, 480))
    go(ui, "ticket")
    reach_timeout(ui)
    button = prompt_shown(ui).ids.more_time
    assert button.height >= 65, f"the button is {button.height:.0f} px tall, under 12 mm (65 px) at 800x480"
    assert 0 <= button.x and button.right <= 800 and 0 <= button.y and button.top <= 480, "off screen"


def test_the_question_stays_at_least_20_seconds_counting_down_then_goes_home_in_the_default_language(ui):
    ui.tap(next(c for c in ui.home.ids.languages.choices if c.lang == "vi"))
    go(ui, "ticket")
    reach_timeout(ui)
    prompt = prompt_shown(ui)
    for second in range(1, 20):
        ui.clock.advance(1)
        ui.app.check_idle()
        assert prompt_shown(ui) is prompt, f"the question went after {second} s"
        assert (ui.app.manager.current, ui.app.lang) == ("ticket", "vi")
    ui.frames(2)
    assert prompt.ids.countdown.text == "Quay về trang chủ sau 1 giây"
    ui.clock.advance(1)
    ui.app.check_idle()
    ui.frames(2)
    assert prompt_shown(ui) is None
    assert (ui.app.manager.current, ui.app.lang) == ("home", "zh-TW")


def test_the_home_screen_does_not_ask_but_returns_to_the_default_language(ui):
    ui.tap(next(c for c in ui.home.ids.languages.choices if c.lang == "th"))
    reach_timeout(ui)
    assert prompt_shown(ui) is None, "asked on the home screen, where nothing is in progress"
    assert (ui.app.manager.current, ui.app.lang) == ("home", "zh-TW")


def test_a_tap_on_the_button_keeps_the_resident_there_and_restarts_the_idle_time(ui):
    go(ui, "forms")
    reach_timeout(ui)
    ui.clock.advance(15)
    ui.app.check_idle()
    ui.tap(prompt_shown(ui).ids.more_time)
    assert prompt_shown(ui) is None and ui.app.manager.current == "forms"
    timeout = ui.app.kiosk_config.display.idle_timeout
    ui.clock.advance(timeout - 1)
    ui.app.check_idle()
    assert prompt_shown(ui) is None and ui.app.manager.current == "forms", "the idle time did not start again"
    ui.clock.advance(1)
    ui.app.check_idle()
    assert prompt_shown(ui) is not None, "no question at the next timeout"


def test_a_tap_anywhere_on_the_prompt_answers_and_reaches_nothing_under_it(ui):
    go(ui, "ticket")
    tile = ui.screen.tiles()[0]
    before = ticket_count(ui)
    reach_timeout(ui)
    ui.tap(tile)  # on the veil, over a service tile
    ui.frames(3)
    assert prompt_shown(ui) is None, "a tap on the veil did not answer the question"
    assert ui.app.manager.current == "ticket", "the tap went through to the tile under the question"
    assert not ui.app.printer_busy and ticket_count(ui) == before, "a ticket was taken"


def test_a_rating_button_keeps_the_resident_there_and_records_no_rating(ui):
    go(ui, "rating")
    before = len(ui.ratings())
    reach_timeout(ui)
    ui.app.hardware.press(2)  # 不滿意, through the mock pin as on a Pi
    assert ui.wait_for(lambda: prompt_shown(ui) is None), "the button press did not answer the question"
    ui.frames(3)
    assert ui.app.manager.current == "rating", "the press left the rating screen"
    assert len(ui.ratings()) == before, "the press that answered the question was stored as a rating"
    ui.clock.advance(ui.app.kiosk_config.display.idle_timeout - 1)
    ui.app.check_idle()
    assert prompt_shown(ui) is None, "the idle time did not start again"
    # once answered, the buttons rate again
    ui.clock.advance(5)
    ui.app.hardware.press(0)
    assert ui.wait_for(lambda: len(ui.ratings()) == before + 1)
    ui.frames(2)
    assert ui.app.manager.current == "thanks"


def test_a_simulated_button_key_answers_too_and_records_nothing(ui):
    go(ui, "ticket")
    before = len(ui.ratings())
    reach_timeout(ui)
    ui.window.dispatch("on_key_down", ord("1"), 0, "1", [])  # the key holds button 1 down...
    ui.window.dispatch("on_key_up", ord("1"), 0)             # ...and lets it up: a press
    assert ui.wait_for(lambda: prompt_shown(ui) is None), "the key did not answer the question"
    ui.frames(3)
    assert ui.app.manager.current == "ticket"
    assert len(ui.ratings()) == before


def test_nothing_is_interrupted_while_the_printer_is_busy(ui):
    go(ui, "forms")
    ui.app.printer_busy = True  # a form slip printing
    try:
        ui.clock.advance(ui.app.kiosk_config.display.idle_timeout + 60)
        ui.app.check_idle()
        assert prompt_shown(ui) is None and ui.app.manager.current == "forms"
    finally:
        ui.app.printer_busy = False
    ui.app.check_idle()
    assert prompt_shown(ui) is not None, "no question once the printing was over"


def test_a_screen_change_under_the_question_closes_it(ui):
    go(ui, "rating")
    reach_timeout(ui)
    ui.app.ratings.thank("smile", 1.0)  # the thank-you's own timer, or a rating, changes the screen
    ui.frames(2)
    assert prompt_shown(ui) is None and ui.app.manager.current == "thanks"


@pytest.mark.parametrize("seconds", [0, 19])
def test_config_check_refuses_a_warning_under_20_seconds_naming_the_key(tmp_path, seconds):
    path = tmp_path / "kiosk.toml"
    path.write_text(f"[display]\nidle_warning = {seconds}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert [(p.key, p.line) for p in info.value.problems] == [("display.idle_warning", 2)]
    assert (f"line 2: display.idle_warning: must be at least 20 seconds, so every resident has time to answer "
            f"'Need more time?', got {seconds}") in str(info.value)


def test_a_longer_warning_is_accepted_and_used(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[display]\nidle_warning = 45\n", encoding="utf-8")
    assert load_config(str(path)).display.idle_warning == 45


def test_the_layout_audit_draws_the_prompt_and_finds_nothing_wrong_on_the_7_inch_panel(tmp_path):
    """The question is a picture of its own in `kiosk audit layout` (scene idle_prompt, over the ticket screen)."""
    env = dict(os.environ)
    env.pop("SDL_VIDEODRIVER", None)  # the command chooses offscreen itself
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "audit", "layout", "--screen", "idle_prompt",
                             "--size", "800x480", "--state", "busy", "--lang", "zh-TW", "--lang", "th",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"^2 of 2 screens drawn .*: 0 problems$", result.stdout, re.M), result.stdout[-500:]
    picture = Image.open(tmp_path / "idle_prompt-busy-800x480-th.png").convert("RGB")
    # the veil darkens the screen around the card (the page's light grey, a blue tile); the card is white
    assert max(picture.getpixel((30, 110))) < 100 and max(picture.getpixel((20, 300))) < 100
    assert picture.getpixel((400, 200)) == (255, 255, 255)
