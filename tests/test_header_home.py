"""The header and the home tiles at 7": text of 3 mm, a back button white on orange at 4.5:1, titles never cut."""

import pytest

from screen_checks import drawn_lines, drawn_size, inside, text_contrast, text_rect, window_rect

MIN_TEXT_UNITS = 3.8  # 3 mm on the 7" HDMI panel (1024x600)
SIZES = [(800, 480), (1024, 600)]


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", SIZES, ids=["800x480", "1024x600"])
def test_header_date_and_home_hints_are_3_mm_and_the_back_button_readable(ui, size, lang):
    ui.app.lang = lang
    ui.resize(size)
    u = ui.app.u
    for tile in (ui.home.ids[name] for name in ("ticket", "forms", "rating")):
        for label in (tile.ids.title, tile.ids.hint):
            assert drawn_size(label) >= MIN_TEXT_UNITS * u, f"{label.text!r} drawn at {drawn_size(label) / u:.2f} u"
            assert "".join(drawn_lines(label)).replace(" ", "") == label.text.replace(" ", "")
            assert inside(text_rect(label), window_rect(tile))
    ui.app.show("forms")
    ui.frames(6)
    header = ui.screen.ids.header
    assert drawn_size(header.ids.date) >= MIN_TEXT_UNITS * u, f"the date is drawn at {drawn_size(header.ids.date) / u:.2f} u"
    image = ui.grab()
    for button in (header.ids.back, header.ids.language):
        assert text_contrast(image, button) >= 4.5, f"{button.text!r} is too faint on its colour"


@pytest.mark.parametrize("size", SIZES, ids=["800x480", "1024x600"])
def test_a_long_category_title_wraps_in_the_header_instead_of_an_ellipsis(ui, size):
    ui.app.lang = "en"
    ui.resize(size)
    ui.app.forms.open_category("birth")
    ui.frames(6)
    header = ui.screen.ids.header
    title = header.ids.title
    assert title.text == "Birth, acknowledgement, adoption"
    assert " ".join(line.strip() for line in drawn_lines(title)) == title.text, drawn_lines(title)
    assert inside(text_rect(title), window_rect(header))
    assert drawn_size(title) >= MIN_TEXT_UNITS * ui.app.u
