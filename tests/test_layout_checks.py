"""The checks of ``kiosk audit layout`` (kiosk/ui/layout_checks.py) on planted defects, drawn for real.

Each test puts a small widget tree (a Screen named ``probe``, built from kv so its ids name the
widgets) over the shared app in the real offscreen window at 800x480, draws it, grabs the pixels
and runs ``check`` on it.
"""

import pytest

from layout_probe import INK, NAVY, SIZE, drawn_over, kinds, run


@pytest.fixture
def probe(ui):
    yield from drawn_over(ui)

CLEAN = f"""
Label:
    id: title
    text: "Take a number 抽號碼牌"
    color: {INK}
    font_size: 30
    size_hint: None, None
    size: 400, 60
    pos: 20, 380
Label:
    id: wrapped
    text: "Office hours are eight to five, Monday to Friday"
    color: {INK}
    font_size: 22
    size_hint: None, None
    text_size: 300, None
    size: 300, self.texture_size[1]
    pos: 20, 200
NavyButton:
    id: ok
    text: "OK"
    font_size: 28
    size: 200, 80
    pos: 500, 100
"""


def test_a_clean_tree_has_no_problems(probe):
    screen, image = probe(CLEAN)
    assert run(screen, image) == []


def test_panels_and_minimums():
    from kiosk.ui.layout_checks import PANELS, panel_for

    assert set(PANELS) == {(800, 480), (1024, 600), (1280, 800), (1920, 1080)}
    small = panel_for((800, 480))
    assert small.px_per_mm == pytest.approx(800 / 154.08)
    assert 3 / 0.88 * small.px_per_mm == pytest.approx(17.7, abs=0.05)
    assert 3 / 0.88 * panel_for([1024, 600]).px_per_mm == pytest.approx(22.6, abs=0.05)
    with pytest.raises(ValueError) as error:
        panel_for((640, 480))
    assert "640x480" in str(error.value) and "800x480" in str(error.value) and "1920x1080" in str(error.value)


def test_contrast_ratio_is_wcag():
    from kiosk.ui.layout_checks import contrast_ratio

    assert contrast_ratio((255, 255, 255), (0, 0, 0)) == pytest.approx(21)
    assert contrast_ratio((255, 255, 255), (0x76, 0x76, 0x76)) == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio((1, 2, 3), (1, 2, 3)) == 1


