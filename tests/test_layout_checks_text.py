"""The layout checks (kiosk/ui/layout_checks.py) on planted defects of text, drawn for real: a word broken across
lines, rows scrolled out of view, text clipped by a scroll or stencil view, a texture cut short, lines drawn
closer than their height, text off the window (tests/layout_probe.py draws them).
"""

import re

import pytest

from layout_probe import INK, drawn_over, kinds, run


@pytest.fixture
def probe(ui):
    yield from drawn_over(ui)


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
