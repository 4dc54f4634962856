"""The 抽號碼牌 tiles as a resident sees them: readable when closed, when they open again, words kept whole."""

from dataclasses import replace
from datetime import datetime, time

import pytest

from protocol import officetime
from protocol.officetime import TAIPEI
from screen_checks import broken_words, drawn_size, drawn_lines, inside, overlap, text_contrast, text_rect, window_rect

MIN_TEXT_UNITS = 3.8  # 3 mm on the 7" HDMI panel (1024x600, 154 mm wide)
LUNCH = datetime(2026, 12, 2, 12, 15, tzinfo=TAIPEI)  # a Wednesday, between the morning and the afternoon


def with_hours(ui, monkeypatch, now, limit_b=0):
    """A, B, C and P closed at lunch, B with a daily limit; the kiosk's clock at ``now``."""
    hours = ((time(8, 0), time(12, 0)), (time(13, 30), time(17, 0)))
    # replace(): the services keep their names in every language (the tiles made here outlive the test)
    services = [replace(s, hours=hours if s.prefix in "ABCP" else (), weekdays=(1, 2, 3, 4, 5),
                        daily_limit=limit_b if s.prefix == "B" else 0)
                for s in ui.app.kiosk_config.services]
    monkeypatch.setattr(ui.app, "kiosk_config", ui.app.kiosk_config.with_services(services))
    monkeypatch.setattr(officetime, "now", lambda: now)


def show_tiles(ui, size, lang):
    ui.app.lang = lang
    ui.resize(size)
    ui.app.show("ticket")
    ui.frames(4)
    return {tile.prefix: tile for tile in ui.screen.tiles()}


@pytest.mark.parametrize("lang, closed, full", [
    ("zh-TW", "今天 13:30 再開放", "明天 08:00 再開放"),
    ("en", "Opens today 13:30", "Opens tomorrow 08:00"),
])
def test_a_closed_or_full_tile_is_readable_and_says_when_it_opens_again(ui, monkeypatch, lang, closed, full):
    with_hours(ui, monkeypatch, LUNCH, limit_b=1)
    tiles = show_tiles(ui, (800, 480), lang)
    ui.app.tickets.refresh_tiles()
    ui.frames(4)
    assert tiles["A"].ids.bottom.text == closed
    assert_readable(tiles["A"], ui.grab())
    # at 09:00, B has handed out its one number of the day
    monkeypatch.setattr(officetime, "now", lambda: LUNCH.replace(hour=9))
    monkeypatch.setattr(ui.app.services.tickets, "issued_today", lambda prefix: 1)
    ui.app.tickets.refresh_tiles()
    ui.frames(4)
    assert tiles["B"].ids.waiting.text == ("今日已額滿" if lang == "zh-TW" else "Full for today")
    assert tiles["B"].ids.bottom.text == full
    assert_readable(tiles["B"], ui.grab())


def assert_readable(tile, image):
    assert tile.disabled  # and yet every line in full contrast, not Kivy's faded disabled_color
    for name in ("letter", "waiting", "name", "bottom"):
        label = tile.ids[name]
        ratio = text_contrast(image, label)
        assert ratio >= 4.5, f"{tile.prefix} tile's {name} {label.text!r} has contrast {ratio:.1f}:1"


def test_after_friday_closing_the_tile_names_monday(ui, monkeypatch):
    with_hours(ui, monkeypatch, datetime(2026, 12, 4, 17, 30, tzinfo=TAIPEI))
    tiles = show_tiles(ui, (800, 480), "zh-TW")
    ui.app.tickets.refresh_tiles()
    ui.frames(3)
    assert tiles["A"].ids.waiting.text == "目前未受理" and tiles["A"].ids.bottom.text == "週一 08:00 再開放"
    ui.app.lang = "en"
    ui.frames(3)
    assert tiles["A"].ids.bottom.text == "Opens Mon 08:00"  # follows a language switch without a refresh


SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080)]


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("busy", [True, False], ids=["busy", "closed"])
def test_tile_text_is_large_whole_and_inside_its_tile(ui, monkeypatch, size, lang, busy):
    if not busy:
        with_hours(ui, monkeypatch, LUNCH)
    tiles = show_tiles(ui, size, lang)
    if busy:  # 40 waiting everywhere, with the office's estimates
        for tile in tiles.values():
            tile.waiting, tile.estimate = 40, "25–40"
    ui.frames(4)
    u = ui.app.u
    for tile in tiles.values():
        tile_rect = window_rect(tile)
        drawn = []
        for name in ("letter", "waiting", "name", "bottom"):
            label = tile.ids[name]
            if not label.text:
                continue
            assert drawn_size(label) >= MIN_TEXT_UNITS * u, \
                f"{tile.prefix} {name} {label.text!r} is drawn at {drawn_size(label) / u:.2f} u at {size}"
            assert inside(text_rect(label), tile_rect), f"{tile.prefix} {name} {label.text!r} leaves its tile"
            assert label.texture_size[1] <= label.height + 1, f"{tile.prefix} {name} {label.text!r} is clipped"
            assert not broken_words(label, lang), f"{label.text!r} drawn as {drawn_lines(label)} at {size}"
            for other, rect in drawn:
                assert not overlap(text_rect(label), rect), f"{label.text!r} overlaps {other!r} at {size}"
            drawn.append((label.text, text_rect(label)))


def test_the_priority_name_keeps_身心障礙_on_one_line(ui):
    tiles = show_tiles(ui, (800, 480), "zh-TW")
    lines = drawn_lines(tiles["P"].ids.name)
    assert len(lines) == 2 and any("身心障礙" in line for line in lines), lines