def test_text_larger_than_its_box_overflows(probe):
    screen, image = probe(f"""
Label:
    id: long
    text: "Household registration"
    color: {INK}
    font_size: 30
    size_hint: None, None
    size: 120, 40
    pos: 200, 200
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/long", "overflow")]
    assert "in a 120x40 px box" in problems[0].detail


def test_lines_cut_by_a_short_text_size_overflow(probe):
    # text_size fixes the height: Kivy silently drops the lines that do not fit, the texture fits the box
    screen, image = probe(f"""
Label:
    id: cut
    text: "one two three four five six seven eight nine ten"
    color: {INK}
    font_size: 24
    size_hint: None, None
    size: 150, 40
    text_size: self.size
    valign: "top"
    pos: 200, 200
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/cut", "overflow")]
    assert "lines cut" in problems[0].detail


def test_shortened_text_is_an_ellipsis(probe):
    screen, image = probe(f"""
BoxLayout:
    size_hint: None, None
    size: 200, 60
    pos: 100, 300
    Label:
        text: "Erlin Household Registration Office"
        color: {INK}
        font_size: 24
        text_size: self.size
        shorten: True
        valign: "middle"
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/Label[0]", "ellipsis")]
    assert "'Erlin Household Registration Office' shortened to" in problems[0].detail


def test_two_texts_drawn_over_each_other_overlap(probe):
    screen, image = probe(f"""
Label:
    id: first
    text: "Take a number"
    color: {INK}
    font_size: 30
    size_hint: None, None
    size: 300, 60
    pos: 100, 200
Label:
    id: second
    text: "Blank forms"
    color: {INK}
    font_size: 30
    size_hint: None, None
    size: 300, 60
    pos: 110, 210
Label:
    id: below
    text: "Rate our service"
    color: {INK}
    font_size: 30
    size_hint: None, None
    size: 300, 40
    pos: 100, 160
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/first", "overlap")]
    assert "probe/second" in problems[0].detail and "'Blank forms'" in problems[0].detail


def test_a_label_inside_a_button_is_not_compared_with_the_button(probe):
    # the button's own text and a label inside it are one thing to a resident, even drawn on each other
    screen, image = probe("""
NavyButton:
    id: button
    text: "Print"
    font_size: 30
    size: 300, 100
    pos: 100, 100
    Label:
        id: inner
        text: "Print"
        color: (1, 1, 1, 1)
        font_size: 30
        pos: self.parent.x + 4, self.parent.y
        size: self.parent.size
""")
    assert run(screen, image) == []


def test_a_button_half_off_screen_is_offscreen(probe):
    screen, image = probe("""
NavyButton:
    id: edge
    text: "中文"
    size: 120, 80
    pos: 740, 200
""")
    problems = run(screen, image)
    assert ("probe/edge", "offscreen") in kinds(problems)
    detail = [p.detail for p in problems if p.kind == "offscreen"][0]
    assert "60 px past the right edge of the 800x480 window" in detail


def test_small_text_on_the_7_inch_display(probe):
    screen, image = probe(f"""
Label:
    id: tiny
    text: "服務時間 8:00-17:00"
    color: {INK}
    font_size: 12
    size_hint: None, None
    size: 300, 40
    pos: 100, 100
Label:
    id: enough
    text: "服務時間"
    color: {INK}
    font_size: 20
    size_hint: None, None
    size: 300, 40
    pos: 100, 200
Label:
    id: snapped
    text: "服務時間"
    color: {INK}
    font_size: 18
    size_hint: None, None
    size: 300, 40
    pos: 100, 300
""")
    problems = run(screen, image)
    assert sorted(kinds(problems)) == [("probe/snapped", "small-text"), ("probe/tiny", "small-text")]
    detail = {p.widget: p.detail for p in problems}
    assert "asked for 12.0" in detail["probe/tiny"] and "1.9 mm < 3 mm" in detail["probe/tiny"]
    # 18 px would do, but the app draws text at a few sizes (fonts.TEXT_STEPS): 3.4 u = 16 px at 800x480
    assert "font 16.0 px (asked for 18.0)" in detail["probe/snapped"]
    assert run(screen, image, residents=False) == []  # staff screens


def test_a_40_px_button_is_a_small_target(probe):
    screen, image = probe("""
NavyButton:
    id: low
    text: "OK"
    font_size: 20
    size: 200, 40
    pos: 100, 100
NavyButton:
    id: off
    text: "OK"
    font_size: 20
    size: 200, 40
    pos: 100, 300
    disabled: True  # not a target, still readable
    disabled_color: (1, 1, 1, 1)
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/low", "small-target")]
    assert "200x40 px" in problems[0].detail and "7.7 mm" in problems[0].detail


@pytest.mark.parametrize("background, fails", [("(0.62, 0.64, 0.68, 1)", True), (NAVY, False)],
                         ids=["white-on-grey", "white-on-navy"])
def test_contrast_is_read_from_the_pixels(probe, background, fails):
    screen, image = probe(f"""
Label:
    id: sign
    text: "請抽號碼牌 Take a number"
    color: (1, 1, 1, 1)
    font_size: 28
    size_hint: None, None
    size: 500, 80
    pos: 100, 200
    canvas.before:
        Color:
            rgba: {background}
        Rectangle:
            pos: self.pos
            size: self.size
""")
    problems = run(screen, image)
    if fails:
        assert kinds(problems) == [("probe/sign", "contrast")]
        assert "text #ffffff on #9ea3ad" in problems[0].detail and "< 4.5:1" in problems[0].detail
        assert problems[0].detail.startswith("contrast 2.")
    else:
        assert problems == []


def test_greyed_out_text_fails_contrast(probe):
    # Kivy's default disabled_color fades the text; a closed tile must still be readable
    screen, image = probe("""
NavyButton:
    id: closed
    text: "Closed until 13:30"
    font_size: 24
    size: 300, 80
    pos: 100, 100
    disabled: True
""")
    assert kinds(run(screen, image)) == [("probe/closed", "contrast")]


def test_faded_text_fails_contrast(probe):
    # the label's own colour is fine; its opacity (from a parent) makes it too pale
    screen, image = probe(f"""
BoxLayout:
    opacity: 0.3
    size_hint: None, None
    size: 400, 60
    pos: 100, 200
    Label:
        id: pale
        text: "Take a number"
        color: {INK}
        font_size: 30
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/pale", "contrast")]
    assert "(text #b3b3b1 on #f5f5f0)"  # 30 % of INK over the page in problems[0].detail


def test_paths_name_screen_ids_and_anonymous_widgets(probe):
    screen, image = probe(f"""
BoxLayout:
    id: popular
    size_hint: None, None
    size: 600, 100
    pos: 50, 300
    BoxLayout:
        Label:
            text: "fine"
            color: {INK}
            font_size: 24
    BoxLayout:
        Label:
            text: "small"
            color: {INK}
            font_size: 10
""")
    assert kinds(run(screen, image)) == [("probe/popular/Label[1]", "small-text")]


def test_exempt_skips_a_widget(probe):
    screen, image = probe("""
NavyButton:
    id: low
    text: "OK"
    font_size: 20
    size: 200, 40
    pos: 100, 100
""")
    assert kinds(run(screen, image)) == [("probe/low", "small-target")]
    assert run(screen, image, exempt=lambda w: w == screen.ids.low) == []  # ids hold proxies: ==, not is


def test_the_marquee_scrolls_without_overflowing(ui):
    """The real strip: its label is far wider than the window, by design; only the part shown is checked."""
    from kiosk.ui.capture import grab
    from kiosk.ui.layout_checks import check, panel_for

    ui.resize(SIZE)
    marquee = ui.app.marquee
    label = marquee.ids.label
    marquee.stop()  # a still strip, as for screenshots
    marquee.shift = -120  # part of the first announcement already gone past the left edge
    try:
        ui.frames(3)
        assert label.width > SIZE[0]
        problems = check([marquee], grab(), panel_for(SIZE))
        assert problems == []
        label.font_size = 12
        ui.frames(4)
        problems = check([marquee], grab(), panel_for(SIZE))
        assert kinds(problems) == [("Marquee/label", "small-text")]
    finally:
        label.font_size = ui.app.u * 5.6
        marquee.start()


def test_a_real_screen_runs_and_names_its_widgets(ui):
    from kiosk.ui.capture import grab
    from kiosk.ui.layout_checks import check, panel_for

    ui.resize(SIZE)
    ui.app.lang = "en"
    ui.frames(4)
    problems = check([ui.screen, ui.app.marquee], grab(), panel_for(SIZE))
    known = {"overflow", "clipped", "ellipsis", "overlap", "offscreen", "small-text", "small-target", "contrast",
             "word-break"}
    assert all(p.kind in known and p.widget.startswith(("home", "Marquee")) for p in problems)
    # plant one: the header's title far too small
    ui.home.ids.header.ids.title.font_size = 10
    try:
        ui.frames(4)
        problems = check([ui.screen, ui.app.marquee], grab(), panel_for(SIZE))
        assert ("home/header/title", "small-text") in kinds(problems)
    finally:
        ui.app.lang = "zh-TW"  # the kv rule sets the title's size again
        ui.frames(2)


def test_two_buttons_on_top_of_each_other_overlap(probe):
    """A tap on one may press the other (the large-text mode's language grid once grew over the header's back)."""
    screen, image = probe("""
NavyButton:
    id: back
    text: "返回"
    size: 200, 80
    pos: 20, 300
NavyButton:
    id: chinese
    text: "中文"
    size: 200, 80
    pos: 120, 250
""")
    problems = run(screen, image)
    assert ("probe/back", "overlap") in kinds(problems)
    assert [p.detail for p in problems if p.kind == "overlap"][0] == "the button lies over probe/chinese by 100x30 px"


def test_a_button_past_its_screens_bottom_is_offscreen_though_in_the_window(probe):
    """Under the marquee: the screen ends above it, the window does not (the reason screen's last row once did)."""
    screen, image = probe("""
size_hint: 1, None
height: 400
y: 80
NavyButton:
    id: skip
    text: "略過"
    size: 200, 80
    pos: 300, -30
""")
    problems = run(screen, image)
    assert ("probe/skip", "offscreen") in kinds(problems)
    assert "30 px past the bottom edge of its screen probe" in " ".join(p.detail for p in problems)


def test_the_large_text_mode_asks_for_7_to_1_and_larger_text(probe):
    screen, image = probe("""
Label:
    id: sign
    text: "請抽號碼牌 Take a number"
    color: (1, 1, 1, 1)
    font_size: 20
    size_hint: None, None
    size: 500, 80
    pos: 100, 200
    canvas.before:
        Color:
            rgba: (0.08, 0.4, 0.75, 1)
        Rectangle:
            pos: self.pos
            size: self.size
""")
    assert run(screen, image) == [], "the ordinary rules: 4.5:1 and 3 mm"
    problems = run(screen, image, large=True)
    assert kinds(problems) == [("probe/sign", "contrast"), ("probe/sign", "small-text")]
    assert "< 7:1" in " ".join(p.detail for p in problems) and "< 4.5 mm" in " ".join(p.detail for p in problems)


def test_mounted_high_a_button_reaching_into_the_top_third_is_out_of_reach(probe):
    """display.reach = "low": the rule is the button's top against the line; a disabled one is no control."""
    screen, image = probe("""
NavyButton:
    id: high
    text: "OK"
    font_size: 20
    size: 200, 80
    pos: 40, 330
NavyButton:
    id: closed
    text: "OK"
    font_size: 20
    size: 200, 80
    pos: 300, 330
    disabled: True
    disabled_color: (1, 1, 1, 1)
NavyButton:
    id: low
    text: "OK"
    font_size: 20
    size: 200, 80
    pos: 40, 100
""")
    line = SIZE[1] / 3
    problems = [p for p in run(screen, image, reach_line=line) if p.kind == "reach"]
    assert kinds(problems) == [("probe/high", "reach")]
    assert "70 px from the screen's top" in problems[0].detail and "160 px" in problems[0].detail
    assert [p for p in run(screen, image) if p.kind == "reach"] == [], "checked without a reach line"
