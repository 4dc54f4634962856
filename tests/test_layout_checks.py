"""The checks of ``kiosk audit layout`` (kiosk/ui/layout_checks.py) on planted defects, drawn for real.

Each test puts a small widget tree (a Screen named ``probe``, built from kv so its ids name the
widgets) over the shared app in the real offscreen window at 800x480, draws it, grabs the pixels
and runs ``check`` on it.
"""

import re

import pytest

SIZE = (800, 480)

PAGE = "(0.96, 0.96, 0.94, 1)"
INK = "(0.1, 0.1, 0.12, 1)"
NAVY = "(0.05, 0.16, 0.29, 1)"

BUTTON_RULE = f"""
<ProbeTile@ButtonBehavior+BoxLayout>:
    canvas.before:
        Color:
            rgba: {NAVY}
        Rectangle:
            pos: self.pos
            size: self.size

<Row@Label>:
    color: {INK}
    font_size: 24
    size_hint_y: None
    height: 80
    text_size: self.size
    halign: "left"
    valign: "middle"

<NavyButton@Button>:
    background_normal: ""
    background_disabled_normal: ""
    background_color: {NAVY}
    color: (1, 1, 1, 1)
    size_hint: None, None
"""

HEADER = f"""
Screen:
    name: "probe"
    canvas.before:
        Color:
            rgba: {PAGE}
        Rectangle:
            pos: self.pos
            size: self.size
"""


def indent(kv, spaces=4):
    return "\n".join((" " * spaces + line) if line.strip() else line for line in kv.strip("\n").splitlines())


@pytest.fixture
def probe(ui):
    """probe(kv_children) -> (screen, image): the tree drawn over the app at 800x480."""
    from kivy.core.window import Window
    from kivy.factory import Factory
    from kivy.lang import Builder

    from kiosk.ui.capture import grab

    if "NavyButton" not in Factory.classes:
        Builder.load_string(BUTTON_RULE)
    ui.resize(SIZE)
    shown = []

    def show(children_kv):
        screen = Builder.load_string(HEADER + indent(children_kv) + "\n")
        Window.add_widget(screen)
        shown.append(screen)
        ui.frames(5)
        return screen, grab()

    yield show
    for screen in shown:
        Window.remove_widget(screen)
    ui.frames(2)


def run(screen, image, **kwargs):
    from kiosk.ui.layout_checks import check, panel_for
    return check([screen], image, panel_for(SIZE), **kwargs)


def kinds(problems):
    return sorted({(p.widget, p.kind) for p in problems})


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


def wrap_width(text, font_size):
    """A width that fits ``text`` but not one more character."""
    from kivy.core.text import Label as CoreLabel
    return CoreLabel(font_size=font_size).get_extents(text)[0] + 2


def test_a_latin_word_broken_across_lines(probe):
    width = wrap_width("Off", 30)
    screen, image = probe(f"""
Label:
    id: narrow
    text: "Office"
    color: {INK}
    font_size: 30
    size_hint: None, None
    text_size: {width}, None
    size: self.texture_size
    pos: 100, 200
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/narrow", "word-break")]
    assert "'Off|ice'" in problems[0].detail


def test_a_line_broken_at_a_space_is_fine(probe):
    width = wrap_width("Office", 30)
    screen, image = probe(f"""
Label:
    id: narrow
    text: "Office hours"
    color: {INK}
    font_size: 30
    size_hint: None, None
    text_size: {width}, None
    size: self.texture_size
    pos: 100, 200
""")
    screen.ids.narrow.texture_update()
    assert len(screen.ids.narrow._label._cached_lines) == 2
    assert run(screen, image) == []


def test_an_unbreakable_word_broken_across_lines(probe):
    width = wrap_width("身心障", 30)
    screen, image = probe(f"""
Label:
    id: card
    text: "身心障礙手冊"
    color: {INK}
    font_size: 30
    size_hint: None, None
    text_size: {width}, None
    size: self.texture_size
    pos: 100, 200
""")
    assert run(screen, image) == []  # Chinese may break between any two characters...
    problems = run(screen, image, unbreakable=("障礙",))
    assert kinds(problems) == [("probe/card", "word-break")]  # ...but not inside 障礙
    assert "'障|礙' broken inside '障礙'" in problems[0].detail
    problems = run(screen, image, unbreakable=("障礙", "身心障礙", "手冊"))  # the longest word is named, once
    assert [p.detail.split(" (")[0] for p in problems] == ["'身心障|礙' broken inside '身心障礙'"]


SCROLLING = """
ScrollView:
    id: list
    do_scroll_x: False
    size_hint: None, None
    size: 400, 200
    pos: 100, 100
    GridLayout:
        id: rows
        cols: 1
        size_hint: None, None
        width: 600  # wider than the list, which cannot scroll sideways
        height: self.minimum_height
        Row:
            text: "first row"
        Row:
            text: "second row"
        Row:
            text: "third row, half in view"
        Row:
            text: "scrolled away, too small and far too long for its row anyway"
            font_size: 10
"""


def test_rows_scrolled_out_of_view_are_not_problems(probe):
    screen, image = probe(SCROLLING)
    assert run(screen, image) == []


def test_text_wider_than_a_scroll_view_that_cannot_scroll_sideways_is_clipped(probe):
    screen, image = probe(SCROLLING + f"""
        Label:
            id: wide
            text: "a row far too wide for the list"
            color: {INK}
            font_size: 24
            size_hint: None, None
            size: 600, 80
""")
    scroll = screen.ids.list
    scroll.scroll_y = 0  # the last rows in view
    from kivy.base import EventLoop
    for _ in range(4):
        EventLoop.idle()
    from kiosk.ui.capture import grab
    problems = [p for p in run(screen, grab()) if p.kind == "clipped"]
    assert kinds(problems) == [("probe/list/rows/wide", "clipped")]  # the rows cut at the top and bottom are fine
    assert "past the right edge" in problems[0].detail


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


def test_text_taller_than_its_text_size_is_cut_in_its_texture(probe):
    # valign middle, one paragraph: Kivy lays out every line and centres them in a texture as tall as
    # text_size, so the first and last lines are cut at the texture's edges
    screen, image = probe(f"""
Label:
    id: squeezed
    text: "one two three four five six seven eight nine ten"
    color: {INK}
    font_size: 24
    size_hint: None, None
    size: 150, 60
    text_size: self.size
    valign: "middle"
    pos: 200, 200
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/squeezed", "overflow")]
    # how many lines depends on the size the text is drawn at (fonts.TEXT_STEPS): at least two are cut
    cut = re.search(r"(\d) of (\d) lines outside its texture \(lines cut\)", problems[0].detail)
    assert cut and 2 <= int(cut.group(1)) < int(cut.group(2)), problems[0].detail
    assert re.search(r"glyphs cut at the (top and )?bottom edge of its texture", problems[0].detail)


@pytest.mark.parametrize("closer, overlaps", [(6, False), (20, True)])
def test_lines_closer_than_their_line_height(probe, closer, overlaps):
    # 6 px: the texture boxes overlap (the font's line gap), the glyphs do not; 20 px: they do
    screen, image = probe(f"""
Label:
    id: upper
    text: "申請書表"
    color: {INK}
    font_size: 30
    size_hint: None, None
    size: self.texture_size
    pos: 100, lower.top - {closer}
Label:
    id: lower
    text: "戶籍登記"
    color: {INK}
    font_size: 30
    size_hint: None, None
    size: self.texture_size
    pos: 100, 200
""")
    upper, lower = screen.ids.upper, screen.ids.lower
    assert lower.top == upper.y + closer  # the boxes overlap
    if overlaps:
        assert kinds(run(screen, image)) == [("probe/upper", "overlap")]
    else:
        assert run(screen, image) == []


def test_text_running_off_the_window_is_offscreen(probe):
    screen, image = probe(f"""
Label:
    id: edge
    text: "Household registration office"
    color: {INK}
    font_size: 30
    size_hint: None, None
    size: self.texture_size
    pos: 650, 200
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/edge", "offscreen")]
    assert "past the right edge of the 800x480 window" in problems[0].detail


def test_a_button_moved_wholly_out_of_sight_is_hidden(probe):
    screen, image = probe("""
NavyButton:
    text: "OK"
    size: 30, 30
    pos: -500, 100
""")
    assert run(screen, image) == []


def test_text_cut_by_a_stencil_view_is_clipped(probe):
    screen, image = probe(f"""
StencilView:
    id: window_box
    size_hint: None, None
    size: 200, 80
    pos: 100, 200
    Label:
        id: sign
        text: "Household registration"
        color: {INK}
        font_size: 30
        size_hint: None, None
        size: self.texture_size
        pos: self.parent.x + 20, self.parent.y + 10
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/window_box/sign", "clipped")]
    assert "StencilView probe/window_box" in problems[0].detail and "past the right edge" in problems[0].detail




def test_a_label_drawing_part_of_its_texture_is_measured_on_that_part(probe):
    """The ticket letter (kiosk.ui.widgets.CapsLabel) draws the middle of its texture: no overflow."""
    screen, image = probe(f"""
CapsLabel:
    id: letter
    text: "AB"
    color: {INK}
    font_size: 60
    size_hint: None, None
    size: self.texture_size
    pos: 100, 200
""")
    letter = screen.ids.letter
    assert letter.texture_size[1] < letter._label.texture.size[1]  # it does draw a part
    assert run(screen, image) == []  # its box is its letters: no overflow


def test_breaks_are_judged_against_the_text_as_written(probe):
    """A label that lays out other text than its own (WrapLabel puts its own newlines in) is compared
    with ``text``: a newline it inserted inside a word is a broken word."""
    from kivy.factory import Factory
    from kivy.uix.label import Label

    class OwnBreaks(Label):
        def texture_update(self, *largs):
            self._label.text = self.text.replace("Office", "Off\nice")
            super().texture_update(*largs)

    if "OwnBreaks" not in Factory.classes:
        Factory.register("OwnBreaks", cls=OwnBreaks)
    screen, image = probe(f"""
OwnBreaks:
    id: own
    text: "Office hours"
    color: {INK}
    font_size: 30
    size_hint: None, None
    text_size: 400, None
    size: self.texture_size
    pos: 100, 200
""")
    assert [line.words[0].text for line in screen.ids.own._label._cached_lines] == ["Off", "ice hours"]
    problems = run(screen, image)
    assert kinds(problems) == [("probe/own", "word-break")]
    assert "'Off|ice'" in problems[0].detail


def test_a_label_growing_out_of_its_button_overflows(probe):
    # the label fits its own box (sized to its texture), but that box sticks out of the tile it is on
    screen, image = probe("""
ProbeTile:
    id: tile
    size_hint: None, None
    size: 240, 120
    pos: 100, 200
    Label:
        id: title
        text: "Household registration"
        font_size: 30
        color: (1, 1, 1, 1)
        size_hint: None, None
        size: self.texture_size
""")
    problems = run(screen, image)
    assert kinds(problems) == [("probe/tile/title", "overflow")]
    assert "past the right edge of probe/tile (240x120 px)" in problems[0].detail
